"""Regenerate the README's screenshots of the demo report (docs/report-desktop.png, docs/report-narrow.png).

    python docs/screenshots.py

Analyses samples/demo-bundle and photographs the top of report.html in headless Chromium at a desktop and a phone
width (the DevTools pipe client of tests/browser.py). The browser tests take full-page shots of the same report
into tests/artifacts/ on every run; these two are the committed, README-sized views.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(REPO / "tests"))

from browser import Browser, find_chromium  # noqa: E402

from nps_trace_analyzer.pipeline import analyze  # noqa: E402

VIEWS = {"report-desktop.png": (1280, 1500, False), "report-narrow.png": (390, 1400, True)}


def main() -> None:
    exe = find_chromium()
    if exe is None:
        sys.exit("no Chromium found (install Debian's 'chromium')")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo-report"
        analyze([REPO / "samples" / "demo-bundle"], out)
        for name, (width, height, mobile) in VIEWS.items():
            with Browser(exe) as browser:
                browser.load(out / "report.html", width, height, mobile=mobile)
                browser.screenshot(DOCS / name, full_page=False)
            print(f"wrote {DOCS / name}")


if __name__ == "__main__":
    main()
