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
