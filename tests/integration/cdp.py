#!/usr/bin/env python3
"""Drive headless Chromium through the DevTools protocol over --remote-debugging-pipe (no
WebSocket, no npm: the standard library only). Loads a page, waits until a JavaScript
expression is truthy, prints its JSON value, and saves a screenshot.

usage: cdp.py CHROMIUM URL EXPRESSION SCREENSHOT.png [--timeout S] [--flag F]...
The expression is evaluated in the page (awaitPromise) every 250 ms; it should return a
JSON-serialisable value, falsy while the page is not ready. Exit 0 when it became truthy,
1 on timeout (the last value and a screenshot are still written), 2 on a browser failure."""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, exe, flags):
        self.profile = tempfile.mkdtemp(prefix="sotto-chromium-")
        # our ends, then the browser's: it reads commands on fd 3 and writes on fd 4
        cmd_r, cmd_w = os.pipe()
        out_r, out_w = os.pipe()

        def child_fds():
            # via fresh copies: the pipes may themselves be fds 3 and 4, and dup2 onto the
            # same number would leave them close-on-exec
            a, b = os.dup(cmd_r), os.dup(out_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--disable-extensions", "--mute-audio", "--remote-debugging-pipe",
                "--user-data-dir=" + self.profile, "--window-size=1440,1000"] + flags
        env = dict(os.environ, HOME=self.profile)
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        # close_fds would close 3 and 4 again after child_fds; the pipes themselves are
        # close-on-exec, so nothing else leaks into the browser
        self.proc = subprocess.Popen(args + ["about:blank"], preexec_fn=child_fds,
                                     close_fds=False, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log, env=env)
        os.close(cmd_r)
        os.close(out_w)
        self.w = os.fdopen(cmd_w, "wb", buffering=0)
        self.r = os.fdopen(out_r, "rb", buffering=0)
        self.buf = b""
        self.next_id = 0
        self.session = None

    def _read_msg(self, deadline):
        while b"\0" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from the browser")
            chunk = self.r.read(65536)
            if not chunk:
                raise EOFError("browser closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        self.w.write(json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_msg(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})

    def open(self, url):
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        att = self.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True},
                        session=False)
        self.session = att["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1440, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        nav = self.call("Page.navigate", {"url": url})
        if nav.get("errorText"):
            raise RuntimeError(f"navigation failed: {nav['errorText']}")

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            return None
        return r.get("result", {}).get("value")

    def screenshot(self, path):
        r = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        subprocess.run(["rm", "-rf", self.profile])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("chromium")
    ap.add_argument("url")
    ap.add_argument("expression")
    ap.add_argument("screenshot")
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--flag", action="append", default=[])
    a = ap.parse_args()
    b = Browser(a.chromium, a.flag)
    value = None
    try:
        b.open(a.url)
        deadline = time.monotonic() + a.timeout
        while time.monotonic() < deadline:
            value = b.evaluate(a.expression)
            if value:
                break
            time.sleep(0.25)
        time.sleep(0.3)  # let the last render settle before the picture
        b.screenshot(a.screenshot)
    except Exception as e:  # the browser's own log says more
        print(f"cdp: {e}", file=sys.stderr)
        try:
            sys.stderr.write(open(os.path.join(b.profile, "chromium.log"), errors="replace").read()[-3000:])
        except OSError:
            pass
        b.close()
        return 2
    b.close()
    print(json.dumps(value))
    return 0 if value else 1


if __name__ == "__main__":
    sys.exit(main())
