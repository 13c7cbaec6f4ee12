# heatmap.gp - the ranking metric over threshold (x) x min confidence (y).
# -e variables: fmt, out, script_dir, data (a matrix: one row per y index, one column
# per x index, NaN = undefined), nx, ny (its size), title, subtitle, xlabel, ylabel,
# cblabel, xtics, ytics
# ('set xtics (...)' commands naming each index by its value), cbmin, cbmax,
# diverging (1: the metric has both signs, white at 0), labels (1: print the values).
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
set cbrange [cbmin:cbmax]
if (diverging) {
	# red (worst) - white (0) - blue (best), readable under black labels
	set palette defined (0 '#b2182b', 0.25 '#ef8a62', 0.5 '#f7f7f7', 0.75 '#67a9cf', 1 '#2166ac')
} else {
	set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 '#fde725')
}
set datafile missing 'NaN'
set xrange [-0.5:nx-0.5]
set yrange [-0.5:ny-0.5]
# undefined cells (no Sharpe when a combination never traded, say) show grey
set object 1 rectangle from graph 0,0 to graph 1,1 behind fc rgb '#d0d0d0' fs solid noborder
if (labels) {
	plot data matrix with image notitle, \
	     data matrix using 1:2:($3 == $3 ? sprintf('%.3g', $3) : '') with labels font ',8' tc rgb '#111111' notitle
} else {
	plot data matrix with image notitle
}
