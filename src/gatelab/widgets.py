"""Interactive explorers: a few controls and a call to a plot function.

Each explorer knows its controls and how to draw one setting (:meth:`Explorer.figure`); the
live widget (ipywidgets) and the kernel-free version in the HTML lessons
(:func:`static_explorer`, every setting drawn in advance) are both built from that.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import ipywidgets as W
import numpy as np
import torch
from IPython.display import Image, display
from matplotlib.figure import Figure

from . import cells, i18n, models, plots, tasks
from .i18n import N_, _
from .mimetypes import PROGRESS_METADATA, SPEC_MIMETYPE  # shared with gatelab.publish


def figure_png(fig: Figure, dpi: int = 90) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


@dataclass
class Control:
    """One setting of an explorer, with the values the HTML lesson precomputes."""

    name: str  # the keyword of Explorer.figure
    label: str  # English; translated when shown
    values: list[Any]  # the values precomputed for the HTML lesson
    default: int  # index into values
    labels: list[str] = field(default_factory=list)  # English labels of the values; str(v) if empty


class Explorer:
    """Base class: subclasses set ``name``, and define ``controls``, ``figure`` and ``build``."""

    name: ClassVar[str]
    registry: ClassVar[dict[str, type[Explorer]]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        Explorer.registry[cls.name] = cls

    def __init__(self, rebuildable: bool = True, **args: Any):
        self.args = args  # JSON-able: the HTML build makes the same explorer from them
        self.rebuildable = rebuildable  # False: made from objects the HTML build cannot remake
        self._widget: W.Widget | None = None

    def controls(self) -> list[Control]:
        raise NotImplementedError

    def figure(self, **settings: Any) -> Figure:
        raise NotImplementedError

    def build(self) -> W.Widget:
        raise NotImplementedError

    @property
    def widget(self) -> W.Widget:
        if self._widget is None:
            self._widget = self.build()
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        if self.rebuildable:
            bundle[SPEC_MIMETYPE] = {"explorer": self.name, "args": self.args}
        return bundle

    @staticmethod
    def show(output: W.Output, draw: Callable[[], Figure]) -> None:
        """Redraw ``output`` with the figure ``draw`` makes, or a clear message on bad input."""
        with output:
            output.clear_output(wait=True)
            try:
                display(Image(figure_png(draw())))
            except InputError as error:
                display(W.HTML(f'<p style="color:#b00020;font-size:1.1em">⚠ {error}</p>'))


class InputError(ValueError):
    """Something a learner typed that cannot be used; the message says what to type instead."""


def static_explorer(spec: dict, lang: str) -> dict:
    """Every setting of an explorer drawn in advance, for the HTML lesson of ``lang``.

    Returns ``{"controls": [{"name", "label", "values", "labels", "default"}], "frames":
    {"i,j": png bytes}}``, a frame for every combination of control values (indices, in order).
    """
    explorer = Explorer.registry[spec["explorer"]](**spec.get("args", {}))
    with i18n.using(lang):
        controls = explorer.controls()
        frames = {}
        for combo in itertools.product(*(range(len(c.values)) for c in controls)):
            settings = {c.name: c.values[i] for c, i in zip(controls, combo, strict=True)}
            frames[",".join(map(str, combo))] = figure_png(explorer.figure(**settings), dpi=72)
        return {
            "controls": [{"name": c.name, "label": _(c.label), "values": c.values,
                          "labels": [_(s) for s in c.labels] or [f"{v:g}" if isinstance(
                              v, float) else str(v) for v in c.values],
                          "default": c.default} for c in controls],
            "frames": frames,
        }


# --- Chapter 1: the vanishing / exploding gradient explorer ----------------------------------


class VanishingExplorer(Explorer):
    """A random tanh RNN whose recurrent weight has the spectral radius the learner sets.

    Left: the hidden states over 60 steps; right: how much h_T still depends on each earlier
    step (the gradient through time), on a log scale. The toggle clips the gradient of W_hh at
    the norm it has for ρ = 1, so that clipping acts only where the gradient explodes.
    """

    name = "vanishing"

    def __init__(self, steps: int = 60, seed: int = 0):
        super().__init__(steps=steps, seed=seed)
        self._results: dict[float, models.RadiusResult] = {}

    def result(self, radius: float) -> models.RadiusResult:
        radius = round(float(radius), 2)
        if radius not in self._results:
            self._results[radius] = models.radius_experiment(radius, steps=self.args["steps"],
                                                             seed=self.args["seed"])
        return self._results[radius]

    def controls(self) -> list[Control]:
        radii = [round(r, 1) for r in np.arange(0.5, 1.51, 0.1)]
        return [Control("radius", N_("spectral radius ρ of W_hh"), radii, radii.index(1.0)),
                Control("clip", N_("gradient clipping"), [False, True], 0,
                        [N_("off"), N_("on")])]

    def figure(self, radius: float = 1.0, clip: bool = False) -> Figure:
        return plots.vanishing(self.result(radius), clip)

    def build(self) -> W.Widget:
        radius = W.FloatSlider(value=1.0, min=0.5, max=1.5, step=0.05,
                               description=_("spectral radius ρ"),
                               style={"description_width": "initial"},
                               layout=W.Layout(width="420px"), continuous_update=False)
        clip = W.ToggleButton(value=False, description=_("gradient clipping"), icon="scissors")
        output = W.Output()

        def redraw(_change=None):
            self.show(output, lambda: self.figure(radius.value, clip.value))

        radius.observe(redraw, "value")
        clip.observe(redraw, "value")
        redraw()
        return W.VBox([W.HBox([radius, clip]), output])


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


class SequenceExplorer(Explorer):
    """A small tanh RNN (1 input, 4 hidden units) run step by step on a sequence the learner
    types: watch each input push the hidden state and the push fade away."""

    name = "sequence"

    def __init__(self, hidden_size: int = 4, radius: float = 0.9, seed: int = 3):
        super().__init__(hidden_size=hidden_size, radius=radius, seed=seed)
        self.rnn = models.random_rnn(1, hidden_size, radius, seed)

    def controls(self) -> list[Control]:
        names = list(SEQUENCE_PRESETS)
        return [Control("preset", N_("input"), names, 0, names)]

    def figure(self, preset: str | None = None, text: str | None = None) -> Figure:
        x = parse_sequence(text if text is not None else SEQUENCE_PRESETS[preset])  # (T,)
        with torch.no_grad():
            trace = cells.run(self.rnn, x.reshape(-1, 1))  # unbatched: (T, 1) -> h (T, H)
        return plots.hidden_states(trace.h, x)

    def build(self) -> W.Widget:
        names = list(SEQUENCE_PRESETS)
        preset = W.Dropdown(options=[(_(n), n) for n in names], value=names[0],
                            description=_("example"))
        text = W.Text(value=SEQUENCE_PRESETS[names[0]], description=_("input x"),
                      continuous_update=False, layout=W.Layout(width="520px"))
        output = W.Output()

        def redraw(_change=None):
            self.show(output, lambda: self.figure(text=text.value))

        def choose(change):
            text.value = SEQUENCE_PRESETS[change["new"]]

        preset.observe(choose, "value")
        text.observe(redraw, "value")
        redraw()
        return W.VBox([W.HBox([preset, text]), output])


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


class GateExplorer(Explorer):
    """Force the gates of an LSTM (input, forget, output) or a GRU (reset, update) open, shut
    or to any value, and watch the states respond, the learned run drawn faintly beside the
    forced one."""

    name = "gates"

    def __init__(self, example: str | torch.nn.Module = "memory", x: torch.Tensor | None = None,
                 input_names: list[str] | None = None, state=None):
        if isinstance(example, str):
            super().__init__(example=example)
            self.module, self.x, self.input_names, self.state, self.first_unit = \
                load_example(example)
        else:  # the learner's own LSTM or GRU: live only (the HTML build cannot rebuild it)
            super().__init__(rebuildable=False)
            if x is None:
                raise ValueError(_("Give the input sequence too: GateExplorer(lstm, x) with x "
                                   "shaped (T, input_size)."))
            self.module, self.x, self.state, self.first_unit = example, x, state, 0
            self.input_names = input_names or [f"x{k + 1}" for k in range(x.shape[-1])]
        self.kind = cells.kind_of(self.module)  # a clear error for a module it cannot explain
        if self.kind not in PRESETS:
            raise ValueError(_("The gate explorer needs an nn.LSTM or nn.GRU; a plain RNN has "
                               "no gates to force."))
        self.presets_by_name = PRESETS[self.kind]
        self.gates = plots.CELL_VIEWS[self.kind].gates
        with torch.no_grad():
            self.learned = cells.run(self.module, self.x, self.state)
        self.panel: plots.GatePanel | None = None

    def run(self, force: dict[str, float]) -> cells.Trace:
        with torch.no_grad():
            return cells.run(self.module, self.x, self.state, force=force or None)

    def controls(self) -> list[Control]:
        names = list(self.presets_by_name)
        return [Control("preset", N_("preset"), names, 0, names)]

    def figure(self, preset: str = "all learned", unit: int | None = None) -> Figure:
        force = self.presets_by_name[preset]
        unit = self.first_unit if unit is None else unit
        return plots.gates(self.x, self.run(force), self.learned, force, unit,
                           self.input_names, title=_(preset), kind=self.kind)

    def draw(self, force: dict[str, float], unit: int = 0, title: str = "") -> bytes:
        """Update the persistent figure and return it as PNG (what each click costs)."""
        if self.panel is None:
            self.panel = plots.GatePanel(len(self.x), self.input_names, kind=self.kind)
        self.panel.update(self.x, self.run(force), self.learned, force, unit, title)
        return self.panel.render_png(dpi=80)

    def build(self) -> W.Widget:
        self.modes = {g: W.ToggleButtons(options=[(_(label), key) for key, label in MODES.items()],
                                         value="learned", description=_(GATE_NAMES[g]),
                                         style={"description_width": "120px",
                                                "button_width": "86px"},
                                         # label beside the buttons, not above them
                                         layout=W.Layout(display="flex", flex_flow="row",
                                                         align_items="center"))
                      for g in self.gates}
        self.sliders = {g: W.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, disabled=True,
                                         continuous_update=False, layout=W.Layout(width="220px"))
                        for g in self.gates}
        self.presets = {name: W.Button(description=_(name), layout=W.Layout(width="auto"))
                        for name in self.presets_by_name}
        hidden = self.module.hidden_size
        self.unit = W.Dropdown(options=list(range(hidden)), value=self.first_unit,
                               description=_("unit"),
                               layout=W.Layout(width="160px", display="" if hidden > 1 else "none"))
        self.image = W.Image(format="png", layout=W.Layout(align_self="flex-start"))
        self.busy = False  # True while a preset sets several controls: redraw once at the end

        def force() -> dict[str, float]:
            chosen = {}
            for g, mode in self.modes.items():
                self.sliders[g].disabled = mode.value != "value"
                if mode.value != "learned":
                    chosen[g] = {"open": 1.0, "shut": 0.0}.get(mode.value, self.sliders[g].value)
            return chosen

        def redraw(_change=None):
            if not self.busy:
                self.image.value = self.draw(force(), self.unit.value)

        def apply(name: str):
            self.busy = True
            for g, mode in self.modes.items():
                value = self.presets_by_name[name].get(g)
                mode.value = "learned" if value is None else ("open" if value == 1 else "shut")
            self.busy = False
            redraw()

        for g in self.gates:
            self.modes[g].observe(redraw, "value")
            self.sliders[g].observe(redraw, "value")
        self.unit.observe(redraw, "value")
        for name, button in self.presets.items():
            button.on_click(lambda _button, name=name: apply(name))
        redraw()
        rows = [W.HBox([self.modes[g], self.sliders[g]]) for g in self.gates]
        presets = W.HBox([W.Label(_("presets:")), *self.presets.values(), self.unit],
                         layout=W.Layout(flex_flow="row wrap"))
        return W.VBox([*rows, presets, self.image])


class Progress:
    """A progress bar for a training run: call it with (step, accuracy) as training goes."""

    def __init__(self, label: str, total: int):
        self.bar = W.IntProgress(value=0, min=0, max=total, description=label,
                                 layout=W.Layout(width="420px"))
        self.text = W.Label("")
        display(W.HBox([self.bar, self.text]), metadata=PROGRESS_METADATA)

    def __call__(self, step: int, value: float) -> None:
        self.bar.value = step
        self.text.value = _("step {step}: held-out accuracy {accuracy:.0%}").format(
            step=step, accuracy=value)
