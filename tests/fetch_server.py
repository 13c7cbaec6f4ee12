#!/usr/bin/env python3
"""fetch_server.py - a fault-injecting HTTP/1.1 server on 127.0.0.1 for tests/cli/fetch.sh.

usage: fetch_server.py --port-file F --log F [--files DIR]
       fetch_server.py --body PATH      (print the body served for PATH to stdout)

Tardis-like datasets are served at /v1/{exchange}/{data_type}/{YYYY}/{MM}/{DD}/{SYM}.csv.gz
as a deterministic gzip'd trades CSV.  The key the server expects is read from the
environment variable FETCH_SERVER_KEY; days other than the 1st need
"Authorization: Bearer <key>", else 401 with the real service's message.  The symbol
scripts faults ('n' = how many requests this path got before this one):
  NOTFOUND    404                      FAIL500X2  500 while n < 2
  RL429       429 Retry-After: 1 (s)   RLDATE     429 Retry-After: HTTP date now+2 s
  CUT         n < 1: half the body, then the connection is closed
  CORRUPT     always 200, gzip with a broken CRC
  NOTGZ       always 200, plain text   DOWN500    always 500
  SLOW*       body sent in pieces over ~1 s
  HTMLPAGE    always 200, Content-Type text/html, a login page
/fault/MODE/NAME serves a small JSON-lines body with a fault (NAME only names the file):
  ok          200 application/x-ndjson, as it should be
  endless     200, no Content-Length, never ends (until the client leaves, or 60 s)
  big         200, Content-Length 1 GiB announced, then bytes until the client leaves
  trickle     200, 2 bytes per second (stops after 30 s)
  longbody    Content-Length 10 bytes short of the body; headers and body in one write
  shortbody   Content-Length 10 bytes over the body, then the connection is closed
  html        200 text/html, an HTML page
  htmlbody    200 application/octet-stream, but the body is an HTML page
  binjunk     200 application/octet-stream, 600 bytes of binary (no format's start)
  empty       200, an empty body
/files/NAME serves DIR/NAME with an ETag (a hash of its content) and Last-Modified,
and answers 304 to a matching If-None-Match.
Each request appends a JSON line to the log: time, path, status, auth
("match"/"none"/"mismatch", never the header itself), inm (If-None-Match sent),
ua, accept_encoding, port (client port), inflight (requests being served).
"""
import argparse
import email.utils
import gzip
import hashlib
import http.server
import json
import os
import re
import socket
import sys
import threading
import time

from loopback_server import serve

PATH_RE = re.compile(r"^/v1/([^/]+)/([^/]+)/(\d{4})/(\d{2})/(\d{2})/([^/]+)\.csv\.gz$")


def trades_body(exchange, symbol, y, m, d):
    """A small valid Tardis trades CSV for that day, gzip'd deterministically."""
    import calendar
    t0 = calendar.timegm((int(y), int(m), int(d), 0, 0, 0)) * 1000000
    rows = ["exchange,symbol,timestamp,local_timestamp,id,side,price,amount"]
    for i in range(50):
        ts = t0 + 1000000 * (i * 60 + 1)
        side = "buy" if i % 2 == 0 else "sell"
        rows.append("%s,%s,%d,%d,%d,%s,%.1f,%d" %
                    (exchange, symbol, ts, ts + 1234, 1000 + i, side, 8000.0 + i * 0.5, i + 1))
    return gzip.compress(("\n".join(rows) + "\n").encode(), mtime=0)


def jsonl_body(n=20):
    rows = ['{"id":"n%d","published_at":"2024-03-01T00:%02d:30Z","sentiment_score":0.%d,'
            '"confidence":0.9,"symbols":["BTC"]}' % (i, i, i % 10) for i in range(n)]
    return ("\n".join(rows) + "\n").encode()


HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
             b"<body><form>Please sign in</form></body></html>\n")


def body_for(path):
    if re.match(r"^/fault/(ok|longbody|shortbody|trickle)/", path):
        return jsonl_body()
    m = PATH_RE.match(path.split("?", 1)[0])
    if not m:
        return None
    ex, dt, y, mo, d, sym = m.groups()
    from urllib.parse import unquote
    return trades_body(ex, unquote(sym), y, mo, d)


class State:
    def __init__(self, log, files):
        self.lock = threading.Lock()
        self.counts = {}
        self.inflight = 0
        self.log = log
        self.files = files


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, status):
        st = self.server.state
        key = os.environ.get("FETCH_SERVER_KEY", "")
        auth = self.headers.get("Authorization")
        if auth is None:
            a = "none"
        elif key and auth == "Bearer " + key:
            a = "match"
        else:
            a = "mismatch"
        ent = {"t": time.time(), "path": self.path, "status": status, "auth": a,
               "inm": self.headers.get("If-None-Match") is not None,
               "ims": self.headers.get("If-Modified-Since") is not None,
               "ua": self.headers.get("User-Agent", ""),
               "accept_encoding": self.headers.get("Accept-Encoding"),
               "port": self.client_address[1], "inflight": st.inflight}
        with st.lock:
            with open(st.log, "a") as f:
                f.write(json.dumps(ent) + "\n")
        return a

    def send(self, status, body, headers=(), ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = self.server.state
        with st.lock:
            st.inflight += 1
        try:
            self.handle_get()
        finally:
            with st.lock:
                st.inflight -= 1

    def handle_get(self):
        st = self.server.state
        path = self.path.split("?", 1)[0]
        with st.lock:
            n = st.counts.get(path, 0)
            st.counts[path] = n + 1
        if path.startswith("/files/") and st.files:
            return self.serve_file(path[7:])
        if path.startswith("/fault/"):
            return self.serve_fault(path[7:].split("/", 1)[0])
        m = PATH_RE.match(path)
        if not m:
            self.record(404)
            return self.send(404, b"not found\n")
        ex, dt, y, mo, d, sym = m.groups()
        key = os.environ.get("FETCH_SERVER_KEY", "")
        auth = self.headers.get("Authorization")
        if d != "01" and not (key and auth == "Bearer " + key):
            self.record(401)
            msg = ("For unauthorized requests, only historical CSV market datasets for the "
                   "first day of each month are available (dataset for '%s-%s-%s' has been "
                   "requested)." % (y, mo, d))
            return self.send(401, msg.encode())
        body = body_for(path)
        if sym == "NOTFOUND":
            self.record(404)
            return self.send(404, b"not found\n")
        if sym == "DOWN500" or (sym == "FAIL500X2" and n < 2):
            self.record(500)
            return self.send(500, b"internal error\n")
        if sym == "RL429" and n < 1:
            self.record(429)
            return self.send(429, b"slow down\n", [("Retry-After", "1")])
        if sym == "RLDATE" and n < 1:
            self.record(429)
            when = email.utils.formatdate(time.time() + 2, usegmt=True)
            return self.send(429, b"slow down\n", [("Retry-After", when)])
        if sym == "CORRUPT":
            b = bytearray(body)
            b[-8] ^= 0xFF                        # the CRC32 in the gzip trailer
            body = bytes(b)
        if sym == "NOTGZ":
            body = b"exchange,symbol\nthis is not gzip\n"
        if sym == "HTMLPAGE":
            self.record(200)
            return self.send(200, HTML_PAGE, ctype="text/html; charset=utf-8")
        self.record(200)
        if sym == "CUT" and n < 1:
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if sym.startswith("SLOW"):
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            step = max(1, len(body) // 5)
            for i in range(0, len(body), step):
                self.wfile.write(body[i:i + step])
                self.wfile.flush()
                time.sleep(0.2)
            return
        self.send(200, body, ctype="text/csv")

    def serve_fault(self, mode):
        body = jsonl_body()
        if mode == "ok":
            self.record(200)
            return self.send(200, body, ctype="application/x-ndjson")
        if mode == "html":
            self.record(200)
            return self.send(200, HTML_PAGE, ctype="text/html; charset=utf-8")
        if mode == "htmlbody":
            self.record(200)
            return self.send(200, b"\r\n  " + HTML_PAGE, ctype="application/octet-stream")
        if mode == "binjunk":
            self.record(200)
            return self.send(200, bytes((i * 37 + 11) % 256 for i in range(600)),
                             ctype="application/octet-stream")
        if mode == "empty":
            self.record(200)
            return self.send(200, b"", ctype="application/octet-stream")
        if mode in ("longbody", "shortbody"):
            self.record(200)
            clen = len(body) - 10 if mode == "longbody" else len(body) + 10
            head = ("HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                    "Content-Length: %d\r\n\r\n" % clen).encode()
            self.close_connection = True
            self.wfile.write(head + body)    # one write: the excess comes with the end
            self.wfile.flush()
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if mode in ("endless", "big", "trickle"):
            self.record(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            if mode == "big":
                self.send_header("Content-Length", str(1 << 30))
            elif mode == "trickle":
                self.send_header("Content-Length", str(len(body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            t_end = time.time() + (30 if mode == "trickle" else 60)
            chunk = body * (65536 // len(body) + 1)
            i = 0
            try:
                while time.time() < t_end:
                    if mode == "trickle":
                        if i >= len(body):
                            break
                        self.wfile.write(body[i:i + 1])
                        i += 1
                        time.sleep(0.5)
                    else:
                        self.wfile.write(chunk)
            except OSError:
                pass                             # the client gave up, as it should
            self.close_connection = True
            return
        self.record(404)
        return self.send(404, b"no such fault\n")

    def serve_file(self, name):
        st = self.server.state
        p = os.path.join(st.files, os.path.basename(name))
        try:
            with open(p, "rb") as f:
                data = f.read()
        except OSError:
            self.record(404)
            return self.send(404, b"no such file\n")
        etag = '"%s"' % hashlib.sha1(data).hexdigest()[:16]
        lm = email.utils.formatdate(os.stat(p).st_mtime, usegmt=True)
        if self.headers.get("If-None-Match") == etag:
            self.record(304)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.record(200)
        self.send(200, data, [("ETag", etag), ("Last-Modified", lm)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--files")
    ap.add_argument("--body")
    a = ap.parse_args()
    if a.body:
        b = body_for(a.body)
        if b is None:
            sys.exit(1)
        sys.stdout.buffer.write(b)
        return
    serve(Handler, State(a.log, a.files), a.log, a.port_file, queue=128)


if __name__ == "__main__":
    main()
