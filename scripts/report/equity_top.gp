# equity_top.gp - equity curves on one chart (the top combinations, or walk-forward folds).
# -e variables: fmt, out, script_dir, data (blocks separated by two blank lines, one
# per curve: epoch seconds, equity), n (blocks), names (space-separated titles, no
# spaces inside one), title, subtitle.  The first block is drawn thickest, so that
# curves that coincide still show.
load script_dir.'common.gp'
if (!exists("subtitle")) subtitle = ''
set title title.(strlen(subtitle) ? "\n".subtitle : '') noenhanced font ',12'
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
set format x (T_max - T_min > 60 * 86400 ? "%Y-%m" : T_max - T_min > 3 * 86400 ? "%Y-%m-%d" : "%Y-%m-%d\n%H:%M")
set xlabel 'time (UTC)'
set ylabel 'equity (initial 10,000)'
set key outside below Left reverse
set rmargin 6   # the last date label, centred on the right edge, is not cut
bh(i) = word(names, i + 1) eq 'buy-and-hold'
width(i) = bh(i) ? 0.8 : 1 + 1.2 * (n - 1 - i) / (n > 1 ? n - 1.0 : 1.0)
plot for [i=0:n-1] data index i using 1:2 with lines lw width(i) \
	title word(names, i+1) noenhanced, \
     10000 with lines dt 3 lc rgb '#888888' notitle
