#!/usr/bin/env python3
"""bench-data.py OUTDIR - deterministic benchmark inputs for scripts/bench-sweep.

Also writes OUTDIR/news_indep.jsonl: the same times and confidences with scores drawn
independently from article to article (no mood), the shape with many transitions.

Writes OUTDIR/candles_1m.csv (525,600 one-minute OHLCV candles: 2023-01-01 .. one
year) and OUTDIR/news.jsonl (2,000 articles a day).  Synthetic, seeded: the same
files every time.  Scores follow a slowly drifting news mood plus noise, so signals
persist over minutes as real sentiment does; confidence is uniform in [0, 1].
"""
import json, math, os, random, sys

def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20240301)
    t0 = 1672531200                    # 2023-01-01T00:00:00Z
    n = 525600
    price, vol = 20000.0, 0.0008
    tmp = os.path.join(out, "candles_1m.csv.tmp")
    with open(tmp, "w") as f:
        f.write("timestamp,open,high,low,close,volume\n")
        for i in range(n):
            vol = 0.00002 + 0.96 * vol + 0.02 * abs(rng.gauss(0, 0.0008))
            o = price
            price = max(1.0, price * math.exp(rng.gauss(0, vol)))
            hi = max(o, price) * (1 + abs(rng.gauss(0, vol / 3)))
            lo = min(o, price) * (1 - abs(rng.gauss(0, vol / 3)))
            f.write("%d,%.2f,%.2f,%.2f,%.2f,%.4f\n" % (t0 + 60 * i, o, hi, lo, price,
                                                     abs(rng.gauss(50, 20))))
    os.replace(tmp, os.path.join(out, "candles_1m.csv"))
    tmp = os.path.join(out, "news.jsonl.tmp")
    tmp2 = os.path.join(out, "news_indep.jsonl.tmp")
    mood = 0.0
    per_day = 2000
    rng2 = random.Random(7)
    with open(tmp, "w") as f, open(tmp2, "w") as g:
        for d in range(365):
            for k in range(per_day):
                mood = 0.995 * mood + rng.gauss(0, 0.05)
                ts = t0 + d * 86400 + int((k + rng.random()) * 86400 / per_day)
                score = math.tanh(mood + rng.gauss(0, 0.6))
                conf = rng.random()
                f.write('{"id":"b%d-%d","published_at":%d,"sentiment_score":%.4f,'
                        '"confidence":%.3f,"symbols":["BTC"]}\n'
                        % (d, k, ts, score, conf))
                g.write('{"id":"b%d-%d","published_at":%d,"sentiment_score":%.4f,'
                        '"confidence":%.3f,"symbols":["BTC"]}\n'
                        % (d, k, ts, math.tanh(rng2.gauss(0, 0.8)), conf))
    os.replace(tmp, os.path.join(out, "news.jsonl"))
    os.replace(tmp2, os.path.join(out, "news_indep.jsonl"))

main()
