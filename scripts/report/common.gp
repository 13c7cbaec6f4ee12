# common.gp - terminal and output for the report scripts (loaded by each of them).
# Variables set by `sentibt report` with -e: fmt ('png' or 'svg'), out (output path),
# optional W, H (pixels).  pngcairo when this gnuplot has it, else the libgd png.
if (!exists("W")) W = 1000
if (!exists("H")) H = 640
if (fmt eq 'svg') {
	set terminal svg size W,H dynamic enhanced font 'Sans,12' background rgb 'white'
} else {
	if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
		set terminal pngcairo size W,H enhanced font 'Sans,10' background rgb 'white'
	} else {
		set terminal png size W,H enhanced background rgb 'white'
	}
}
set output out
set encoding utf8
set border lw 1 lc rgb '#444444'
set grid lc rgb '#dddddd' lw 1
