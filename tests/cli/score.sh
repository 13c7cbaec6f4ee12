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
EOF2
: >"$d/log"
start=$(date +%s)
score faults --news "$d/faults.jsonl" --model fake-a --out "$d/faults" --retries 3 --concurrency 4 --seed 7
took=$(($(date +%s) - start))
[ $rc -eq 0 ] || fail "faults: exit $rc: $(cat "$d/faults.out")"
[ $took -le 15 ] && ok "faults: done in ${took}s" || fail "faults: took ${took}s"
check faults '
exp = {"f1": (0.3, 0.9, ["BTC"]), "f2": (-0.3, 0.9, ["BTC"]), "f3": (0.5, 0.6, ["ETH"]),
       "f4": (0.5, 0.6, ["ETH"]), "f5": (-0.9, 1, ["BTC"]), "f9": (0.7, 0.8, ["XRP"])}
want(sorted(S) == sorted(exp), "scored %r" % sorted(S))
for i, (s, c, k) in exp.items():
    r = S.get(i, {})
    want((r.get("sentiment_score"), r.get("confidence"), r.get("key_entities")) == (s, c, k), "%s: %r" % (i, r))
want(sorted(E) == ["f6", "f7", "f8"], "errors %r" % E)
want(E.get("f6", {}).get("reason", "").startswith("invalid answer after a retry: the answer must be one JSON object"), "f6 %r" % E.get("f6"))
want(E.get("f7", {}).get("reason") == "invalid answer after a retry: sentiment_score 1.7 is outside [-1, 1]", "f7 %r" % E.get("f7"))
want(E.get("f8", {}).get("reason", "").startswith("HTTP 500: ") and E["f8"]["reason"].endswith("(after 3 attempts)"), "f8 %r" % E.get("f8"))
want(E.get("f8", {}).get("line") == 8, "f8 line")
n = {}
for e in L:
    n[e["id"]] = n.get(e["id"], 0) + 1
want(n == {"f1": 2, "f2": 3, "f3": 2, "f4": 2, "f5": 2, "f6": 2, "f7": 2, "f8": 3, "f9": 2}, "requests %r" % n)
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
T = M["totals"]
got = tuple(T[k] for k in ("scored", "errors", "requests", "rate_limited", "invalid_answers_retried"))
want(got == (6, 3, 20, 1, 4), "totals %r" % (T,))
paid = sum(cost("fake-a", e["prompt_tokens"], e["completion_tokens"]) for e in L if e["status"] == 200 and e["id"] not in ("f5",))
'
# errors are not cached: a re-run asks again for those only
: >"$d/log"
score faults2 --news "$d/faults.jsonl" --model fake-a --out "$d/faults2" --retries 1
[ $rc -eq 0 ] && grep -q "(6 from the cache" "$d/faults2.out" &&
	[ "$(python3 -c 'import json,sys; print(sorted({json.loads(l)["id"] for l in open(sys.argv[1])}))' "$d/log")" = "['f6', 'f7', 'f8']" ] &&
	ok "re-run after errors: only the failed ones asked again" || fail "faults re-run: $(cat "$d/faults2.out"; cat "$d/log")"
