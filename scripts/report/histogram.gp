# histogram.gp - distribution of trade returns.
# -e variables: fmt, out, script_dir, data (one return in percent per line), binwidth
# (percent), mean (percent), title, subtitle.
load script_dir.'common.gp'
set title title."\n".subtitle noenhanced font ',12'
set xlabel 'trade return (%)'
set ylabel 'number of trades'
set style fill solid 0.7 border lc rgb '#333333'
set boxwidth binwidth absolute
set yrange [0:*]
set offsets graph 0.05, graph 0.05, graph 0.12, 0
set key top right
bin(x) = binwidth * floor(x / binwidth) + binwidth / 2.0
set arrow 1 from 0, graph 0 to 0, graph 1 nohead dt 2 lc rgb '#555555'
set arrow 2 from mean, graph 0 to mean, graph 1 nohead lw 2 lc rgb '#b2182b'
plot data using (bin($1)):(1.0) smooth frequency with boxes lc rgb '#67a9cf' title 'trades', \
     NaN with lines lw 2 lc rgb '#b2182b' title sprintf('mean %.3g%%', mean)
