#!/usr/bin/env python3
"""exact_oracle.py - an exact, independent oracle for sentibt's trading decisions.

It shares no code with the engine.  Every number is read from its text as a
fractions.Fraction, so every decision of DESIGN.md's threshold strategy (steps 1-3, and
the trade counting of steps 6-7) is taken in exact rational arithmetic:

  1. an article published at t_pub counts from t_pub + L, in candle
     j = floor((t_pub + L - t0) / D); outside [0, n) it is dropped;
  2. the signal of candle i is the exact mean of the scores of the articles with
     confidence >= k whose candle lies in [i - W + 1, i]; no such article: no signal;
  3. at the close of candle i with a signal s: flat -> long if s > h, short if s < -h;
     in a position -> flat if |s| < e; no signal: hold; at most one transition per
     candle; no direct reversal.

Costs and prices do not enter these decisions as long as no book is ruined (step 4: a
short that loses more than the whole book); the generator below keeps prices in a narrow
random walk so that cannot happen, and the tests run with no fees.

Subcommands (python3 standard library only):

  gen DIR [--seed N] [--candles N] [--bursts N] [--gaps]
      writes DIR/prices.csv (1m candles, epoch-ms timestamps), DIR/news.jsonl (articles
      whose scores and confidences have one or two decimals, many sharing a candle and a
      timestamp, so that window means hit thresholds and exit bands exactly), and three
      variants of news.jsonl that must not change any result: news-reordered.jsonl
      (articles sharing a timestamp in another order), news-shuffled.jsonl (all articles
      in random order) and news-noisy.jsonl (each score and confidence written as a
      neighbouring double, 0.3 -> 0.30000000000000004 or 0.29999999999999993).  --gaps:
      one candle in ten opens away from the previous close (up to 40 cents), drawn from
      its own generator, so the articles are the same with or without it.
  check --prices P --sentiment S --summary summary.csv [grid options] [--show N]
        [--pick N --pick-out FILE]
      runs the oracle over the grid and compares every row of sentibt's summary.csv:
      parameter values exactly as typed, grid order, trades, closed_trades and exposure.
      --pick writes up to N combination ids worth a per-candle look (disagreeing ones
      spread over the grid, then the busiest of each window and of each quarter of the
      thresholds) to FILE, one line "id,id,...".
  positions --prices P --sentiment S --equity-dir DIR --ids ID,... [grid options]
      compares the sign of the position column of DIR/ID.csv, candle by candle, with the
      oracle's position.
  exits --prices P --sentiment S --summary summary.csv [grid options] [exit options]
      DESIGN's "Exits and sides" (stop-loss, take-profit, trailing stop, max hold, side)
      simulated candle by candle from the open/high/low/close of P: signals as Fractions
      (decisions exact), prices and cash in IEEE doubles (Python floats) with DESIGN
      step 4's formulas, so every summary.csv row's trades, closed_trades, exposure,
      exits_* counts, win_rate and final_equity must agree exactly.  Exit options:
      --stop-loss, --take-profit, --trailing-stop (fractions), --max-hold (a number of
      candles, or a duration of whole candles; one unit per SPEC, 0 goes with either),
      --side (both, long, short), each a SPEC (side: a list).
  diff REF OTHER [--show N]
      two summary.csv files row by row: how many rows and which columns differ, and the
      first differing rows (for the property tests' messages).
  selftest
      hand-worked cases (expected results worked out by hand, in the comments), each
      checked against both implementations in this file: the direct one (candle by
      candle, Fraction means) and the fast one the checks use (exact integer sums,
      bisection over the candles where a transition can happen); then both compared on
      seeded random data.

Grid options (text, as given to sentibt sweep): --interval 1m --threshold SPEC
--min-confidence SPEC --window SPEC --exit-band SPEC --fee-bps SPEC --slippage-bps SPEC
--latency SPEC.  A SPEC is a value, a list a,b,c or an inclusive range start:stop:step
(values start + n*step, exact); durations take a unit (ms, s, m, h, d).
Exit status: 0 agreement, 1 disagreement or bad input, 2 usage error.
"""

import argparse
import bisect
import csv
import itertools
import json
import math
import os
import random
import re
import sys
from datetime import datetime, timezone
from fractions import Fraction

US = {"us": 1, "ms": 1000, "s": 10**6, "m": 60 * 10**6, "h": 3600 * 10**6, "d": 86400 * 10**6}
AXES = ["threshold", "min_confidence", "window", "exit_band", "fee_bps", "slippage_bps", "latency"]
DEFAULTS = {"threshold": "0.5", "min_confidence": "0.7", "window": "5m", "exit_band": "0.1",
            "fee_bps": "5", "slippage_bps": "0", "latency": "0s"}
DURATION_AXES = {"window", "latency"}


EXIT_AXES = ["stop_loss", "take_profit", "trailing_stop", "max_hold", "side"]
EXIT_DEFAULTS = {"stop_loss": "0", "take_profit": "0", "trailing_stop": "0", "max_hold": "0",
                 "side": "both"}
REASONS = ["signal", "stop", "take", "trail", "time"]


class Bad(Exception):
    """Bad input: message printed, exit 1."""


# ------------------------------------------------------------------------------------------
# Text -> exact numbers
# ------------------------------------------------------------------------------------------
DEC_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def dec(text):
    """A decimal text as an exact Fraction (no binary rounding on the way)."""
    text = text.strip()
    if not DEC_RE.match(text):
        raise Bad("expected a decimal number, got %r" % text)
    return Fraction(text)


def duration_us(text):
    """'5m', '30s', '500ms', '1.5s' -> exact microseconds (a Fraction)."""
    m = re.match(r"^\s*([0-9.]+)\s*(us|ms|s|m|h|d)\s*$", text)
    if not m:
        raise Bad("expected a duration such as 5m, got %r" % text)
    return dec(m.group(1)) * US[m.group(2)]


def spec_values(text, parse):
    """'a,b,c' or 'start:stop:step' (inclusive, start + n*step exactly) -> (texts, values).
    texts are how each value was typed (computed ones are printed as exact decimals)."""
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise Bad("bad range %r" % text)
        start, stop, step = (parse(p) for p in parts)
        if step <= 0:
            raise Bad("bad range step in %r" % text)
        vals = []
        n = 0
        while start + n * step <= stop:
            vals.append(start + n * step)
            n += 1
        return [frac_text(v) for v in vals], vals
    texts = [t.strip() for t in text.split(",")]
    return texts, [parse(t) for t in texts]


def frac_text(q):
    """An exact decimal text of q when it has one (denominator 2^a 5^b), else p/q."""
    q = Fraction(q)
    den = q.denominator
    a = b = 0
    while den % 2 == 0:
        den //= 2
        a += 1
    while den % 5 == 0:
        den //= 5
        b += 1
    if den != 1:
        return "%d/%d" % (q.numerator, q.denominator)
    places = max(a, b)
    n = abs(q.numerator) * (10**places // q.denominator)
    s = str(n).rjust(places + 1, "0")
    if places:
        s = s[:-places] + "." + s[-places:]
        s = s.rstrip("0").rstrip(".")
    return ("-" if q < 0 else "") + s


# ------------------------------------------------------------------------------------------
# Inputs
# ------------------------------------------------------------------------------------------
def epoch_us(v, where):
    """published_at / timestamp: RFC 3339 text or epoch s/ms/us (by magnitude) -> int us."""
    if isinstance(v, str) and not DEC_RE.match(v.strip()):
        m = re.match(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$",
                     v.strip())
        if not m:
            raise Bad("%s: unreadable time %r" % (where, v))
        base = datetime.strptime(m.group(1) + " " + m.group(2), "%Y-%m-%d %H:%M:%S")
        base = base.replace(tzinfo=timezone.utc)
        sec = int(base.timestamp())
        off = 0
        if m.group(4) and m.group(4) != "Z":
            sign = 1 if m.group(4)[0] == "+" else -1
            off = sign * (int(m.group(4)[1:3]) * 3600 + int(m.group(4)[4:6]) * 60)
        us = Fraction(sec - off) * 10**6
        if m.group(3):
            us += Fraction("0" + m.group(3)) * 10**6
        if us.denominator != 1:
            raise Bad("%s: time finer than a microsecond: %r" % (where, v))
        return int(us)
    q = v if isinstance(v, Fraction) else dec(str(v))
    if q.denominator != 1:
        raise Bad("%s: fractional epoch time %r" % (where, v))
    q = int(q)
    return q * (10**6 if abs(q) < 10**11 else (10**3 if abs(q) < 10**14 else 1))


def read_prices(path, interval_us):
    """The candle CSV: returns (t0_us, n).  The candles must be contiguous at the interval
    (the oracle does not aggregate or fill gaps)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise Bad("%s: empty" % path)
    head = [h.strip().lower() for h in rows[0]]
    tcol = next((head.index(c) for c in ("timestamp", "time", "date", "datetime", "open_time")
                 if c in head), None)
    if tcol is None or "close" not in head:
        raise Bad("%s: no time or close column in the header" % path)
    ccol = head.index("close")
    ts = []
    for ln, r in enumerate(rows[1:], 2):
        if not r:
            continue
        ts.append(epoch_us(r[tcol].strip(), "%s:%d" % (path, ln)))
        if not dec(r[ccol]) > 0:
            raise Bad("%s:%d: close must be > 0" % (path, ln))
    if not ts:
        raise Bad("%s: no candles" % path)
    t0 = ts[0]
    if t0 % interval_us:
        raise Bad("%s: first candle not aligned on the interval" % path)
    for i, t in enumerate(ts):
        if t != t0 + i * interval_us:
            raise Bad("%s: candle %d at %d, want %d (contiguous candles only)"
                      % (path, i, t, t0 + i * interval_us))
    return t0, len(ts)


def read_articles(path):
    """JSON Lines -> list of (t_us, score, confidence), numbers exact from their text.
    A repeated id keeps the first article (as DESIGN says)."""
    arts = []
    seen = set()
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            if not line.strip():
                continue
            o = json.loads(line, parse_float=Fraction, parse_int=Fraction)
            where = "%s:%d" % (path, ln)
            aid = o.get("id", o.get("article_id"))
            if aid is not None:
                if aid in seen:
                    continue
                seen.add(aid)
            s, c = o["sentiment_score"], o["confidence"]
            if not isinstance(s, Fraction) or not isinstance(c, Fraction):
                raise Bad("%s: score and confidence must be numbers" % where)
            if not (-1 <= s <= 1 and 0 <= c <= 1):
                raise Bad("%s: score or confidence out of range" % where)
            arts.append((epoch_us(o["published_at"], where), s, c))
    return arts


# ------------------------------------------------------------------------------------------
# The grid
# ------------------------------------------------------------------------------------------
class Grid:
    """The parameter lists, as typed (texts) and exact (values, durations in us)."""

    def __init__(self, specs, interval_us):
        self.texts, self.values = {}, {}
        for ax in AXES:
            spec = specs.get(ax) or DEFAULTS[ax]
            parse = duration_us if ax in DURATION_AXES else dec
            t, v = spec_values(spec, parse)
            if ax in DURATION_AXES and ":" in spec:      # computed durations: in seconds
                t = [frac_text(x / 10**6) + "s" for x in v]
            if len(set(v)) != len(v):
                raise Bad("--%s: a value given twice" % ax.replace("_", "-"))
            self.texts[ax], self.values[ax] = t, v
        for w in self.values["window"]:
            if w <= 0 or w % interval_us:
                raise Bad("window %s is not a whole number of candles" % frac_text(w))
        self.interval_us = interval_us

    def combos(self):
        """(id, {axis: value index}) in sentibt's grid order: the first axis slowest."""
        ranges = [range(len(self.values[ax])) for ax in AXES]
        for cid, idx in enumerate(itertools.product(*ranges)):
            yield cid, dict(zip(AXES, idx))

    def size(self):
        n = 1
        for ax in AXES:
            n *= len(self.values[ax])
        return n

    def param_text(self, ix):
        return " ".join("%s=%s" % (ax, self.texts[ax][ix[ax]]) for ax in AXES)

    def summary_value(self, ax, i):
        """The value as summary.csv prints it: durations in seconds."""
        v = self.values[ax][i]
        return v / 10**6 if ax in DURATION_AXES else v


# ------------------------------------------------------------------------------------------
# The direct implementation: candle by candle, Fraction means.  Slow and obvious.
# ------------------------------------------------------------------------------------------
def candle_of(t_us, latency_us, t0, D, n):
    j = math.floor(Fraction(t_us + latency_us - t0) / D)   # floor of an exact rational
    return j if 0 <= j < n else None


def direct(arts, t0, D, n, h, k, W, e, L):
    """Returns (trades, closed, exposure count, positions list of -1/0/1)."""
    wc = W // D
    per = [[] for _ in range(n)]
    for t, s, c in arts:
        j = candle_of(t, L, t0, D, n)
        if j is not None and c >= k:
            per[j].append(s)
    pos, trades, closed, exp, path = 0, 0, 0, 0, []
    for i in range(n):
        win = [s for j in range(max(0, i - wc + 1), i + 1) for s in per[j]]
        if win:
            sig = sum(win, Fraction(0)) / len(win)
            if pos == 0:
                if sig > h:
                    pos, trades = 1, trades + 1
                elif sig < -h:
                    pos, trades = -1, trades + 1
            elif abs(sig) < e:
                pos, closed = 0, closed + 1
        exp += pos != 0
        path.append(pos)
    return trades, closed, exp, path


# ------------------------------------------------------------------------------------------
# The fast implementation the checks use.  Same rules, organised for 10^5 combinations:
# per (k, L) the articles' scores are integers (score * M, M = the common denominator)
# summed per candle; per W the window sums and counts; each distinct (sum, count) is
# classified once against the sorted thresholds and exit bands with exact Fractions.  Per
# threshold, the candles where a flat book enters are a sorted list, per exit band the
# candles where a held book exits; a combination alternates between the two lists by
# bisection: enter at the first entry candle >= p, exit at the first exit candle after it,
# flat again from the candle after the exit (one transition per candle).
# ------------------------------------------------------------------------------------------
class Fast:
    def __init__(self, arts, t0, D, n, grid):
        self.arts, self.t0, self.D, self.n, self.grid = arts, t0, D, n, grid
        self.M = 1
        for _, s, _ in arts:
            self.M = self.M * s.denominator // math.gcd(self.M, s.denominator)
        self.hs = sorted(grid.values["threshold"])
        self.es = sorted(grid.values["exit_band"])
        # grid index -> position in the sorted lists
        self.hpos = [self.hs.index(h) for h in grid.values["threshold"]]
        self.epos = [self.es.index(e) for e in grid.values["exit_band"]]
        for L in grid.values["latency"]:
            if L.denominator != 1:
                raise Bad("latency %s us is finer than a microsecond" % frac_text(L))
        self.cls = {}        # (sum, count) -> (#h < |s|, #e <= |s|, sign, tie_h, tie_e)
        self.groups = {}     # (k, W, L) indices -> (entry lists per h, exit lists per e, sign)
        self.ties = {"mean_eq_threshold": 0, "mean_eq_exit_band": 0, "conf_eq_k": 0}

    def classify(self, ssum, cnt):
        key = (ssum, cnt)
        r = self.cls.get(key)
        if r is None:
            mean = Fraction(ssum, cnt * self.M)
            a = abs(mean)
            rh = bisect.bisect_left(self.hs, a)      # thresholds h < |s|: enter when h < |s|
            re_ = bisect.bisect_right(self.es, a)    # bands e <= |s|: exit when e > |s|
            tie_h = rh < len(self.hs) and self.hs[rh] == a
            tie_e = re_ > 0 and self.es[re_ - 1] == a
            r = (rh, re_, (mean > 0) - (mean < 0), tie_h, tie_e)
            self.cls[key] = r
        return r

    def group(self, ki, wi, li):
        key = (ki, wi, li)
        g = self.groups.get(key)
        if g is not None:
            return g
        v = self.grid.values
        k, W, L = v["min_confidence"][ki], v["window"][wi], int(v["latency"][li])
        n, wc = self.n, int(W // self.D)
        sums, cnts = [0] * n, [0] * n
        for t, s, c in self.arts:
            if c < k:
                continue
            self.ties["conf_eq_k"] += c == k
            j = (t + L - self.t0) // self.D          # floor division of integers
            if 0 <= j < n:
                sums[j] += int(s * self.M)
                cnts[j] += 1
        ps, pc = [0] * (n + 1), [0] * (n + 1)
        for i in range(n):
            ps[i + 1], pc[i + 1] = ps[i] + sums[i], pc[i] + cnts[i]
        idx, rh, re_, sign = [], [], [], {}          # the candles with a signal
        for i in range(n):
            lo = max(0, i - wc + 1)
            cnt = pc[i + 1] - pc[lo]
            if cnt:
                cl = self.classify(ps[i + 1] - ps[lo], cnt)
                idx.append(i)
                rh.append(cl[0])
                re_.append(cl[1])
                sign[i] = cl[2]
                self.ties["mean_eq_threshold"] += cl[3]
                self.ties["mean_eq_exit_band"] += cl[4]
        # entries[j]: candles where a flat book enters with the j-th smallest threshold;
        # exits[m]: candles where a held book exits with the m-th smallest exit band
        entries = [list(itertools.compress(idx, [r > jh for r in rh]))
                   for jh in range(len(self.hs))]
        exits = [list(itertools.compress(idx, [r <= je for r in re_]))
                 for je in range(len(self.es))]
        g = (entries, exits, sign)
        self.groups[key] = g
        return g

    def lists(self, ix):
        entries, exits, sign = self.group(ix["min_confidence"], ix["window"], ix["latency"])
        return entries[self.hpos[ix["threshold"]]], exits[self.epos[ix["exit_band"]]], sign

    def result(self, ix):
        """(trades, closed trades, candles ending in a position) of one combination."""
        en, ex, _ = self.lists(ix)
        n, p, tr, cl, exp, x, y = self.n, 0, 0, 0, 0, 0, 0
        nen, nex = len(en), len(ex)
        bl, br = bisect.bisect_left, bisect.bisect_right
        while True:                       # (x, y only grow: the searches start from them)
            x = bl(en, p, x)              # the first candle >= p where a flat book enters
            if x == nen:
                return tr, cl, exp
            i = en[x]
            tr += 1
            y = br(ex, i, y)              # the first candle after i where it exits
            if y == nex:
                return tr, cl, exp + n - i
            o = ex[y]
            cl += 1
            exp += o - i
            p = o + 1                     # flat from the next candle: one transition each

    def path(self, ix):
        """The position (-1, 0, 1) at the close of every candle."""
        en, ex, sign = self.lists(ix)
        pos, p = [0] * self.n, 0
        while True:
            x = bisect.bisect_left(en, p)
            if x == len(en):
                return pos
            i = en[x]
            y = bisect.bisect_right(ex, i)
            o = ex[y] if y < len(ex) else self.n
            pos[i:o] = [sign[i]] * (o - i)
            p = o + 1


def combo_params(grid, ix):
    v = grid.values
    return (v["threshold"][ix["threshold"]], v["min_confidence"][ix["min_confidence"]],
            v["window"][ix["window"]], v["exit_band"][ix["exit_band"]],
            v["latency"][ix["latency"]])


# ------------------------------------------------------------------------------------------
# check: summary.csv against the oracle
# ------------------------------------------------------------------------------------------
def load_inputs(a):
    D = duration_us(a.interval)
    if D.denominator != 1:
        raise Bad("bad interval")
    D = int(D)
    grid = Grid({ax: getattr(a, ax) for ax in AXES}, D)
    t0, n = read_prices(a.prices, D)
    arts = read_articles(a.sentiment)
    return grid, t0, D, n, arts


def cmd_check(a):
    grid, t0, D, n, arts = load_inputs(a)
    fast = Fast(arts, t0, D, n, grid)
    f = open(a.summary, newline="")
    rows = csv.reader(f)
    head = next(rows, None)
    if head is None:
        raise Bad("%s: empty" % a.summary)
    need = ["id"] + AXES + ["trades", "closed_trades", "exposure"]
    missing = [c for c in need if c not in head]
    if missing:
        raise Bad("%s: no column(s) %s in the header" % (a.summary, ", ".join(missing)))
    col = {c: head.index(c) for c in need}

    # index of every grid value per axis, for matching rows by value
    vidx = {ax: {grid.summary_value(ax, i): i for i in range(len(grid.values[ax]))}
            for ax in AXES}
    ncomb = grid.size()
    strides, s = {}, 1
    for ax in reversed(AXES):
        strides[ax] = s
        s *= len(grid.values[ax])

    def match_value(ax, txt):
        """summary.csv's text of a parameter -> (grid index or None, complaint or None).
        The text must be exactly a grid value as typed; otherwise the complaint names it,
        and the nearest value (within 1e-9) is used so that the row is still compared."""
        try:
            v = dec(txt)
        except Bad:
            return None, "%s printed as '%s', not a number" % (ax, txt)
        if v in vidx[ax]:
            return vidx[ax][v], None
        near = min(vidx[ax].items(), key=lambda kv: abs(kv[0] - v))
        if abs(near[0] - v) > Fraction(1, 10**9) * max(1, abs(near[0])):
            return None, "%s printed as '%s', which is no grid value" % (ax, txt)
        return near[1], ("%s printed as '%s', which is not exactly a grid value as typed "
                         "(nearest: %s)" % (ax, txt, frac_text(near[0])))

    lookup = {ax: {} for ax in AXES}
    kinds = ["unreadable", "not_as_typed", "duplicate", "missing", "order", "decisions", "data"]
    counts = dict.fromkeys(kinds, 0)
    shown = {kind: [] for kind in kinds}       # the first a.show messages of each kind

    def note(kind, fmt, *args):
        counts[kind] += 1
        if len(shown[kind]) < a.show:
            shown[kind].append(fmt % args)

    fields = {"trades": 0, "closed_trades": 0, "exposure": 0}
    seen = {}
    results = {}         # combination id -> oracle (trades, closed, exposure count)
    mism_ids = []
    rows_ok = 0
    for ln, r in enumerate(rows, 2):
        if len(r) != len(head):
            note("unreadable", "summary.csv:%d: %d fields, header has %d", ln, len(r), len(head))
            continue
        ix, typed_ok = {}, True
        for ax in AXES:
            txt = r[col[ax]]
            hit = lookup[ax].get(txt)
            if hit is None:
                hit = lookup[ax][txt] = match_value(ax, txt)
            i, complaint = hit
            if complaint:
                typed_ok = False
                note("not_as_typed", "id %s: %s", r[col["id"]], complaint)
            if i is None:
                break
            ix[ax] = i
        if len(ix) != len(AXES):
            continue
        cid = sum(ix[ax] * strides[ax] for ax in AXES)
        if cid in seen:
            note("duplicate", "id %s: parameters %s already on the row of id %s",
                 r[col["id"]], grid.param_text(ix), seen[cid])
            continue
        seen[cid] = r[col["id"]]
        if r[col["id"]] != str(cid) or ln - 2 != cid:
            note("order", "data row %d, id %s: parameters %s are combination %d in grid "
                 "order (data row %d)", ln - 1, r[col["id"]], grid.param_text(ix), cid, cid + 1)
        tr, cl, ex = results[cid] = fast.result(ix)
        bad = []
        try:
            got_tr, got_cl = int(r[col["trades"]]), int(r[col["closed_trades"]])
            got_exf = float(r[col["exposure"]])
        except ValueError:
            note("unreadable", "id %s: unreadable trades/closed_trades/exposure", r[col["id"]])
            continue
        if got_tr != tr:
            bad.append("trades: oracle %d, sentibt %d" % (tr, got_tr))
            fields["trades"] += 1
        if got_cl != cl:
            bad.append("closed_trades: oracle %d, sentibt %d" % (cl, got_cl))
            fields["closed_trades"] += 1
        got_ex = round(got_exf * n)
        if got_ex != ex or abs(got_exf - ex / n) > 1e-12:
            bad.append("exposure: oracle %d/%d, sentibt %s (%d/%d)"
                       % (ex, n, r[col["exposure"]], got_ex, n))
            fields["exposure"] += 1
        if bad:
            mism_ids.append(cid)
            note("decisions", "id %s  %s\n      %s", r[col["id"]], grid.param_text(ix),
                 "; ".join(bad))
        elif typed_ok and r[col["id"]] == str(cid) and ln - 2 == cid:
            rows_ok += 1
    nrows = rows.line_num - 1
    f.close()
    for cid, ix in grid.combos():
        if cid not in seen:
            note("missing", "combination %d (%s) has no row", cid, grid.param_text(ix))

    ties = fast.ties
    print("oracle: %d candles, %d articles, %d combinations, %d rows in %s"
          % (n, len(arts), ncomb, nrows, a.summary))
    print("oracle: ties in the data: %d window means equal to a threshold, %d to an exit band, "
          "%d articles with confidence equal to a min-confidence (summed over signal groups)"
          % (ties["mean_eq_threshold"], ties["mean_eq_exit_band"], ties["conf_eq_k"]))
    weak = [t for t, v in ties.items() if v == 0]
    if weak:
        note("data", "the data has no tie of kind %s: the test would prove nothing about it",
             ", ".join(weak))
    if a.pick:
        # ids worth a per-candle look: disagreeing ones spread over the grid, then for each
        # window and each quarter of the thresholds the combination with the most trades
        res = {cid: results.get(cid) or fast.result(ix) for cid, ix in grid.combos()}
        ixs = dict(grid.combos())
        nm = min(len(mism_ids), a.pick // 2)
        pick = [mism_ids[q * len(mism_ids) // nm] for q in range(nm)]
        nh = len(grid.values["threshold"])
        keys = [("window", wi) for wi in range(len(grid.values["window"]))]
        keys += [("quarter", q) for q in range(4)]
        for kind, val in keys:
            best = None
            for cid, r3 in res.items():
                ix = ixs[cid]
                if (ix["window"] if kind == "window" else ix["threshold"] * 4 // nh) != val:
                    continue
                if cid not in pick and (best is None or r3[0] > res[best][0]):
                    best = cid
            if best is not None:
                pick.append(best)
        with open(a.pick_out, "w") as f:
            f.write(",".join(str(c) for c in sorted(pick[: a.pick])) + "\n")
    if not any(counts.values()):
        print("oracle: all %d rows agree (parameters as typed, grid order, trades, "
              "closed_trades, exposure)" % rows_ok)
        return 0
    print("oracle: DISAGREEMENT with %s" % a.summary)
    titles = {
        "unreadable": "unreadable rows",
        "not_as_typed": "parameter values not printed exactly as typed (DESIGN: 'computed in "
                        "decimal ... and printed as such')",
        "duplicate": "rows with the parameters of another row",
        "missing": "combinations without a row",
        "order": "rows out of grid order",
        "decisions": "combinations whose trades, closed_trades or exposure differ from the "
                     "exact oracle (%d trades, %d closed_trades, %d exposure)"
                     % (fields["trades"], fields["closed_trades"], fields["exposure"]),
        "data": "weak data",
    }
    for kind in kinds:
        if counts[kind]:
            print("oracle: %d %s%s" % (counts[kind], titles[kind],
                                       ", of %d combinations" % ncomb
                                       if kind == "decisions" else ""))
            for text in shown[kind]:
                print("    " + text)
            if counts[kind] > len(shown[kind]):
                print("    ... and %d more" % (counts[kind] - len(shown[kind])))
    return 1


# ------------------------------------------------------------------------------------------
# exits: DESIGN's "Exits and sides", written from its text, candle by candle
# ------------------------------------------------------------------------------------------
def read_ohlc(path):
    """open, high, low, close columns as floats (the nearest double of each text)."""
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    head = [h.strip().lower() for h in rows[0]]
    cols = [head.index(c) for c in ("open", "high", "low", "close")]
    return [[float(r[c]) for r in rows[1:]] for c in cols]


def window_signals(arts, t0, D, n, k, W, L):
    """Per candle the exact mean of the scores in its window (step 2), or None."""
    wc = W // D
    ssum, cnt = [Fraction(0)] * n, [0] * n
    for t, s, c in arts:
        j = candle_of(t, L, t0, D, n)
        if j is not None and c >= k:
            ssum[j] += s
            cnt[j] += 1
    out = []
    for i in range(n):
        lo = max(0, i - wc + 1)
        m = sum(cnt[lo:i + 1])
        out.append(sum(ssum[lo:i + 1], Fraction(0)) / m if m else None)
    return out


def factor(frac_e9, sign):
    """1 + sign * x for a decimal x, formed exactly and rounded to a double once."""
    return float(10**9 + sign * frac_e9) / 1e9


def sim_exits(sig, O, H, L, C, h, e, f, sl, tp, ts, hold, side):
    """One combination.  sl, tp, ts: exact Fractions (0 = off); hold: candles (0 = off);
    side: 0 both, 1 long, -1 short; f the cost as a float.  Returns a dict of counts and
    the final equity.  Fills (step 4): entry q = cash / (c (1 + f)); exits at X add
    |q| X - |q| X f (long) or take |q| X + |q| X f (short)."""
    slx, tpx, tsx = (int(x * 10**9) for x in (sl, tp, ts))
    cash, q, pos = 10000.0, 0.0, 0
    entry_eq = P = M = 0.0
    entry_i = 0
    armed = True
    r = {"trades": 0, "closed": 0, "wins": 0, "exposure": 0}
    r.update({"exit_" + x: 0 for x in REASONS})

    def close(x, why):
        nonlocal cash, q, pos, armed
        amt = abs(q) * x
        fee = amt * f
        cash = cash + (amt - fee) if pos > 0 else cash - (amt + fee)
        r["closed"] += 1
        r["wins"] += cash > entry_eq
        r["exit_" + why] += 1
        if why != "signal":
            armed = False
        q, pos = 0.0, 0

    for i in range(len(C)):
        s = sig[i]
        risk = False
        if pos != 0:
            # the intrabar checks of a candle after the entry
            if pos > 0:
                stops = []
                if slx:
                    stops.append((P * factor(slx, -1), "stop"))
                if tsx:
                    stops.append((M * factor(tsx, -1), "trail"))
                if stops:
                    lvl, why = stops[0]
                    if len(stops) == 2 and stops[1][0] > lvl:    # the nearer: higher
                        lvl, why = stops[1]
                    if O[i] <= lvl:
                        close(O[i], why)
                        risk = True
                    elif L[i] <= lvl:
                        close(lvl, why)
                        risk = True
                if not risk and tpx:
                    lvl = P * factor(tpx, 1)
                    if O[i] >= lvl:
                        close(O[i], "take")
                        risk = True
                    elif H[i] >= lvl:
                        close(lvl, "take")
                        risk = True
                if not risk:
                    M = max(M, H[i])
            else:
                stops = []
                if slx:
                    stops.append((P * factor(slx, 1), "stop"))
                if tsx:
                    stops.append((M * factor(tsx, 1), "trail"))
                if stops:
                    lvl, why = stops[0]
                    if len(stops) == 2 and stops[1][0] < lvl:    # the nearer: lower
                        lvl, why = stops[1]
                    if O[i] >= lvl:
                        close(O[i], why)
                        risk = True
                    elif H[i] >= lvl:
                        close(lvl, why)
                        risk = True
                if not risk and tpx:
                    lvl = P * factor(tpx, -1)
                    if O[i] <= lvl:
                        close(O[i], "take")
                        risk = True
                    elif L[i] <= lvl:
                        close(lvl, "take")
                        risk = True
                if not risk:
                    M = min(M, L[i])
        if risk:
            if s is not None and abs(s) < e:
                armed = True
        else:
            if s is not None:
                if pos == 0:
                    if not armed and abs(s) < e:
                        armed = True
                    want = 1 if s > h else -1 if s < -h else 0
                    if side and want != side:
                        want = 0
                    if armed and want and cash > 0:
                        qn = cash / (C[i] * (1.0 + f))
                        amt = qn * C[i]
                        fee = amt * f
                        entry_eq = cash
                        cash = cash - (amt + fee) if want > 0 else cash + (amt - fee)
                        q = qn if want > 0 else -qn
                        pos, P, M, entry_i = want, C[i], C[i], i
                        r["trades"] += 1
                elif abs(s) < e:
                    close(C[i], "signal")
            if pos != 0 and hold and i - entry_i >= hold:
                close(C[i], "time")
        r["exposure"] += pos != 0
    r["final_equity"] = cash + q * C[-1]
    return r


def cmd_exits(a):
    grid, t0, D, n, arts = load_inputs(a)
    bars = read_ohlc(a.prices)
    ex_t, ex_v = {}, {}
    for ax in EXIT_AXES:
        spec = getattr(a, ax) or EXIT_DEFAULTS[ax]
        if ax == "side":
            ex_t[ax] = [x.strip() for x in spec.split(",")]
            ex_v[ax] = [{"both": 0, "long": 1, "short": -1}[x] for x in ex_t[ax]]
        elif ax == "max_hold":
            # DESIGN: "--max-hold N (candles or a duration)": a bare whole number counts
            # candles (N * D us), anything else is a duration; one unit per spec.
            words = re.split(r"[,:]", spec)
            bare = [w.strip().isdigit() for w in words]
            nonzero_bare = any(b and int(w) for b, w in zip(bare, words))
            nonzero_dur = any(not b and duration_us(w) for b, w in zip(bare, words))
            if nonzero_bare and nonzero_dur:
                raise Bad("--max-hold: candles and durations mixed in %r" % spec)
            ex_t[ax], v = spec_values(spec, lambda w: int(w) * D if w.strip().isdigit()
                                      else duration_us(w))
            if any(x % D for x in v):
                raise Bad("--max-hold: not a whole number of candles")
            ex_v[ax] = [int(x // D) for x in v]
            ex_t[ax] = [frac_text(x / 10**6) for x in v]       # printed in seconds
        else:
            ex_t[ax], ex_v[ax] = spec_values(spec, dec)
            ex_t[ax] = [frac_text(x) for x in ex_v[ax]]
    ex_combos = list(itertools.product(*[range(len(ex_v[ax])) for ax in EXIT_AXES]))
    with open(a.summary, newline="") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    need = ["id"] + AXES + EXIT_AXES + ["trades", "closed_trades", "exposure", "win_rate",
                                        "final_equity"] + ["exits_" + x for x in REASONS]
    missing = [c for c in need if c not in head]
    if missing:
        raise Bad("%s: no column(s) %s" % (a.summary, ", ".join(missing)))
    col = {c: head.index(c) for c in need}
    if len(rows) - 1 != grid.size() * len(ex_combos):
        raise Bad("%s: %d rows, want %d combinations" % (a.summary, len(rows) - 1,
                                                          grid.size() * len(ex_combos)))
    sigcache = {}
    bad, shown, risk = 0, 0, dict.fromkeys(REASONS, 0)
    for cid, ix in grid.combos():
        h, k, W, e, L = combo_params(grid, ix)
        key = (k, W, L)
        if key not in sigcache:
            sigcache[key] = window_signals(arts, t0, D, n, k, W, L)
        sig = sigcache[key]
        fee = grid.values["fee_bps"][ix["fee_bps"]] + grid.values["slippage_bps"][ix["slippage_bps"]]
        f = float(int(fee * 10**9)) / (10000.0 * 1e9)
        for xi, xc in enumerate(ex_combos):
            xv = {ax: ex_v[ax][xc[j]] for j, ax in enumerate(EXIT_AXES)}
            row = rows[1 + cid * len(ex_combos) + xi]
            want = sim_exits(sig, *bars, h, e, f, xv["stop_loss"], xv["take_profit"],
                             xv["trailing_stop"], xv["max_hold"], xv["side"])
            for x in REASONS:
                risk[x] += want["exit_" + x]
            diffs = []
            if row[col["id"]] != str(cid * len(ex_combos) + xi):
                diffs.append("id %s, want %d" % (row[col["id"]], cid * len(ex_combos) + xi))
            for j, ax in enumerate(EXIT_AXES):
                if row[col[ax]] != ex_t[ax][xc[j]]:
                    diffs.append("%s printed %s, typed %s" % (ax, row[col[ax]], ex_t[ax][xc[j]]))
            for name, got, exp in (
                    ("trades", int(row[col["trades"]]), want["trades"]),
                    ("closed_trades", int(row[col["closed_trades"]]), want["closed"]),
                    ("exposure", float(row[col["exposure"]]), want["exposure"] / n),
                    ("final_equity", float(row[col["final_equity"]]), want["final_equity"]),
                    ("win_rate", float(row[col["win_rate"]] or "nan"),
                     want["wins"] / want["closed"] if want["closed"] else float("nan"))) + tuple(
                    ("exits_" + x, int(row[col["exits_" + x]]), want["exit_" + x])
                    for x in REASONS):
                if not (got == exp or (got != got and exp != exp)):
                    diffs.append("%s: oracle %r, sentibt %r" % (name, exp, got))
            if diffs:
                bad += 1
                if shown < a.show:
                    shown += 1
                    print("    id %s (%s %s): %s" % (row[col["id"]], grid.param_text(ix),
                          " ".join("%s=%s" % (ax, ex_t[ax][xc[j]])
                                   for j, ax in enumerate(EXIT_AXES)), "; ".join(diffs)))
    total = grid.size() * len(ex_combos)
    print("exits oracle: %d candles, %d combinations; exits seen: %s"
          % (n, total, ", ".join("%s %d" % kv for kv in risk.items())))
    weak = [x for x, v in risk.items() if v == 0]
    if weak:
        print("exits oracle: no exit of kind %s in the data: the test would prove nothing "
              "about it" % ", ".join(weak))
        return 1
    if bad:
        print("exits oracle: %d of %d rows DISAGREE" % (bad, total))
        return 1
    print("exits oracle: all %d rows agree (trades, closed_trades, exposure, exits by reason, "
          "win_rate, final_equity exactly)" % total)
    return 0


# ------------------------------------------------------------------------------------------
# positions: equity/<id>.csv position signs against the oracle, candle by candle
# ------------------------------------------------------------------------------------------
SIDE = {-1: "short", 0: "flat", 1: "long"}


def iso(t_us):
    return datetime.fromtimestamp(t_us // 10**6, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cmd_positions(a):
    grid, t0, D, n, arts = load_inputs(a)
    fast = Fast(arts, t0, D, n, grid)
    combos = dict(grid.combos())
    ids = [int(x) for x in a.ids.split(",") if x.strip()]
    fails = 0
    for cid in ids:
        if cid not in combos:
            print("positions: id %d is not in the grid (%d combinations)" % (cid, grid.size()))
            fails += 1
            continue
        ix = combos[cid]
        want = fast.path(ix)
        path = "%s/%d.csv" % (a.equity_dir, cid)
        try:
            with open(path, newline="") as f:
                rows = list(csv.reader(f))
        except OSError as err:
            print("positions: id %d: %s" % (cid, err))
            fails += 1
            continue
        head = rows[0]
        if "position" not in head or "time" not in head:
            print("positions: %s: no time/position column" % path)
            fails += 1
            continue
        pc, tc = head.index("position"), head.index("time")
        rows = rows[1:]
        if len(rows) != n:
            print("positions: %s: %d rows, want %d candles" % (path, len(rows), n))
            fails += 1
            continue
        bad = []
        for i, r in enumerate(rows):
            q = dec(r[pc])
            got = (q > 0) - (q < 0)
            if r[tc] != iso(t0 + (i + 1) * D):
                bad.append("candle %d: time %s, want the close %s" % (i, r[tc],
                                                                       iso(t0 + (i + 1) * D)))
            elif got != want[i]:
                bad.append("candle %d (close %s): oracle %s, sentibt position %s"
                           % (i, r[tc], SIDE[want[i]], r[pc]))
        if bad:
            fails += 1
            print("positions: id %d (%s): %d candles differ, first:" % (cid, grid.param_text(ix),
                                                                      len(bad)))
            for b in bad[: a.show]:
                print("    " + b)
        else:
            held = sum(1 for x in want if x)
            print("positions: id %d agrees on all %d candles (%d in a position)" % (cid, n, held))
    return 1 if fails else 0


# ------------------------------------------------------------------------------------------
# diff: two summary.csv files, row by row (for readable messages when they differ)
# ------------------------------------------------------------------------------------------
def cmd_diff(a):
    with open(a.ref, newline="") as f:
        ra = list(csv.reader(f))
    with open(a.other, newline="") as f:
        rb = list(csv.reader(f))
    if not ra or not rb or ra[0] != rb[0]:
        print("diff: the headers differ")
        return 1
    head = ra[0]
    if len(ra) != len(rb):
        print("diff: %d rows against %d" % (len(ra) - 1, len(rb) - 1))
    percol = {}
    rows, shown, beyond = 0, 0, 0
    first = [c for c in ("trades", "closed_trades", "exposure") if c in head]
    for x, y in zip(ra[1:], rb[1:]):
        cols = [c for c, u, v in zip(head, x, y) if u != v]
        for c in cols:
            percol[c] = percol.get(c, 0) + 1
        if not cols:
            continue
        rows += 1
        real = [c for c in cols if c not in ("psr", "dsr")]
        beyond += bool(real)
        if shown < a.show and real:
            shown += 1
            cols.sort(key=lambda c: (c not in first, head.index(c)))
            params = " ".join("%s=%s" % (c, x[head.index(c)]) for c in AXES if c in head)
            print("    id %s  %s" % (x[0], params))
            print("      " + "; ".join("%s %s -> %s" % (c, x[head.index(c)], y[head.index(c)])
                                       for c in cols[:5] if c not in ("psr", "dsr")))
    print("diff: %d of %d rows differ, %d of them beyond psr/dsr (dsr depends on every row);"
          " rows per column: %s" % (rows, len(ra) - 1, beyond, ", ".join(
              "%s %d" % (c, percol[c]) for c in head if c in percol)))
    return 1 if rows or len(ra) != len(rb) else 0


# ------------------------------------------------------------------------------------------
# gen: seeded data where ties are everywhere
# ------------------------------------------------------------------------------------------
T0_MS = 1704067200000            # 2024-01-01T00:00:00Z
SCORES = ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1",
          "0.05", "0.15", "0.25", "0.35", "0.45", "0.55", "0.65", "0.75", "0.85", "0.95",
          "0.12", "0.17", "0.33", "0.82", "0.57", "0.68"]
SMALL = ["0", "0.05", "0.1", "-0.05", "-0.1", "0.15", "-0.15", "0.2", "-0.2", "0.25", "0.3"]
CONFS = ["0.5", "0.55", "0.57", "0.6", "0.65", "0.68", "0.7", "0.75", "0.8", "0.82", "0.83",
         "0.84", "0.85", "0.9", "0.95", "1", "0.3", "0.45", "0.7", "0.82"]


def cmd_gen(a):
    rnd = random.Random(a.seed)
    n = a.candles
    D_MS = 60000
    os.makedirs(a.dir, exist_ok=True)
    # prices: a random walk in cents from 100, kept within [70, 130] (+- 4 cents for
    # high/low): a short loses at most 60/70 of the book, so no book is ever ruined (cash
    # <= 0 stops trading, DESIGN step 4), and costs never enter the decisions
    with open(os.path.join(a.dir, "prices.csv"), "w") as f:
        f.write("timestamp,open,high,low,close,volume\n")
        c = 10000
        gaps = random.Random(a.seed + 7) if a.gaps else None
        for i in range(n):
            o = c
            if gaps and gaps.random() < 0.1:       # a gap: the open away from the close
                o = min(13000, max(7000, c + gaps.randint(-40, 40)))
            c = min(13000, max(7000, o + rnd.randint(-12, 12)))
            hi, lo = max(o, c) + rnd.randint(0, 4), min(o, c) - rnd.randint(0, 4)
            f.write("%d,%s,%s,%s,%s,%d\n" % (T0_MS + i * D_MS, cents(o), cents(hi), cents(lo),
                                           cents(c), rnd.randint(1, 50)))
    # articles: bursts of 1-4 articles in one candle, most sharing one timestamp; a sign
    # per burst; scores and confidences with one or two decimals; some near zero (exits)
    arts = []
    burst_candles = sorted(rnd.sample(range(n), a.bursts))
    for j in burst_candles:
        kind = rnd.random()
        sgn = rnd.choice(("", "-"))
        if kind < 0.2:                                  # a quiet burst: exits
            picks = [rnd.choice(SMALL) for _ in range(rnd.randint(1, 2))]
        else:
            picks = []
            for _ in range(rnd.choice((1, 2, 2, 2, 3, 3, 4))):
                v = rnd.choice(SCORES[:10] if rnd.random() < 0.6 else SCORES)
                if rnd.random() < 0.85:
                    picks.append(neg(v) if sgn else v)
                else:
                    picks.append(v if sgn else neg(v))
        where = rnd.random()
        if where < 0.15:
            base = j * D_MS                              # on the candle's boundary
        elif where < 0.3:
            base = j * D_MS + 30000                      # + 30s latency: on the next boundary
        else:
            base = j * D_MS + rnd.randint(1, D_MS - 1)
        same = rnd.random() < 0.7
        for p in picks:
            t = base if same else j * D_MS + rnd.randint(0, D_MS - 1)
            arts.append([T0_MS + t, p, rnd.choice(CONFS)])
    # the edges of the candle range (with and without 30s latency)
    end = T0_MS + n * D_MS
    for t in (T0_MS - 30000, T0_MS - 1, T0_MS, end - 30000, end - 30001, end - 1, end):
        arts.append([t, rnd.choice(SCORES), "0.9"])
    arts.sort(key=lambda x: x[0])                        # stable: same-time order as drawn
    for i, x in enumerate(arts):
        x.insert(0, "a%05d" % i)

    def write(name, rows, fmt_num):
        with open(os.path.join(a.dir, name), "w") as f:
            for aid, t, s, c in rows:
                f.write('{"id":"%s","published_at":%d,"sentiment_score":%s,"confidence":%s}\n'
                        % (aid, t, fmt_num(s, 0), fmt_num(c, 1)))

    write("news.jsonl", arts, lambda v, _: v)
    # the same articles, each group sharing a timestamp in reverse order
    rev = []
    for _, grp in itertools.groupby(arts, key=lambda x: x[1]):
        rev.extend(reversed(list(grp)))
    write("news-reordered.jsonl", rev, lambda v, _: v)
    # each number written as a neighbouring double (alternately away from and toward 0)
    flip = [0, 0]                                        # per field: scores, confidences

    def noisy(v, is_conf):
        x = float(v)
        if x == 0 or abs(x) == 1:
            return v
        flip[is_conf] += 1
        toward = 0.0 if flip[is_conf] % 2 else math.copysign(2.0, x)
        y = math.nextafter(x, toward)
        if is_conf and not 0 <= y <= 1:
            return v
        assert Fraction(repr(y)) != Fraction(v)
        return repr(y)

    write("news-noisy.jsonl", arts, noisy)
    # the same articles in no particular order (the engine sorts them by time)
    shuf = list(arts)
    rnd.shuffle(shuf)
    write("news-shuffled.jsonl", shuf, lambda v, _: v)
    print("gen: %d candles, %d articles -> %s" % (n, len(arts), a.dir))
    return 0


def cents(c):
    return "%d.%02d" % (c // 100, c % 100)


def neg(v):
    return v[1:] if v.startswith("-") else ("-" + v if v != "0" else v)


# ------------------------------------------------------------------------------------------
# selftest: hand-worked cases, then the two implementations against each other
# ------------------------------------------------------------------------------------------
F = Fraction
MIN = 60 * 10**6
T0 = 1704067200 * 10**6


def A(sec, score, conf):
    """An article at T0 + sec seconds (sec may be a decimal text)."""
    return (T0 + int(F(sec) * 10**6), F(score), F(conf))


# Each case: (name, n candles, articles, h, k, W candles, e, latency seconds,
#             expected (trades, closed, exposure count, positions)).  Worked out by hand:
CASES = [
    # 1. candle 0 holds 0.1 and 0.2: mean 0.15 exactly.  h = 0.15: 0.15 is not above 0.15,
    #    no entry anywhere (candles 1-3 have no signal).
    ("mean equal to h", 4, [A(10, "0.1", "0.9"), A(10, "0.2", "0.9")],
     "0.15", "0.7", 1, "0.1", 0, (0, 0, 0, [0, 0, 0, 0])),
    # 2. same, h = 0.14: 0.15 > 0.14, long at candle 0, no later signal: held to the end,
    #    open (trades 1, closed 0), 4 candles in a position.
    ("mean just above h", 4, [A(10, "0.1", "0.9"), A(10, "0.2", "0.9")],
     "0.14", "0.7", 1, "0.1", 0, (1, 0, 4, [1, 1, 1, 1])),
    # 3. mirrored: -0.1 and -0.2, mean -0.15, h = 0.15: not below -0.15, no entry.
    ("mean equal to -h", 3, [A(70, "-0.1", "0.9"), A(70, "-0.2", "0.9")],
     "0.15", "0.7", 1, "0.1", 0, (0, 0, 0, [0, 0, 0])),
    # 4. candle 1: 0.5 (conf 0.82) and -0.9 (conf 0.81).  k = 0.82 keeps only 0.5:
    #    0.5 > 0.3, long at candle 1, held (open) through candle 2.
    ("confidence equal to k counts", 3, [A(61, "0.5", "0.82"), A(62, "-0.9", "0.81")],
     "0.3", "0.82", 1, "0.1", 0, (1, 0, 2, [0, 1, 1])),
    # 5. same with k = 0.81: both count, mean -0.2, |-0.2| is not above 0.3: no entry.
    ("both confidences count", 3, [A(61, "0.5", "0.82"), A(62, "-0.9", "0.81")],
     "0.3", "0.81", 1, "0.1", 0, (0, 0, 0, [0, 0, 0])),
    # 6. h = 0.05 < e = 0.2, W = 1.  c0: 0.1 > 0.05, flat -> long.  c1: 0.1, held and
    #    |0.1| < 0.2 -> exit (no re-entry in the same candle).  c2: 0.2, flat -> long.
    #    c3: -0.2, |-0.2| is not below 0.2 -> hold (no reversal).  c4: 0.15 < 0.2 -> exit.
    #    trades 2, closed 2, in a position at the closes of c0, c2, c3.
    ("exit band tie, h < e", 5, [A(1, "0.1", "0.9"), A(61, "0.1", "0.9"), A(121, "0.2", "0.9"),
                                 A(181, "-0.2", "0.9"), A(241, "0.15", "0.9")],
     "0.05", "0.7", 1, "0.2", 0, (2, 2, 3, [1, 0, 1, 1, 0])),
    # 7. W = 2, L = 0, h = 0.3, e = 0.1.  -1 ms before T0: dropped.  0.4 at exactly T0+60s:
    #    on the boundary, so candle 1.  -0.4 at T0+179.999s: candle 2.  c0: nothing.
    #    c1: mean of candles 0-1 = 0.4 > 0.3 -> long.  c2: (0.4 - 0.4)/2 = 0 < 0.1 -> exit.
    ("boundary and window", 3, [A("-0.001", "1", "1"), A(60, "0.4", "0.9"),
                                A("179.999", "-0.4", "0.9")],
     "0.3", "0.5", 2, "0.1", 0, (1, 1, 1, [0, 1, 0])),
    # 8. same articles with L = 1 ms: the first reaches T0 exactly -> candle 0; 0.4 ->
    #    T0+60.001s, candle 1; -0.4 -> T0+180s, past the last candle: dropped.  c0: 1 > 0.3
    #    -> long.  c1: (1 + 0.4)/2 = 0.7, hold.  c2: window 1-2 = 0.4, hold.  Open at the end.
    ("latency moves articles", 3, [A("-0.001", "1", "1"), A(60, "0.4", "0.9"),
                                   A("179.999", "-0.4", "0.9")],
     "0.3", "0.5", 2, "0.1", "0.001", (1, 0, 3, [1, 1, 1])),
    # 9. W = 1, h = 0.5, e = 0.1.  c0: -0.6 -> short.  c1: 0.9, held: no reversal, |0.9|
    #    not below 0.1 -> hold.  c2: no article -> hold.  c3: 0.05 -> exit.  c4: 0.6 -> long.
    #    c5: 0.55 and 0.45 (one timestamp), mean 0.5 -> hold; open at the end.
    #    trades 2, closed 1, in a position at c0, c1, c2, c4, c5.
    ("short, no reversal, no signal holds", 6,
     [A(5, "-0.6", "0.9"), A(65, "0.9", "0.9"), A(185, "0.05", "0.9"), A(245, "0.6", "0.9"),
      A(305, "0.55", "0.9"), A(305, "0.45", "0.9")],
     "0.5", "0.7", 1, "0.1", 0, (2, 1, 5, [-1, -1, -1, 0, 1, 1])),
    # 10. W = 3, h = 0.3, e = 0.3, k = 0.7: c0: 0.1, 0.2, 0.6 (conf 0.7, 0.7, 0.69): 0.6 is
    #    ignored, mean 0.15 -> nothing.  c1: 0.6 (conf 0.7): window 0-1 = (0.1+0.2+0.6)/3
    #    = 0.3, not above 0.3.  c2: 0.7: (0.1+0.2+0.6+0.7)/4 = 0.4 -> long.  c3: window 1-3
    #    = (0.6+0.7)/2 = 0.65, hold.  c4: -0.3: window 2-4 = (0.7-0.3)/2 = 0.2 < 0.3 -> exit.
    #    c5: window 3-5 = -0.3: |-0.3| < 0.3? no; flat: -0.3 < -0.3? no -> nothing.
    ("window means at h and e", 6,
     [A(0, "0.1", "0.7"), A(0, "0.2", "0.7"), A(0, "0.6", "0.69"), A(60, "0.6", "0.7"),
      A(150, "0.7", "0.8"), A(270, "-0.3", "0.75")],
     "0.3", "0.7", 3, "0.3", 0, (1, 1, 2, [0, 0, 1, 1, 0, 0])),
]


def selftest(_a):
    fails = 0
    for name, n, arts, h, k, W, e, L, want in CASES:
        h, k, e, L = F(h), F(k), F(e), F(L) * 10**6
        got_d = direct(arts, T0, MIN, n, h, k, W * MIN, e, L)
        grid = Grid({"threshold": frac_text(h), "min_confidence": frac_text(k),
                     "window": "%dm" % W, "exit_band": frac_text(e),
                     "latency": "%sus" % frac_text(L)}, MIN)
        fast = Fast(arts, T0, MIN, n, grid)
        ix = dict.fromkeys(AXES, 0)
        got_f = fast.result(ix) + (fast.path(ix),)
        for impl, got in (("direct", got_d), ("fast", got_f)):
            if tuple(got) != want:
                print("selftest FAIL: %s (%s): got %s, want %s" % (name, impl, got, want))
                fails += 1
        if tuple(got_d) == want and tuple(got_f) == want:
            print("selftest ok: %s" % name)
    # the two implementations on seeded random data, a small grid
    for seed in range(3):
        rnd = random.Random(1000 + seed)
        n = 40
        arts = []
        for _ in range(30):
            t = T0 + rnd.randint(-60, n * 60 + 60) * 10**6 + rnd.choice((0, 0, 1, 999999))
            arts.append((t, F(rnd.choice(SCORES + SMALL)) * rnd.choice((1, -1)),
                         F(rnd.choice(CONFS))))
        grid = Grid({"threshold": "0.05:0.5:0.05", "min_confidence": "0.5,0.7,0.82",
                     "window": "1m,3m", "exit_band": "0.1,0.15,0.3",
                     "latency": "0s,30s"}, MIN)
        fast = Fast(arts, T0, MIN, n, grid)
        bad = 0
        for cid, ix in grid.combos():
            p = combo_params(grid, ix)
            d = direct(arts, T0, MIN, n, *p)
            f = fast.result(ix) + (fast.path(ix),)
            if d != f:
                bad += 1
                if bad <= 3:
                    print("selftest FAIL: seed %d combination %d (%s): direct %s, fast %s"
                          % (seed, cid, grid.param_text(ix), d[:3], f[:3]))
        if bad:
            fails += 1
        else:
            print("selftest ok: direct == fast on random data (seed %d, %d combinations, "
                  "%d ties with h, %d with e)" % (seed, grid.size(),
                                                  fast.ties["mean_eq_threshold"],
                                                  fast.ties["mean_eq_exit_band"]))
    # exits, worked by hand (h = 0.5, e = 0.1, no costs; q = 10000 / P units):
    #  a. long at 100, SL 0.05 (stop 95); candle 1 opens at 93: exit at the open, 9300
    #  b. the same, open 100, high 106, low 94 with TP 0.05 (take 105): stop first, 9500
    #  c. TS 0.1 and SL 0.05: highs 110, 120 ratchet the trail to 99 then 108 (candle 2's
    #     low 105 is checked against 99: its own high counts after); candle 3's low 107
    #     -> exit at 108; close 3's 0.9 does not re-enter (not re-armed), close 4's 0.05
    #     re-arms, close 5's 0.8 enters at 110: open at the end, 10800
    #  d. max hold 2, long-only: close 0's -0.8 ignored, long at close 1 (101), time exit at
    #     close 3 (104): 10000 / 101 * 104
    N = None
    ex_cases = [
        ("gap through the stop", [(100, 100, 100, 100, "0.8"), (93, 96, 92, 94, N)],
         ("0.05", 0, 0, 0, 0), 9300.0, {"stop": 1}),
        ("stop before take", [(100, 100, 100, 100, "0.8"), (100, 106, 94, 101, N)],
         ("0.05", "0.05", 0, 0, 0), 9500.0, {"stop": 1}),
        ("trail ratchets, fires, re-arms", [
            (100, 100, 100, 100, "0.8"), (101, 110, 99, 108, N), (108, 120, 105, 115, N),
            (114, 115, 107, 110, "0.9"), (110, 110, 110, 110, "0.05"),
            (110, 110, 110, 110, "0.8")], ("0.05", 0, "0.1", 0, 0), 10800.0, {"trail": 1}),
        ("time exit, long only", [
            (100, 100, 100, 100, "-0.8"), (101, 101, 101, 101, "0.8"),
            (101, 103, 100, 102, N), (102, 105, 101, 104, "0.7")],
         (0, 0, 0, 2, 1), 10000.0 / 101 * 104, {"time": 1}),
    ]
    for name, rows, (sl, tp, ts, hold, side), want_eq, want_ex in ex_cases:
        cols = [[float(r[j]) for r in rows] for j in range(4)]
        sig = [F(r[4]) if r[4] is not None else None for r in rows]
        got = sim_exits(sig, *cols, F("0.5"), F("0.1"), 0.0, F(sl), F(tp), F(ts), hold, side)
        exits = {x: got["exit_" + x] for x in REASONS if got["exit_" + x]}
        if got["final_equity"] != want_eq or exits != want_ex:
            print("selftest FAIL: exits, %s: equity %r, exits %s; want %r, %s"
                  % (name, got["final_equity"], exits, want_eq, want_ex))
            fails += 1
        else:
            print("selftest ok: exits, %s" % name)
    # exactness of the helpers
    for txt, want in (("0.05:0.95:0.01", 91), ("0.5:0.9:0.01", 41)):
        t, v = spec_values(txt, dec)
        if len(v) != want or "0.82" not in t or any(F(x) != y for x, y in zip(t, v)):
            print("selftest FAIL: range %s: %d values %s..." % (txt, len(v), t[:3]))
            fails += 1
    if frac_text(F("0.82")) != "0.82" or frac_text(F(-3, 20)) != "-0.15":
        print("selftest FAIL: frac_text")
        fails += 1
    print("selftest: %s" % ("FAILED (%d)" % fails if fails else "all passed"))
    return 1 if fails else 0


# ------------------------------------------------------------------------------------------
def main(argv):
    p = argparse.ArgumentParser(prog="exact_oracle.py",
                                description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("dir")
    g.add_argument("--seed", type=int, default=8)
    g.add_argument("--candles", type=int, default=3000)
    g.add_argument("--bursts", type=int, default=420)
    g.add_argument("--gaps", action="store_true")
    sub.add_parser("selftest")
    df = sub.add_parser("diff")
    df.add_argument("ref")
    df.add_argument("other")
    df.add_argument("--show", type=int, default=4)
    for name in ("check", "positions", "exits"):
        c = sub.add_parser(name)
        c.add_argument("--prices", required=True)
        c.add_argument("--sentiment", required=True)
        c.add_argument("--interval", default="1m")
        for ax in AXES:
            c.add_argument("--" + ax.replace("_", "-"), dest=ax)
        c.add_argument("--show", type=int, default=12, help="mismatches shown per kind")
        if name == "exits":
            for ax in EXIT_AXES:
                c.add_argument("--" + ax.replace("_", "-"), dest=ax)
            c.add_argument("--summary", required=True)
        elif name == "check":
            c.add_argument("--summary", required=True)
            c.add_argument("--pick", type=int, default=0)
            c.add_argument("--pick-out")
        else:
            c.add_argument("--equity-dir", required=True)
            c.add_argument("--ids", required=True)
    a = p.parse_args(argv)
    if a.cmd == "check" and a.pick and not a.pick_out:
        p.error("--pick needs --pick-out")
    try:
        return {"gen": cmd_gen, "selftest": selftest, "check": cmd_check, "exits": cmd_exits,
                "positions": cmd_positions, "diff": cmd_diff}[a.cmd](a)
    except Bad as err:
        print("exact_oracle: %s" % err, file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError) as err:
        print("exact_oracle: %s: %s" % (type(err).__name__, err), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
