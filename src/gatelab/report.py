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
    """Print how each trained model did: final held-out accuracy, seconds, and the steps and
    seconds it took to reach ``target`` ("never" if it did not)."""
    print(_("model     accuracy   seconds   steps to {target:.0%}   seconds to {target:.0%}")
          .format(target=target))
    never = _("never")
    for name, history in histories.items():
        steps, seconds = history.steps_to(target), history.time_to(target)
        steps = f"{steps:13d}" if steps is not None else f"{never:>13}"
        seconds = f"{seconds:15.1f}" if seconds is not None else f"{never:>15}"
        print(f"{name:8}  {history.final:8.1%}  {history.seconds[-1]:8.1f}  {steps}  {seconds}")


def _relative(header: str, values: dict[str, float], form: str) -> None:
    """A table of one measurement per model, with each value's ratio to the first model's."""
    first_name, first = next(iter(values.items()))
    model, ratio = _("model"), _("× {name}").format(name=first_name)
    print(f"{model:8}  {header:>18}  {ratio}")
    for name, value in values.items():
        print(f"{name:8}  {value:{form}}  {value / first:6.2f}")


def parameters(**modules: torch.nn.Module) -> None:
    """Print each module's parameter count and its ratio to the first module's."""
    counts = {name: sum(p.numel() for p in m.parameters()) for name, m in modules.items()}
    _relative(_("parameters"), counts, "18,d")


def step_times(**seconds: float) -> None:
    """Print milliseconds per forward + backward pass and each one's ratio to the first."""
    _relative(_("ms per step"), {name: s * 1000 for name, s in seconds.items()}, "18.1f")


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
