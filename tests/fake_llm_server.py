#!/usr/bin/env python3
"""fake_llm_server.py - a fake OpenAI-compatible chat completions server on 127.0.0.1
for tests/cli/score.sh.

usage: fake_llm_server.py --port-file F --log F

POST /v1/chat/completions answers every request with a streamed (SSE) completion,
split into chunks at pseudo-random byte positions (seeded by the article), the usage
in the last chunk before "data: [DONE]".  The article (the user message) says what to
do with markers:
  WANT=score,confidence,SYM|SYM   the answer to give (default 0.25,0.5,BTC)
  MODE=name                       the fault to inject; n = requests already seen for
                                  this (model, article):
    ok        as above                     crlf     the same with \\r\\n line ends
    nousage   no usage chunk               plain    a non-streamed JSON completion
    r429      n = 0: 429, Retry-After: 1   e500x2   n < 2: 500
    down      always 500, quoting the Authorization header   slow   the answer after 0.3 s
    bad       first answer not JSON, then good on the retry that names the error
    badx2     never JSON                   range    first score 1.5, then good
    rangex2   always score 1.7             stall    n = 0: two chunks, then silence (5 s)
    badsse    n = 0: an event that is not JSON, then good
    emptydata an empty "data:" event among the chunks (not dispatched, WHATWG)
    echokey   n = 0: 500 whose body quotes the Authorization header, then good
    stallusage n = 0: everything but "data: [DONE]", then silence (5 s): billed
A model whose name contains "neg" answers the opposite score.  The key the server
expects is in $FAKE_LLM_KEY: "Authorization: Bearer <key>" must match (else 401);
unset: no check.  Each request appends a JSON line to the log: t, model, id (ID=...),
mode, n, messages, status, auth ("match"/"none"/"mismatch", never the header),
prompt_tokens, completion_tokens (0 when not sent).
Tokens: prompt = bytes of the user message, completion = bytes of the answer // 3 + 1.
"""
import argparse
import hashlib
import http.server
import json
import os
import random
import re
import threading
import time

from loopback_server import serve


class State:
    def __init__(self, log):
        self.log = log
        self.lock = threading.Lock()
        self.seen = {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, **kw):
        st = self.server.state
        kw["t"] = time.time()
        with st.lock:
            with open(st.log, "a") as f:
                f.write(json.dumps(kw, sort_keys=True) + "\n")

    def send_plain(self, status, body, headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        self.wfile.flush()

    def do_POST(self):
        st = self.server.state
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n))
        model = req["model"]
        msgs = req["messages"]
        user = msgs[1]["content"]
        m = re.search(r"MODE=(\w+)", user)
        mode = m.group(1) if m else "ok"
        m = re.search(r"ID=(\w+)", user)
        aid = m.group(1) if m else ""
        m = re.search(r"WANT=([-0-9.]+),([-0-9.]+),([A-Z0-9|]*)", user)
        want = (float(m.group(1)), float(m.group(2)), m.group(3).split("|") if m and m.group(3) else []) \
            if m else (0.25, 0.5, ["BTC"])
        with st.lock:
            k = (model, user)
            seen = st.seen.get(k, 0)
            st.seen[k] = seen + 1
        expected = os.environ.get("FAKE_LLM_KEY")
        got = self.headers.get("Authorization")
        auth = "none" if got is None else ("match" if expected and got == "Bearer " + expected else "mismatch")
        log = dict(model=model, id=aid, mode=mode, n=seen, messages=len(msgs), auth=auth,
                   prompt_tokens=0, completion_tokens=0)
        if expected and auth != "match":
            log["status"] = 401
            self.record(**log)
            return self.send_plain(401, '{"error":{"message":"Incorrect API key provided"}}')
        if (mode == "r429" and seen == 0):
            log["status"] = 429
            self.record(**log)
            return self.send_plain(429, '{"error":{"message":"Rate limit reached"}}', [("Retry-After", "1")])
        if mode == "echokey" and seen == 0:
            log["status"] = 500
            self.record(**log)
            return self.send_plain(500, '{"error":{"message":"bad auth header: %s"}}' % got)
        if (mode == "e500x2" and seen < 2) or mode == "down":
            log["status"] = 500
            self.record(**log)
            # a careless proxy's error quotes the request's Authorization header
            return self.send_plain(500, '{"error":{"message":"The server had an error (%s)"}}' % got)
        score, conf, ents = want
        if "neg" in model:
            score = -score
        retry = len(msgs) == 4
        if mode == "badx2" or (mode == "bad" and not retry):
            answer = "Sure! The sentiment is positive."
        else:
            if mode == "rangex2" or (mode == "range" and not retry):
                score = 1.7 if mode == "rangex2" else 1.5
            answer = json.dumps({"sentiment_score": score, "confidence": conf,
                                 "key_entities": ents, "summary": "fake summary of " + aid})
        pt = len(user.encode())
        ct = len(answer.encode()) // 3 + 1
        usage = mode != "nousage"
        log.update(status=200, prompt_tokens=pt if usage else 0, completion_tokens=ct if usage else 0)
        if mode == "slow":
            time.sleep(0.3)
        if mode == "plain":
            self.record(**log)
            return self.send_plain(200, json.dumps({
                "id": "x", "object": "chat.completion", "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}}))
        eol = "\r\n" if mode == "crlf" else "\n"
        events = []
        if mode == "badsse" and seen == 0:
            events.append("{not json")
        pieces = [answer[i:i + 7] for i in range(0, len(answer), 7)]
        events.append(json.dumps({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}))
        for p in pieces:
            events.append(json.dumps({"choices": [{"index": 0, "delta": {"content": p}}]}))
        events.append(json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
        if usage:
            events.append(json.dumps({"choices": [], "usage": {"prompt_tokens": pt, "completion_tokens": ct,
                                                               "total_tokens": pt + ct}}))
        if mode == "emptydata":
            events.insert(2, "")
        body = (": keep-alive" + eol + eol
                + "".join(("data: " + e if e else "data:") + eol + eol for e in events)).encode()
        done = ("data: [DONE]" + eol + eol).encode()
        if not (mode == "stallusage" and seen == 0):
            body += done
        self.record(**log)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        rnd = random.Random(hashlib.sha256(user.encode() + model.encode()).digest())
        i = 0
        parts = 0
        while i < len(body):
            j = min(len(body), i + rnd.randint(1, 60))
            self.chunk(body[i:j])
            i = j
            parts += 1
            if mode == "stall" and seen == 0 and parts == 2:
                time.sleep(5)
                return
            if parts % 8 == 0:
                time.sleep(0.002)   # let the client read: chunks reach it split
        if mode == "stallusage" and seen == 0:
            time.sleep(5)
            return
        self.chunk(b"")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()

    serve(Handler, State(a.log), a.log, a.port_file, queue=64)


if __name__ == "__main__":
    main()
