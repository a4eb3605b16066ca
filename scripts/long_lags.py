"""Long time lags: the paper's hard temporal-order task with and without a curriculum, memory
spans, and the echo task's carried state, over several seeds, recorded with their provenance in
data/long_lags.json; Chapter 4 reads it (`report.long_lags`, `plots.memory_span`).

    python scripts/long_lags.py [--seeds 5] [--direct-seeds 1] [--echo-seeds 3] [SECTION ...]

Sections (default: all): "curriculum" (every cell on easy -> moderate -> hard, then its final
network measured at fixed gaps between the two relevant symbols), "direct" (every cell on hard
alone, with a budget of 192,000 sequences), "echo" (every cell at equal size on the echo task for each delay),
"echo_state" (an LSTM's error at each position of a chunk from a fresh and a carried state, and
accuracy against the BPTT chunk length). A section that is run replaces its old results; the
others are kept.

Every run uses one thread and starts from its seed. The sequences seen do not depend on the
computer's speed, but a run is not bit-reproducible across CPUs and thread counts; the seconds
depend on the machine and on its load. Run it niced on a shared machine: `nice -n 19`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from gatelab import models, tasks, train
from gatelab.provenance import record, save

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "data" / "long_lags.json"

HIDDEN = 32
# the cells at equal hidden size; the labels are the ones the chapters print
# (report.MODEL_LABELS translates them)
SAME_SIZE = {
    "RNN": {"kind": "RNN", "hidden_size": HIDDEN},
    "GRU": {"kind": "GRU", "hidden_size": HIDDEN},
    "LSTM": {"kind": "LSTM", "hidden_size": HIDDEN},
    "LSTM, forget bias 1": {"kind": "LSTM", "hidden_size": HIDDEN, "forget_bias": 1.0},
}
# as many parameters as the 32-unit LSTM classifier (5,508 with its linear layer): an RNN with
# 68 units has 5,580, a GRU with 38 has 5,628 (the closest sizes)
SAME_PARAMETERS = {
    "RNN, as many parameters as the LSTM": {"kind": "RNN", "hidden_size": 68},
    "GRU, as many parameters as the LSTM": {"kind": "GRU", "hidden_size": 38},
}
CELLS = {**SAME_SIZE, **SAME_PARAMETERS}

# train.curriculum's defaults, written out so that the json says what was run
CURRICULUM = {"levels": ["easy", "moderate", "hard"], "budget": 128_000, "batch_size": 32,
              "lr": 0.003, "advance": 0.95, "target": 0.99, "evaluate_every": 25,
              "test_size": 256, "max_norm": 1.0}
DIRECT = {**CURRICULUM, "levels": ["hard"], "budget": 192_000}
# distances t2 - t1 at which every trained network is measured (hard trains on 30-50; at most
# 78 fit in hard's shortest sequence after t1 <= 20)
GAPS = (5, 10, 20, 30, 40, 50, 60, 70, 78)
GAP_TEST_SIZE = 256
ECHO = {"delays": [1, 2, 4, 8, 12, 16, 24], "steps": 400, "batch_size": 32, "lr": 0.01,
        "evaluate_every": 50, "until": 0.99, "chunk_extra": 20}  # chunk = delay + chunk_extra
ECHO_STATE = {"kind": "LSTM", "hidden_size": HIDDEN, "delay": 8, "chunk_length": 20,
              "steps": 400, "lr": 0.01, "chunk_lengths": [4, 8, 10, 12, 16, 24],
              "time_steps": 8000}


def classifier(options: dict) -> models.SequenceClassifier:
    return models.SequenceClassifier(input_size=8, num_classes=4, **options)


def parameters(options: dict) -> int:
    return sum(p.numel() for p in classifier(options).parameters())


def run_temporal_order(options: dict, seed: int, recipe: dict, gaps: bool) -> dict:
    """One training run from ``seed``: whether it reached the target on hard, when, and (with
    ``gaps``) its final accuracy at each fixed gap."""
    torch.manual_seed(seed)
    model = classifier(options)
    levels = tuple(recipe["levels"])
    history = train.curriculum(model, seed=seed, **{k: v for k, v in recipe.items() if k != "levels"},
                               levels=levels)
    result = {"seed": seed, "reached": history.reached,
              "sequences_to_target": history.sequences_to_target(),
              "seconds_to_target": _rounded(history.seconds_to_target()),
              "sequences": history.sequences[-1], "seconds": _rounded(history.seconds[-1]),
              "final_level": history.last_level, "final_accuracy": round(history.final, 4),
              "sequences_per_level": {level: _first(history, level) for level in levels},
              "history": {"levels": history.levels, "sequences": history.sequences,
                          "accuracy": [round(a, 4) for a in history.accuracy],
                          "seconds": [round(s, 2) for s in history.seconds]}}
    if gaps:
        result["gap_accuracy"] = {str(gap): round(gap_accuracy(model, gap, seed), 4)
                                  for gap in GAPS}
    return result


def _first(history: train.CurriculumHistory, level: str) -> int | None:
    """Sequences seen at the first evaluation on ``level`` (None if never trained on it)."""
    return next((s for lv, s in zip(history.levels, history.sequences, strict=True)
                 if lv == level), None)


def gap_accuracy(model: torch.nn.Module, gap: int, seed: int) -> float:
    """Held-out accuracy on hard sequences whose relevant symbols are ``gap`` steps apart."""
    return train.gap_accuracy(model, (gap,), seed=1000 + seed, test_size=GAP_TEST_SIZE)[gap]


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 2)


def summary(runs: list[dict]) -> dict:
    """How many runs reached the target, and the median and range of their sequences and
    seconds."""
    done = [r for r in runs if r["reached"]]
    seqs = sorted(r["sequences_to_target"] for r in done)
    secs = sorted(r["seconds_to_target"] for r in done)
    return {"runs": len(runs), "reached": len(done),
            "median_sequences": statistics.median(seqs) if seqs else None,
            "min_sequences": seqs[0] if seqs else None, "max_sequences": seqs[-1] if seqs else None,
            "median_seconds": statistics.median(secs) if secs else None,
            "min_seconds": secs[0] if secs else None, "max_seconds": secs[-1] if secs else None}


def gap_summary(runs: list[dict]) -> dict:
    """Mean accuracy at each gap over all runs, and over the runs that reached the target."""
    def mean(chosen):
        return ({g: round(statistics.fmean(r["gap_accuracy"][g] for r in chosen), 4)
                 for g in chosen[0]["gap_accuracy"]} if chosen else None)
    return {"all": mean(runs), "reached": mean([r for r in runs if r["reached"]]),
            "reached_runs": sum(r["reached"] for r in runs)}


def section_curriculum(seeds: int, results: dict, direct: bool, direct_seeds: int) -> dict:
    recipe = DIRECT if direct else CURRICULUM
    cells = {}
    for label, options in CELLS.items():
        runs = [run_temporal_order(options, seed, recipe, gaps=not direct)
                for seed in range(direct_seeds if direct else seeds)]
        cells[label] = {"options": options, "parameters": parameters(options),
                        "summary": summary(runs), "runs": runs}
        if not direct:
            cells[label]["gap_summary"] = gap_summary(runs)
        print(f"{'direct' if direct else 'curriculum'} | {label}: {cells[label]['summary']}",
              flush=True)
        results["direct" if direct else "curriculum"] = {"training": recipe, "cells": cells}
        save(RESULTS, results)  # after every cell: an interrupted run keeps what it measured
    return results


def section_echo(seeds: int, results: dict) -> dict:
    cells = {}
    for label, options in SAME_SIZE.items():
        by_delay = {}
        for delay in ECHO["delays"]:
            accs = []
            for seed in range(seeds):
                torch.manual_seed(seed)
                model = models.Tagger(input_size=1, num_classes=2, **options)
                task = tasks.Echo(delay=delay, seed=seed)
                history = train.fit_echo(model, task, steps=ECHO["steps"],
                                         batch_size=ECHO["batch_size"],
                                         chunk_length=delay + ECHO["chunk_extra"], lr=ECHO["lr"],
                                         evaluate_every=ECHO["evaluate_every"],
                                         until=ECHO["until"])
                accs.append(round(history.final, 4))
            by_delay[str(delay)] = {"accuracy": accs, "mean": round(statistics.fmean(accs), 4)}
        cells[label] = {"options": options, "delays": by_delay}
        print(f"echo | {label}: " + ", ".join(f"{d}: {v['mean']}" for d, v in by_delay.items()),
              flush=True)
        results["echo"] = {"training": ECHO, "seeds": seeds, "cells": cells}
        save(RESULTS, results)
    return results


def section_echo_state(seeds: int, results: dict) -> dict:
    s = ECHO_STATE
    first_steps = []
    for seed in range(seeds):
        torch.manual_seed(seed)
        model = models.Tagger(s["kind"], input_size=1, hidden_size=s["hidden_size"], num_classes=2)
        task = tasks.Echo(delay=s["delay"], seed=seed)
        history = train.fit_echo(model, task, steps=s["steps"], chunk_length=s["chunk_length"],
                                 lr=s["lr"], evaluate_every=s["steps"])
        errors = train.chunk_errors(model, task, s["chunk_length"])
        first_steps.append({"seed": seed, "accuracy": round(history.final, 4),
                            **{mode: [round(e, 4) for e in errs] for mode, errs in errors.items()}})
    chunks = []
    for seed in range(seeds):
        reached = train.echo_chunk_lengths(s["kind"], s["delay"], tuple(s["chunk_lengths"]),
                                           hidden_size=s["hidden_size"],
                                           time_steps=s["time_steps"], seed=seed, lr=s["lr"])
        chunks.append({"seed": seed, "accuracy": {str(k): round(v, 4) for k, v in reached.items()}})
    print(f"echo_state | fresh: {first_steps[0]['fresh']}\n  chunks: {chunks}", flush=True)
    results["echo_state"] = {"training": s, "first_steps": first_steps, "chunk_lengths": chunks}
    save(RESULTS, results)
    return results


def provenance(argv: list[str]) -> dict:
    return record("scripts/long_lags.py", " ".join(["python scripts/long_lags.py", *argv]), ROOT,
                  depends_on=DEPENDS_ON)  # others may be editing the rest


DEPENDS_ON = ("scripts/long_lags.py", "src/gatelab/train.py", "src/gatelab/tasks.py",
              "src/gatelab/models.py")
SECTIONS = ("curriculum", "direct", "echo", "echo_state")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", help=f"which sections (default: all): {SECTIONS}")
    parser.add_argument("--seeds", type=int, default=5, help="curriculum seeds 0 … N-1 (at least 5)")
    parser.add_argument("--direct-seeds", type=int, default=1, help="direct-training seeds")
    parser.add_argument("--echo-seeds", type=int, default=3, help="echo seeds per delay")
    args = parser.parse_args(argv)
    if unknown := set(args.sections) - set(SECTIONS):
        parser.error(f"unknown section {sorted(unknown)}; choose from {list(SECTIONS)}")
    if args.seeds < 5:
        parser.error("use at least 5 seeds: fewer say little about how much a run varies")
    torch.set_num_threads(1)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.setdefault("provenance", {})
    sections = args.sections or list(SECTIONS)
    started = time.perf_counter()
    for name in sections:
        results["provenance"][name] = provenance(argv)
        if name == "curriculum":
            section_curriculum(args.seeds, results, direct=False, direct_seeds=0)
        elif name == "direct":
            section_curriculum(0, results, direct=True, direct_seeds=args.direct_seeds)
        elif name == "echo":
            section_echo(args.echo_seeds, results)
        else:
            section_echo_state(args.echo_seeds, results)
        results["provenance"][name]["seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        save(RESULTS, results)


if __name__ == "__main__":
    main(sys.argv[1:])
