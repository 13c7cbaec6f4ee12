# event_path.gp - the event study's mean cumulative return path by score bucket.
# -e variables: fmt, out, script_dir, data (blocks separated by two blank lines, one
# per bucket: minutes from the article's candle close, mean, ci_lo, ci_hi, all as
# percent log return), n (blocks), names (space-separated bucket titles), title,
# subtitle.
load script_dir.'common.gp'
set title title."\n".subtitle noenhanced font ',12'
set xlabel "minutes from the article's candle close (entry)"
set ylabel 'mean cumulative log return from the entry close (%)'
set key outside right top
set autoscale xfix
set arrow 1 from 0, graph 0 to 0, graph 1 nohead dt 2 lc rgb '#555555'
set xzeroaxis lt 1 lc rgb '#888888'
set style fill transparent solid 0.15 noborder
plot for [i=0:n-1] data index i using 1:3:4 with filledcurves lc i+1 notitle, \
     for [i=0:n-1] data index i using 1:2 with lines lw 1.5 lc i+1 title word(names, i+1) noenhanced
