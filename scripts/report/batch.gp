# batch.gp - the experiments of a batch side by side: the best combination's total return
# and buy and hold's over the same period, in percent.
# -e variables: fmt, out, script_dir, data (name, best %, buy and hold % per line), title.
load script_dir.'common.gp'
set title title noenhanced font ',12'
set ylabel 'total return (%)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border lc rgb '#333333'
set boxwidth 0.9
set xtics rotate by -30 noenhanced
set key top right
set xzeroaxis lt 1 lc rgb '#555555'
plot data using 2:xtic(1) lc rgb '#2166ac' title 'best combination', \
     '' using 3 lc rgb '#bbbbbb' title 'buy and hold'
