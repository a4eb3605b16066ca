"""Race RNN, GRU, LSTM and LSTM with forget-gate bias 1 over many seeds, and record the results
with their provenance in data/races.json; Chapters 2 and 3 read them (`report.committed_race`).

    python scripts/race_seeds.py [--seeds 10] [RACE ...]     # default: every race

A chapter trains one seed of each contender live; this script shows how much a single run can
vary. Every run uses one thread. The number of training steps to 95 % does not depend on how
fast the computer is, but the run itself can: another CPU or thread count rounds differently,
and a network that was close to learning may learn earlier, later or not at all. The seconds
depend on the machine and on whatever else it was doing; they are recorded, not compared.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from gatelab import models, tasks, train
from gatelab.provenance import record

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "data" / "races.json"
TARGET = 0.95

# contenders: label -> SequenceClassifier / Tagger options. The labels are the ones the
# chapters print (models.CONTENDERS translates them).
SAME_SIZE = {
    "RNN": {"kind": "RNN", "hidden_size": 16},
    "GRU": {"kind": "GRU", "hidden_size": 16},
    "LSTM": {"kind": "LSTM", "hidden_size": 16},
    "LSTM, forget bias 1": {"kind": "LSTM", "hidden_size": 16, "forget_bias": 1.0},
}
# as many parameters as the 16-unit LSTM classifier (1,732 with its linear layer)
SAME_PARAMETERS = {
    "RNN, as many parameters as the LSTM": {"kind": "RNN", "hidden_size": 35},
    "GRU, as many parameters as the LSTM": {"kind": "GRU", "hidden_size": 19},
}

RACES = {
    "temporal order, moderate": {
        "task": {"name": "temporal order", "level": "moderate", "seed": 2},
        "training": {"steps": 1500, "batch_size": 32, "lr": 0.01, "evaluate_every": 50},
        "contenders": {**SAME_SIZE, **SAME_PARAMETERS},
    },
    "echo, delay 8": {
        "task": {"name": "echo", "delay": 8, "chunk_length": 20},
        "training": {"steps": 800, "batch_size": 32, "lr": 0.01, "evaluate_every": 25},
        "contenders": SAME_SIZE,
    },
}


def run(race: dict, options: dict, seed: int) -> dict:
    """One training run from ``seed``: what it reached, and when."""
    task_args, training = race["task"], race["training"]
    torch.manual_seed(seed)
    if task_args["name"] == "echo":
        model = models.Tagger(input_size=1, num_classes=2, **options)
        task = tasks.Echo(delay=task_args["delay"], seed=seed)
        history = train.fit_echo(model, task, steps=training["steps"],
                                 batch_size=training["batch_size"],
                                 chunk_length=task_args["chunk_length"], lr=training["lr"],
                                 evaluate_every=training["evaluate_every"], until=TARGET)
    else:
        model = models.SequenceClassifier(input_size=8, num_classes=4, **options)
        task = tasks.TemporalOrder(task_args["level"], seed=task_args["seed"])
        history = train.fit(model, task, steps=training["steps"],
                            batch_size=training["batch_size"], lr=training["lr"],
                            evaluate_every=training["evaluate_every"], until=TARGET)
    return {"seed": seed, "steps_to_target": history.steps_to(TARGET),
            "seconds_to_target": _rounded(history.time_to(TARGET)),
            "final_accuracy": round(history.final, 4), "steps": history.steps[-1],
            "parameters": sum(p.numel() for p in model.parameters())}


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 2)


def summary(runs: list[dict]) -> dict:
    """How many runs reached the target, and the median and range of their steps."""
    steps = sorted(r["steps_to_target"] for r in runs if r["steps_to_target"] is not None)
    return {"runs": len(runs), "reached": len(steps),
            "median_steps": statistics.median(steps) if steps else None,
            "min_steps": steps[0] if steps else None, "max_steps": steps[-1] if steps else None}


def provenance(seeds: int) -> dict:
    return record("scripts/race_seeds.py", f"python scripts/race_seeds.py --seeds {seeds}", ROOT,
                  date_only=True, target_accuracy=TARGET)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("races", nargs="*", help=f"which races (default: all): {list(RACES)}")
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0 … N-1 (at least 5)")
    args = parser.parse_args()
    if unknown := set(args.races) - set(RACES):
        parser.error(f"unknown race {sorted(unknown)}; choose from {list(RACES)}")
    if args.seeds < 5:
        parser.error("use at least 5 seeds: fewer say little about how much a run varies")
    torch.set_num_threads(1)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"races": {}}
    results["provenance"] = provenance(args.seeds)
    for name in args.races or list(RACES):
        race, started = RACES[name], time.perf_counter()
        contenders = {}
        for label, options in race["contenders"].items():
            runs = [run(race, options, seed) for seed in range(args.seeds)]
            contenders[label] = {"options": options, "summary": summary(runs), "runs": runs}
            print(f"{name} | {label}: {contenders[label]['summary']}", flush=True)
        results["races"][name] = {"task": race["task"], "training": race["training"],
                                  "contenders": contenders,
                                  "seconds": round(time.perf_counter() - started, 1)}
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
