"""Make the trained checkpoints in data/ from fixed seeds and record them in
data/checkpoints.json (file, sha256, architecture, task, accuracy, seconds).

    python scripts/train_checkpoints.py [NAME ...]     # default: the moderate-level checkpoints
    python scripts/train_checkpoints.py --hard         # the hard-level ones (Chapter 4)

The hard-level checkpoints are trained with the curriculum easy -> moderate -> hard
(``gatelab.train.curriculum``, the recipe of scripts/long_lags.py) until 99 % on hard's held-out
set; each from a seed at which that cell reached it in data/long_lags.json.

Each run starts from its seed, so the same PyTorch release on the same kind of CPU gives the
same weights; a different release may give slightly different ones (and a new sha256).
Training uses one thread, so the recorded seconds compare fairly between the models.
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import torch

from gatelab import checkpoints, models, tasks, train

DATA = Path(__file__).resolve().parents[1] / "data"

RECIPES = {
    # an LSTM that solves the temporal-order task at the moderate level (sequences of 60-80),
    # trained as practitioners train one: forget-gate bias 1 (models.set_forget_bias); with
    # PyTorch's default initialisation this seed stays at chance (data/races.json: most do)
    "temporal_order_lstm": {
        "architecture": {"kind": "LSTM", "input_size": 8, "hidden_size": 16, "num_classes": 4,
                         "forget_bias": 1.0},
        "task": {"name": "temporal order", "level": "moderate", "seed": 2},
        "training": {"steps": 1500, "batch_size": 32, "lr": 0.01, "seed": 0},
    },
    # the same recipe for a plain RNN: the comparison Chapter 2 quotes
    "temporal_order_rnn": {
        "architecture": {"kind": "RNN", "input_size": 8, "hidden_size": 16, "num_classes": 4},
        "task": {"name": "temporal order", "level": "moderate", "seed": 2},
        "training": {"steps": 1500, "batch_size": 32, "lr": 0.01, "seed": 0},
    },
    # and for a GRU: the LSTM-vs-GRU comparison of Chapter 3
    "temporal_order_gru": {
        "architecture": {"kind": "GRU", "input_size": 8, "hidden_size": 16, "num_classes": 4},
        "task": {"name": "temporal order", "level": "moderate", "seed": 2},
        "training": {"steps": 1500, "batch_size": 32, "lr": 0.01, "seed": 0},
    },
}


# the paper's hard level, through the curriculum of Chapter 4; 32 units as in long_lags.json
_CURRICULUM = {"levels": ["easy", "moderate", "hard"], "budget": 128_000, "batch_size": 32,
               "lr": 0.003, "advance": 0.95, "target": 0.99, "evaluate_every": 25,
               "test_size": 256, "max_norm": 1.0}
# GRU and LSTM: seed 0 reaches 99 % on hard (as in data/long_lags.json). No RNN seed of
# long_lags.json reached it; seed 4 is the one whose curriculum got as far as hard, where it
# stayed at chance: the comparison the chapter quotes
HARD_SEEDS = {"RNN": 4, "GRU": 0, "LSTM": 0}
HARD_RECIPES = {
    f"temporal_order_hard_{kind.lower()}": {
        "architecture": {"kind": kind, "input_size": 8, "hidden_size": 32, "num_classes": 4},
        # the task the loader returns: its held-out set of 512 (the first 256 are the ones
        # the curriculum stopped on)
        "task": {"name": "temporal order", "level": "hard", "seed": seed, "test_size": 512},
        "training": {"curriculum": _CURRICULUM, "seed": seed},
    }
    for kind, seed in HARD_SEEDS.items()
}


def make_hard(name: str) -> dict:
    """A hard-level checkpoint, trained with the curriculum from its seed."""
    recipe = HARD_RECIPES[name]
    arch, training = recipe["architecture"], recipe["training"]
    options = {k: v for k, v in training["curriculum"].items() if k != "levels"}
    torch.manual_seed(training["seed"])
    model = models.SequenceClassifier(**arch)
    started = time.perf_counter()
    history = train.curriculum(model, levels=tuple(training["curriculum"]["levels"]),
                               seed=training["seed"], **options,
                               progress=lambda s, a: print(f"{name}: step {s}, accuracy {a:.3f}",
                                                           flush=True) if s % 500 == 0 else None)
    seconds = time.perf_counter() - started
    task = tasks.TemporalOrder("hard", seed=recipe["task"]["seed"],
                               test_size=recipe["task"]["test_size"])
    return {**_saved(name, model), **recipe, "accuracy": round(train.accuracy(model, task), 4),
            "test_size": recipe["task"]["test_size"], "reached": history.reached,
            "sequences_to_target": history.sequences_to_target(),
            "seconds": round(seconds, 1),
            "history": {"levels": history.levels, "sequences": history.sequences,
                        "accuracy": [round(a, 4) for a in history.accuracy],
                        "seconds": [round(s, 2) for s in history.seconds]},
            "threads": torch.get_num_threads(), "torch": torch.__version__,
            "script": "scripts/train_checkpoints.py --hard"}


def _saved(name: str, model: torch.nn.Module) -> dict:
    """Write ``model``'s state dict to data/NAME.pt; its file name and sha256."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    data = buffer.getvalue()
    file = f"{name}.pt"
    (DATA / file).write_bytes(data)
    return {"file": file, "sha256": checkpoints.sha256(data)}


def make(name: str) -> dict:
    if name in HARD_RECIPES:
        return make_hard(name)
    recipe = RECIPES[name]
    arch, task_args, training = recipe["architecture"], recipe["task"], recipe["training"]
    torch.manual_seed(training["seed"])
    model = models.SequenceClassifier(**arch)
    task = tasks.TemporalOrder(task_args["level"], seed=task_args["seed"])
    started = time.perf_counter()
    history = train.fit(model, task, steps=training["steps"], batch_size=training["batch_size"],
                        lr=training["lr"], evaluate_every=100,
                        progress=lambda s, a: print(f"{name}: step {s}, accuracy {a:.3f}",
                                                    flush=True))
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    data = buffer.getvalue()
    file = f"{name}.pt"
    (DATA / file).write_bytes(data)
    return {**recipe, "file": file, "sha256": checkpoints.sha256(data),
            "accuracy": round(train.accuracy(model, task), 4),
            "test_size": sum(len(y) for _x, y in task.test_set()),
            "seconds": round(time.perf_counter() - started, 1),
            # held-out accuracy every 100 steps, with the wall time: time-to-accuracy
            "history": {"steps": history.steps,
                        "accuracy": [round(a, 4) for a in history.accuracy],
                        "seconds": [round(s, 1) for s in history.seconds]},
            "threads": torch.get_num_threads(),
            "torch": torch.__version__, "script": "scripts/train_checkpoints.py"}


def main(names: list[str]) -> None:
    torch.set_num_threads(1)  # reproducible weights, and timings that compare on a busy machine
    path = DATA / checkpoints.INDEX
    records = json.loads(path.read_text()) if path.exists() else {}
    if names == ["--hard"]:
        names = list(HARD_RECIPES)
    if unknown := set(names) - set(RECIPES) - set(HARD_RECIPES):
        sys.exit(f"unknown checkpoint {sorted(unknown)}; choose from "
                 f"{list(RECIPES) + list(HARD_RECIPES)} or --hard")
    for name in names or list(RECIPES):
        records[name] = make(name)
        print(f"{name}: accuracy {records[name]['accuracy']}, sha256 {records[name]['sha256']}")
    path.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
