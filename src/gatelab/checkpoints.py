"""Small trained models shipped in ``data/``, each made by ``scripts/train_checkpoints.py``
from a fixed seed, with its sha256 and the accuracy it reached recorded in
``data/checkpoints.json``. Loading checks the checksum and uses ``weights_only=True``.
"""

from __future__ import annotations

import hashlib
import io
import json
from importlib import resources
from typing import Any

import torch

from . import models, tasks
from .i18n import _

INDEX = "checkpoints.json"
RACES = "races.json"
LONG_LAGS = "long_lags.json"
CHAR_LM = "char_lm.json"


class CheckpointError(RuntimeError):
    """A checkpoint file that is missing or not the one that was recorded."""


def _files():
    return resources.files("gatelab.datafiles")


def index() -> dict[str, dict[str, Any]]:
    """Everything recorded about every checkpoint: file, sha256, architecture, accuracy, seed."""
    with (_files() / INDEX).open("r", encoding="utf-8") as f:
        return json.load(f)


def races() -> dict[str, Any]:
    """The races of ``scripts/race_seeds.py`` over many seeds (data/races.json): for each race
    its task, training and contenders, each with every run and a summary, and the provenance."""
    with (_files() / RACES).open("r", encoding="utf-8") as f:
        return json.load(f)


def long_lags() -> dict[str, Any]:
    """What ``scripts/long_lags.py`` measured (data/long_lags.json): the hard temporal-order task
    with a curriculum ("curriculum") and without ("direct") for every cell over several seeds,
    accuracy at fixed gaps, the echo task at each delay ("echo"), the echo task's carried state
    and chunk lengths ("echo_state"), and the provenance of each section."""
    with (_files() / LONG_LAGS).open("r", encoding="utf-8") as f:
        return json.load(f)


def char_lm() -> dict[str, Any]:
    """What ``scripts/char_lm.py`` measured (data/char_lm.json): the character model a chapter
    trains live ("live") and RNN, GRU and LSTM at about the same parameter count ("cells"), per
    language over several seeds, with the provenance of each section."""
    with (_files() / CHAR_LM).open("r", encoding="utf-8") as f:
        return json.load(f)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_state(name: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The state dict of checkpoint ``name`` and its record, after checking the checksum."""
    records = index()
    if name not in records:
        raise CheckpointError(_("No checkpoint named {name!r}; the ones in data/ are: {names}.")
                              .format(name=name, names=", ".join(sorted(records))))
    record = records[name]
    path = _files() / record["file"]
    if not path.is_file():
        raise CheckpointError(_("The checkpoint file data/{file} is missing. Restore it with "
                                "`git checkout -- data/{file}`, or make it again with "
                                "`python scripts/train_checkpoints.py {name}`.")
                              .format(file=record["file"], name=name))
    data = path.read_bytes()
    if sha256(data) != record["sha256"]:
        raise CheckpointError(_("The checkpoint file data/{file} has been altered: its sha256 "
                                "does not match data/checkpoints.json. Restore it with "
                                "`git checkout -- data/{file}`, or make it again with "
                                "`python scripts/train_checkpoints.py {name}`.")
                              .format(file=record["file"], name=name))
    state = torch.load(io.BytesIO(data), weights_only=True)
    return state, record


#: the levels with shipped checkpoints, and the prefix of their names
LEVEL_PREFIX = {"moderate": "temporal_order_", "hard": "temporal_order_hard_"}


def temporal_order(kind: str = "LSTM",
                   level: str = "moderate") -> tuple[models.SequenceClassifier, tasks.TemporalOrder]:
    """A shipped temporal-order classifier ("RNN", "LSTM" or "GRU") and the task it was trained
    on (same level, seed and held-out set). ``level="moderate"``: trained on it directly
    (Chapters 2 and 3); ``level="hard"``: the paper's setting, reached with the curriculum
    easy -> moderate -> hard (Chapter 4)."""
    if level not in LEVEL_PREFIX:
        raise CheckpointError(_("No checkpoints for the level {level!r}; the shipped levels are: "
                                "{levels}.").format(level=level, levels=", ".join(LEVEL_PREFIX)))
    state, record = load_state(f"{LEVEL_PREFIX[level]}{kind.lower()}")
    model = models.SequenceClassifier(**record["architecture"])
    model.load_state_dict(state)
    model.eval()
    task = record["task"]
    return model, tasks.TemporalOrder(task["level"], seed=task["seed"],
                                      test_size=task.get("test_size", 512))
