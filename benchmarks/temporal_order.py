"""The paper's hard temporal-order task, trained live on one thread: for each cell and seed, with
the curriculum easy -> moderate -> hard (``gatelab.train.curriculum``) and without it (hard
alone), whether the held-out accuracy on hard reached 99 %, the training sequences seen and the
seconds. The last line is the LSTM's median time to 99 % with the curriculum.

    python benchmarks/temporal_order.py [--cells LSTM GRU ...] [--seeds 5]
                                        [--direct-budget 192000] [--no-direct]

Every number comes from a run made here and now; nothing is read from data/. Run it alone on
the machine (other work slows it down and changes the seconds), niced if others share it:
`nice -n 19 python benchmarks/temporal_order.py`. The full default run (four cells, five
seeds, direct runs of 192,000 sequences) takes about half an hour on one thread;
``--direct-budget 32000`` or ``--no-direct`` make it shorter.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from gatelab import models, train

CELLS = {
    "RNN": {"kind": "RNN"},
    "GRU": {"kind": "GRU"},
    "LSTM": {"kind": "LSTM"},
    "LSTM, forget bias 1": {"kind": "LSTM", "forget_bias": 1.0},
}


def run(options: dict, hidden: int, seed: int, levels: tuple[str, ...], budget: int) -> dict:
    torch.manual_seed(seed)
    model = models.SequenceClassifier(input_size=8, hidden_size=hidden, num_classes=4, **options)
    started = time.perf_counter()
    history = train.curriculum(model, levels=levels, seed=seed, budget=budget)
    return {"reached": history.reached, "sequences": history.sequences_to_target(),
            "seconds": history.seconds_to_target(), "final": history.final,
            "seen": history.sequences[-1], "wall": time.perf_counter() - started}


def line(cell: str, seed: int, way: str, result: dict) -> str:
    if result["reached"]:
        return (f"{cell:<22} seed {seed}  {way:<10}  reached 99%: yes  "
                f"{result['sequences']:>7,} sequences  {result['seconds']:6.1f} s")
    return (f"{cell:<22} seed {seed}  {way:<10}  reached 99%: no   "
            f"{result['seen']:>7,} sequences  {result['wall']:6.1f} s  "
            f"(final accuracy {result['final']:.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=list(CELLS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--budget", type=int, default=128_000,
                        help="sequences at most with the curriculum")
    parser.add_argument("--direct-budget", type=int, default=192_000,
                        help="sequences at most on hard alone")
    parser.add_argument("--no-direct", action="store_true", help="skip the runs on hard alone")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, {args.hidden} units, "
          f"batch 32, Adam 3e-3, clipping 1; curriculum budget {args.budget:,}, "
          f"direct budget {args.direct_budget:,} sequences", flush=True)
    lstm_seconds, lstm_runs = [], 0
    for cell in args.cells:
        for seed in range(args.seeds):
            result = run(CELLS[cell], args.hidden, seed, train.CURRICULUM, args.budget)
            print(line(cell, seed, "curriculum", result), flush=True)
            if cell == "LSTM":
                lstm_runs += 1
                if result["reached"]:
                    lstm_seconds.append(result["seconds"])
            if not args.no_direct:
                direct = run(CELLS[cell], args.hidden, seed, ("hard",), args.direct_budget)
                print(line(cell, seed, "direct", direct), flush=True)
    if lstm_runs:
        if not lstm_seconds:
            print(f"LSTM hard: 99% not reached in any of {lstm_runs} seeds")
        elif len(lstm_seconds) == lstm_runs:
            print(f"LSTM hard: 99% reached in {statistics.median(lstm_seconds):.1f} s "
                  f"(median of {lstm_runs} seeds)")
        else:
            print(f"LSTM hard: 99% reached in {statistics.median(lstm_seconds):.1f} s "
                  f"(median of the {len(lstm_seconds)} of {lstm_runs} seeds that reached it)")


if __name__ == "__main__":
    main()
