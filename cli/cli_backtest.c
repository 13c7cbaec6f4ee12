#include "cli.h"
int cmd_backtest(int argc, char **argv) { (void)argc; (void)argv; return 1; }
