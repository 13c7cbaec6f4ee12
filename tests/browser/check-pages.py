#!/usr/bin/env python3
"""check-pages.py SHOTDIR PAGE... - open report.html pages in headless Chromium.

One Chromium is started and driven through the DevTools protocol over
--remote-debugging-pipe (fd 3 in, fd 4 out, NUL-separated JSON).  For each page: the
page must be self-contained (no script, style or image fetched from the network), no
JavaScript exception or console error may occur, and once it has loaded its #sb-status
element (written by the page's own script when every chart is drawn, report/page.c)
must read "ok: N charts drawn": an error, an empty chart or a script that never
finished fails.  A screenshot of each page goes to SHOTDIR/<n>-<folder>.png.

Exit 0: all pages pass; 1: a page fails; 77: Chromium cannot run here (a skip, with the
reason on stdout).  Python 3 standard library only.
"""
import base64
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--mute-audio", "--hide-scrollbars"]
TIMEOUT = 40


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """Chromium over the DevTools pipe: call() waits for its answer, keeping the events."""

    def __init__(self, path, profile):
        self.to_r, self.to_w = os.pipe()       # we write, Chromium reads on fd 3
        self.fr_r, self.fr_w = os.pipe()       # Chromium writes on fd 4, we read

        def fds():   # through fresh copies: a pipe end may already be fd 3 or 4
            a, b = os.dup(self.to_r), os.dup(self.fr_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.proc = subprocess.Popen(
            [path] + FLAGS + ["--remote-debugging-pipe", "--user-data-dir=" + profile,
                              "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=fds)   # os.pipe()'s own fds close on exec
        os.close(self.to_r)
        os.close(self.fr_w)
        self.buf, self.next_id, self.events = b"", 0, []

    def read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fr_r], [], [], left)[0]:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.fr_r, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=TIMEOUT):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self.read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, name, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            for k, m in enumerate(self.events):
                if m.get("method") == name:
                    return self.events.pop(k)
            self.events.append(self.read(deadline))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:      # closing anyway
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_w)
        os.close(self.fr_r)


def page_errors(events):
    """JavaScript exceptions and console errors among the events received."""
    out = []
    for m in events:
        p = m.get("params", {})
        if m.get("method") == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append(d.get("exception", {}).get("description") or d.get("text", "?"))
        elif m.get("method") == "Runtime.consoleAPICalled" and p.get("type") == "error":
            out.append(" ".join(str(a.get("value", a.get("description", "")))
                                for a in p.get("args", [])))
    return out


def remote_refs(html):
    """src= or <link href= that point off the machine (a page must fetch nothing)."""
    refs = re.findall(r'<(?:script|img|link|iframe)[^>]*\s(?:src|href)="([^"]*)"', html)
    return [r for r in refs if re.match(r"(?i)^(https?:)?//", r)]


def check(b, session, page, shots, n):
    """Opens one page; returns the number of failures."""
    fails = 0
    html = open(page, encoding="utf-8", errors="replace").read()
    refs = remote_refs(html)
    if refs:
        print("FAIL: %s fetches from the network: %s" % (page, refs[:3]))
        fails += 1
    b.events.clear()
    t0 = time.monotonic()
    b.call("Page.navigate", {"url": "file://" + os.path.abspath(page)}, session)
    b.wait_event("Page.loadEventFired")
    status = ""
    while time.monotonic() - t0 < TIMEOUT:
        r = b.call("Runtime.evaluate", {"expression": "(document.getElementById('sb-status')"
                                        " || {}).textContent || '(no #sb-status)'",
                                        "returnByValue": True}, session)
        status = r.get("result", {}).get("value", "?")
        if not status.startswith("drawing"):
            break
        time.sleep(0.1)
    errors = page_errors(b.events)
    if errors or not status.startswith("ok:"):
        print("FAIL: %s: %s%s" % (page, status, "; " + "; ".join(errors) if errors else ""))
        fails += 1
    else:
        print("ok: %s: %s (%.1f s in chromium)" % (page, status, time.monotonic() - t0))
    folder = os.path.dirname(os.path.abspath(page))        # RESULT/report or --out
    if os.path.basename(folder) == "report":
        folder = os.path.dirname(folder)
    name = os.path.basename(folder)
    png = os.path.join(shots, "%d-%s.png" % (n, name or "page"))
    shot = b.call("Page.captureScreenshot", {"format": "png"}, session)
    with open(png, "wb") as f:
        f.write(base64.b64decode(shot.get("data", "")))
    if os.path.getsize(png) < 1000:
        print("FAIL: %s: empty screenshot" % page)
        fails += 1
    return fails


def main():
    if len(sys.argv) < 3:
        print("usage: check-pages.py SHOTDIR PAGE...", file=sys.stderr)
        return 2
    shots, pages = sys.argv[1], sys.argv[2:]
    path = chromium()
    if not path:
        print("SKIP: no chromium binary (apt-get install chromium): report pages not opened")
        return 77
    os.makedirs(shots, exist_ok=True)
    fails = 0
    with tempfile.TemporaryDirectory(prefix="sentibt-chromium.") as profile:
        try:
            b = Browser(path, profile)
            target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = b.call("Target.attachToTarget", {"targetId": target,
                                                       "flatten": True})["sessionId"]
            for m in ("Page.enable", "Runtime.enable"):
                b.call(m, None, session)
            b.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 2400,
                                                          "deviceScaleFactor": 1,
                                                          "mobile": False}, session)
        except (OSError, EOFError, TimeoutError, RuntimeError, KeyError) as e:
            print("SKIP: chromium does not start (%s): report pages not opened" % e)
            try:
                b.close()
            except Exception:  # it may not have started at all
                pass
            return 77
        try:
            for n, page in enumerate(pages):
                fails += check(b, session, page, shots, n)
        except (OSError, EOFError, TimeoutError, RuntimeError) as e:
            print("FAIL: chromium: %s" % e)
            fails += 1
        b.close()
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
