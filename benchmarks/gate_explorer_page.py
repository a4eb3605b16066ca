"""Frame latency of the gate explorer computing in the page, in headless Chromium.

Run:  .venv/bin/python benchmarks/gate_explorer_page.py [--events 200]

For the chapters' trained temporal-order LSTM and GRU (``GateWidget.example``), writes a
kernel-free page (``page_html`` + ``page_scripts``), opens it from file:// with every other
request blocked, and sends ``--events`` real input events through the keyboard: a value slider
moved step by step (ArrowRight / ArrowLeft, one ``input`` event each) and every gate's select
stepped through learned → open → shut → value. The page times each event itself (ui.js
``timeFrame``, the same for the three explorers; samples in ``window.gatelabFrames``, one
``performance.measure("gatelab-frame")`` each): from the event's ``timeStamp`` (marked
``performance.mark("gatelab-input")``) to the first task after the rendering of the frame that
shows the change: the handler updates the DOM, asks ``requestAnimationFrame``, and its callback
posts a MessageChannel message, which runs once that frame is painted (a message, not a
``setTimeout``: no timer clamping is added). Also per sample: the event's own work (computing
cells.js and updating the SVG and the equations) and when the frame began (the
requestAnimationFrame timestamp). The benchmark only waits for a sample before the next key; its
waiting is not inside any sample. Each event waits for the previous
one's frame. It prints p50 / p95 / max per explorer and "p95 = N ms" last (the largest p95 of
the frames). A frame waits for the display's next refresh (16.7 ms apart at 60 Hz), so the
frame figure includes up to one refresh interval of waiting however fast the work is; the
last columns split it: the event's own work, and the frame's start (requestAnimationFrame's
timestamp) to the task after its paint.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from gatelab.explorer import GateWidget, page_html, page_scripts, page_state

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EXAMPLES = ("temporal-order", "gru-temporal-order")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def page_for(name: str, folder: Path) -> Path:
    path = folder / f"{name}.html"
    path.write_text("<!doctype html><html lang='en'><meta charset='utf-8'><title>bench</title>"
                    f"<body>{page_html(page_state(GateWidget.example(name)))}"
                    f"{page_scripts(['gates'])}</body></html>", encoding="utf-8")
    return path


def measure(browser, url: str, events: int) -> list[dict]:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    blocked = []
    page.route("**/*", lambda route: route.continue_() if route.request.url in (url,) or
               route.request.url.startswith("data:") else (blocked.append(route.request.url),
                                                            route.abort()))
    page.goto(url)
    page.wait_for_function("document.querySelector('.gatelab-gates polyline')")
    selects = page.locator(".gl-gate select")
    sliders = page.locator(".gl-gate input[type=range]")
    done = 0

    def wait():
        nonlocal done
        done += 1
        page.wait_for_function(f"(window.gatelabFrames || []).length >= {done}")

    up: dict[str, bool] = {}  # per control: moving up (down at its last value, and back)

    def step(control, key: str, at_start: str, at_end: str) -> None:
        if control.evaluate(at_end):
            up[key] = False
        elif control.evaluate(at_start):
            up[key] = True
        control.focus()
        press = {"select": ("ArrowDown", "ArrowUp"), "slider": ("ArrowRight", "ArrowLeft")}
        page.keyboard.press(press[key.split()[0]][0 if up.get(key, True) else 1])

    for k in range(events):
        if k % 4 == 3:  # a select, one option on (each key press is one change)
            n = (k // 4) % selects.count()
            step(selects.nth(n), f"select {n}", "s => s.selectedIndex === 0",
                 "s => s.selectedIndex === s.options.length - 1")
        else:  # a slider, one step of 0.05
            n = k % sliders.count()
            step(sliders.nth(n), f"slider {n}", "s => s.value === s.min",
                 "s => s.value === s.max")
        wait()
    frames = page.evaluate("window.gatelabFrames")
    if "--raw" in sys.argv:
        print([(round(f["ms"], 1), round(f["work"], 1), round(f["frame"], 1)) for f in frames[:60]])
    page.close()
    if blocked:
        sys.exit(f"the page asked for {blocked}")
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--raw", action="store_true", help="print the first 60 samples")
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"Chromium {CHROMIUM}, {platform.machine()}, {options.events} input events per explorer")
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for name in EXAMPLES:
            frames = measure(browser, page_for(name, Path(folder)).as_uri(), options.events)
            ms = [f["ms"] for f in frames]
            work = [f["work"] for f in frames]
            # from the start of the frame that shows the change (or from the event, when the
            # frame began before it) to the task after its paint: rendering, without the wait
            render = [f["ms"] - max(0.0, f["frame"]) for f in frames]
            print(f"{name:20s} to the painted frame: p50 {statistics.median(ms):5.1f} ms, "
                  f"p95 {percentile(ms, 0.95):5.1f} ms, max {max(ms):5.1f} ms   "
                  f"the event's work: p50 {statistics.median(work):4.1f} ms, "
                  f"p95 {percentile(work, 0.95):4.1f} ms   the frame's start to its paint: "
                  f"p50 {statistics.median(render):4.1f} ms, p95 {percentile(render, 0.95):4.1f}"
                  f" ms  ({len(ms)} events)")
            worst = max(worst, percentile(ms, 0.95))
        browser.close()
    print(f"p95 = {worst:.1f} ms")


if __name__ == "__main__":
    main()
