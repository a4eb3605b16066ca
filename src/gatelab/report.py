"""What the notebooks print, in the learner's language.

Code cells are the same in every edition; whatever they print goes through these functions,
whose words come from the package catalog.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .i18n import _


def comparison(reference: torch.Tensor, ours: torch.Tensor) -> None:
    """Print the shape of PyTorch's output and the largest difference from ours."""
    difference = (ours - reference).abs().max().item()
    print(_("output shape:"), tuple(reference.shape))
    print(_("largest difference:"), f"{difference:.3g}")


def text_stream(text: str, vocab: Sequence[str], columns: torch.Tensor, rows: int = 6) -> None:
    """Print the size of a text stream and the first ``rows`` rows of its columns."""
    print(_("{n} characters, {v} different ones").format(n=len(text), v=len(vocab)))
    print(_("columns (rows, batch):"), tuple(columns.shape))
    for row in columns[:rows]:
        print(" | ".join(repr(vocab[i]) for i in row))


def epoch(number: int, losses: Sequence[float]) -> None:
    """Print one line of training progress: the epoch and its mean loss."""
    mean = sum(losses) / max(len(losses), 1)
    print(_("epoch {number}: loss {loss:.2f}").format(number=number, loss=mean))


def race(histories: dict, target: float = 0.95) -> None:
    """Print how each trained model did: final held-out accuracy, seconds, time to ``target``."""
    print(_("model     accuracy   seconds   seconds to {target:.0%}").format(target=target))
    for name, history in histories.items():
        reached = history.time_to(target)
        shown = f"{reached:8.1f}" if reached is not None else "       " + _("never")
        print(f"{name:8}  {history.final:8.1%}  {history.seconds[-1]:8.1f}  {shown}")


def shapes(**tensors: torch.Tensor) -> None:
    """Print the shape of each named tensor: shapes(x=x, output=out, h_n=h_n)."""
    width = max(len(name) for name in tensors)
    for name, tensor in tensors.items():
        print(f"{name:{width}} {tuple(tensor.shape)}")


def accuracy_by_language(scores: dict[str, float]) -> None:
    """Print held-out accuracy per language, then overall."""
    from .i18n import LANGUAGES

    names = {"train": _("training sentences"), "all": _("held-out, all languages")}
    for code, value in scores.items():
        name = names.get(code) or _("held-out, {language}").format(language=LANGUAGES[code])
        print(f"{name:28} {value:.0%}")


def checkpoints(*names: str) -> None:
    """Print what the shipped checkpoints reached when they were trained (data/checkpoints.json)."""
    from . import checkpoints as shipped

    records = shipped.index()
    print(_("model     level      steps   held-out accuracy   seconds"))
    for name in names:
        r = records[name]
        print(f"{r['architecture']['kind']:8}  {r['task']['level']:9}  {r['training']['steps']:5}"
              f"   {r['accuracy']:17.1%}   {r['seconds']:7.0f}")
