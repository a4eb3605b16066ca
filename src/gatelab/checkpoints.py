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


def temporal_order(kind: str = "LSTM") -> tuple[models.SequenceClassifier, tasks.TemporalOrder]:
    """A shipped temporal-order classifier ("RNN", "LSTM" or "GRU") and the task it was trained
    on (same level and seed)."""
    state, record = load_state(f"temporal_order_{kind.lower()}")
    model = models.SequenceClassifier(**record["architecture"])
    model.load_state_dict(state)
    model.eval()
    return model, tasks.TemporalOrder(record["task"]["level"], seed=record["task"]["seed"])
