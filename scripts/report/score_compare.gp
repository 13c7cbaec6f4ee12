# score_compare.gp - `sentibt score --compare`: each model's cost per 1,000 articles
# against its median latency, the bar from p50 to p95 latency, labelled by name.
# -e variables: fmt, out, script_dir, data (columns: p50 s, p95 s, USD per 1,000
# articles, model name; one model per line), title.
load script_dir.'common.gp'
set title title noenhanced font ',12'
set xlabel 'latency per article (s): median, bar to p95'
set ylabel 'USD per 1,000 articles'
set offsets graph 0.1, graph 0.25, graph 0.15, graph 0.15
set key off
plot data using 1:3:1:2 with xerrorbars pt 7 ps 1.5 lc rgb '#2166ac', \
     data using 1:3:4 with labels offset char 1,1 left noenhanced
