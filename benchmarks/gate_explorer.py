"""What one click of the gate explorer cost when the kernel answered it, for an LSTM and a GRU:
the comparison for the explorers that now compute in the page (benchmarks/gate_explorer_page.py).

Run:  .venv/bin/python benchmarks/gate_explorer.py [--cell lstm|gru|both] [--clicks N]
                                                   [--full-renders M]

For each cell, starts a "python3" kernel (jupyter_client) and, there, for ``torch.nn.LSTM(8, 8)``
(or ``nn.GRU(8, 8)``) on x of shape (T=100, I=8), does what the kernel-side explorer did per
click until the explorers moved into the page: the forced run (``cells.run``), the figure
(``plots.GatePanel``) updated in place and its PNG at 80 dpi, blitted. Clicks go round the
gates (i, f, o; r, z), each to its next mode (shut → open → learned → value), and every fifth
click applies a preset. For comparison it also times a brand-new figure per change
(``plots.gates`` and a PNG), which is what that explorer would have cost without blitting. The
comm transit and the browser's paint are not included: a person saw 115–290 ms per click.

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
    import io, json, os, platform, time

    import matplotlib
    import torch

    from gatelab import cells, plots, widgets

    torch.manual_seed(0)
    module = getattr(torch.nn, CELL)(8, 8)
    x = torch.randn(100, 8)  # unbatched: (T, I)

    kind = CELL
    gates = list(plots.CELL_VIEWS[kind].gates)
    names = [f"x{k + 1}" for k in range(x.shape[-1])]
    presets = list(widgets.PRESETS[kind].values())
    CYCLE = ["shut", "open", "learned", "value"]
    VALUES = {"shut": 0.0, "open": 1.0, "value": 0.5}

    start = time.perf_counter()
    with torch.no_grad():
        learned = cells.run(module, x)
    panel = plots.GatePanel(len(x), names, kind=kind)
    panel.update(x, learned, learned, {})
    png = panel.render_png(dpi=80)
    build_ms = (time.perf_counter() - start) * 1000

    # what a click cost when the kernel answered it: the forced run, the figure updated in place
    # and its PNG (blitted), before the page computed the explorers itself
    modes = {g: "learned" for g in gates}
    clicks, forces = [], []
    for k in range(CLICKS):
        if k % 5 == 4:
            what = presets[(k // 5) % len(presets)]
            modes = {g: ("learned" if g not in what else "open" if what[g] == 1 else "shut")
                     for g in gates}
            click = "preset"
        else:
            gate = gates[k % len(gates)]
            modes[gate] = CYCLE[(CYCLE.index(modes[gate]) + 1) % len(CYCLE)]
            click = "mode"
        force = {g: VALUES[m] for g, m in modes.items() if m != "learned"}
        start = time.perf_counter()
        with torch.no_grad():
            trace = cells.run(module, x, force=force or None)
        panel.update(x, trace, learned, force)
        png = panel.render_png(dpi=80)
        clicks.append({"kind": click, "what": str(force), "ms": (time.perf_counter() - start) * 1000})
        forces.append(force)

    # the same settings drawn as a brand-new figure each time (what blitting saved)
    full, full_png = [], b""
    for force in forces[:FULL_RENDERS]:
        start = time.perf_counter()
        with torch.no_grad():
            trace = cells.run(module, x, force=force or None)
        figure = plots.gates(x, trace, learned, force, 0, names, kind=kind)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80, facecolor="white")
        full_png = buffer.getvalue()
        full.append((time.perf_counter() - start) * 1000)

    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    print("GATELAB_BENCH_JSON " + json.dumps({
        "cell": CELL, "build_ms": build_ms, "clicks": clicks, "full_ms": full,
        "png_bytes": len(png), "full_png_bytes": len(full_png),
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
    print(f"kernel-side explorer: {result['cell']}(8, 8), T = 100; PNG {result['png_bytes'] / 1024:.0f} KiB per click; "
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
    print("full re-render: plots.gates and its PNG at the same dpi (80) as the "
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
    for cell in (["LSTM", "GRU"] if args.cell == "both" else [args.cell.upper()]):
        code = (f"CELL = {cell!r}\nCLICKS = {args.clicks}\nFULL_RENDERS = {args.full_renders}\n"
                + KERNEL_CODE)
        started = time.perf_counter()
        result = run_in_kernel(code, timeout=60 + 2 * args.clicks + 5 * args.full_renders)
        print_report(result)
        print(f"(whole run {time.perf_counter() - started:.0f} s, kernel start included)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
