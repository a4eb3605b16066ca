"""A character language model on the course's own prose, per language: held-out bits per
character and the share of well-formed syllables (aksharas) in samples before and after
training, for the model a chapter can train live; then RNN vs GRU vs LSTM at about the same
number of parameters. Results and their provenance go to data/char_lm.json (Chapter 5).

    python scripts/char_lm.py [--seeds 3] [--steps 350] [--langs en bn hi] [--suffix S] [SECTION ...]

Sections (default: both): "live" (the LSTM a chapter trains in its time budget) and "cells"
(RNN, GRU and LSTM with about as many parameters as that LSTM, the same steps). A section that
is run replaces its old results; the others are kept. ``--suffix _700`` stores a section as
"live_700" instead, beside the default one (another budget of steps, say).

Every run uses one thread and starts from its seed; training runs a fixed number of steps, so
what a run sees does not depend on the computer's speed, but the seconds do (and on the load).
Run it niced on a shared machine: `nice -n 19`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from gatelab import charlm
from gatelab.provenance import record, save

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "data" / "char_lm.json"
DEPENDS_ON = ("scripts/char_lm.py", "src/gatelab/charlm.py", "src/gatelab/train.py",
              "src/gatelab/tasks.py", "notebooks/en", "locales")

LIVE = {"kind": "LSTM", "hidden_size": 128, "embedding_size": 32}
TRAINING = {"batch_size": 32, "chunk_length": 64, "lr": 0.01, "evaluate_every": 100,
            "held_out_chars": 4000}
SAMPLING = {"length": 500, "temperatures": [0.5, 1.0, 1.5], "prompt_chars": 20}


def recurrent_parameters(kind: str, hidden: int, embedding: int, vocab: int) -> int:
    return charlm.parameters(charlm.CharLM(vocab, hidden, embedding, kind))


def same_size(kind: str, vocab: int) -> int:
    """The hidden size of a ``kind`` model whose parameter count is closest to the live LSTM's."""
    target = recurrent_parameters(LIVE["kind"], LIVE["hidden_size"], LIVE["embedding_size"], vocab)
    return min(range(16, 400), key=lambda h: abs(
        recurrent_parameters(kind, h, LIVE["embedding_size"], vocab) - target))


def samples(model, data, seed: int) -> dict:
    """One sample per temperature, prompted by the held-out chapter's first words (at most
    ``prompt_chars``, ending with a space, so that the sample starts a word of its own and is
    checked alone), and the share of well-formed syllables in each."""
    prompt = charlm.prompt_from(data, SAMPLING["prompt_chars"])
    out = {}
    for t in SAMPLING["temperatures"]:
        text = charlm.sample(model, data, prompt, SAMPLING["length"], t,
                             torch.Generator().manual_seed(seed))
        check = charlm.aksharas(text)
        out[str(t)] = {"prompt": prompt, "text": text, "syllables": check.syllables,
                       "well_formed": round(check.share, 4), "errors": check.counts}
    return out


def run(data, options: dict, seed: int, steps: int, sample: bool) -> dict:
    torch.manual_seed(seed)
    model = charlm.CharLM(len(data.vocab), **options)
    before = samples(model, data, seed) if sample else None
    started = time.perf_counter()
    history = charlm.fit(model, data, seconds=None, steps=steps, **TRAINING)
    wall = time.perf_counter() - started
    result = {"seed": seed, "steps": history.steps[-1],
              "train_seconds": round(history.seconds[-1], 2), "wall_seconds": round(wall, 2),
              "held_out_bits": round(charlm.bits_per_char(model, data.encode(data.held_out)), 4),
              "history": {"steps": history.steps, "seconds": history.seconds,
                          "held_out_bits_first_chars": [round(b, 4) for b in history.held_out_bits]}}
    if sample:
        result["samples_before"] = before
        result["samples_after"] = samples(model, data, seed)
    return result


def summary(runs: list[dict], sample: bool) -> dict:
    bits = [r["held_out_bits"] for r in runs]
    out = {"held_out_bits_mean": round(statistics.fmean(bits), 4), "held_out_bits": bits,
           "perplexity_mean": round(statistics.fmean(2 ** b for b in bits), 3),
           "train_seconds_mean": round(statistics.fmean(r["train_seconds"] for r in runs), 2)}
    if sample:
        for when in ("before", "after"):
            out[f"well_formed_{when}"] = {t: round(statistics.fmean(
                r[f"samples_{when}"][t]["well_formed"] for r in runs), 4)
                for t in runs[0][f"samples_{when}"]}
    return out


def section(name: str, langs, seeds: int, steps: int, results: dict, key: str) -> None:
    results[key] = {"training": {**TRAINING, "steps": steps}, "sampling": SAMPLING, "langs": {}}
    for lang in langs:
        data = charlm.corpus(lang)
        corpus = {"train_chars": len(data.train), "held_out_chars": len(data.held_out),
                  "held_out_chapter": data.held_out_chapter, "vocab": len(data.vocab),
                  "corpus_well_formed": round(charlm.aksharas(data.train + data.held_out).share, 5)}
        if name == "live":
            cells = {"LSTM": LIVE}
        else:
            cells = {kind: {"kind": kind, "hidden_size": same_size(kind, len(data.vocab)),
                            "embedding_size": LIVE["embedding_size"]}
                     for kind in ("RNN", "GRU", "LSTM")}
        entry = {"corpus": corpus, "cells": {}}
        for label, options in cells.items():
            runs = [run(data, options, seed, steps, sample=name == "live") for seed in range(seeds)]
            parameters = charlm.parameters(charlm.CharLM(len(data.vocab), **options))
            entry["cells"][label] = {"options": options, "parameters": parameters,
                                     "summary": summary(runs, name == "live"), "runs": runs}
            print(f"{key} | {lang} | {label} ({parameters} parameters): "
                  f"{entry['cells'][label]['summary']}", flush=True)
            results[key]["langs"][lang] = entry
            save(RESULTS, results)


def provenance(argv: list[str]) -> dict:
    return record("scripts/char_lm.py", " ".join(["python scripts/char_lm.py", *argv]), ROOT,
                  depends_on=DEPENDS_ON)  # others may be editing the rest


SECTIONS = ("live", "cells")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", help=f"which sections (default: all): {SECTIONS}")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0 … N-1 per cell (at least 3)")
    parser.add_argument("--steps", type=int, default=350, help="BPTT chunks of training")
    parser.add_argument("--langs", nargs="+", default=["en", "bn", "hi"])
    parser.add_argument("--suffix", default="", help="store each section as SECTION + SUFFIX")
    args = parser.parse_args(argv)
    if unknown := set(args.sections) - set(SECTIONS):
        parser.error(f"unknown section {sorted(unknown)}; choose from {list(SECTIONS)}")
    if args.seeds < 3:
        parser.error("use at least 3 seeds: fewer say little about how much a run varies")
    torch.set_num_threads(1)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.setdefault("provenance", {})
    for name in args.sections or list(SECTIONS):
        started = time.perf_counter()
        key = name + args.suffix
        results["provenance"][key] = provenance(argv)
        section(name, args.langs, args.seeds, args.steps, results, key)
        results["provenance"][key]["seconds"] = round(time.perf_counter() - started, 1)
        save(RESULTS, results)


if __name__ == "__main__":
    main(sys.argv[1:])
