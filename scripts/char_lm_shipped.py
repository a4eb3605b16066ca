"""Train the larger character models shipped with the course (Chapter 5), one per language,
save them as data/char_lm_{lang}.pt and record them in data/checkpoints.json (file, sha256,
architecture, vocabulary, seed, steps, validation and held-out bits per character, provenance).

    python scripts/char_lm_shipped.py [--langs en bn hi] [--dropout 0.3] [--dry-run]

The corpus is small (about 50 000 characters a language) and the chapter's live model
(128 units) already overfits after a few hundred steps, so the larger model is regularised:
256 units, dropout on the embedding and before the output layer (gatelab.languagemodel.
RegularisedLM), weight decay (AdamW), and early stopping. The stopping point is chosen on a
validation split cut from the END of the training text; the held-out chapter (04_long_lags)
is measured once, at the end, and is the number the chapter reports.

One thread, a fixed seed and a fixed number of steps at most: what a run sees does not depend
on the computer's speed, the seconds do. Run it niced on a shared machine: `nice -n 19`.
``--dry-run`` trains and prints but writes nothing.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import time
from pathlib import Path

import torch
from torch import nn

from gatelab import charlm, checkpoints, languagemodel, tasks, train
from gatelab.provenance import record

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
DEPENDS_ON = ("scripts/char_lm_shipped.py", "src/gatelab/languagemodel.py",
              "src/gatelab/charlm.py", "src/gatelab/train.py", "src/gatelab/tasks.py",
              "notebooks/en", "locales")

ARCHITECTURE = {"kind": "LSTM", "hidden_size": 256, "embedding_size": 64, "dropout": 0.3}
TRAINING = {"seed": 0, "batch_size": 32, "chunk_length": 64, "lr": 0.003,
            "weight_decay": 0.05, "max_norm": 1.0, "max_steps": 2400, "evaluate_every": 50,
            "patience": 500, "validation_share": 0.1}


def split(data: charlm.Corpus, share: float) -> tuple[str, str]:
    """The training text without its last ``share``, and that last part (the validation text),
    cut at a line break so that no paragraph is in both."""
    cut = data.train.rfind("\n", 0, int(len(data.train) * (1 - share)))
    return data.train[:cut], data.train[cut + 1 :]


def fit(model: languagemodel.RegularisedLM, data: charlm.Corpus, text: str, validation: str,
        lang: str) -> dict:
    """Train on ``text`` with truncated BPTT and AdamW; every ``evaluate_every`` steps measure
    bits per character on ``validation``; keep the weights of the best validation score and
    stop ``patience`` steps after it (or at ``max_steps``)."""
    t = TRAINING
    columns = tasks.batchify(data.encode(text), t["batch_size"])  # (N // B, B)
    valid = data.encode(validation)
    optimizer = torch.optim.AdamW(model.parameters(), lr=t["lr"], weight_decay=t["weight_decay"])
    history = {"steps": [], "validation_bits": []}
    best, best_step, best_state, step = float("inf"), 0, None, 0
    started = time.perf_counter()
    while step < t["max_steps"] and step - best_step < t["patience"]:
        state = None
        for x, y in tasks.bptt_chunks(columns, t["chunk_length"]):  # (L, B), (L, B)
            model.train()
            scores, state = model(x, state)
            state = tuple(s.detach() for s in state)
            loss = nn.functional.cross_entropy(scores.flatten(0, 1), y.flatten())
            train.update(model, optimizer, loss, t["max_norm"])
            step += 1
            if step % t["evaluate_every"] == 0:
                bits = charlm.bits_per_char(model, valid)
                history["steps"].append(step)
                history["validation_bits"].append(round(bits, 4))
                print(f"{lang}: step {step}, validation {bits:.3f} bits/char, "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
                if bits < best:
                    best, best_step, best_state = bits, step, copy.deepcopy(model.state_dict())
            if step >= t["max_steps"] or step - best_step >= t["patience"]:
                break
    model.load_state_dict(best_state)
    model.eval()
    return {"steps": best_step, "steps_run": step, "validation_bits": round(best, 4),
            "seconds": round(time.perf_counter() - started, 1), "history": history}


def make(lang: str, dry_run: bool) -> dict:
    data = charlm.corpus(lang)
    text, validation = split(data, TRAINING["validation_share"])
    torch.manual_seed(TRAINING["seed"])
    model = languagemodel.RegularisedLM(len(data.vocab), **ARCHITECTURE)
    result = fit(model, data, text, validation, lang)
    held_out = charlm.bits_per_char(model, data.encode(data.held_out))
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    blob = buffer.getvalue()
    name = languagemodel.NAME.format(lang=lang)
    file = f"{name}.pt"
    if not dry_run:
        (DATA / file).write_bytes(blob)
    print(f"{lang}: held-out {held_out:.4f} bits/char after {result['steps']} steps "
          f"({len(blob) / 1e6:.2f} MB)", flush=True)
    return {"file": file, "sha256": checkpoints.sha256(blob),
            "architecture": ARCHITECTURE, "parameters": charlm.parameters(model),
            "training": TRAINING, "vocab": data.vocab,
            "corpus": {"lang": lang, "train_chars": len(text), "validation_chars": len(validation),
                       # which text it learned from: the course's prose changes over time
                       "train_sha256": checkpoints.sha256(data.train.encode("utf-8")),
                       "held_out_sha256": checkpoints.sha256(data.held_out.encode("utf-8")),
                       "held_out_chapter": data.held_out_chapter,
                       "held_out_chars": len(data.held_out)},
            **result, "held_out_bits": round(held_out, 4),
            "provenance": record("scripts/char_lm_shipped.py",
                                 f"python scripts/char_lm_shipped.py --langs {lang} "
                                 f"--dropout {ARCHITECTURE['dropout']}", ROOT,
                                 DEPENDS_ON)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--langs", nargs="+", default=["en", "bn", "hi"])
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--dropout", type=float, default=ARCHITECTURE["dropout"])
    args = parser.parse_args()
    ARCHITECTURE["dropout"] = args.dropout  # recorded with each model
    torch.set_num_threads(1)  # reproducible weights, and timings that compare on a busy machine
    path = DATA / checkpoints.INDEX
    for lang in args.langs:
        made = make(lang, args.dry_run)
        if not args.dry_run:  # written after each language, so a stopped run keeps the others
            records = json.loads(path.read_text())
            records[languagemodel.NAME.format(lang=lang)] = made
            path.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
