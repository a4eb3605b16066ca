"""How long cells.js takes to recompute an explorer's run in the page, for the chapters' explorers.

Run:  .venv/bin/python benchmarks/explorer_frame.py [--calls 200]

For each case it exports the real network and input with ``gatelab.explorer.export``:

* "memory": the hand-built LSTM memory cell of Chapter 2 (1 unit, 24 steps, c0 = 0.5);
* "temporal-order": the trained LSTM(8, 16) from data/ on its held-out sequence (60 steps);
* "gru-temporal-order": the trained GRU(8, 16) likewise;

(the same modules and inputs as ``widgets.load_example``), loads cells.js into a blank page of
headless Chromium (/usr/bin/chromium, every request but data: blocked), and times ``--calls``
calls of ``run(spec, x, force)`` with ``performance.now()``, each call with the next forcing of a
click-through (every gate in turn learned → shut → open → a value), after 20 warm-up calls.
Before timing it checks that cells.js gives what ``cells.run`` gives on a float64 copy of the
module, for every forcing used (exit 1 if any differs by more than 1e-5).

It prints p50, p95 and max per case, the mean from the total time of all calls (Chromium rounds
``performance.now()`` to 0.1 ms in a page that is not cross-origin isolated, so a single fast
call reads 0 or 0.1 ms), and "p95 = N ms" last: the largest p95 of the cases.

This is the computation only: drawing the panels in the page is not built yet, so a frame's cost
on screen will be this plus the drawing.
"""

from __future__ import annotations

import argparse
import base64
import copy
import platform
import sys
from pathlib import Path

import torch

from gatelab import cells, checkpoints, models, tasks
from gatelab.explorer import export, source

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOLERANCE = 1e-5

# Runs in the page: warm up, then time every call on its own and all of them together.
TIMING = """([e, forcings, calls]) => {
    const run = window.cells.run;
    for (let k = 0; k < 20; k++) run(e.spec, e.x, forcings[k % forcings.length]);
    const times = [];
    const start = performance.now();
    for (let k = 0; k < calls; k++) {
        const t0 = performance.now();
        run(e.spec, e.x, forcings[k % forcings.length]);
        times.push(performance.now() - t0);
    }
    return {times, total: performance.now() - start};
}"""


def cases() -> dict[str, tuple[torch.nn.Module, torch.Tensor, tuple | torch.Tensor | None]]:
    """name -> (module, x (T, I), state as cells.run takes it)."""
    memory_state = (torch.zeros(1, 1), torch.full((1, 1), 0.5))  # unbatched (1, H) each
    found = {"memory": (models.memory_cell(), tasks.store_and_recall(), memory_state)}
    for name, kind in (("temporal-order", "LSTM"), ("gru-temporal-order", "GRU")):
        classifier, task = checkpoints.temporal_order(kind)
        found[name] = (classifier.rnn, task.held_out_example(first="X"), None)
    return found


def click_through(kind: str) -> list[dict[str, float]]:
    """The forcings of clicking every gate through learned → shut → open → a value."""
    gates = [g for g in cells.GATES[kind] if g not in ("g", "n")]  # the explorer's gates
    forcings: list[dict[str, float]] = [{}]
    for gate in gates:
        forcings += [{gate: 0.0}, {gate: 1.0}, {gate: 0.375}, {}]
    return forcings


def check(page, module, x, state, exported, forcings) -> float:
    """The largest |cells.js − cells.run| over h (and c) for every forcing, in float64."""
    double = copy.deepcopy(module).double()
    if isinstance(state, tuple):
        state = tuple(s.double() for s in state)
    worst = 0.0
    results = page.evaluate("([e, fs]) => fs.map(f => window.cells.run(e.spec, e.x, f))",
                            [exported, forcings])
    for force, result in zip(forcings, results, strict=True):
        with torch.no_grad():
            trace = cells.run(double, x.double(), state, force=force)
        for reference, js in ((trace.h, result["h"]), (trace.c, result["c"])):
            if reference is not None:
                diff = (torch.tensor(js, dtype=torch.float64) - reference).abs().max().item()
                worst = max(worst, diff)
    return worst


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"no Chromium at {CHROMIUM} (Debian: apt install chromium)")
        return 1
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("data:")
                   else route.abort())
        page.set_content("<!doctype html><meta charset='utf-8'><title>cells.js</title>")
        url = "data:text/javascript;base64," + base64.b64encode(source().encode()).decode()
        page.evaluate("async (url) => { window.cells = await import(url); }", url)
        version = browser.version
        for name, (module, x, state) in cases().items():
            h0, c0 = state if isinstance(state, tuple) else (state, None)
            exported = export(module, x, h0, c0)
            kind = exported["spec"]["kind"]
            forcings = click_through(kind)
            worst = check(page, module, x, state, exported, forcings)
            if worst > TOLERANCE:
                print(f"{name}: cells.js differs from cells.run by {worst:.3g}")
                return 1
            timed = page.evaluate(TIMING, [exported, forcings, args.calls])
            times = timed["times"]
            label = f"{name}: {kind}({module.input_size}, {module.hidden_size}) × {x.shape[0]} steps"
            rows.append((label, percentile(times, 50), percentile(times, 95), max(times),
                         timed["total"] / len(times), worst))
        browser.close()

    print(f"Chromium {version}, {platform.machine()}, Python {platform.python_version()}; "
          f"{args.calls} calls of run() per case, forcings clicked through")
    print(f"{'case':<50} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'mean ms':>8} {'vs cells.run':>13}")
    for label, p50, p95, top, mean, worst in rows:
        print(f"{label:<50} {p50:7.2f} {p95:7.2f} {top:7.2f} {mean:8.3f} {worst:13.2g}")
    print(f"p95 = {max(row[2] for row in rows):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
