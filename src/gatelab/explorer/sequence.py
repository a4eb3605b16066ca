"""Chapter 1's memory explorer, computed in the page: an anywidget over ``sequence.js``.

A small tanh RNN (:func:`gatelab.models.random_rnn`, 1 input, 4 hidden units, random weights
with W_hh of spectral radius 0.9) runs on numbers the learner types: watch each input push the
hidden state and the push fade away. :class:`SequenceWidget` sends the weights once; the page
reads what is typed with the rules and messages of :func:`gatelab.widgets.parse_sequence` and
runs ``cells.js`` on it, with no kernel. ``tests/test_explorer_chapter1.py`` checks the page's
states against :func:`gatelab.cells.run` and its messages against ``parse_sequence``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import anywidget
import torch
import traitlets

from .. import models
from ..i18n import N_, _
from ..widgets import MAX_STEPS, SEQUENCE_PRESETS, parse_sequence
from .export import export
from .page import PageExplorer, module

#: every word the page shows, and parse_sequence's messages (the same English msgids, so their
#: translations apply)
LABELS = {
    "example": N_("example"),
    "input": N_("input x"),
    "reset": N_("reset: the first example"),
    "size": N_("text size"),
    "x": N_("input x[t]"),
    "hidden": N_("hidden state h[t]"),
    "time": N_("time step t"),
    "empty": N_("Type a few numbers separated by spaces, for example: 1 0 0 0 0"),
    "not_number": N_("'{item}' is not a number. Type numbers separated by spaces, "
                     "for example: 1 0 0 -1 0"),
    "too_long": N_("That is {n} steps; use at most {max}."),
    "range": N_("Use numbers between -5 and 5."),
    "alt": N_("The input x[t] over {steps} steps (bars) and the hidden states of {units} units "
              "(lines): the largest push is {peak} at step {step}; at the last step {last}."),
}


class SequenceWidget(PageExplorer, anywidget.AnyWidget):
    """A small tanh RNN run step by step on a sequence the learner types (or picks from the
    examples), computed in the browser from the network's own weights."""

    _esm = module("sequence")
    #: what gatelab.explorer.page_state puts in a page, and which explorer draws it
    explorer_kind: ClassVar[str] = "sequence"
    page_traits: ClassVar[tuple[str, ...]] = ("spec", "text", "presets", "max_steps", "labels")
    spec = traitlets.Dict().tag(sync=True)  # the RNN, as gatelab.explorer.export gives it
    text = traitlets.Unicode().tag(sync=True)  # what is in the input box, as typed
    presets = traitlets.List().tag(sync=True)  # [[translated name, text], …]
    max_steps = traitlets.Int(MAX_STEPS).tag(sync=True)
    labels = traitlets.Dict().tag(sync=True)  # every word the page shows, translated

    def __init__(self, hidden_size: int = 4, radius: float = 0.9, seed: int = 3,
                 text: str | None = None, **kwargs: Any):
        self.rnn = models.random_rnn(1, hidden_size, radius, seed)
        spec = export(self.rnn, torch.zeros(1, 1), compact=True)["spec"]
        presets = [[_(name), value] for name, value in SEQUENCE_PRESETS.items()]
        super().__init__(spec=spec, text=presets[0][1] if text is None else text,
                         presets=presets, labels={key: _(v) for key, v in LABELS.items()},
                         **kwargs)

    @property
    def x(self) -> torch.Tensor:
        """The typed sequence as the network reads it, (T,); InputError says what to fix."""
        return parse_sequence(self.text)
