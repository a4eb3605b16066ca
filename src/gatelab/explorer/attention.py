"""Chapter 6's attention explorer: which input tokens each output token looked at, in the page.

An encoder–decoder with attention (Bahdanau, Cho and Bengio 2015, "Neural machine translation by
jointly learning to align and translate") computes, at every output step, a softmax over the
input tokens: the weights with which it mixes the encoder's states. :class:`AttentionWidget`
takes those weights as plain data, one example at a time, and ``attention.js`` shows them with no
kernel: pick an example, step through the output, see the input shaded by the current step's
weights (the numbers as text), the answer so far marked right or wrong against the target, and
the whole output × input heatmap with the current row outlined.

An example is a dict::

    {"source": ["তেইশ", "হাজার", "চারশো", "ছয়"],          # input tokens
     "target": ["2", "3", "4", "0", "6"],                 # the correct output (end token optional)
     "output": ["2", "3", "4", "0", "6", "<end>"],        # what the model answered, greedy
     "weights": [[…] * len(source)] * len(output)}        # one softmax row per output token

``weights`` may be a list of lists, a NumPy array or a torch tensor; :func:`check_examples` says
what is wrong with anything else, in the learner's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import anywidget
import numpy as np
import traitlets

from ..i18n import N_, _
from .page import PageExplorer, module

KEYS = ("source", "target", "output", "weights")
#: the end token's labels the explorer knows: gatelab.tasks.NumberWords.END, then a common one
ENDS = ("</s>", "<end>")
MAX_EXAMPLES = 100  # the page holds every example: keep the lesson small
MAX_TOKENS = 80  # per sequence
ROW_TOLERANCE = 1e-3  # |sum of a row − 1|: a softmax in float32 is within ~1e-6
DIGITS = 6  # decimals kept of each weight in the page's state

#: every word the page shows
LABELS = {
    "example": N_("example"),
    "previous": N_("previous"),
    "next": N_("next"),
    "step": N_("output step"),
    "step_of": N_("{step} of {steps}"),
    "reset": N_("reset: the first example, first step"),
    "size": N_("text size"),
    "source": N_("input, shaded by the attention of this step"),
    "output": N_("the model's answer so far"),
    "target": N_("correct answer"),
    "right": N_("right"),
    "wrong": N_("wrong: {expected} expected"),
    "extra": N_("wrong: the answer should have ended"),
    "verdict_right": N_("The whole answer is right."),
    "verdict_wrong": N_("The answer is wrong: {answer} instead of {target}."),
    "heatmap": N_("attention of every output step (rows) over the input tokens (columns)"),
    "legend": N_("darker = more attention; each row sums to 1"),
    "keys": N_("Keys: ← and → step through the output, Home and End go to the first and "
               "last step."),
    "weight_of": N_("{token}: weight {weight}"),
    "heatmap_alt": N_("Attention heatmap, {rows} output steps by {columns} input tokens. Step "
                      "{step}, output '{token}', looks most at '{top}' (weight {weight})."),
    "say": N_("Step {step} of {steps}: output '{token}', {verdict}. It looks most at '{top}' "
              "(weight {weight})."),
}


def _where(number: int) -> str:
    return _("Example {number}").format(number=number)


def _tokens(example: Mapping, key: str, number: int) -> list[str]:
    tokens = example[key]
    if isinstance(tokens, str) or not isinstance(tokens, Sequence) or \
            not all(isinstance(t, str) for t in tokens):
        raise ValueError(_("{where}: '{key}' must be a list of strings (the tokens); got {got}.")
                         .format(where=_where(number), key=key, got=repr(tokens)[:60]))
    if not tokens and key != "target":
        raise ValueError(_("{where}: '{key}' is empty; give at least one token.")
                         .format(where=_where(number), key=key))
    if len(tokens) > MAX_TOKENS:
        raise ValueError(_("{where}: '{key}' has {n} tokens; the explorer shows at most {max}.")
                         .format(where=_where(number), key=key, n=len(tokens), max=MAX_TOKENS))
    return list(tokens)


def _weights(weights: Any, output: list[str], source: list[str], number: int) -> list[list[float]]:
    """The (len(output), len(source)) rows of attention weights, each checked to be a softmax."""
    if hasattr(weights, "detach"):  # a torch tensor, without importing torch here
        weights = weights.detach().cpu().double().numpy()
    shape_needed = (len(output), len(source))
    try:
        array = np.asarray(weights, dtype=np.float64)  # (T_out, S)
    except (TypeError, ValueError):
        array = None
    if array is None or array.shape != shape_needed:
        got = "?" if array is None else "(" + ", ".join(str(n) for n in array.shape) + ")"
        raise ValueError(_("{where}: the weights must be numbers shaped (len(output), "
                           "len(source)) = ({rows}, {columns}), one row per output token and "
                           "one column per input token; got shape {got}.")
                         .format(where=_where(number), rows=shape_needed[0],
                                 columns=shape_needed[1], got=got))
    if not np.isfinite(array).all():
        raise ValueError(_("{where}: the weights hold values that are not numbers (nan or "
                           "inf); attention weights are a softmax, between 0 and 1.")
                         .format(where=_where(number)))
    if (array < 0).any() or (array > 1 + ROW_TOLERANCE).any():
        raise ValueError(_("{where}: the weights must be numbers between 0 and 1 (a softmax); "
                           "they hold values from {low} to {high}.")
                         .format(where=_where(number), low=array.min(), high=array.max()))
    totals = array.sum(axis=1)  # (T_out,)
    bad = np.flatnonzero(np.abs(totals - 1) > ROW_TOLERANCE)
    if bad.size:
        row = int(bad[0])
        raise ValueError(_("{where}: the weights of output step {step} ('{token}') sum to "
                           "{total:.4f}, not 1. Each row is the softmax over the input tokens "
                           "that this output step used.")
                         .format(where=_where(number), step=row + 1, token=output[row],
                                 total=float(totals[row])))
    return np.round(array, DIGITS).tolist()


def end_of(examples: list[dict[str, list]]) -> str:
    """The first label of :data:`ENDS` that the examples use (the first when none does)."""
    used = {t for example in examples for key in ("target", "output") for t in example[key]}
    return next((end for end in ENDS if end in used), ENDS[0])


def check_examples(examples: Any) -> list[dict[str, list]]:
    """The examples as the page takes them (plain lists), or ValueError saying what to fix."""
    if isinstance(examples, Mapping):
        examples = [examples]  # one example on its own
    if not isinstance(examples, Sequence) or isinstance(examples, str) or not examples:
        raise ValueError(_("Give the attention explorer a list of examples, at least one: each "
                           "a dict with the keys source, target, output and weights."))
    if len(examples) > MAX_EXAMPLES:
        raise ValueError(_("The explorer shows at most {max} examples; got {n}. Pick a few.")
                         .format(max=MAX_EXAMPLES, n=len(examples)))
    checked = []
    for number, example in enumerate(examples, start=1):
        if not isinstance(example, Mapping):
            raise ValueError(_("{where} is not a dict with the keys source, target, output and "
                               "weights.").format(where=_where(number)))
        missing = [key for key in KEYS if key not in example]
        if missing:
            raise ValueError(_("{where} has no {keys}; each example needs source, target, "
                               "output and weights.")
                             .format(where=_where(number), keys=", ".join(missing)))
        source, target, output = (_tokens(example, key, number)
                                  for key in ("source", "target", "output"))
        checked.append({"source": source, "target": target, "output": output,
                        "weights": _weights(example["weights"], output, source, number)})
    return checked


class AttentionWidget(PageExplorer, anywidget.AnyWidget):
    """Step through an encoder–decoder's answers and see where each output token looked.

    ``AttentionWidget(examples, example=0, step=0, end=None)``: ``examples`` as
    :func:`check_examples` takes them; ``end`` the end token's label (a target without it at its
    end is compared as if it had it); by default whichever of :data:`ENDS` the examples use
    (``"</s>"``, the number task's, or ``"<end>"``). ``example`` and ``step`` (both from 0) are
    what the page shows, and follow the learner's choices when a kernel is there.
    """

    _esm = module("attention")
    #: what gatelab.explorer.page_state puts in a page, and which explorer draws it
    explorer_kind: ClassVar[str] = "attention"
    page_traits: ClassVar[tuple[str, ...]] = ("examples", "example", "step", "end", "labels")
    examples = traitlets.List().tag(sync=True)  # [{source, target, output, weights}, …]
    example = traitlets.Int(0).tag(sync=True)  # the example shown
    step = traitlets.Int(0).tag(sync=True)  # the output step shown, 0 to len(output) − 1
    end = traitlets.Unicode(ENDS[0]).tag(sync=True)
    labels = traitlets.Dict().tag(sync=True)  # every word the page shows, translated

    def __init__(self, examples: Any, example: int = 0, step: int = 0, end: str | None = None,
                 **kwargs: Any):
        examples = check_examples(examples)
        super().__init__(examples=examples, end=end_of(examples) if end is None else str(end),
                         labels={key: _(text) for key, text in LABELS.items()}, **kwargs)
        self.example = example
        self.step = step

    @traitlets.validate("examples")
    def _valid_examples(self, proposal) -> list[dict[str, list]]:
        try:
            return check_examples(proposal["value"])
        except ValueError as problem:
            raise traitlets.TraitError(str(problem)) from None

    @traitlets.validate("example")
    def _valid_example(self, proposal) -> int:
        example, count = proposal["value"], len(self.examples)
        if not 0 <= example < count:
            raise traitlets.TraitError(_("There is no example {example}: the examples are 0 to "
                                         "{last}.").format(example=example, last=count - 1))
        return example

    @traitlets.validate("step")
    def _valid_step(self, proposal) -> int:
        step, steps = proposal["value"], len(self.examples[self.example]["output"])
        if not 0 <= step < steps:
            raise traitlets.TraitError(_("There is no output step {step}: this example's steps "
                                         "are 0 to {last}.").format(step=step, last=steps - 1))
        return step

    @traitlets.observe("example")
    def _first_step(self, change) -> None:
        """Another example starts at its first output step, as in the page."""
        self.step = 0

    @traitlets.observe("examples")
    def _still_there(self, change) -> None:
        """New examples: the example and step shown stay if they exist, else the first."""
        if self.example >= len(self.examples):
            self.example = 0  # and step 0
        elif self.step >= len(self.examples[self.example]["output"]):
            self.step = 0
