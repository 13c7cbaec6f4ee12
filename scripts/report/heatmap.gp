# heatmap.gp - a metric over two sweep axes, each cell a vector rectangle.
# -e variables: fmt, out, script_dir, data (one line per defined cell: x index, y index,
# value, label colour as 0xRRGGBB), nx, ny (the grid's size), title, subtitle, xlabel,
# ylabel, cblabel, xtics, ytics ('set xtics (...)' commands naming each index by its
# value), palette (a 'set palette defined' command: good is blue), cbmin, cbmax (the
# scale, values beyond it take the end colours), labels (1: print the values), bx, by
# (the best cell's indexes, -1: none).
load script_dir.'common.gp'
set title title."\n".subtitle noenhanced font ',13'
set xlabel xlabel noenhanced
set ylabel ylabel noenhanced
set cblabel cblabel noenhanced
unset grid
set tics out nomirror
eval xtics
eval ytics
set xtics rotate by -45
eval palette
set cbrange [cbmin:cbmax]
set xrange [-0.5:nx-0.5]
set yrange [-0.5:ny-0.5]
# cells with no value (no Sharpe ratio when the equity never moved, say) show grey
set object 1 rectangle from graph 0,0 to graph 1,1 behind fc rgb '#c8c8c8' fs solid noborder
if (bx >= 0) {
	set object 2 rectangle from bx-0.5,by-0.5 to bx+0.5,by+0.5 front fs empty border lc rgb '#000000' lw 4
	set object 3 rectangle from bx-0.5,by-0.5 to bx+0.5,by+0.5 front fs empty border lc rgb '#ffd700' lw 1.5
}
set style fill solid 1.0 noborder
if (labels) {
	plot data using 1:2:(0.5):(0.5):3 with boxxyerror fc palette notitle, \
	     data using 1:2:(sprintf('%.3g', $3)):4 with labels tc rgb variable font ',8' notitle
} else {
	plot data using 1:2:(0.5):(0.5):3 with boxxyerror fc palette notitle
}
