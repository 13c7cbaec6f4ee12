# equity_top.gp - the equity curves of the top combinations on one chart.
# -e variables: fmt, out, script_dir, data (blocks separated by two blank lines, one
# per combination: epoch seconds, equity), n (blocks), names (space-separated titles),
# title.
load script_dir.'common.gp'
set title title noenhanced font ',13'
set xdata time
set timefmt '%s'
set format x "%m-%d\n%H:%M"
set xlabel 'time (UTC)'
set ylabel 'equity (initial 10,000)'
set key outside right top
plot for [i=0:n-1] data index i using 1:2 with lines lw 1.5 title word(names, i+1) noenhanced, \
     10000 with lines dt 2 lc rgb '#888888' notitle
