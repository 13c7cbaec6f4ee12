/* buildinfo.c - rebuilt on every make so the commit is current (see Makefile) */
#include "buildinfo.h"

#ifndef SB_GIT_COMMIT
#define SB_GIT_COMMIT "unknown"
#endif
#ifndef SB_CFLAGS
#define SB_CFLAGS "unknown"
#endif

const char sb_build_commit[] = SB_GIT_COMMIT;
#if defined(__clang__)
const char sb_build_compiler[] = "clang " __clang_version__;
#elif defined(__GNUC__)
const char sb_build_compiler[] = "gcc " __VERSION__;
#else
const char sb_build_compiler[] = "unknown";
#endif
const char sb_build_flags[] = SB_CFLAGS;
