"""How long one click of the gate explorer takes, for an LSTM and a GRU, measured inside a real
Jupyter kernel.

Run:  .venv/bin/python benchmarks/gate_explorer.py [--cell lstm|gru|both] [--clicks N]
                                                   [--full-renders M]

For each cell, starts a "python3" kernel (jupyter_client), builds
``GateExplorer(torch.nn.LSTM(8, 8), x)`` (or ``nn.GRU(8, 8)``) with x of shape (T=100, I=8) there,
displays its widget (so every change goes out over a widget comm, as in a notebook), then clicks:
sets a gate's ToggleButtons to the next mode (shut → open → learned → value) round the gates
(i, f, o for the LSTM; r, z for the GRU), and every fifth click presses a preset button. The explorer's observers run synchronously in the kernel, so the time around one
assignment (or ``button.click()``) is the time until ``explorer.image.value`` holds the new PNG.
For comparison it also times a brand-new figure per change (``plots.gates`` +
``widgets.figure_png``), which is what the explorer would cost without blitting.

The kernel sends its numbers back as one JSON line on stdout; this script prints the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
from jupyter_client import KernelManager

MARKER = "GATELAB_BENCH_JSON "

# Runs in the kernel after lines setting CELL, CLICKS and FULL_RENDERS.
KERNEL_CODE = textwrap.dedent('''
    import json, os, platform, time

    import matplotlib
    import torch
    from IPython.display import display

    from gatelab import plots, widgets

    torch.manual_seed(0)
    module = getattr(torch.nn, CELL)(8, 8)
    x = torch.randn(100, 8)  # unbatched: (T, I)

    start = time.perf_counter()
    explorer = widgets.GateExplorer(module, x)
    display(explorer)  # builds the widget and opens its comms, as a notebook cell would
    build_ms = (time.perf_counter() - start) * 1000

    CYCLE = ["shut", "open", "learned", "value"]
    PRESETS = list(explorer.presets)


    def forced_now():
        """What the explorer forces right now (mirrors GateExplorer.build's force())."""
        return {g: {"open": 1.0, "shut": 0.0}.get(m.value, explorer.sliders[g].value)
                for g, m in explorer.modes.items() if m.value != "learned"}


    def next_mode(gate):
        """The mode after the gate's current one, so that every mode click is a real change."""
        return CYCLE[(CYCLE.index(explorer.modes[gate].value) + 1) % len(CYCLE)]


    clicks, unchanged, forces = [], [], []
    for k in range(CLICKS):
        before, old_png = forced_now(), bytes(explorer.image.value)
        if k % 5 == 4:
            kind, what = "preset", PRESETS[(k // 5) % len(PRESETS)]
            button = explorer.presets[what]
            start = time.perf_counter()
            button.click()
            ms = (time.perf_counter() - start) * 1000
        else:
            gate = explorer.gates[k % len(explorer.gates)]
            mode = next_mode(gate)
            kind, what = "mode", f"{gate}={mode}"
            start = time.perf_counter()
            explorer.modes[gate].value = mode
            ms = (time.perf_counter() - start) * 1000
        after = forced_now()
        # a different forced run must give a different picture; the same one may keep it
        if after != before and bytes(explorer.image.value) == old_png:
            unchanged.append(k)
        clicks.append({"kind": kind, "what": what, "ms": ms, "changed": after != before})
        forces.append(after)

    assert bytes(explorer.image.value).startswith(b"\\x89PNG"), "the image is not a PNG"

    # the same settings drawn as a brand-new figure each time (what blitting saves)
    full, png = [], b""
    for force in forces[:FULL_RENDERS]:
        start = time.perf_counter()
        png = widgets.figure_png(plots.gates(explorer.x, explorer.run(force),
                                                  explorer.learned, force, 0,
                                                  explorer.input_names, kind=explorer.kind),
                                         dpi=80)
        full.append((time.perf_counter() - start) * 1000)

    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    print("GATELAB_BENCH_JSON " + json.dumps({
        "cell": CELL, "build_ms": build_ms, "clicks": clicks, "unchanged": unchanged, "full_ms": full,
        "png_bytes": len(explorer.image.value), "full_png_bytes": len(png),
        "machine": {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu,
                    "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
                    "matplotlib": matplotlib.__version__,
                    "backend": matplotlib.get_backend(),
                    "python": platform.python_version()},
    }))
''')


def run_in_kernel(code: str, timeout: float) -> dict[str, Any]:
    """Run ``code`` in a fresh python3 kernel; return the JSON it printed after MARKER."""
    # IPC sockets in a directory of our own: nothing listens on TCP (and the kernel does not
    # warn about it), and no socket file is left in the working directory
    sockets = tempfile.TemporaryDirectory(prefix="gatelab-bench-")
    manager = KernelManager(kernel_name="python3", transport="ipc",
                            ip=str(Path(sockets.name) / "kernel"))
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    stdout: list[str] = []
    errors: list[str] = []

    def collect(message: dict) -> None:
        kind, content = message["msg_type"], message["content"]
        if kind == "stream" and content["name"] == "stdout":
            stdout.append(content["text"])
        elif kind == "stream":
            errors.append(content["text"])
        elif kind == "error":
            errors.append("\n".join(content["traceback"]))
        # comm_msg (the widget updates) and display_data have no frontend here: dropped

    try:
        client.wait_for_ready(timeout=120)
        reply = client.execute_interactive(code, output_hook=collect, timeout=timeout,
                                           store_history=False)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        sockets.cleanup()
    if reply["content"]["status"] != "ok":
        raise RuntimeError("the benchmark failed in the kernel:\n" + "".join(errors))
    for line in "".join(stdout).splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    raise RuntimeError("the kernel printed no result:\n" + "".join(stdout + errors))


def summary(values: list[float]) -> dict[str, float]:
    array = np.asarray(values, dtype=float)
    return {"n": len(array), "p50": float(np.percentile(array, 50)),
            "p95": float(np.percentile(array, 95)), "max": float(array.max())}


def print_report(result: dict[str, Any]) -> None:
    clicks = result["clicks"]
    warm = clicks[1:]  # the first click may draw a new background: shown on its own
    rows = [
        ("every click after the first", summary([c["ms"] for c in warm])),
        ("  gate mode clicks", summary([c["ms"] for c in warm if c["kind"] == "mode"])),
        ("  preset button clicks", summary([c["ms"] for c in warm if c["kind"] == "preset"])),
        ("full re-render per change", summary(result["full_ms"][1:] or result["full_ms"])),
    ]
    machine = result["machine"]
    print(f"machine: {machine['nproc']} CPUs ({machine['cpu']}), python {machine['python']}, "
          f"torch {machine['torch']} ({machine['torch_threads']} threads), "
          f"matplotlib {machine['matplotlib']} (kernel backend {machine['backend']})")
    print(f"explorer: {result['cell']}(8, 8), T = 100; PNG {result['png_bytes'] / 1024:.0f} KiB per click; "
          f"build + display {result['build_ms']:.0f} ms")
    print()
    print(f"{'milliseconds from click to new image':<38}{'n':>6}{'p50':>9}{'p95':>9}{'max':>9}")
    for label, stats in rows:
        print(f"{label:<38}{stats['n']:>6}{stats['p50']:>9.1f}{stats['p95']:>9.1f}"
              f"{stats['max']:>9.1f}")
    first = clicks[0]
    print(f"{'first click (cold): ' + first['what']:<38}{1:>6}{first['ms']:>9.1f}")
    if result["full_ms"]:
        print(f"{'first full re-render (cold)':<38}{1:>6}{result['full_ms'][0]:>9.1f}")
    print()
    print("full re-render: plots.gates + widgets.figure_png at the same dpi (80) as the "
          "explorer's blitted PNG")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cell", choices=["lstm", "gru", "both"], default="both",
                        help="which explorer to time (default both)")
    parser.add_argument("--clicks", type=int, default=200, help="clicks to time (default 200)")
    parser.add_argument("--full-renders", type=int, default=30,
                        help="brand-new figures to time for comparison (default 30)")
    args = parser.parse_args(argv)
    if args.clicks < 2:
        parser.error("--clicks must be at least 2")
    failed = False
    for cell in (["LSTM", "GRU"] if args.cell == "both" else [args.cell.upper()]):
        code = (f"CELL = {cell!r}\nCLICKS = {args.clicks}\nFULL_RENDERS = {args.full_renders}\n"
                + KERNEL_CODE)
        started = time.perf_counter()
        result = run_in_kernel(code, timeout=60 + 2 * args.clicks + 5 * args.full_renders)
        print_report(result)
        print(f"(whole run {time.perf_counter() - started:.0f} s, kernel start included)\n")
        if result["unchanged"]:
            print(f"ERROR: {cell}: the image did not change after clicks {result['unchanged']}, "
                  "although the forced run did", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
