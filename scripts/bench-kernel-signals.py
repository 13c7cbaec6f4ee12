#!/usr/bin/env python3
"""bench-kernel-signals.py DATA OUT - the inputs of scripts/bench-kernel.c, from the sweep
benchmark's data (scripts/bench-data.py): OUT/close.bin (the candles' closes) and
OUT/sig_SHAPE_CONF.bin (news.jsonl, news_indep.jsonl at min-confidence 0.5, 0.7, 0.9): a
5-minute mean of the confident articles' scores at each candle's close, in the engine's
unit (10^-9), NaN where no article; raw little-endian doubles.  The same shape as the
engine's signals, not byte for byte the same (the kernel is measured, not the strategy)."""
import json
import math
import struct
import sys


def main():
    data, out = sys.argv[1], sys.argv[2]
    ts, close = [], []
    with open(data + '/candles_1m.csv') as f:
        next(f)
        for line in f:
            p = line.split(',')
            ts.append(int(p[0]))
            close.append(float(p[4]))
    with open(out + '/close.bin', 'wb') as f:
        f.write(struct.pack('<%dd' % len(close), *close))
    for name in ('news', 'news_indep'):
        arts = []
        with open('%s/%s.jsonl' % (data, name)) as f:
            for line in f:
                a = json.loads(line)
                arts.append((a['published_at'], round(a['sentiment_score'] * 10000),
                             a['confidence']))
        arts.sort()
        for conf in (50, 70, 90):
            sel = [(t, s) for (t, s, c) in arts if c >= conf / 100.0]
            sig, lo, hi, total, count = [], 0, 0, 0, 0
            for t0 in ts:
                end = t0 + 60
                while hi < len(sel) and sel[hi][0] <= end:
                    total += sel[hi][1]
                    count += 1
                    hi += 1
                while lo < hi and sel[lo][0] <= end - 300:
                    total -= sel[lo][1]
                    count -= 1
                    lo += 1
                sig.append(float(round(total * 1e5 / count)) if count else math.nan)
            with open('%s/sig_%s_%d.bin' % (out, name, conf), 'wb') as f:
                f.write(struct.pack('<%dd' % len(sig), *sig))


if __name__ == '__main__':
    main()
