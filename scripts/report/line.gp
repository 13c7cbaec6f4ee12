# line.gp - a metric over one sweep axis, with its 95 % interval when it has one.
# -e variables: fmt, out, script_dir, data (x, value, interval low, interval high; x is
# the value's index when xtics names them), xtics ('' or a 'set xtics (...)' command),
# band (1: draw the interval), title, subtitle, xlabel, ylabel, bx, by (the best point).
load script_dir.'common.gp'
set title title."\n".subtitle noenhanced font ',12'
set xlabel xlabel noenhanced
set ylabel ylabel noenhanced
if (strlen(xtics) > 0) { eval xtics }
set offsets graph 0.03, graph 0.03, graph 0.08, graph 0.08
set key top left opaque
set xzeroaxis lt 1 lc rgb '#888888'
set object 1 circle at bx,by size char 0.9 front fs empty border lc rgb '#000000' lw 2
if (band) {
	plot data using 1:3:4 with filledcurves fs transparent solid 0.2 noborder lc rgb '#2166ac' title '95% interval', \
	     data using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#2166ac' title ylabel noenhanced
} else {
	plot data using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#2166ac' title ylabel noenhanced
}
