"""How long a chapter takes when several students run it at once on one server: torch with one
thread per kernel (gatelab's policy) against torch's own default (a thread per core).

Run:  .venv/bin/python benchmarks/threads.py [--chapter 02_lstm] [--lang en] [--kernels 1 4]
                                             [--repeat 1] [--max-load 0.5] [--wait 900]

For each number of kernels K and each thread setting, it starts K ``jupyter nbconvert --to
notebook --execute`` processes at the same moment, each on its own copy of the chapter (written
from ``notebooks/<lang>/<chapter>.md`` as ``make notebooks`` does), and times each from its start
until it exits: Python and nbconvert starting, the kernel starting, every cell, the notebook
written. The kernels get this environment without OMP_NUM_THREADS, MKL_NUM_THREADS and
GATELAB_THREADS ("policy": gatelab.use() gives torch 1 thread), or with GATELAB_THREADS set to
torch's default for this machine ("torch default", what every kernel used before the policy).
The thread count each kernel ran with is read back from the line ``gatelab.use`` prints.

Before each run it waits until the 1-minute load average is below ``--max-load`` (other work, or
the previous run, would slow the kernels); if that takes longer than ``--wait`` seconds it runs
anyway and marks the row "busy". It also counts the CPU seconds that processes other than its
own used during each run (from /proc/stat): near 0 on a quiet machine. It prints the table
(seconds per kernel: min, median, max).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from gatelab import threads
from gatelab.publish.notebooks import read
from gatelab.publish.project import current

JUPYTER = Path(sys.executable).with_name("jupyter")
PRINTED = re.compile(r"torch threads: (\d+)")  # the English line of gatelab.use (--lang en)


@dataclass
class Row:
    kernels: int
    setting: str  # "policy" or "torch default"
    threads: list[int]  # as each kernel printed it
    seconds: list[float]  # wall-clock per kernel
    load: float  # 1-minute load average at the start
    busy: bool  # the load did not fall below --max-load in time
    other_cpu: float  # CPU seconds the machine spent on other processes during the run


def torch_default_threads(env: dict[str, str]) -> int:
    """The thread count torch picks by itself on this machine (one per physical core)."""
    out = subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
                         env=env, capture_output=True, text=True, check=True)
    return int(out.stdout)


def wait_for_quiet(max_load: float, wait_s: float) -> tuple[float, bool]:
    deadline = time.monotonic() + wait_s
    while True:
        load = os.getloadavg()[0]
        if load < max_load:
            return load, False
        if time.monotonic() > deadline:
            print(f"  load {load:.2f} still >= {max_load} after {wait_s:.0f} s: running anyway",
                  flush=True)
            return load, True
        time.sleep(10)


def busy_cpu_seconds() -> float:
    """CPU seconds all processes of the machine have used since boot (from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """CPU seconds of this script's finished child processes and their children (the kernels)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(notebook: nbformat.NotebookNode, kernels: int, env: dict[str, str],
        workdir: Path) -> tuple[list[float], list[int], float]:
    """K nbconvert processes started together: seconds each, the thread count each printed,
    and the CPU seconds that other processes of the machine used meanwhile."""
    paths = []
    for k in range(kernels):
        path = workdir / f"kernel{k}.ipynb"
        nbformat.write(notebook, path)
        paths.append(path)
    machine_before, ours_before = busy_cpu_seconds(), children_cpu_seconds()
    started = time.perf_counter()
    processes = [subprocess.Popen(
        [str(JUPYTER), "nbconvert", "--to", "notebook", "--execute", str(path), "--output",
         path.with_name(path.stem + "_out.ipynb").name, "--ExecutePreprocessor.timeout=3600"],
        env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for path in paths]
    seconds: list[float | None] = [None] * kernels
    while any(s is None for s in seconds):
        for k, process in enumerate(processes):
            if seconds[k] is None and process.poll() is not None:
                seconds[k] = time.perf_counter() - started
        time.sleep(0.05)
    other = (busy_cpu_seconds() - machine_before) - (children_cpu_seconds() - ours_before)
    for process in processes:
        if process.returncode:
            sys.exit(f"nbconvert failed:\n{process.stderr.read().decode(errors='replace')[-3000:]}")
    printed = []
    for path in paths:
        executed = nbformat.read(path.with_name(path.stem + "_out.ipynb"), as_version=4)
        text = "".join(o.get("text", "") for cell in executed.cells if cell.cell_type == "code"
                       for o in cell.get("outputs", []))
        found = PRINTED.search(text)
        printed.append(int(found.group(1)) if found else -1)
    return [s for s in seconds if s is not None], printed, max(other, 0.0)


def machine() -> str:
    model = ""
    with Path("/proc/cpuinfo").open() as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import torch

    return (f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
            f"torch {torch.__version__}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapter", default="02_lstm")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--kernels", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each row")
    parser.add_argument("--max-load", type=float, default=0.5)
    parser.add_argument("--wait", type=float, default=900, help="seconds to wait for quiet")
    args = parser.parse_args()

    base = {k: v for k, v in os.environ.items()
            if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", threads.ENV)}
    default = torch_default_threads(base)
    settings = {"policy": base, "torch default": {**base, threads.ENV: str(default)}}
    notebook = read(current().notebooks / args.lang / f"{args.chapter}.md")
    print(f"{args.lang}/{args.chapter}, {dt.datetime.now().isoformat(timespec='minutes')}, "
          f"{machine()}; torch's default here: {default} threads", flush=True)

    rows = []
    with tempfile.TemporaryDirectory(prefix="gatelab-threads-") as tmp:
        for kernels in args.kernels:
            for setting, env in [item for item in settings.items() for _ in range(args.repeat)]:
                load, busy = wait_for_quiet(args.max_load, args.wait)
                print(f"  {kernels} kernel(s), {setting}: starting (load {load:.2f})", flush=True)
                seconds, printed, other = run(notebook, kernels, env, Path(tmp))
                rows.append(Row(kernels, setting, printed, seconds, load, busy, other))
                print(f"  ... {', '.join(f'{s:.1f}' for s in seconds)} s; other processes "
                      f"{other:.1f} CPU s", flush=True)

    print()
    print("| kernels at once | threads per kernel | seconds per kernel: min | median | max "
          "| load at start | CPU s of other processes |")
    print("|---:|---|---:|---:|---:|---|---:|")
    for r in rows:
        shown = ",".join(str(t) for t in sorted(set(r.threads)))
        print(f"| {r.kernels} | {shown} ({r.setting}) | {min(r.seconds):.1f} "
              f"| {statistics.median(r.seconds):.1f} | {max(r.seconds):.1f} "
              f"| {r.load:.2f}{' (busy)' if r.busy else ''} | {r.other_cpu:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
