"""Frame latency of Chapter 1's two explorers computing in the page, in headless Chromium.

Run:  .venv/bin/python benchmarks/chapter1_explorers_page.py [--events 120]

Writes a kernel-free page for each (``page_html`` + ``page_scripts``: VanishingWidget, the
spectral-radius explorer; SequenceWidget, the memory explorer), opens it from file:// with every
other request blocked, and sends ``--events`` real input events through the keyboard, each after
the previous one's frame: the ρ slider moved step by step (ArrowRight / ArrowLeft, 0.01 each)
right after the page opened, while most positions are still computed on demand ("computed":
about 8 million multiply-adds each), and again once the page has computed every position while
idle ("cached"); and numbers typed into the memory explorer one character at a time. The page
times each event itself (ui.js ``timeFrame``, the same for the three explorers; samples in
window.gatelabFrames, one performance.measure("gatelab-frame") each): from the event's timeStamp
(performance.mark("gatelab-input")) to the first task after the rendering of the frame that shows
the change (requestAnimationFrame, whose callback posts a MessageChannel message that runs once the
frame is painted: no setTimeout, no timer clamping); also the event's own work and the frame's
start. The benchmark waits for a sample before the next key; that wait is in no sample.
Prints p50 / p95 / max per explorer and "p95 = N ms" last (the largest p95 of the frames once
the positions are computed). A frame waits for the display's next refresh (16.7 ms apart at
60 Hz), so the frame figure includes up to one refresh interval of waiting however fast the work.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
from pathlib import Path

from gatelab.explorer import page_html, page_scripts, page_state
from gatelab.explorer.sequence import SequenceWidget
from gatelab.explorer.vanishing import VanishingWidget

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TYPED = "1 0 0 0 3 0 0 0 0.5 0 0 0 2 2 2 0 0 4 0 0 1 1 1 1 0 0 0 "  # every prefix parses


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def page_for(widget, folder: Path) -> str:
    kind = widget.explorer_kind
    path = folder / f"{kind}.html"
    path.write_text("<!doctype html><html lang='en'><meta charset='utf-8'><title>bench</title>"
                    f"<body>{page_html(page_state(widget))}{page_scripts([kind])}</body></html>",
                    encoding="utf-8")
    return path.as_uri()


def open_page(browser, url: str, root: str):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.blocked = []

    def guard(route):
        if route.request.url == url or route.request.url.startswith("data:"):
            route.continue_()
        else:
            page.blocked.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(url)
    page.wait_for_function(f"document.querySelector('{root} polyline')")
    return page


def press_each(page, keys, explorer: str) -> list[dict]:
    """Each key once the previous one's frame is painted; the samples of ``explorer``."""
    page.evaluate("window.gatelabFrames = []")
    for done, key in enumerate(keys, 1):
        page.keyboard.press(key)
        page.wait_for_function(f"(window.gatelabFrames || []).length >= {done}")
    return [f for f in page.evaluate("window.gatelabFrames") if f["explorer"] == explorer]


def line(name: str, frames: list[dict]) -> float:
    ms = [f["ms"] for f in frames]
    work = [f["work"] for f in frames]
    render = [f["ms"] - max(0.0, f["frame"]) for f in frames]  # the frame's start to its paint
    print(f"{name:22s} to the painted frame: p50 {statistics.median(ms):5.1f} ms, "
          f"p95 {percentile(ms, 0.95):5.1f} ms, max {max(ms):5.1f} ms   the event's work: "
          f"p50 {statistics.median(work):4.1f} ms, p95 {percentile(work, 0.95):4.1f} ms   "
          f"the frame's start to its paint: p50 {statistics.median(render):4.1f} ms, "
          f"p95 {percentile(render, 0.95):4.1f} ms  ({len(ms)} events)")
    return percentile(ms, 0.95)


def slider_keys(events: int) -> list[str]:
    """ArrowLeft from ρ = 1 down to 0.5, then right and left across the range."""
    keys, up, value = [], False, 100
    for _ in range(events):
        if value in (50, 150):
            up = value == 50
        value += 1 if up else -1
        keys.append("ArrowRight" if up else "ArrowLeft")
    return keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=120)
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"Chromium {CHROMIUM}, {platform.machine()}, {options.events} input events per run")
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        root = ".gatelab-vanishing"
        page = open_page(browser, page_for(VanishingWidget(), Path(folder)), root)
        page.get_by_role("slider").focus()
        frames = press_each(page, slider_keys(options.events), "vanishing")
        computed = [f for f in frames if f["kind"] == "computed"]
        if computed:
            line("vanishing (computed)", computed)
        page.wait_for_function(f"document.querySelector('{root}').gatelab.computed() === "
                               f"document.querySelector('{root}').gatelab.positions",
                               timeout=120_000)
        frames = press_each(page, slider_keys(options.events), "vanishing")
        worst = max(worst, line("vanishing (cached)", frames))
        blocked = page.blocked
        page.close()

        page = open_page(browser, page_for(SequenceWidget(), Path(folder)), ".gatelab-sequence")
        page.get_by_role("textbox").fill("")
        text = (TYPED * (options.events // len(TYPED) + 1))[:min(options.events, 119)]
        keys = ["Space" if c == " " else c for c in text]  # at most 60 numbers: MAX_STEPS
        worst = max(worst, line("sequence (typed)", press_each(page, keys, "sequence")))
        blocked += page.blocked
        browser.close()
    if blocked:
        raise SystemExit(f"the pages asked for {blocked}")
    print(f"p95 = {worst:.1f} ms")


if __name__ == "__main__":
    main()
