"""The bottleneck, measured: an encoder-decoder with and without attention on numbers written in
words -> digits (gatelab.tasks.NumberWords), in English, Bengali and Hindi, over several seeds.
Held-out exact match by input length goes to data/seq2seq.json with its provenance; Chapter 6
reads it (`checkpoints.seq2seq`, `report.seq2seq`, `plots.seq2seq_lengths`).

    python scripts/seq2seq.py [--seeds 3] [--langs en bn hi] [SECTION ...]

Sections (default: both): "bottleneck" (inputs of 1 to 3 numbers, 1,000 training steps; a GRU
encoder-decoder without attention, the same with attention at the same hidden size, and one
without attention that has about as many parameters as the one with attention) and "live" (the
setting the chapter trains live: 1 or 2 numbers, 300 steps). A section that is run replaces its
old results for the languages run; the rest is kept.

Every run uses one thread and starts from its seed; training runs a fixed number of steps, so
what a run sees does not depend on the computer's speed, but the seconds do (and on the load).
Run it niced on a shared machine: `nice -n 19`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from gatelab import seq2seq, tasks
from gatelab.provenance import record, save

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "data" / "seq2seq.json"
DEPENDS_ON = ("scripts/seq2seq.py", "src/gatelab/seq2seq.py", "src/gatelab/tasks.py",
              "src/gatelab/numbers.py")

BOTTLENECK = {"numbers": [1, 3], "max_value": 99_999, "held_out": 0.05, "test_size": 1000,
              "kind": "GRU", "hidden_size": 64, "embedding_size": 32, "attention": "general",
              "steps": 1000, "batch_size": 64, "lr": 0.01, "max_norm": 1.0}
LIVE = {**BOTTLENECK, "numbers": [1, 2], "steps": 300}
SETTINGS = {"bottleneck": BOTTLENECK, "live": LIVE}
# the models compared; the labels are the ones the chapter prints (report translates them)
MODELS = {"bottleneck": ("no attention", "attention", "no attention, as many parameters"),
          "live": ("no attention", "attention")}


def task_for(setting: dict, lang: str, seed: int) -> tasks.NumberWords:
    return tasks.NumberWords(lang, max_value=setting["max_value"],
                             numbers=tuple(setting["numbers"]), seed=seed,
                             held_out=setting["held_out"], test_size=setting["test_size"])


def model(name: str, setting: dict, task: tasks.NumberWords) -> seq2seq.Seq2Seq:
    size = {"hidden_size": setting["hidden_size"], "kind": setting["kind"],
            "embedding_size": setting["embedding_size"]}
    with_attention = seq2seq.model_for(task, attention=setting["attention"], **size)
    if name == "attention":
        return with_attention
    if name == "no attention":
        return seq2seq.model_for(task, attention=None, **size)
    return seq2seq.same_parameters(task, with_attention, kind=setting["kind"])


def run(name: str, setting: dict, lang: str, seed: int) -> dict:
    """One model trained from ``seed`` on ``lang``: its held-out exact match, by input length."""
    task = task_for(setting, lang, seed)
    torch.manual_seed(seed)
    net = model(name, setting, task)
    cpu, wall = time.process_time(), time.perf_counter()
    history = seq2seq.fit(net, task, steps=setting["steps"], batch_size=setting["batch_size"],
                          lr=setting["lr"], max_norm=setting["max_norm"])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"lang": lang, "model": name, "seed": seed, "hidden_size": net.hidden_size,
            "parameters": seq2seq.parameters(net), "accuracy": history.accuracy[-1],
            "by_numbers": {str(k): v for k, v in
                           seq2seq.accuracy_by_length(net, task, by="numbers").items()},
            "by_tokens": {str(k): v for k, v in
                          seq2seq.accuracy_by_length(net, task, by="tokens").items()},
            "final_loss": sum(history.losses[-50:]) / len(history.losses[-50:]),
            "cpu_seconds": round(cpu, 2), "seconds": round(wall, 2)}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--langs", nargs="+", default=["en", "bn", "hi"])
    parser.add_argument("sections", nargs="*", default=list(SETTINGS))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for section in args.sections:
        setting = SETTINGS[section]
        stored = results.setdefault(section, {"setting": setting, "runs": [], "provenance": {}})
        stored["setting"] = setting
        stored["runs"] = [r for r in stored["runs"] if r["lang"] not in args.langs]
        for lang in args.langs:
            for seed in range(args.seeds):
                for name in MODELS[section]:
                    out = run(name, setting, lang, seed)
                    print(section, lang, seed, name, f"{out['accuracy']:.3f}", out["by_numbers"],
                          f"{out['cpu_seconds']:.1f} s CPU", flush=True)
                    stored["runs"].append(out)
            stored["provenance"][lang] = record(
                "scripts/seq2seq.py", " ".join(["python scripts/seq2seq.py", *argv]), ROOT,
                depends_on=DEPENDS_ON, seeds=list(range(args.seeds)))
            save(RESULTS, results)


if __name__ == "__main__":
    main(sys.argv[1:])
