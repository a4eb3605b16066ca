"""What the chapters call: the explorers, the examples they open on, and a progress bar.

The explorers compute in the page, not in the kernel (:mod:`gatelab.explorer`): a click or a
slider is answered at once, the same in JupyterLab, in a saved notebook reopened without a kernel
and in the HTML lesson. ``GateExplorer``, ``VanishingExplorer``, ``SequenceExplorer`` and
``AttentionExplorer`` make them for the chapters; the presets, gate names and examples they show
are defined here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import ipywidgets as W
import numpy as np
import torch
from IPython.display import display

from . import models, tasks
from .i18n import N_, _
from .mimetypes import PROGRESS_METADATA, SPEC_MIMETYPE  # shared with gatelab.publish

__all__ = ["EXAMPLES", "GATE_NAMES", "GRU_PRESETS", "LSTM_PRESETS", "MODES", "PRESETS",
           "PROGRESS_METADATA", "SEQUENCE_PRESETS", "SPEC_MIMETYPE", "AttentionExplorer",
           "GateExplorer", "InputError", "Progress", "SequenceExplorer", "VanishingExplorer",
           "load_example", "parse_sequence"]


class InputError(ValueError):
    """Something a learner typed that cannot be used; the message says what to type instead."""


def VanishingExplorer(steps: int = 60, seed: int = 0):
    """Chapter 1: a random tanh RNN whose W_hh has the spectral radius ρ the learner sets; its
    hidden states and how much h_T depends on each earlier step, with gradient clipping on or off
    (:class:`gatelab.explorer.vanishing.VanishingWidget`)."""
    from .explorer.vanishing import VanishingWidget

    return VanishingWidget(steps=steps, seed=seed)


def SequenceExplorer(hidden_size: int = 4, radius: float = 0.9, seed: int = 3):
    """Chapter 1: a small tanh RNN run on numbers the learner types
    (:class:`gatelab.explorer.sequence.SequenceWidget`)."""
    from .explorer.sequence import SequenceWidget

    return SequenceWidget(hidden_size=hidden_size, radius=radius, seed=seed)


def GateExplorer(example: str | torch.nn.Module = "memory",
                 x: torch.Tensor | None = None, input_names: list[str] | None = None,
                 state=None, unit: int = 0):
    """Chapters 2 and 3: force the gates of an LSTM (input, forget, output) or a GRU (reset,
    update) open, shut or to any value, and watch the states respond beside the learned run.

    ``GateExplorer("memory")`` opens a named example (:data:`EXAMPLES`);
    ``GateExplorer(lstm, x)`` your own ``nn.LSTM`` or ``nn.GRU`` on one sequence x, shaped
    (T, input_size), with ``state`` its initial h0 or (h0, c0)
    (:class:`gatelab.explorer.gates.GateWidget`)."""
    from .explorer.gates import GateWidget

    if isinstance(example, str):
        return GateWidget.example(example)
    if x is None:
        raise ValueError(_("Give the input sequence too: GateExplorer(lstm, x) with x "
                           "shaped (T, input_size)."))
    return GateWidget(example, x, state, unit=unit, input_names=input_names)


def AttentionExplorer(examples, example: int = 0, step: int = 0, end: str | None = None):
    """Chapter 6: pick an input, step through an encoder–decoder's answer, and see which input
    tokens each output token looked at (:class:`gatelab.explorer.attention.AttentionWidget`).

    ``examples``: a list of dicts ``{"source": [tokens], "target": [tokens], "output": [tokens
    the model answered, with the end token], "weights": (len(output), len(source)) attention
    weights, each row summing to 1}``; weights may be lists, a NumPy array or a torch tensor.
    ``end`` is the end token's label; by default "</s>" (``tasks.NumberWords.END``) or "<end>",
    whichever the examples use."""
    from .explorer.attention import AttentionWidget

    return AttentionWidget(examples, example=example, step=step, end=end)


# --- Chapter 1: an RNN's hidden state for an input the learner types ------------------------

#: example inputs the learner can pick, then edit
SEQUENCE_PRESETS: dict[str, str] = {
    N_("one pulse"): "1 0 0 0 0 0 0 0 0 0 0 0",
    N_("two pulses"): "1 0 0 0 0 0 -1 0 0 0 0 0",
    N_("a block of ones"): "0 0 1 1 1 1 1 1 1 1 0 0",
    N_("alternating"): "1 -1 1 -1 1 -1 1 -1 1 -1 1 -1",
}
MAX_STEPS = 60


def parse_sequence(text: str) -> torch.Tensor:
    """Numbers separated by spaces or commas -> (T,) float tensor; InputError says what to fix."""
    items = [s for s in re.split(r"[\s,;]+", text.strip()) if s]
    if not items:
        raise InputError(_("Type a few numbers separated by spaces, for example: 1 0 0 0 0"))
    values = []
    for item in items:
        try:
            values.append(float(item.replace("−", "-")))
        except ValueError:
            raise InputError(_("'{item}' is not a number. Type numbers separated by spaces, "
                               "for example: 1 0 0 -1 0").format(item=item)) from None
    if len(values) > MAX_STEPS:
        raise InputError(_("That is {n} steps; use at most {max}.").format(n=len(values),
                                                                          max=MAX_STEPS))
    if not all(abs(v) <= 5 for v in values) or not all(np.isfinite(values)):
        raise InputError(_("Use numbers between -5 and 5."))
    return torch.tensor(values)


# --- Chapters 2 and 3: the gate explorer (LSTM and GRU) --------------------------------------

#: the lecture's scenarios: what each preset forces (gates not named stay learned)
LSTM_PRESETS: dict[str, dict[str, float]] = {
    N_("all learned"): {},
    N_("output on"): {"o": 1.0},
    N_("output off"): {"o": 0.0},
    N_("reset memory"): {"f": 0.0, "i": 0.0},
    N_("keep memory"): {"f": 1.0, "i": 0.0},
    N_("write memory"): {"f": 0.0, "i": 1.0},
}
GRU_PRESETS: dict[str, dict[str, float]] = {
    N_("all learned"): {},
    N_("freeze"): {"z": 1.0},  # h[t] = h[t-1]: the state never changes
    N_("overwrite"): {"z": 0.0},  # h[t] = n[t]: the old state is replaced every step
    N_("ignore the past"): {"r": 0.0},  # the candidate is computed from x[t] alone
}
PRESETS = {"LSTM": LSTM_PRESETS, "GRU": GRU_PRESETS}
GATE_NAMES = {"i": N_("input gate i"), "f": N_("forget gate f"), "o": N_("output gate o"),
              "r": N_("reset gate r"), "z": N_("update gate z")}
MODES = {"learned": N_("learned"), "open": N_("open (1)"), "shut": N_("shut (0)"),
         "value": N_("value")}


def _memory_example():
    """The hand-built LSTM memory cell, starting with 0.5 already stored."""
    state = (torch.zeros(1, 1), torch.full((1, 1), 0.5))  # unbatched: (1, H) each
    return (models.memory_cell(), tasks.store_and_recall(), [_("value"), _("write"), _("read")],
            state, 0)


def _gru_memory_example():
    """The hand-built GRU memory, starting from h = 0.5, on the same writes (no reads)."""
    x = tasks.store_and_recall(reads=())[:, :2]  # (value, write)
    return models.gru_memory_cell(), x, [_("value"), _("write")], torch.full((1, 1), 0.5), 0


def _temporal_order_example(kind: str):
    """A trained temporal-order network on the first held-out sequence whose first relevant
    symbol is X (its memory unit visibly switches there), opening on that unit."""
    from . import checkpoints, train

    classifier, task = checkpoints.temporal_order(kind)
    unit, _separation = train.memory_unit(classifier, task)  # the unit worth watching
    return classifier.rnn, task.held_out_example(first="X"), list(task.SYMBOLS), None, unit


#: the explorer's named examples: the HTML build re-creates them by name
EXAMPLES: dict[str, Callable[[], tuple]] = {
    "memory": _memory_example,
    "temporal-order": lambda: _temporal_order_example("LSTM"),
    "gru-memory": _gru_memory_example,
    "gru-temporal-order": lambda: _temporal_order_example("GRU"),
}


def load_example(name: str):
    """A named LSTM or GRU and what the explorer runs it on: (module, x (T, I), input channel
    names, initial state or None, the unit to show first).

    "memory" and "gru-memory": the hand-built memory cells (:func:`gatelab.models.memory_cell`,
    :func:`gatelab.models.gru_memory_cell`), starting with 0.5 already stored, so that keeping,
    resetting and writing all show; "temporal-order" and "gru-temporal-order": the trained
    temporal-order LSTM or GRU from ``data/`` on a held-out sequence.
    """
    if name not in EXAMPLES:
        raise ValueError(_("Unknown example {name!r}; choose one of: {names}.")
                         .format(name=name, names=", ".join(f'"{n}"' for n in EXAMPLES)))
    return EXAMPLES[name]()


#: run labels the chapters give a progress bar or a curve (translated where they are shown)
RUN_LABELS = (N_("curriculum"), N_("hard only"))


class Progress:
    """A progress bar for a training run: call it with (step, value) as training goes, the
    value a held-out accuracy (``measure="accuracy"``) or held-out bits per character
    (``measure="bits"``). ``label`` is shown in the language in use where the catalog has it
    (e.g. "hard only")."""

    MEASURES = ("accuracy", "bits")

    def __init__(self, label: str, total: int, measure: str = "accuracy"):
        if measure not in self.MEASURES:
            raise ValueError(_("Unknown measure {measure!r}; choose one of {measures}.").format(
                measure=measure, measures=", ".join(self.MEASURES)))
        self.measure = measure
        self.bar = W.IntProgress(value=0, min=0, max=total, description=_(label) if label else "",
                                 layout=W.Layout(width="420px"))
        self.text = W.Label("")
        display(W.HBox([self.bar, self.text]), metadata=PROGRESS_METADATA)

    def __call__(self, step: int, value: float) -> None:
        self.bar.value = step
        if self.measure == "bits":
            self.text.value = _("step {step}: held-out {bits:.2f} bits per character").format(
                step=step, bits=value)
        else:
            self.text.value = _("step {step}: held-out accuracy {accuracy:.0%}").format(
                step=step, accuracy=value)
