"""One layer or two, with or without dropout between them: a character language model on the
course's own prose (gatelab.charlm.corpus), trained long enough to overfit, per language.
Held-out bits per character at the end and at best over training, for every seed; results
and their provenance go to data/deep_lm.json (Chapter 5, read by gatelab.deep.results()).

    python scripts/deep_lm.py [--seeds 5] [--steps 1000] [--dropout 0.3] [--langs en bn hi]

Languages may run at the same time in separate processes (``--langs en`` …): each stores its
own results and provenance in the file as it finishes, keeping the others'.

The configurations have about the same number of parameters: the 1-layer LSTM of 128 units
that Chapter 5 trains live, and 2-layer LSTMs whose hidden size gives the closest count, one
without dropout and one with ``nn.LSTM(dropout=p)`` (between the layers only). Training is the
same as gatelab.charlm.fit's (truncated BPTT, Adam, clipped gradients); the held-out chapter is
measured whole every ``evaluate_every`` steps.

Every run uses one thread and starts from its seed (0 … N-1); training runs a fixed number of
steps, so what a run sees does not depend on the computer's speed, but the seconds do (and on
the load). Run it niced on a shared machine: `nice -n 19`.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from gatelab import charlm, deep
from gatelab.provenance import record
from gatelab.provenance import save as write_results

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "data" / deep.RESULTS
DEPENDS_ON = ("scripts/deep_lm.py", "src/gatelab/deep.py", "src/gatelab/charlm.py",
              "src/gatelab/train.py", "src/gatelab/tasks.py", "notebooks/en", "locales")

ONE_LAYER = {"hidden_size": 128, "embedding_size": 32, "num_layers": 1, "dropout": 0.0}
LANGS = ["en", "bn", "hi"]
TRAINING = {"batch_size": 32, "chunk_length": 64, "lr": 0.01, "evaluate_every": 100,
            "held_out_chars": None}


def configurations(vocab: int, dropout: float) -> dict[str, dict]:
    """Label -> charlm.CharLM options: one layer of 128 units, then two layers with about as many
    parameters, without and with dropout between them."""
    target = charlm.parameters(charlm.CharLM(vocab, **ONE_LAYER))
    hidden = deep.matching_hidden(target, lambda h: charlm.CharLM(
        vocab, h, ONE_LAYER["embedding_size"], num_layers=2))
    two = {**ONE_LAYER, "hidden_size": hidden, "num_layers": 2}
    return {"1 layer": ONE_LAYER, "2 layers": two,
            f"2 layers, dropout {dropout:g}": {**two, "dropout": dropout}}


def run(data: charlm.Corpus, options: dict, seed: int, steps: int) -> dict:
    torch.manual_seed(seed)
    model = charlm.CharLM(len(data.vocab), **options)
    started = time.perf_counter()
    history = charlm.fit(model, data, seconds=None, steps=steps, **TRAINING)
    bits = [round(b, 4) for b in history.held_out_bits]
    best = min(range(len(bits)), key=bits.__getitem__)
    return {"seed": seed, "steps": history.steps[-1], "final_bits": bits[-1],
            "best_bits": bits[best], "best_step": history.steps[best],
            "train_seconds": round(history.seconds[-1], 2),
            "wall_seconds": round(time.perf_counter() - started, 2),
            "history": {"steps": history.steps, "seconds": history.seconds,
                        "held_out_bits": bits}}


def summary(runs: list[dict]) -> dict:
    """Means and ranges over the seeds; ``overfit`` = final - best, how much was lost by
    training past the best evaluation."""
    final, best = [r["final_bits"] for r in runs], [r["best_bits"] for r in runs]
    return {"runs": len(runs),
            "final_bits_mean": round(statistics.fmean(final), 4),
            "final_bits_min": min(final), "final_bits_max": max(final),
            "best_bits_mean": round(statistics.fmean(best), 4),
            "best_bits_min": min(best), "best_bits_max": max(best),
            "best_step_median": statistics.median(r["best_step"] for r in runs),
            "overfit_mean": round(statistics.fmean(f - b for f, b in zip(final, best,
                                                                          strict=True)), 4),
            "train_seconds_mean": round(statistics.fmean(r["train_seconds"] for r in runs), 2)}


def provenance(argv: list[str]) -> dict:
    return record("scripts/deep_lm.py", " ".join(["python scripts/deep_lm.py", *argv]), ROOT,
                  depends_on=DEPENDS_ON)


def save(lang: str, entry: dict, about: dict, training: dict) -> None:
    """Store one language's results and provenance in data/deep_lm.json, keeping the other
    languages' if they were trained the same way: one run per language may go on at the same
    time (``--langs en``, ``--langs bn`` …), so the file is locked while it is updated."""
    with open(Path(tempfile.gettempdir()) / "gatelab_deep_lm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        if results.get("training") != training:
            results = {"training": training, "provenance": {}, "langs": {}}
        results["langs"][lang] = entry
        results["provenance"] = {k: v for k, v in results["provenance"].items()
                                 if k in results["langs"]}  # one record per language stored
        results["provenance"][lang] = about
        results["langs"] = {k: results["langs"][k] for k in sorted(
            results["langs"], key=lambda k: (k not in LANGS, LANGS.index(k) if k in LANGS else k))}
        write_results(RESULTS, results)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 … N-1 per configuration")
    parser.add_argument("--steps", type=int, default=1000, help="BPTT chunks of training")
    parser.add_argument("--dropout", type=float, default=0.3, help="between the two layers")
    parser.add_argument("--langs", nargs="+", default=LANGS)
    args = parser.parse_args(argv)
    if args.seeds < 3:
        parser.error("use at least 3 seeds: fewer say little about how much a run varies")
    torch.set_num_threads(1)
    training = {**TRAINING, "steps": args.steps, "dropout": args.dropout}
    for lang in args.langs:
        started = time.perf_counter()
        about = provenance(argv)
        data = charlm.corpus(lang)
        entry = {"corpus": {"train_chars": len(data.train), "held_out_chars": len(data.held_out),
                            "held_out_chapter": data.held_out_chapter, "vocab": len(data.vocab)},
                 "configurations": {}}
        for label, options in configurations(len(data.vocab), args.dropout).items():
            runs = [run(data, options, seed, args.steps) for seed in range(args.seeds)]
            entry["configurations"][label] = {
                "options": options,
                "parameters": charlm.parameters(charlm.CharLM(len(data.vocab), **options)),
                "summary": summary(runs), "runs": runs}
            print(f"{lang} | {label}: {entry['configurations'][label]['summary']}", flush=True)
        about["seconds"] = round(time.perf_counter() - started, 1)
        save(lang, entry, about, training)


if __name__ == "__main__":
    main(sys.argv[1:])
