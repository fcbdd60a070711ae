"""A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (no WebSocket, no extra package).

Why this and not playwright/selenium: the tests only need to load one local file in the system's Chromium (Debian's
``chromium``), watch what the page requests and logs, query the DOM, and take screenshots and a PDF. Chromium speaks
the protocol on file descriptors 3 (commands in) and 4 (events out) as NUL-terminated JSON when started with
``--remote-debugging-pipe``, so a hundred lines of standard library are enough and nothing is downloaded.

Used by tests/test_browser.py and benchmarks/bench_report.py.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_chromium() -> str | None:
    """The browser executable (``CHROMIUM`` environment variable first), or None."""
    env = os.environ.get("CHROMIUM")
    if env:
        return env
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with one page; events are kept in :attr:`events` in the order they arrived."""

    def __init__(self, executable: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="nps-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # Chromium expects its command pipe on fd 3 and its event pipe on fd 4.
        child_fds = {3: to_child_r, 4: from_child_w}

        def setup() -> None:
            # Move both ends above 9 first, so placing one on fd 3 or 4 cannot overwrite the other.
            high = {target: fcntl.fcntl(source, fcntl.F_DUPFD, 10) for target, source in child_fds.items()}
            for target, source in high.items():
                os.dup2(source, target)

        args = [
            executable,
            "--headless",
            "--remote-debugging-pipe",
            f"--user-data-dir={self._profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--mute-audio",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox (CI containers)
        self._proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=setup,
            pass_fds=(3, 4),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    # --- protocol ------------------------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise BrowserError("timed out waiting for Chromium")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None, session: bool = False) -> dict[str, Any]:
        """Send one command and wait for its answer; events arriving meanwhile are stored."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def page(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call(method, params, session=True)

    def wait_for(self, method: str) -> dict[str, Any]:
        """Wait for the page event ``method`` (for example ``Page.loadEventFired``)."""
        deadline = time.monotonic() + self.timeout
        seen = len(self.events)
        for event in self.events[:seen]:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    # --- conveniences ----------------------------------------------------------------------------------------

    def load(self, path: Path, width: int = 1280, height: int = 900, mobile: bool = False) -> float:
        """Open ``path`` at the given viewport; return seconds from navigation to the load event."""
        for domain in ("Page", "Runtime", "Log", "Network", "Debugger"):
            self.page(f"{domain}.enable")
        self.page(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )
        self.events.clear()
        start = time.perf_counter()
        self.page("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_for("Page.loadEventFired")
        return time.perf_counter() - start

    def evaluate(self, expression: str) -> Any:
        """Evaluate in the page (DevTools evaluation is not subject to the page's CSP) and return the value."""
        result = self.page("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluation failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, target: Path, full_page: bool = True, max_height: int = 12_000) -> None:
        """A PNG of the viewport, or of the page from the top down to ``max_height`` pixels."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            root = "document.documentElement"
            width, height = self.evaluate(f"[{root}.clientWidth, {root}.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": min(height, max_height), "scale": 1}
        target.write_bytes(base64.b64decode(self.page("Page.captureScreenshot", params)["data"]))

    def pdf(self, target: Path) -> None:
        data = self.page("Page.printToPDF", {"printBackground": False, "preferCSSPageSize": False})["data"]
        target.write_bytes(base64.b64decode(data))

    def events_named(self, *methods: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("method") in methods]

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
