#!/usr/bin/env python3
"""bench-tardis-data.py OUTDIR [DAYS [ROWS]] - Tardis trades days for scripts/bench-load.

Writes OUTDIR/binance-futures_trades_2022-07-0D_BTCUSDT.csv.gz for D = 1 .. DAYS
(default 4), ROWS trades a day (default 3,000,000): the Tardis trades schema with its
header (exchange,symbol,timestamp,local_timestamp,id,side,price,amount), exchange
times a few ms before the local (arrival) times, which increase; bursts of trades
sharing one message; prices on a random walk with 1 or 2 decimals; amounts of 3
decimals (40%) or up to 8; sides buy/sell; increasing numeric ids.  Gzip level 6,
mtime 0: the same bytes every time (a day is ~250 MB of CSV, ~60 MB gzip'd).
Existing files are kept.
"""
import gzip, os, random, sys

def day(path, d, rows):
    rng = random.Random(1000 + d)
    t0 = (1656633600 + (d - 1) * 86400) * 1000000   # 2022-07-01T00:00:00Z + d - 1
    step = 86400 * 1000000 * 95 // 100 // rows   # the day ends before the next one
    price = 19000.0 + 500 * d
    tid = 2000000000 + d * 10000000
    tmp = path + ".tmp"
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6,
                                               mtime=0, filename="") as f:
        f.write(b"exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n")
        lt = t0 + rng.randrange(step)
        out = []
        i = 0
        while i < rows:
            burst = 1 if rng.random() < 0.7 else rng.randint(2, 12)
            ts = lt - rng.randint(1000, 250000)
            side = "buy" if rng.random() < 0.5 else "sell"
            for _ in range(min(burst, rows - i)):
                price = max(1.0, price + rng.randint(-300, 300) / 100)
                p = ("%.2f" % price).rstrip("0").rstrip(".") if rng.random() < 0.5 \
                    else "%.1f" % price
                if rng.random() < 0.4:
                    a = "%.3f" % (rng.randint(1, 50000) / 1000)
                else:
                    a = ("%.8f" % (rng.randint(1, 300000000) / 1e8)).rstrip("0").rstrip(".")
                out.append("binance-futures,BTCUSDT,%d,%d,%d,%s,%s,%s\n"
                           % (ts, lt, tid, side, p, a))
                tid += 1
                i += 1
            lt += rng.randint(1, 2 * step * burst)
            if len(out) >= 65536:
                f.write("".join(out).encode())
                out = []
        f.write("".join(out).encode())
    os.replace(tmp, path)

def main():
    out = sys.argv[1]
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 3000000
    os.makedirs(out, exist_ok=True)
    for d in range(1, days + 1):
        path = os.path.join(out, "binance-futures_trades_2022-07-%02d_BTCUSDT.csv.gz" % d)
        if not os.path.exists(path):
            day(path, d, rows)

main()
