# equity.gp - one combination: equity, drawdown and price (with the position shaded).
# -e variables: fmt, out, script_dir, data (whitespace columns: epoch seconds, close,
# position sign -1/0/1, equity, drawdown as a fraction, buy-and-hold equity or nan),
# title, subtitle, trades ('' or a file of entry epoch, entry price, side +1/-1, exit
# epoch, exit price; markers drawn when there are at most 400 trades).  The rows may be
# a min/max envelope of the candles (report/page.h), so the curves keep their extremes.
load script_dir.'common.gp'
# about four drawdown tics whatever the depth (the panel is short)
stats data using (-100*$5) name 'DD' nooutput
dd_range = DD_min < 0 ? -DD_min : 1
dd_base = 10.0**floor(log10(dd_range))
dd_ratio = dd_range / dd_base
dd_step = dd_ratio < 2.5 ? dd_base / 2.0 : dd_ratio < 5 ? dd_base : 2 * dd_base
# the month or the date alone over long spans (hours would crowd the labels)
stats data using 1 name 'T' nooutput
set xdata time
set timefmt '%s'
set autoscale xfix
# under 3 days: a tic every 1, 2, 3, 6 or 12 hours, at most 8 (dated labels would overlap)
span = T_max - T_min
tic_s = span <= 8 * 3600 ? 3600 : span <= 16 * 3600 ? 7200 : span <= 24 * 3600 ? 10800 : span <= 48 * 3600 ? 21600 : 43200
if (span <= 3 * 86400) set xtics tic_s
# 3 to 60 days: whole days, at most 8 labels (a date shown twice at 12-hour tics)
tic_d = 86400 * ceil(span / 86400.0 / 8)
if (span > 3 * 86400 && span <= 60 * 86400) set xtics tic_d
time_fmt = T_max - T_min > 60 * 86400 ? "%Y-%m" : T_max - T_min > 3 * 86400 ? "%Y-%m-%d" : "%Y-%m-%d\n%H:%M"
if (!exists("trades")) trades = ''
set multiplot layout 3,1 title title."\n".subtitle noenhanced font ',12'
set lmargin 12
set rmargin 18   # room for the keys, outside the curves
set key outside right top Left reverse samplen 2
unset xlabel
set format x ''
set size 1, 0.40
set origin 0, 0.52
set tmargin 1
set bmargin 0.5
set ylabel 'equity'
plot data using 1:4 with lines lw 1.5 lc rgb '#2166ac' title 'equity', \
     data using 1:6 with lines lw 1 lc rgb '#e08214' title 'buy and hold', \
     10000 with lines dt 2 lc rgb '#888888' title 'initial 10,000'
set size 1, 0.2
set origin 0, 0.33
set tmargin 0.5
set ylabel 'drawdown %'
set yrange [*:0]
set ytics dd_step
plot data using 1:(-100*$5) with filledcurves y1=0 fs solid 0.5 lc rgb '#b2182b' title 'drawdown'
set yrange [*:*]
set ytics autofreq
set size 1, 0.33
set origin 0, 0.0
set bmargin 4
set format x time_fmt
set xlabel 'time (UTC)'
set ylabel 'price'
if (strlen(trades) > 0) {
	plot data using 1:($3 > 0 ? $2 : 1/0) with points pt 7 ps 0.25 lc rgb '#1a9850' title 'long', \
	     data using 1:($3 < 0 ? $2 : 1/0) with points pt 7 ps 0.25 lc rgb '#d73027' title 'short', \
	     data using 1:2 with lines lw 1 lc rgb '#555555' title 'close', \
	     trades using 1:($3 > 0 ? $2 : 1/0) with points pt 9 ps 1.2 lc rgb '#1a9850' title 'long entry', \
	     trades using 1:($3 < 0 ? $2 : 1/0) with points pt 11 ps 1.2 lc rgb '#d73027' title 'short entry', \
	     trades using 4:5 with points pt 6 ps 1 lc rgb '#222222' title 'exit'
} else {
	plot data using 1:($3 > 0 ? $2 : 1/0) with points pt 7 ps 0.25 lc rgb '#1a9850' title 'long', \
	     data using 1:($3 < 0 ? $2 : 1/0) with points pt 7 ps 0.25 lc rgb '#d73027' title 'short', \
	     data using 1:2 with lines lw 1 lc rgb '#555555' title 'close'
}
unset multiplot
