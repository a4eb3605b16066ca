"""How many students one core serves: a class on a real JupyterHub on this machine.

Run:  .venv/bin/python benchmarks/classroom.py [--students 4 8 16] [--policy both|on|off]
                                                [--window 10] [--clicks 50] [--timeout 1800]

For each thread policy and each class size N it starts a fresh JupyterHub on 127.0.0.1
(``gatelab.classroom.LocalHub``: jupyterhub, configurable-http-proxy, SimpleLocalProcessSpawner,
one single-user server and one kernel per student) and N simulated students, who begin evenly
spread over ``--window`` seconds. Each student, in a thread of this process, does what a browser
does (``gatelab.classroom.run_lesson``): logs in with the class password, starts their server,
puts Chapter 2 (``notebooks/en/02_lstm.md`` as .ipynb) in their home, opens it (a kernel), runs
every code cell top to bottom over the kernel's websocket, clicks the chapter's first gate
explorer ``--clicks`` times through the widget comms (a gate's buttons to their next mode, every
fifth click a preset) and saves the notebook. The clicks begin when every student has run the
chapter (the teacher says "now try the explorer"), with a pause of ``--think`` seconds on average
(0.5 to 1.5 times it, seeded) between a student's clicks.

What the numbers include:
- ready s: log in, server started, notebook uploaded, kernel started and answering;
- chapter s: first cell sent to last cell done (kernel work plus the websocket, proxy and
  server round trips), so it grows when students share the cores;
- click ms: a widget change sent from the "browser" until the explorer's new PNG arrives back
  (proxy, server, kernel: the forced run, the redraw, the PNG), with the whole class clicking;
- MB/student: the peak resident memory of a student's server plus kernel (sampled each second);
  hub+proxy: the same for JupyterHub and configurable-http-proxy.

Policies: "on" sets GATELAB_THREADS=1 and OMP_NUM_THREADS=1 in the spawner's environment (one
torch thread per kernel, gatelab's default); "off" sets GATELAB_THREADS to the number of threads
torch picks by itself on this machine. Each student's kernel reports torch.get_num_threads().

The last line is the capacity: the largest N that all finished with click p95 <= 100 ms, per core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

import jupytext
import numpy as np

from gatelab.classroom import ROOT, LocalHub, run_lesson

CHAPTER = ROOT / "notebooks" / "en" / "02_lstm.md"
CLICK_BUDGET_MS = 100


def torch_default_threads() -> int:
    """The threads torch takes by itself here, with no OMP/MKL/GATELAB variable set."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "GATELAB_THREADS")}
    return int(subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
                              env=env, capture_output=True, text=True, check=True).stdout)


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
                 platform.processor())
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 ** 2
    versions = subprocess.run(
        [sys.executable, "-c", "import torch, jupyterhub, jupyter_server, ipywidgets; "
         "print(f'torch {torch.__version__}, jupyterhub {jupyterhub.__version__}, '"
         "f'jupyter_server {jupyter_server.__version__}, ipywidgets {ipywidgets.__version__}')"],
        capture_output=True, text=True, check=True).stdout.strip()
    return (f"{len(os.sched_getaffinity(0))} CPUs ({model}), {memory:.0f} GiB, "
            f"Python {platform.python_version()}, {versions}")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def run_class(size: int, environment: dict[str, str], args: argparse.Namespace) -> dict:
    """One class of ``size`` students on a fresh hub; their lessons and memory peaks."""
    students = [f"student{k + 1:02d}" for k in range(size)]
    peaks = {name: 0.0 for name in students}
    peaks["hub"] = 0.0
    lessons = {}
    with tempfile.TemporaryDirectory(prefix="gatelab-classroom-") as tmp, \
            LocalHub(Path(tmp), students, environment=environment, timeout=600) as hub:
        done = threading.Event()

        def watch_memory() -> None:
            while not done.wait(1.0):
                for owner, mb in hub.memory().items():
                    peaks[owner] = max(peaks.get(owner, 0.0), mb)

        # the clicks begin when every student has run the chapter (or given up): the teacher
        # says "now try the explorer"; between clicks a student pauses think * U(0.5, 1.5) s
        lock, arrived, everyone = threading.Lock(), set(), threading.Event()

        def arrive(name: str) -> None:
            with lock:
                arrived.add(name)
                if len(arrived) == size:
                    everyone.set()

        def lesson(index: int, name: str) -> None:
            offset = index * args.window / size
            rng = np.random.default_rng(index)

            def before_click(k: int, kernel) -> None:
                if k == 0:
                    arrive(name)
                    kernel.idle(began + args.timeout - time.monotonic(), until=everyone.is_set)
                else:
                    kernel.idle(args.think * rng.uniform(0.5, 1.5))

            time.sleep(offset)
            try:
                lessons[name] = run_lesson(hub.student(name), jupytext.read(CHAPTER),
                                           "02_lstm.ipynb", clicks=args.clicks,
                                           timeout=args.timeout - offset,
                                           before_click=before_click)
            finally:
                arrive(name)

        monitor = threading.Thread(target=watch_memory, daemon=True)
        monitor.start()
        began = time.monotonic()
        threads = [threading.Thread(target=lesson, args=(k, name))
                   for k, name in enumerate(students)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
        done.set()
        monitor.join()
    return {"size": size, "wall": wall, "lessons": [asdict(lessons[n]) for n in students],
            "memory": peaks}


def summary(run: dict) -> dict:
    lessons = run["lessons"]
    finished = [x for x in lessons if x["finished"]]
    clicks = [1000 * c for x in finished for c in x["clicks"]]
    memory = [run["memory"][x["student"]] for x in lessons]
    return {
        "N": run["size"], "finished": len(finished),
        "ready_p50": percentile([x["ready"] for x in finished], 50),
        "ready_p95": percentile([x["ready"] for x in finished], 95),
        "chapter_p50": percentile([x["chapter"] for x in finished], 50),
        "chapter_p95": percentile([x["chapter"] for x in finished], 95),
        "click_p50": percentile(clicks, 50), "click_p95": percentile(clicks, 95),
        "click_max": max(clicks, default=float("nan")),
        "redrawn": sum(x["redrawn"] for x in finished), "clicks": len(clicks),
        "mb_p50": statistics.median(memory), "mb_max": max(memory),
        "hub_mb": run["memory"]["hub"], "wall": run["wall"],
        "threads": sorted({x["threads"] for x in finished if x["threads"] is not None}),
        "errors": [f"{x['student']}: {x['errors'][-1]}" for x in lessons if x["errors"]],
    }


HEADER = (f"{'N':>3}  {'finished':>8}  {'ready s p50/p95':>15}  {'chapter s p50/p95':>17}  "
          f"{'click ms p50/p95/max':>20}  {'MB/student p50/max':>18}  {'hub+proxy MB':>12}  "
          f"{'wall s':>6}  torch threads")


def row(s: dict) -> str:
    return (f"{s['N']:>3}  {s['finished']:>4}/{s['N']:<3}  "
            f"{s['ready_p50']:>7.1f}/{s['ready_p95']:<7.1f}  "
            f"{s['chapter_p50']:>8.1f}/{s['chapter_p95']:<8.1f}  "
            f"{s['click_p50']:>6.0f}/{s['click_p95']:.0f}/{s['click_max']:<6.0f}  "
            f"{s['mb_p50']:>9.0f}/{s['mb_max']:<8.0f}  {s['hub_mb']:>12.0f}  "
            f"{s['wall']:>6.0f}  {','.join(map(str, s['threads'])) or '-'}")


def capacity(summaries: list[dict], cores: int) -> tuple[float, int | None]:
    fine = [s["N"] for s in summaries
            if s["finished"] == s["N"] and s["click_p95"] <= CLICK_BUDGET_MS]
    largest = max(fine, default=None)
    return (largest or 0) / cores, largest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--policy", choices=["both", "on", "off"], default="both")
    parser.add_argument("--window", type=float, default=10.0,
                        help="seconds over which the students begin (default 10)")
    parser.add_argument("--clicks", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0,
                        help="a student's mean pause between clicks, seconds (default 1)")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds a student may take in all (default 1800)")
    parser.add_argument("--json", type=Path, help="also write every student's numbers here")
    args = parser.parse_args()

    cores = len(os.sched_getaffinity(0))
    default = torch_default_threads()
    policies = {"on": {"GATELAB_THREADS": "1", "OMP_NUM_THREADS": "1"},
                "off": {"GATELAB_THREADS": str(default)}}
    chosen = ["off", "on"] if args.policy == "both" else [args.policy]
    code_cells = sum(c.cell_type == "code" for c in jupytext.read(CHAPTER).cells)
    print(f"machine: {machine()}")
    print(f"each student: {CHAPTER.relative_to(ROOT)} ({code_cells} code cells) top to bottom, "
          f"then, once every student has, {args.clicks} clicks of its first gate explorer "
          f"{args.think:g} s apart on average; students begin evenly within {args.window:g} s")
    results, capacities = {}, {}
    for policy in chosen:
        env = policies[policy]
        print(f"\nthread policy {policy}: spawner environment "
              + " ".join(f"{k}={v}" for k, v in env.items()))
        print(HEADER)
        summaries = []
        for size in args.students:
            run = run_class(size, env, args)
            summaries.append(summary(run))
            results.setdefault(policy, []).append(run)
            if args.json:  # after each class, so that a long run that is stopped keeps them
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(results, indent=1))
            print(row(summaries[-1]), flush=True)
            for error in summaries[-1]["errors"]:
                print(f"     {error[:200]}")
        capacities[policy] = capacity(summaries, cores)
    print()
    for policy in chosen:
        per_core, largest = capacities[policy]
        note = (f"N = {largest} on {cores} cores" if largest else
                f"no class size tried met it (sizes {args.students})")
        label = "capacity" if policy == chosen[-1] else f"capacity with the thread policy {policy}"
        print(f"{label}: {per_core:g} students per core at click p95 <= {CLICK_BUDGET_MS} ms "
              f"({note}; thread policy {policy})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
