"""An LSTM against a self-attention layer on this CPU: milliseconds per forward pass and per
training step (forward and backward) against sequence length, on one torch thread; Chapter 6
shows the reader's own short run beside the one this script saved.

    .venv/bin/python benchmarks/recurrence_vs_attention.py [--lengths 16 32 ... 1024]
        [--repeats 7] [--rounds 5] [--batch 8] [--save]

The networks are those of ``gatelab.recurrence.layers``: ``nn.LSTM`` with 64 inputs and hidden
units (fused), the same LSTM as a Python loop over ``nn.LSTMCell``, and an
``nn.TransformerEncoderLayer`` 64 wide with 4 heads and 128 feed-forward units (about as many
parameters as the LSTM). Each round measures every length (``gatelab.recurrence.measure``: the
median of ``--repeats`` passes after a warm-up, the networks taking turns pass by pass) from its
own seed; the table is the median over ``--rounds`` rounds, with the spread (min–max over the
rounds) under it. It prints how fast each time grows between the two longest lengths (the k of
time ∝ T^k), and the counts that do not depend on the machine.

With ``--save`` it writes ``data/recurrence_timing.json`` with the provenance
(``gatelab.provenance.record``) and the 1-minute load average before and after. Timings depend
on the CPU, the PyTorch build and what else the machine is doing: run it niced on a shared
machine (``nice -n 19``) and read the load averages it records.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from gatelab import recurrence, report
from gatelab.provenance import record

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "data" / recurrence.RESULTS
DEPENDS_ON = ("benchmarks/recurrence_vs_attention.py", "src/gatelab/recurrence.py")
LENGTHS = (16, 32, 64, 128, 256, 512, 1024)
NOTE_TIMING = ("milliseconds depend on the CPU, the PyTorch build and the machine's load: the 1-minute "
               "load averages before and after the run are recorded (load_average, "
               "load_average_after; this machine has 2 cores and is shared with other work); "
               "read the medians over the rounds and their spread (min-max), and compare the "
               "networks measured side by side, pass by pass, rather than the absolute times")


def spread(rounds: list[recurrence.Timing]) -> dict[str, dict[str, list[list[float]]]]:
    """step -> kind -> [min, max] seconds over the rounds at each length."""
    first = rounds[0]
    return {step: {kind: [[min(r.times(step)[kind][i] for r in rounds),
                           max(r.times(step)[kind][i] for r in rounds)]
                          for i in range(len(first.lengths))]
                   for kind in first.times(step)}
            for step in recurrence.STEPS}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    parser.add_argument("--repeats", type=int, default=7, help="timed passes per median")
    parser.add_argument("--rounds", type=int, default=5, help="whole measurements, seeds 0 … N-1")
    parser.add_argument("--batch", type=int, default=8, help="sequences per pass")
    parser.add_argument("--save", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("use at least 1 round (5 to quote a spread)")
    load_before = os.getloadavg()
    about = record("benchmarks/recurrence_vs_attention.py",
                   " ".join(["python benchmarks/recurrence_vs_attention.py", *argv]), ROOT,
                   depends_on=DEPENDS_ON,
                   note=NOTE_TIMING,
                   load_average=[round(v, 2) for v in load_before])
    about["threads"] = 1  # recurrence.measure times on one thread whatever torch had before
    started = time.perf_counter()
    rounds = []
    for seed in range(args.rounds):
        timing = recurrence.measure(args.lengths, batch=args.batch, repeats=args.repeats,
                                    seed=seed)
        rounds.append(timing)
        print(f"round {seed + 1}/{args.rounds}: {timing.seconds:.1f} s, load "
              f"{os.getloadavg()[0]:.2f}", flush=True)
    about["seconds"] = round(time.perf_counter() - started, 1)
    about["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    timing = recurrence.median_of_rounds(rounds)
    ranges = spread(rounds)
    print(f"\n{about['cpu']}, PyTorch {about['torch']}, one thread; parameters: "
          f"{timing.parameters}; load average {load_before[0]:.2f} before, "
          f"{about['load_average_after'][0]:.2f} after\n")
    for step in recurrence.STEPS:
        print(report.recurrence_timing(timing, step, committed=False))
        print("min–max over the rounds (ms):")
        for kind, pairs in ranges[step].items():
            cells = "  ".join(f"{lo * 1000:.2f}–{hi * 1000:.2f}" for lo, hi in pairs)
            print(f"  {kind:10s} {cells}")
        print("growth between the two longest lengths, time ∝ T^k: " + ", ".join(
            f"{kind} k = {recurrence.growth(timing, kind, step):.2f}"
            for kind in timing.times(step)) + "\n")
    print(report.recurrence_counts((16, 256, 1024)))
    if args.save:
        RESULTS.write_text(json.dumps(
            {"provenance": about, "rounds": args.rounds, "timing": timing.to_json(),
             "spread": ranges, "runs": [r.to_json() for r in rounds]},
            indent=1, ensure_ascii=False) + "\n")
        print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
