#!/bin/sh
# score.sh - `sentibt score` against tests/fake_llm_server.py, a fake OpenAI-compatible
# server on 127.0.0.1 (never the network): streamed answers split anywhere, usage at
# the end, 429 with Retry-After, 500s, malformed and out-of-range answers, a stalled
# stream, the cache and a killed run resumed, the circuit breaker, --compare, the
# lexicon; and the API key in no output.  Expected values come from the articles
# themselves (WANT=...) and from the server's log (tokens), costs recomputed in Python.
TEST_NAME=score
. tests/cli/lib/common.sh

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 not found; score tests not run"
	exit 0
fi
SRV=
trap '[ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$d"' EXIT INT TERM
KEY=sk-test-RECOGNISABLE-5f1e9a77
export FAKE_LLM_KEY="$KEY"
unset OPENAI_API_KEY SENTIBT_LLM_BASE_URL SENTIBT_LLM_MODEL 2>/dev/null
python3 tests/fake_llm_server.py --port-file "$d/port" --log "$d/log" &
SRV=$!
i=0
while [ ! -s "$d/port" ]; do
	i=$((i + 1))
	[ $i -gt 200 ] && { echo "FAIL: the fake server did not start"; exit 1; }
	sleep 0.05
done
BASE="http://127.0.0.1:$(cat "$d/port")/v1"
printf '{"updated":"2026-11-30","models":{"fake-a":{"input":0.5,"output":1.5,"date":"2026-11-30"},"fake-neg":{"input":2,"output":8}}}\n' >"$d/prices.json"

# score NAME ARGS...: the scorer with the key, fast retries; output in $d/NAME.out, rc in $rc
score() {
	name=$1; shift
	SENTIBT_LLM_API_KEY=$KEY "$BIN" score --base-url "$BASE" --prices "$d/prices.json" \
		--cache "$d/cache" --retry-base 20ms --retry-cap 100ms --idle-timeout 400ms "$@" \
		>"$d/$name.out" 2>&1
	rc=$?
}
# check NAME PYTHON: runs PYTHON with S (scores by id), E (errors by id), M (manifest),
# L (server log entries), and prints what differs; ok when it prints nothing.
check() {
	python3 - "$d" "$1" "$2" <<'PY' >"$d/check.out" 2>&1
import json, sys
d, name, code = sys.argv[1:]
rows = lambda p: [json.loads(l) for l in open(p) if l.strip()]
S = {r["id"]: r for r in rows(f"{d}/{name}/scores.jsonl")}
E = {r["id"]: r for r in rows(f"{d}/{name}/errors.jsonl")}
M = json.load(open(f"{d}/{name}/manifest.json"))
L = rows(f"{d}/log")
P = {"fake-a": (0.5, 1.5), "fake-neg": (2.0, 8.0)}
def cost(model, pt, ct):
    pin, pout = P[model]
    return (pin * pt + pout * ct) / 1e6
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
exec(code)
if bad:
    print("\n".join(bad))
PY
	if [ -s "$d/check.out" ]; then
		fail "$1: $(cat "$d/check.out")"
	else
		ok "$1"
	fi
}

# ---- 1. streamed answers split anywhere, CRLF, a plain completion, no usage ----
cat >"$d/news.jsonl" <<'EOF2'
{"id":"a1","published_at":"2024-03-01T00:00:00Z","title":"ID=a1 Bitcoin up","text":"WANT=0.62,0.81,BTC MODE=ok","source":"wire"}
{"id":"a2","published_at":"2024-03-01T00:01:00Z","title":"ID=a2 Ether","text":"WANT=-0.4,0.7,ETH|BTC MODE=crlf"}
{"id":"a3","published_at":1709251320,"headline":"ID=a3 quiet day","content":"WANT=0,0.2, MODE=plain"}
{"id":"a4","published_at":"2024-03-01T00:03:00Z","title":"ID=a4","text":"WANT=0.1,0.3,SOL MODE=nousage"}
{"id":"a5","published_at":"2024-03-01T00:04:00Z","title":"ID=a1 Bitcoin up","text":"WANT=0.62,0.81,BTC MODE=ok","source":"wire"}
EOF2
score basic --news "$d/news.jsonl" --model fake-a --out "$d/basic" --concurrency 3
[ $rc -eq 0 ] || fail "basic: exit $rc: $(cat "$d/basic.out")"
check basic '
exp = {"a1": (0.62, 0.81, ["BTC"]), "a2": (-0.4, 0.7, ["ETH", "BTC"]), "a3": (0, 0.2, []),
       "a4": (0.1, 0.3, ["SOL"]), "a5": (0.62, 0.81, ["BTC"])}
want(sorted(S) == sorted(exp) and not E, "ids %r errors %r" % (sorted(S), E))
for i, (s, c, k) in exp.items():
    r = S.get(i, {})
    want((r.get("sentiment_score"), r.get("confidence"), r.get("key_entities")) == (s, c, k), "%s: %r" % (i, r))
want(S["a3"]["published_at"] == "2024-03-01T00:02:00Z", "epoch published_at")
want([json.loads(l)["id"] for l in open(d + "/basic/scores.jsonl")] == ["a1", "a2", "a3", "a4", "a5"], "file order")
byid = {e["id"]: e for e in L}
spent = 0.0
for i in ["a1", "a2", "a3"]:
    e, r = byid[i], S[i]
    want((r["prompt_tokens"], r["completion_tokens"]) == (e["prompt_tokens"], e["completion_tokens"]), i + " tokens")
    want(r["cost_usd"] == cost("fake-a", e["prompt_tokens"], e["completion_tokens"]), "%s cost %r" % (i, r))
    want(r["cost_source"] == "usage", i + " cost_source")
    spent += r["cost_usd"]
# a4: no usage sent: tokens estimated at 4 bytes each, and said so
r = S["a4"]
want(r["cost_source"] == "estimate" and r["completion_tokens"] == (len(json.dumps({"sentiment_score": 0.1, "confidence": 0.3, "key_entities": ["SOL"], "summary": "fake summary of a4"})) + 3) // 4, "a4 %r" % r)
want(r["cost_usd"] == cost("fake-a", r["prompt_tokens"], r["completion_tokens"]), "a4 cost")
spent += r["cost_usd"]
# a5 is a1 again (same title, text, source): asked once
want(len(L) == 4 and S["a5"]["cached"] is True and S["a5"]["requests"] == 0, "%d requests" % len(L))
T = M["totals"]
got = tuple(T[k] for k in ("articles", "scored", "duplicates", "errors", "requests", "from_cache", "articles_cost_estimated"))
want(got == (5, 5, 1, 0, 4, 0, 1), "totals %r" % (T,))
want(T["cost_usd"] == spent, "total cost %r != %r" % (T["cost_usd"], spent))
want(all(e["auth"] == "match" for e in L), "auth")
want(M["model"] == "fake-a" and M["prompt_version"] == S["a1"]["prompt_version"], "manifest model")
'
grep -q "5 scored (0 from the cache, 1 duplicates), 0 errors" "$d/basic.out" || fail "basic: summary: $(cat "$d/basic.out")"

# the engine reads the output as it is
"$BIN" convert "$d/basic/scores.jsonl" --out "$d/conv.jsonl" >"$d/conv.out" 2>&1 &&
	[ "$(wc -l <"$d/conv.jsonl")" -eq 5 ] && ok "convert reads scores.jsonl" ||
	fail "convert cannot read scores.jsonl: $(cat "$d/conv.out")"

# ---- 2. the cache: a re-run asks nothing and says so ----
n0=$(wc -l <"$d/log")
score again --news "$d/news.jsonl" --model fake-a --out "$d/again"
n1=$(wc -l <"$d/log")
[ $rc -eq 0 ] && [ "$n1" -eq "$n0" ] && grep -q "(4 from the cache, 1 duplicates)" "$d/again.out" &&
	ok "re-run: 4 from the cache, no request" || fail "re-run: exit $rc, $((n1 - n0)) requests: $(cat "$d/again.out")"
check again '
B = {r["id"]: r for r in rows(d + "/basic/scores.jsonl")}
for i in S:
    a, b = dict(S[i]), dict(B[i])
    want(a.pop("cached") is True and a.pop("requests") == 0, i + " cached")
    b.pop("cached"), b.pop("requests")
    want(a == b, "%s: %r != %r" % (i, a, b))
T = M["totals"]
want(T["cost_usd"] == 0 and T["requests"] == 0 and T["from_cache"] == 4, "totals %r" % (T,))
want(T["cost_usd_of_cached"] == sum(B[i]["cost_usd"] for i in ("a1", "a2", "a3", "a4")), "cached cost %r" % (T,))
'
# a damaged cache entry is a miss: asked again, never used
python3 -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1])
k = c.execute("select key from answers order by key limit 1").fetchone()[0]
c.execute("update answers set value = ? where key = ?", ("{\"sentiment_score\": 9}", k))
c.commit()' "$d/cache/scores.sqlite"
n1=$(wc -l <"$d/log")
score damaged --news "$d/news.jsonl" --model fake-a --out "$d/damaged"
[ $rc -eq 0 ] && [ "$(wc -l <"$d/log")" -eq $((n1 + 1)) ] && grep -q "(3 from the cache" "$d/damaged.out" &&
	ok "a damaged cache entry is asked again" ||
	fail "damaged entry: $(cat "$d/damaged.out")"
n1=$(wc -l <"$d/log")

# another model is another question
score other --news "$d/news.jsonl" --model fake-neg --out "$d/other" --limit 2
[ $rc -eq 0 ] && [ "$(wc -l <"$d/log")" -eq $((n1 + 2)) ] && grep -q "(0 from the cache" "$d/other.out" &&
	ok "another model: not from the cache" || fail "another model: $(cat "$d/other.out")"

# ---- 3. faults: 429 + Retry-After, 500s, bad and out-of-range answers, a stalled stream ----
cat >"$d/faults.jsonl" <<'EOF2'
{"id":"f1","published_at":"2024-03-01T00:00:00Z","title":"ID=f1","text":"WANT=0.3,0.9,BTC MODE=r429"}
{"id":"f2","published_at":"2024-03-01T00:01:00Z","title":"ID=f2","text":"WANT=-0.3,0.9,BTC MODE=e500x2"}
{"id":"f3","published_at":"2024-03-01T00:02:00Z","title":"ID=f3","text":"WANT=0.5,0.6,ETH MODE=bad"}
{"id":"f4","published_at":"2024-03-01T00:03:00Z","title":"ID=f4","text":"WANT=0.5,0.6,ETH MODE=range"}
{"id":"f5","published_at":"2024-03-01T00:04:00Z","title":"ID=f5","text":"WANT=-0.9,1,BTC MODE=stall"}
{"id":"f6","published_at":"2024-03-01T00:05:00Z","title":"ID=f6","text":"WANT=0.2,0.4,BTC MODE=badx2"}
{"id":"f7","published_at":"2024-03-01T00:06:00Z","title":"ID=f7","text":"WANT=0.2,0.4,BTC MODE=rangex2"}
{"id":"f8","published_at":"2024-03-01T00:07:00Z","title":"ID=f8","text":"WANT=0.2,0.4,BTC MODE=down"}
{"id":"f9","published_at":"2024-03-01T00:08:00Z","title":"ID=f9","text":"WANT=0.7,0.8,XRP MODE=badsse"}
{"id":"f10","published_at":"2024-03-01T00:09:00Z","title":"ID=f10","text":"WANT=-0.1,0.3,ETH MODE=emptydata"}
{"id":"f11","published_at":"2024-03-01T00:10:00Z","title":"ID=f11","text":"WANT=0.4,0.5,BTC MODE=echokey"}
{"id":"f12","published_at":"2024-03-01T00:11:00Z","title":"ID=f12","text":"WANT=0.6,0.7,BTC MODE=stallusage"}
EOF2
: >"$d/log"
start=$(date +%s)
score faults --news "$d/faults.jsonl" --model fake-a --out "$d/faults" --retries 3 --concurrency 4 --seed 7
took=$(($(date +%s) - start))
[ $rc -eq 0 ] || fail "faults: exit $rc: $(cat "$d/faults.out")"
[ $took -le 60 ] && ok "faults: done in ${took}s" || fail "faults: took ${took}s"
check faults '
exp = {"f1": (0.3, 0.9, ["BTC"]), "f2": (-0.3, 0.9, ["BTC"]), "f3": (0.5, 0.6, ["ETH"]),
       "f4": (0.5, 0.6, ["ETH"]), "f5": (-0.9, 1, ["BTC"]), "f9": (0.7, 0.8, ["XRP"]),
       "f10": (-0.1, 0.3, ["ETH"]), "f11": (0.4, 0.5, ["BTC"]), "f12": (0.6, 0.7, ["BTC"])}
want(sorted(S) == sorted(exp), "scored %r" % sorted(S))
for i, (s, c, k) in exp.items():
    r = S.get(i, {})
    want((r.get("sentiment_score"), r.get("confidence"), r.get("key_entities")) == (s, c, k), "%s: %r" % (i, r))
want(sorted(E) == ["f6", "f7", "f8"], "errors %r" % E)
want(E.get("f6", {}).get("reason", "").startswith("invalid answer after a retry: the answer must be one JSON object"), "f6 %r" % E.get("f6"))
want(E.get("f7", {}).get("reason") == "invalid answer after a retry: sentiment_score 1.7 is outside [-1, 1]", "f7 %r" % E.get("f7"))
want(E.get("f8", {}).get("reason", "").startswith("HTTP 500: ") and E["f8"]["reason"].endswith("(after 3 attempts)"), "f8 %r" % E.get("f8"))
want(E.get("f8", {}).get("line") == 8, "f8 line")
want("(Bearer [key])" in E.get("f8", {}).get("reason", ""), "f8: the key quoted by the server is cut out: %r" % E.get("f8"))
n = {}
for e in L:
    n[e["id"]] = n.get(e["id"], 0) + 1
want(n == {"f1": 2, "f2": 3, "f3": 2, "f4": 2, "f5": 2, "f6": 2, "f7": 2, "f8": 3, "f9": 2,
           "f10": 1, "f11": 2, "f12": 2}, "requests %r" % n)
# the retry of an invalid answer names the error (4 messages: the answer and the reason)
want([e["messages"] for e in L if e["id"] in ("f3", "f4")] .count(4) == 2, "retries name the error")
# the 429 was honoured: its retry came at least Retry-After (1 s) later
t429 = [e["t"] for e in L if e["id"] == "f1"]
want(t429[1] - t429[0] >= 0.95, "Retry-After: %.3f s" % (t429[1] - t429[0]))
# both requests of a retried answer are paid for
for i in ("f3", "f4"):
    es = [e for e in L if e["id"] == i]
    pt, ct = sum(e["prompt_tokens"] for e in es), sum(e["completion_tokens"] for e in es)
    want((S[i]["prompt_tokens"], S[i]["completion_tokens"], S[i]["requests"]) == (pt, ct, 2), i + " tokens")
    want(abs(S[i]["cost_usd"] - cost("fake-a", pt, ct)) <= 1e-15, "%s cost %r" % (i, S[i]["cost_usd"]))
# requests refused (429, 500) or cut before any usage cost nothing and leave the cost
# known; a stream cut after its usage arrived was billed (f12 pays both of its requests)
for i in ("f1", "f2", "f5", "f9", "f10", "f11", "f12"):
    es = [e for e in L if e["id"] == i and e["status"] == 200 and not (i in ("f5", "f9") and e["n"] == 0)]
    pt, ct = sum(e["prompt_tokens"] for e in es), sum(e["completion_tokens"] for e in es)
    want((S[i]["prompt_tokens"], S[i]["completion_tokens"]) == (pt, ct), "%s tokens %r" % (i, S[i]))
    want(S[i]["cost_source"] == "usage" and abs(S[i]["cost_usd"] - cost("fake-a", pt, ct)) <= 1e-15,
         "%s cost %r" % (i, S[i]))
want(len([e for e in L if e["id"] == "f12" and e["status"] == 200]) == 2, "f12 billed twice")
T = M["totals"]
got = tuple(T[k] for k in ("scored", "errors", "requests", "rate_limited", "invalid_answers_retried"))
want(got == (9, 3, 25, 1, 4), "totals %r" % (T,))
want(T.get("articles_cost_unknown") == 0, "no unknown cost %r" % (T,))
# the total of the run: every answered request (valid or not) and the stream cut after
# its usage (the first of f12), not the streams cut before any usage (first of f5, f9)
paid = sum(cost("fake-a", e["prompt_tokens"], e["completion_tokens"]) for e in L
           if e["status"] == 200 and not (e["id"] in ("f5", "f9") and e["n"] == 0))
want(abs(T["cost_usd"] - paid) <= 1e-12, "total cost %r, the server billed %r" % (T["cost_usd"], paid))
'
# errors are not cached: a re-run asks again for those only
: >"$d/log"
score faults2 --news "$d/faults.jsonl" --model fake-a --out "$d/faults2" --retries 1
[ $rc -eq 0 ] && grep -q "(9 from the cache" "$d/faults2.out" &&
	[ "$(python3 -c 'import json,sys; print(sorted({json.loads(l)["id"] for l in open(sys.argv[1])}))' "$d/log")" = "['f6', 'f7', 'f8']" ] &&
	ok "re-run after errors: only the failed ones asked again" || fail "faults re-run: $(cat "$d/faults2.out"; cat "$d/log")"

# ---- 4. a run killed mid-way resumes from the cache ----
python3 -c '
import json
for i in range(24):
    print(json.dumps({"id": "k%d" % i, "published_at": 1709251200 + 60 * i,
                      "title": "ID=k%d" % i, "text": "WANT=0.%d,0.5,BTC MODE=slow" % (i % 10)}))
' >"$d/kill.jsonl"
: >"$d/log"
SENTIBT_LLM_API_KEY=$KEY "$BIN" score --base-url "$BASE" --prices "$d/prices.json" --cache "$d/kcache" \
	--news "$d/kill.jsonl" --model fake-a --out "$d/kill" --concurrency 2 >"$d/kill1.out" 2>&1 &
pid=$!
i=0
while [ "$(grep -c '"status": 200' "$d/log")" -lt 6 ] && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
sleep 0.1
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
[ ! -e "$d/kill" ] && ok "killed run: no result folder" || fail "killed run left $d/kill"
cached=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from answers").fetchone()[0])' "$d/kcache/scores.sqlite")
first=$(wc -l <"$d/log")
score kill2 --news "$d/kill.jsonl" --model fake-a --out "$d/kill" --cache "$d/kcache" --concurrency 4
second=$(($(wc -l <"$d/log") - first))
if [ $rc -eq 0 ] && [ "$cached" -ge 1 ] && [ "$cached" -lt 24 ] && [ $second -eq $((24 - cached)) ] &&
	grep -q "24 scored ($cached from the cache" "$d/kill2.out"; then
	ok "resumed: $cached from the cache, $second asked"
else
	fail "resume: exit $rc, cached $cached, asked $second: $(cat "$d/kill2.out")"
fi
check kill '
want(sorted(S) == sorted("k%d" % i for i in range(24)) and not E, "ids")
want(all(S["k%d" % i]["sentiment_score"] == float("0.%d" % (i % 10)) for i in range(24)), "scores")
'

# the price table in the repository loads and prices a model it lists
: >"$d/log"
score table --news "$d/news.jsonl" --model gpt-4o-mini --prices data/llm-prices.json --out "$d/table" --limit 1
check table '
e = L[0]
want(S["a1"]["cost_usd"] == (0.15 * e["prompt_tokens"] + 0.6 * e["completion_tokens"]) / 1e6, "gpt-4o-mini %r" % S["a1"])
want(M["prices"]["updated"] == json.load(open("data/llm-prices.json"))["updated"], "prices date")
'

# ---- 5. the key: sent, never printed or written ----
if grep -rqF -- "$KEY" "$d"/*.out "$d"/basic "$d"/faults "$d"/kill "$d"/cache "$d"/kcache; then
	fail "the API key appears in an output: $(grep -rlF -- "$KEY" "$d"/*.out "$d"/basic "$d"/faults "$d"/kill "$d"/cache "$d"/kcache)"
else
	ok "the API key is in no output, message or cache"
fi
OPENAI_API_KEY=wrong-key "$BIN" score --base-url "$BASE" --news "$d/news.jsonl" --model fake-a \
	--no-cache --out "$d/denied" >"$d/denied.out" 2>&1
rc=$?
[ $rc -eq 1 ] && [ ! -e "$d/denied" ] && grep -q "HTTP 401: .*Incorrect API key" "$d/denied.out" &&
	! grep -q wrong-key "$d/denied.out" && ok "a wrong key: exit 1, the server's message, no folder" ||
	fail "wrong key: exit $rc: $(cat "$d/denied.out")"

# ---- 6. the circuit breaker stops a run against a dead server ----
python3 -c '
import json
for i in range(6):
    print(json.dumps({"id": "d%d" % i, "published_at": 1709251200 + i, "title": "ID=d%d" % i, "text": "MODE=down"}))
' >"$d/down.jsonl"
: >"$d/log"
score breaker --news "$d/down.jsonl" --model fake-a --out "$d/breaker" --no-cache --breaker 4 --retries 5 --concurrency 1
[ $rc -eq 1 ] && [ ! -e "$d/breaker" ] && [ "$(wc -l <"$d/log")" -eq 4 ] &&
	grep -q "stopped after 4 failed requests in a row (the circuit breaker" "$d/breaker.out" &&
	ok "breaker: stopped after 4 failures, exit 1" || fail "breaker: exit $rc, $(wc -l <"$d/log") requests: $(cat "$d/breaker.out")"

# ---- 7. the request bucket: --rpm 300 paces 12 requests at 5/s after a burst of 5 ----
: >"$d/log"
python3 -c '
import json
for i in range(12):
    print(json.dumps({"id": "r%d" % i, "published_at": 1709251200 + i, "title": "ID=r%d" % i, "text": "WANT=0.1,0.5,BTC"}))
' >"$d/rate.jsonl"
printf '{"updated":"x","models":{}}' >"$d/noprice.json"
score rate --news "$d/rate.jsonl" --model fake-a --out "$d/rate" --no-cache --rpm 300 --prices "$d/noprice.json"
check rate '
t = sorted(e["t"] for e in L)
want(len(t) == 12 and len(S) == 12, "requests")
# request k (from 0) may start at (k - 4) / 5 s at the earliest: the bucket holds 5
late = [(k, t[k] - t[0]) for k in range(5, 12) if t[k] - t[0] < (k - 4) / 5 - 0.05]
want(not late, "too early: %r" % late)
want(t[-1] - t[0] < 10, "too slow: %.2f s" % (t[-1] - t[0]))
want(all(r["cost_usd"] is None and r["cost_source"] == "none" for r in S.values()), "unpriced cost is null")
want(M["totals"]["articles_cost_unknown"] == 12, "unknown count")
'

# the token bucket: --tpm 6000 holds 100 tokens, a request reserves more (its prompt's
# bytes / 4 + --max-tokens 100), so each waits for a full bucket: one a second or so
: >"$d/log"
score tpm --news "$d/rate.jsonl" --model fake-a --out "$d/tpm" --no-cache --tpm 6000 --max-tokens 100 --limit 3
check tpm '
t = sorted(e["t"] for e in L)
want(len(t) == 3 and len(S) == 3, "requests")
gaps = [b - a for a, b in zip(t, t[1:])]
want(all(g >= 0.75 for g in gaps), "gaps %r" % gaps)
'

# ---- 8. usage errors ----
expect_usage "no model" "--model is required" score --news "$d/news.jsonl"
expect_usage "bad backend" "expected openai or lexicon" score --news "$d/news.jsonl" --backend gpt
expect_usage "bad concurrency" "concurrency: expected a whole number" score --news "$d/news.jsonl" --model m --concurrency 0
expect_usage "bad duration" "expected a duration" score --news "$d/news.jsonl" --model m --timeout 5x
expect_usage "compare one" "at least two models" score --news "$d/news.jsonl" --compare m1
printf '{"id":"x","published_at":"yesterday","title":"t"}\n' >"$d/badnews.jsonl"
"$BIN" score --news "$d/badnews.jsonl" --backend lexicon --out "$d/badnews" >"$d/badnews.out" 2>&1
rc=$?
[ $rc -eq 1 ] && [ ! -e "$d/badnews" ] && grep -q "badnews.jsonl:1: expected published_at as RFC 3339" "$d/badnews.out" &&
	ok "bad news file: file, line, what was expected" || fail "bad news: exit $rc: $(cat "$d/badnews.out")"

# ---- 9. --compare: two models on the same articles ----
: >"$d/log"
score compare --news "$d/news.jsonl" --compare fake-a,fake-neg --out "$d/compare" --articles-per-day 1000
[ $rc -eq 0 ] || fail "compare: exit $rc: $(cat "$d/compare.out")"
python3 - "$d" <<'PY' >"$d/check.out" 2>&1
import csv, json, sys
d = sys.argv[1]
L = [json.loads(l) for l in open(d + "/log")]
rows = list(csv.reader(open(d + "/compare/compare.csv")))
models = {r[0]: r for r in rows[1:3]}
pair = rows[5]
bad = []
P = {"fake-a": (0.5, 1.5), "fake-neg": (2.0, 8.0)}
for m, (pin, pout) in P.items():
    es = [e for e in L if e["model"] == m and e["status"] == 200]
    want_cost = 0.0
    for e in es:
        if e["prompt_tokens"]:
            want_cost += (pin * e["prompt_tokens"] + pout * e["completion_tokens"]) / 1e6
    r = models[m]
    if r[1] != "5" or r[2] != "0":
        bad.append("%s counts %r" % (m, r))
    if len(es) != 4:   # the cache is not read, duplicates still asked once
        bad.append("%s: %d requests" % (m, len(es)))
    # cost per 1,000: what the model's own scores.jsonl says it paid, over the 4 articles paid
    lines = [json.loads(l) for l in open("%s/compare/%s/scores.jsonl" % (d, m))]
    paid = sum(x["cost_usd"] for x in lines if not x["cached"])
    if abs(float(r[6]) - paid / 4 * 1000) > 1e-12 * paid * 1000 or abs(float(r[7]) - float(r[6])) > 1e-12:
        bad.append("%s per 1000 %r, paid %r" % (m, r, paid))
# fake-neg answers the opposite: signs agree only on the zero score, ranks reversed
if pair[:2] != ["fake-a", "fake-neg"] or float(pair[2]) != 0.2 or abs(float(pair[3]) + 1) > 1e-12:
    bad.append("pair %r" % pair)
if bad:
    print("\n".join(bad))
PY
[ -s "$d/check.out" ] && fail "compare: $(cat "$d/check.out")" || ok "compare: costs, sign agreement 0.2, Spearman -1"
grep -q "sign agr" "$d/compare.out" || fail "compare: no table on stdout"
if command -v gnuplot >/dev/null 2>&1; then
	[ -s "$d/compare/score_compare.png" ] && [ -s "$d/compare/score_compare.svg" ] &&
		ok "compare: chart" || fail "compare: no chart: $(cat "$d/compare.out")"
fi

# ---- 10. the lexicon: offline, deterministic, crude; a hand-worked case ----
cat >"$d/lex.jsonl" <<'EOF2'
{"id":"l1","published_at":"2024-03-01T00:00:00Z","title":"Bitcoin rallies as ETF inflows surge"}
{"id":"l2","published_at":"2024-03-01T00:01:00Z","title":"Ethereum slides after exchange hack","text":"Solana not affected"}
{"id":"l3","published_at":"2024-03-01T00:02:00Z","title":"Markets wait for the Fed"}
{"id":"l4","published_at":"2024-03-01T00:03:00Z","title":"BTC does not crash despite losses"}
EOF2
"$BIN" score --news "$d/lex.jsonl" --backend lexicon --out "$d/lex" >"$d/lex.out" 2>&1 || fail "lexicon: $(cat "$d/lex.out")"
check lex '
# l1: rallies, inflows, surge: 3 bullish -> 1, confidence 0.9; l2: slides, hack: 2 bearish -> -1, 0.6
# l3: no word -> 0, 0; l4: "not crash" flips to bullish, "despite losses" flips to bullish -> 1, 0.6
exp = {"l1": (1, 0.9, ["BTC"]), "l2": (-1, 0.6, ["ETH", "SOL"]), "l3": (0, 0, []), "l4": (1, 0.6, ["BTC"])}
for i, v in exp.items():
    r = S[i]
    want((r["sentiment_score"], r["confidence"], r["key_entities"]) == v, "%s: %r" % (i, r))
want(M["totals"]["requests"] == 0 and S["l1"]["model"] == "lexicon", "offline")
'

"$BIN" verify "$d/lex" >"$d/vlex.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "written by 'sentibt score', not by backtest, sweep or events" "$d/vlex.out"; then
	ok "verify on a score folder says what it is"
else
	fail "verify on a score folder: exit $rc: $(cat "$d/vlex.out")"
fi

# ---- 11. the progress line: rate, ETA, money ----
score prog --news "$d/news.jsonl" --model fake-a --out "$d/prog" --progress --refresh
grep -q 'score: 5/5 (0 cached, 0 errors) .*/s  ETA .*\$0\.0' "$d/prog.out" && ok "progress line" ||
	fail "progress: $(cat "$d/prog.out")"

[ $fails -eq 0 ] || exit 1
