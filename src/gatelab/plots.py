"""The lessons' figures: plain functions that take ``ax=None`` (or ``axes=None``) and return the
figure they drew on. Labels come from the package catalog, so a figure speaks the edition's
language; fonts come from :mod:`gatelab.fonts` through ``rc_context``, never global rcParams.
"""

from __future__ import annotations

import io
import re
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path
from matplotlib.patheffects import withStroke
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator

from . import cells
from .fonts import style
from .i18n import GLOSSARY_CONTEXT, GLOSSARY_TERMS, N_, _, gettext

# one colour per role, the same in every figure
COLORS = {"x": "#d9577a", "h": "#3a9a5b", "y": "#3b6fb6", "grad": "#7a4fb0", "faint": "#9a9a9a"}


def _new(nrows: int = 1, ncols: int = 1, figsize=(8, 3.6), **kwargs) -> tuple[Figure, np.ndarray]:
    """A figure outside pyplot's list of open figures (so notebooks show it exactly once)."""
    fig = plt.figure(figsize=figsize)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    plt.close(fig)
    return fig, axes


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _log_axis(ax: Axes) -> None:
    """Label a log y-axis 10⁻³ in plain text: mathtext would need a minus sign (U+2212) that the
    Bengali and Devanagari fonts do not have."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=8))
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _pos: "10" + str(round(np.log10(v))).translate(_SUPERSCRIPT) if v > 0 else ""))


def _number(value: float) -> str:
    """A positive number for a title: 6.97, 51.6, 2,754."""
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


def _numpy(t: torch.Tensor | np.ndarray) -> np.ndarray:
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


# --- diagrams -------------------------------------------------------------------------------


def _node(ax: Axes, xy, role: str, label: str = "", radius: float = 0.28) -> None:
    ax.add_patch(Circle(xy, radius, facecolor=COLORS[role], edgecolor="black", lw=1, alpha=0.85))
    if label:
        ax.text(*xy, label, ha="center", va="center", color="white", fontsize=10, weight="bold")


def _arrow(ax: Axes, a, b, **kwargs) -> None:
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, lw=1.3,
                                 shrinkA=12, shrinkB=12, color="black", **kwargs))


def architectures(axes: Sequence[Axes] | None = None) -> Figure:
    """The five shapes of a network over sequences: vec→vec (feed-forward), vec→seq, seq→vec,
    seq→vec→seq (encoder–decoder) and seq→seq. Pink: input, green: hidden, blue: output."""
    panels = [
        (_("vec → vec\nfeed-forward"), [0], [0]),
        (_("vec → seq\ne.g. image captioning"), [0], [0, 1, 2]),
        (_("seq → vec\ne.g. sentiment of a sentence"), [0, 1, 2], [2]),
        (_("seq → vec → seq\ne.g. translation"), [0, 1, 2], [3, 4, 5]),
        (_("seq → seq\ne.g. tagging each word"), [0, 1, 2], [0, 1, 2]),
    ]
    with plt.rc_context(style()):
        if axes is None:
            fig, grid = _new(1, 5, figsize=(13, 3.4), gridspec_kw={"width_ratios": [2, 3, 3, 6, 3]})
            axes = grid[0]
        fig = axes[0].figure
        for ax, (title, inputs, outputs) in zip(axes, panels, strict=True):
            steps = max(inputs + outputs) + 1
            for t in range(steps):
                _node(ax, (t, 1), "h")
                if t > 0:
                    _arrow(ax, (t - 1, 1), (t, 1))
            for t in inputs:
                _node(ax, (t, 0), "x")
                _arrow(ax, (t, 0), (t, 1))
            for t in outputs:
                _node(ax, (t, 2), "y")
                _arrow(ax, (t, 1), (t, 2))
            ax.set_title(title, fontsize=11)
            ax.set_xlim(-0.6 - (steps == 1), steps - 0.4 + (steps == 1))
            ax.set_ylim(-0.6, 2.6)
            ax.set_aspect("equal")
            ax.axis("off")
    return fig


def unrolled(steps: int = 4, ax: Axes | None = None) -> Figure:
    """A recurrent layer drawn rolled (one cell with a loop) and unrolled over ``steps`` steps:
    the same weights W_hx, W_hh at every step."""
    with plt.rc_context(style()):
        if ax is None:
            fig, grid = _new(figsize=(11, 3.4))
            ax = grid[0, 0]
        fig = ax.figure
        _node(ax, (0, 0), "x", "x")
        _node(ax, (0, 1), "h", "h")
        _arrow(ax, (0, 0), (0, 1))
        ax.add_patch(FancyArrowPatch((0.2, 1.2), (-0.2, 1.2), connectionstyle="arc3,rad=2.2",
                                     arrowstyle="-|>", mutation_scale=12, lw=1.3))
        ax.text(0, 1.85, "W_hh", ha="center", fontsize=10)
        ax.text(1.2, 0.6, "=", fontsize=26, ha="center", va="center")
        for t in range(steps):
            x = 2.2 + 1.6 * t
            _node(ax, (x, 0), "x", f"x{t + 1}")
            _node(ax, (x, 1), "h", f"h{t + 1}")
            _arrow(ax, (x, 0), (x, 1))
            ax.text(x + 0.1, 0.45, "W_hx", fontsize=9)
            if t > 0:
                _arrow(ax, (x - 1.6, 1), (x, 1))
                ax.text(x - 0.8, 1.12, "W_hh", fontsize=9, ha="center")
        ax.text(2.2 + 1.6 * (steps - 1) / 2, -0.75,
                _("unrolled in time: the same weights at every step"), ha="center", fontsize=11)
        ax.set_xlim(-0.8, 2.2 + 1.6 * steps)
        ax.set_ylim(-1.0, 2.2)
        ax.set_aspect("equal")
        ax.axis("off")
    return fig


# --- what a network did ---------------------------------------------------------------------


def hidden_states(h: torch.Tensor, x: torch.Tensor, axes: Sequence[Axes] | None = None,
                  title: str | None = None) -> Figure:
    """The input sequence above, each hidden unit's h[t] below, step by step.

    ``h``: (T, H) and ``x``: (T,) or (T, I) for one sequence (take ``trace.h[:, 0]`` from a batch).
    """
    h, x = _numpy(h), _numpy(x)
    x = x.reshape(len(x), -1)
    steps = np.arange(1, len(h) + 1)
    with plt.rc_context(style()):
        if axes is None:
            fig, grid = _new(2, 1, figsize=(9, 5), sharex=True, height_ratios=[1, 2])
            axes = grid[:, 0]
        ax_x, ax_h = axes
        fig = ax_x.figure
        for i in range(x.shape[1]):
            ax_x.bar(steps, x[:, i], color=COLORS["x"], width=0.6, alpha=0.8)
        ax_x.set_ylabel(_("input x[t]"))
        for unit in range(h.shape[1]):
            ax_h.plot(steps, h[:, unit], marker="o", ms=3, lw=1.5, label=f"h{unit + 1}")
        ax_h.axhline(0, color="black", lw=0.6)
        ax_h.set_ylim(-1.05, 1.05)
        ax_h.set_ylabel(_("hidden state h[t]"))
        ax_h.set_xlabel(_("time step t"))
        if h.shape[1] <= 8:
            ax_h.legend(ncols=min(h.shape[1], 8), loc="upper right", fontsize=9)
        if title:
            ax_x.set_title(title)
    return fig


def gradient_flow(norms: Mapping[str, torch.Tensor], ax: Axes | None = None,
                  title: str | None = None) -> Figure:
    """‖∂h_T/∂h_t‖ against t, one line per labelled curve, on a log scale."""
    with plt.rc_context(style()):
        if ax is None:
            fig, grid = _new(figsize=(8, 3.8))
            ax = grid[0, 0]
        fig = ax.figure
        for label, values in norms.items():
            values = _numpy(values)
            ax.plot(np.arange(1, len(values) + 1), values, lw=2, label=label)
        _log_axis(ax)
        ax.set_xlabel(_("time step t"))
        ax.set_ylabel(_("gradient norm ‖∂h_T/∂h_t‖"))
        ax.legend()
        if title:
            ax.set_title(title)
    return fig


def vanishing(result, clip: bool, axes: Sequence[Axes] | None = None) -> Figure:
    """The vanishing/exploding explorer's figure for one :class:`gatelab.models.RadiusResult`:
    hidden-state trajectories (left) and the gradient norm through time on a log scale (right),
    with the clipped gradient drawn over the raw one when ``clip`` is on."""
    h = _numpy(result.h)  # (T, H) for one sequence
    norms = _numpy(result.norms)
    steps = np.arange(1, len(norms) + 1)
    with plt.rc_context(style()):
        if axes is None:
            fig, grid = _new(1, 2, figsize=(11, 4))
            axes = grid[0]
        ax_h, ax_g = axes
        fig = ax_h.figure
        for unit in range(min(8, h.shape[1])):
            ax_h.plot(steps, h[:, unit], lw=1.3)
        ax_h.set_ylim(-1.05, 1.05)
        ax_h.set_xlabel(_("time step t"))
        ax_h.set_ylabel(_("hidden state h[t] (8 units)"))
        ax_h.set_title(_("spectral radius ρ = {radius:.2f}").format(radius=result.radius))

        raw, threshold = _number(result.weight_grad_norm), _number(result.max_norm)
        if clip:
            ax_g.plot(steps, norms, color=COLORS["faint"], lw=1.5, ls="--",
                      label=_("without clipping"))
            ax_g.plot(steps, norms * result.clip_factor, color=COLORS["grad"], lw=2.2,
                      label=_("with clipping"))
            if result.clipped:
                title = _("‖∂L/∂W_hh‖ = {raw} > threshold {threshold}: clipped to {threshold}")
            else:
                title = _("‖∂L/∂W_hh‖ = {raw} ≤ threshold {threshold}: not clipped")
            ax_g.set_title(title.format(raw=raw, threshold=threshold))
        else:
            ax_g.plot(steps, norms, color=COLORS["grad"], lw=2.2, label=_("without clipping"))
            ax_g.set_title(_("‖∂L/∂W_hh‖ = {raw}").format(raw=raw))
        _log_axis(ax_g)
        ax_g.set_ylim(1e-20, 1e4)  # wide enough for every radius from 0.5 to 1.5
        ax_g.set_xlabel(_("time step t"))
        ax_g.set_ylabel(_("gradient norm ‖∂h_T/∂h_t‖"))
        ax_g.legend(loc="lower right")
    return fig


# --- the gate explorer's figure (LSTM and GRU) ------------------------------------------------


@dataclass(frozen=True)
class CellView:
    """What the gate explorer shows of one kind of cell."""

    gates: tuple[str, ...]  # the gates a learner can force, in the order shown
    equations: dict[str, str]  # each of those gates' equation, as computed
    update: str  # how the state is updated from the gates
    states: tuple[tuple[str, str], ...]  # (trace field or gate name, English label) per panel


#: how each gate's equation reads when it is computed (PyTorch's form), and what is plotted
CELL_VIEWS = {
    "LSTM": CellView(
        gates=("i", "f", "o"),
        equations={"i": "i[t] = σ(W_ii x[t] + W_hi h[t−1] + b_i)",
                   "f": "f[t] = σ(W_if x[t] + W_hf h[t−1] + b_f)",
                   "o": "o[t] = σ(W_io x[t] + W_ho h[t−1] + b_o)"},
        update="c[t] = f[t] ⊙ c[t−1] + i[t] ⊙ g[t]      h[t] = o[t] ⊙ tanh(c[t])",
        states=(("c", N_("cell state c[t]")), ("h", N_("hidden state h[t]")))),
    "GRU": CellView(
        gates=("r", "z"),
        equations={"r": "r[t] = σ(W_ir x[t] + b_ir + W_hr h[t−1] + b_hr)",
                   "z": "z[t] = σ(W_iz x[t] + b_iz + W_hz h[t−1] + b_hz)"},
        update="n[t] = tanh(W_in x[t] + b_in + r[t] ⊙ (W_hn h[t−1] + b_hn))      "
               "h[t] = (1 − z[t]) ⊙ n[t] + z[t] ⊙ h[t−1]",
        states=(("n", N_("candidate n[t]")), ("h", N_("hidden state h[t]")))),
}
GATE_COLORS = {"i": "#2b8a3e", "f": "#c92a2a", "o": "#1864ab", "g": "#e67700",
               "r": "#c92a2a", "z": "#1864ab", "n": "#e67700"}
FORCED_COLOR = "#d9480f"


def _state(trace, name: str) -> torch.Tensor:
    """A state panel's values: the trace's c or h, or a gate such as the GRU's candidate n."""
    return getattr(trace, name) if name in ("c", "h") else trace.gates[name]


def describe_force(value: float) -> str:
    """"open (1)", "shut (0)" or "= 0.3", in the language in use."""
    if value == 1:
        return _("forced open (1)")
    if value == 0:
        return _("forced shut (0)")
    return _("forced to {value:.2f}").format(value=value)


# --- a cell's data flow (LSTM and GRU) --------------------------------------------------------


@dataclass(frozen=True)
class _Box:
    """A layer with its own weights: a gate, the candidate, or the GRU's W_hn h + b_hn."""

    xy: tuple[float, float]
    math: str  # what it applies, in mathtext: σ, tanh, or W_hn h + b_hn
    term: str = ""  # its glossary term ("forget gate"), written inside in the edition's language
    width: float = 1.5
    height: float = 1.0


@dataclass(frozen=True)
class _Wire:
    """An arrow along horizontal and vertical segments. An end given by name starts or stops at
    the edge of that box or node."""

    points: tuple  # (x, y) points, or names of boxes and nodes
    carries: str = ""  # the gate whose value flows here (drawn in the forced colour when forced)
    gate: str = ""  # the gate that multiplies what flows here
    opens: float = 1.0  # that gate's value at which the path is fully open (0 for the GRU's 1 − z)
    cut_mark: bool = False  # where a cut path gets its ✕: the product leaving the ⊙
    head: bool = True
    halo: bool = False  # crosses another wire: a white outline shows it passes over


@dataclass(frozen=True)
class _Layout:
    """Where everything sits in one kind of cell (data units; the axes keep an equal aspect)."""

    boxes: dict[str, _Box]  # by gate name (LSTM i f g o, GRU r z n), or "hn"
    nodes: dict[str, tuple[tuple[float, float], str, float]]  # element-wise: (xy, mathtext, half-width)
    wires: tuple[_Wire, ...]
    dots: tuple[tuple[float, float], ...]  # where a wire splits in two
    terminals: tuple[tuple[tuple[float, float], str, str, str], ...]  # (xy, symbol, term, side)
    labels: tuple[tuple[tuple[float, float], str, str], ...]  # what a gate wire carries: (xy, mathtext, ha)
    xlim: tuple[float, float]
    ylim: tuple[float, float]


_TOP, _MID, _GATE = 5.2, 3.7, 2.2  # the rows (y) of the c (or h) highway, the products, the boxes


def _taps(boxes: Mapping[str, float], h_bus: float, x_bus: float, h_only: Sequence[str] = (),
          x_only: Sequence[str] = ()) -> tuple[_Wire, ...]:
    """Each box's inputs: h[t−1] from its bus (right of centre) and x[t] from the bus below
    (left of centre, crossing the h bus); the boxes named in ``h_only`` or ``x_only`` take one."""
    bottom = _GATE - 0.5
    wires = []
    for name, x in boxes.items():
        if name in h_only:
            wires.append(_Wire(((x, h_bus), name)))
        elif name in x_only:
            wires.append(_Wire(((x, x_bus), (x, bottom))))
        else:
            wires.append(_Wire(((x + 0.3, h_bus), (x + 0.3, bottom))))
            wires.append(_Wire(((x - 0.3, x_bus), (x - 0.3, bottom)), halo=True))
    return tuple(wires)


_LSTM_LAYOUT = _Layout(
    boxes={"f": _Box((2.2, _GATE), r"$\sigma$", "forget gate"),
           "i": _Box((4.2, _GATE), r"$\sigma$", "input gate"),
           "g": _Box((6.2, _GATE), r"$\tanh$", "candidate"),
           "o": _Box((8.4, _GATE), r"$\sigma$", "output gate")},
    nodes={"keep": ((2.2, _TOP), r"$\odot$", 0.3), "add": ((6.2, _TOP), "$+$", 0.3),
           "write": ((6.2, _MID), r"$\odot$", 0.3), "squash": ((10.4, _MID), r"$\tanh$", 0.5),
           "show": ((10.4, _GATE), r"$\odot$", 0.3)},
    wires=(
        _Wire(((0.0, _TOP), "keep"), gate="f"),  # c[t−1] ...
        _Wire(("keep", "add"), gate="f", cut_mark=True),  # ... f ⊙ c[t−1]
        _Wire(("add", (12.4, _TOP))),  # c[t]
        _Wire(((10.4, _TOP), "squash")),
        _Wire(("squash", "show"), gate="o"),  # tanh(c[t]) ...
        _Wire(("show", (12.4, _GATE)), gate="o", cut_mark=True),  # ... h[t] = o ⊙ tanh(c[t])
        _Wire(("f", "keep"), carries="f"),
        _Wire(("i", (4.2, _MID), "write"), carries="i"),
        _Wire(("g", "write"), carries="g", gate="i"),  # g ...
        _Wire(("write", "add"), gate="i", cut_mark=True),  # ... i ⊙ g
        _Wire(("o", "show"), carries="o"),
        _Wire(((0.0, 0.8), (8.7, 0.8)), head=False),  # h[t−1] to every box
        _Wire(((1.0, -0.3), (1.0, 0.25), (8.1, 0.25)), head=False),  # x[t] to every box
        *_taps({"f": 2.2, "i": 4.2, "g": 6.2, "o": 8.4}, h_bus=0.8, x_bus=0.25),
    ),
    dots=((10.4, _TOP), (2.5, 0.8), (4.5, 0.8), (6.5, 0.8), (1.9, 0.25), (3.9, 0.25),
          (5.9, 0.25)),
    terminals=(((0.0, _TOP), "$c_{t-1}$", "cell state", "left"),
               ((0.0, 0.8), "$h_{t-1}$", "hidden state", "left"),
               ((1.0, -0.3), "$x_t$", N_("input"), "bottom"),
               ((12.4, _TOP), "$c_t$", "cell state", "right"),
               ((12.4, _GATE), "$h_t$", "hidden state", "right")),
    labels=(((2.35, 3.55), "$f_t$", "left"), ((4.35, 3.15), "$i_t$", "left"),
            ((6.35, 3.0), "$g_t$", "left"), ((9.55, 2.3), "$o_t$", "center")),
    xlim=(-1.7, 14.0), ylim=(-1.05, 5.7),
)

_GRU_LAYOUT = _Layout(
    boxes={"z": _Box((2.2, _GATE), r"$\sigma$", "update gate"),
           "r": _Box((4.4, _GATE), r"$\sigma$", "reset gate"),
           "hn": _Box((6.6, 0.85), r"$W_{hn}\,h_{t-1} + b_{hn}$", width=2.3, height=0.7),
           "n": _Box((8.8, _GATE), r"$\tanh$", "candidate")},
    nodes={"keep": ((2.2, _TOP), r"$\odot$", 0.3), "add": ((8.8, _TOP), "$+$", 0.3),
           "flip": ((5.4, _MID), "$1{-}$", 0.3), "write": ((8.8, _MID), r"$\odot$", 0.3),
           "reset": ((6.6, _GATE), r"$\odot$", 0.3)},
    wires=(
        _Wire(((0.0, _TOP), (0.6, _TOP)), head=False),  # h[t−1] ...
        _Wire(((0.6, _TOP), "keep"), gate="z"),
        _Wire(("keep", "add"), gate="z", cut_mark=True),  # ... z ⊙ h[t−1]
        _Wire(("add", (11.2, _TOP))),  # h[t]
        _Wire(((0.6, _TOP), (0.6, 0.05), (6.6, 0.05)), head=False),  # h[t−1] to the boxes
        _Wire(((1.2, -1.05), (1.2, -0.5), (8.8, -0.5)), head=False),  # x[t] to the boxes
        *_taps({"z": 2.2, "r": 4.4, "hn": 6.6, "n": 8.8}, h_bus=0.05, x_bus=-0.5,
               h_only=("hn",), x_only=("n",)),
        _Wire(("z", "keep"), carries="z"),
        _Wire(((2.2, _MID), "flip"), carries="z"),
        _Wire(("flip", "write"), carries="z"),  # 1 − z
        _Wire(("r", "reset"), carries="r"),
        _Wire(("hn", "reset"), gate="r"),  # W_hn h + b_hn ...
        _Wire(("reset", "n"), gate="r", cut_mark=True),  # ... r ⊙ (W_hn h + b_hn)
        _Wire(("n", "write"), carries="n", gate="z", opens=0.0),  # n ...
        _Wire(("write", "add"), gate="z", opens=0.0, cut_mark=True),  # ... (1 − z) ⊙ n
    ),
    dots=((0.6, _TOP), (2.2, _MID), (2.5, 0.05), (4.7, 0.05), (1.9, -0.5), (4.1, -0.5)),
    terminals=(((0.0, _TOP), "$h_{t-1}$", "hidden state", "left"),
               ((1.2, -1.05), "$x_t$", N_("input"), "bottom"),
               ((11.2, _TOP), "$h_t$", "hidden state", "right")),
    labels=(((2.35, 3.15), "$z_t$", "left"), ((7.05, 3.82), "$1-z_t$", "center"),
            ((5.75, 2.3), "$r_t$", "center"), ((8.95, 3.0), "$n_t$", "left")),
    xlim=(-1.7, 12.8), ylim=(-1.8, 5.7),
)

CELL_LAYOUTS = {"LSTM": _LSTM_LAYOUT, "GRU": _GRU_LAYOUT}
CUT_COLOR = "#adb5bd"


def _word(term: str) -> str:
    """A glossary term in the edition's words (the glossary fixes them), any other label via _."""
    return gettext(term, context=GLOSSARY_CONTEXT) if term in GLOSSARY_TERMS else _(term)


def _value(v: torch.Tensor) -> str:
    """A forced value as the diagram writes it: "0", "1", "0.35", or "0.2…0.8" for a schedule."""
    if v.numel() == 1:
        return f"{v.item():g}"
    return rf"{v.min().item():g}\ldots{v.max().item():g}"


class CellDiagram:
    """One LSTM or GRU cell as a data-flow picture of PyTorch's equations: x[t] from below,
    h[t−1] (and the LSTM's c[t−1]) from the left, a box for each layer with its own weights
    (σ for a gate, tanh for the candidate), a circle for each element-wise operation (⊙, +,
    1 −), and c[t], h[t] leaving on the right.

    Drawn once; :meth:`show` marks the forced gates with their values and the paths they
    multiply: cut (grey, dashed, ✕) where the product is 0, bold where the gate lets all of it
    through. The gate explorer redraws only :meth:`changing_artists` on a click.
    ``compact``: a small copy (no words inside the boxes) to sit beside other plots.
    """

    def __init__(self, kind: str, ax: Axes, compact: bool = False):
        kind = str(kind).upper()
        if kind not in CELL_LAYOUTS:
            raise ValueError(_("A cell diagram shows an LSTM or a GRU: use kind=\"LSTM\" or "
                               "kind=\"GRU\", not {kind!r}.").format(kind=kind))
        self.kind, self.ax, self.compact = kind, ax, compact
        self.layout = layout = CELL_LAYOUTS[kind]
        s = self.scale = 0.8 if compact else 1.0
        self.lw = 1.5 * s
        ax.set_xlim(*layout.xlim)
        ax.set_ylim(*layout.ylim)
        ax.set_aspect("equal")
        ax.axis("off")

        centres = {**{k: b.xy for k, b in layout.boxes.items()},
                   **{k: xy for k, (xy, _m, _w) in layout.nodes.items()}}
        half = {**{k: (b.width / 2, b.height / 2) for k, b in layout.boxes.items()},
                **{k: (w, 0.3) for k, (_xy, _m, w) in layout.nodes.items()}}

        def end(point, towards):
            """An end of a wire: a point, or the edge of the named box or node facing ``towards``."""
            if not isinstance(point, str):
                return point
            (x, y), (hw, hh) = centres[point], half[point]
            tx, ty = centres.get(towards, towards) if isinstance(towards, str) else towards
            gap = 0.03  # the arrow head stops just short of the edge
            if abs(tx - x) > abs(ty - y):
                return (x + np.sign(tx - x) * (hw + gap), y)
            return (x, y + np.sign(ty - y) * (hh + gap))

        # element-wise operations: white circles (tanh of c: an oval)
        for _name, ((x, y), math, w) in layout.nodes.items():
            ax.add_patch(Ellipse((x, y), 2 * w, 0.6, facecolor="white", edgecolor="black",
                                 lw=1.2 * s, zorder=2))
            ax.text(x, y, math, ha="center", va="center", zorder=3,  # ⊙ and + large, tanh and 1 − smaller
                    fontsize=(14 if math in (r"$\odot$", "$+$") else 11) * s)

        # the wires; those a gate can cut or open are redrawn on every change
        self.wires: list[tuple[_Wire, FancyArrowPatch]] = []
        self.cut_marks: dict[int, Line2D] = {}  # wire index -> its ✕
        for wire in layout.wires:
            points = list(wire.points)
            points[0] = end(points[0], points[1])
            points[-1] = end(points[-1], points[-2])
            arrow = FancyArrowPatch(path=Path(points), arrowstyle="-|>" if wire.head else "-",
                                    mutation_scale=12 * s, lw=self.lw, color="black",
                                    joinstyle="miter", capstyle="butt", zorder=1)
            if wire.halo:
                arrow.set_path_effects([withStroke(linewidth=6 * s, foreground="white")])
            ax.add_patch(arrow)
            self.wires.append((wire, arrow))
            if wire.cut_mark:
                (a, b) = points[0], points[-1]
                (mark,) = ax.plot([(a[0] + b[0]) / 2], [(a[1] + b[1]) / 2], marker="X",
                                  ms=12 * s, color=FORCED_COLOR, mec="white", mew=1,
                                  zorder=4, visible=False)
                self.cut_marks[len(self.wires) - 1] = mark
        if layout.dots:
            xs, ys = zip(*layout.dots, strict=True)
            ax.plot(xs, ys, "o", ms=4.5 * s, color="black", zorder=3)

        # the layers with weights: a tinted box per gate, in the explorer's gate colours
        self.boxes: dict[str, tuple] = {}
        for name, box in layout.boxes.items():
            (x, y), color = box.xy, GATE_COLORS.get(name, "#868e96")  # W_hn h + b_hn: grey
            patch = FancyBboxPatch((x - box.width / 2, y - box.height / 2), box.width,
                                   box.height, boxstyle="round,pad=0,rounding_size=0.12",
                                   facecolor=to_rgba(color, 0.13), edgecolor=color,
                                   lw=1.4 * s, zorder=2)
            ax.add_patch(patch)
            words = box.term and not compact
            math = ax.text(x, y + (0.2 if words else 0), box.math, ha="center", va="center",
                           zorder=3, fontsize=(14 if box.term else 10.5) * s)
            term = ax.text(x, y - 0.28, _word(box.term), ha="center", va="center", zorder=3,
                           fontsize=9) if words else None
            self.boxes[name] = (box, patch, math, term, to_rgba(color, 0.13), color)

        # inputs and outputs, each with its symbol and what it is
        for (x, y), symbol, term, side in layout.terminals:
            if side == "bottom":
                ax.text(x, y - 0.08, symbol, ha="center", va="top", fontsize=13 * s)
                if not compact:
                    ax.text(x + 0.38, y - 0.2, _word(term), ha="left", va="top", fontsize=8.5,
                            color="#555555")
                continue
            dx, ha = (-0.15, "right") if side == "left" else (0.15, "left")
            ax.text(x + dx, y, symbol, ha=ha, va="center", fontsize=13 * s)
            if not compact:
                ax.text(x + dx, y - 0.38, _word(term), ha=ha, va="top", fontsize=8.5,
                        color="#555555")
        for (x, y), math, ha in layout.labels:
            ax.text(x, y, math, ha=ha, va="bottom" if ha == "center" else "center",
                    fontsize=12 * s)

    def show(self, force: Mapping[str, float | torch.Tensor] | None = None) -> Figure:
        """Mark the gates in ``force`` (the dict :func:`gatelab.cells.run` takes; a gate not
        named stays learned) and the paths they cut or open; unmark the others."""
        forced = cells._check_force(self.kind, force)  # tensors; a clear error otherwise
        for name, (box, patch, math, _term, face, color) in self.boxes.items():
            if name in forced:
                value = _value(forced[name])
                patch.set(facecolor="#fff4e6", edgecolor=FORCED_COLOR, lw=2.4 * self.scale)
                # "0" and "1" as large as fits the small copy's boxes; "0.35" a little smaller
                size = 12 if not self.compact else (10 if len(value) == 1 else 8)
                math.set(text=f"${name}_t = {value}$", color=FORCED_COLOR, fontsize=size)
            else:
                patch.set(facecolor=face, edgecolor=color, lw=1.4 * self.scale)
                math.set(text=box.math, color="black",
                         fontsize=(14 if box.term else 10.5) * self.scale)
        for k, (wire, arrow) in enumerate(self.wires):
            state = "learned"
            if wire.gate in forced and forced[wire.gate].numel() == 1:
                through = forced[wire.gate].item()
                through = through if wire.opens == 1 else 1 - through  # the GRU's 1 − z
                state = {0.0: "cut", 1.0: "open"}.get(through, "learned")
            color = (CUT_COLOR if state == "cut" else
                     FORCED_COLOR if wire.carries in forced else "black")
            arrow.set(color=color, linestyle=(0, (3, 2)) if state == "cut" else "solid",
                      linewidth=self.lw * (2.6 if state == "open" else 1.0))
            if k in self.cut_marks:
                self.cut_marks[k].set_visible(state == "cut")
        return self.ax.figure

    def changing_artists(self) -> list:
        """What :meth:`show` changes, in drawing order; the rest can stay in a background."""
        gated = [arrow for wire, arrow in self.wires if wire.gate or wire.carries]
        boxes = [artist for (_b, patch, math, term, _f, _c) in self.boxes.values()
                 for artist in (patch, math, term) if artist is not None]
        return [*gated, *boxes, *self.cut_marks.values()]

    def legend(self, marks: bool = True, shapes: bool = True, ax: Axes | None = None, **kwargs):
        """A key below the picture (or on ``ax``): what the shapes mean and how a forced gate
        marks a path."""
        handles = []
        if shapes:
            handles += [Patch(facecolor="#f1f3f5", edgecolor="#495057",
                              label=_("layer with its own weights")),
                        Line2D([], [], ls="", marker="o", ms=11, mfc="white", mec="black",
                               label=_("element-wise operation"))]
        if marks:
            handles += [Line2D([], [], color=CUT_COLOR, lw=self.lw, ls=(0, (3, 2)), marker="X",
                               ms=9 * self.scale, mfc=FORCED_COLOR, mec="white",
                               label=_("path cut: gate forced to 0")),
                        Line2D([], [], color="black", lw=self.lw * 2.6,
                               label=_("path fully open: gate forced to 1"))]
        options = {"loc": "upper center", "bbox_to_anchor": (0.5, 0.02), "frameon": False,
                   "ncols": 2, "fontsize": 10 if not self.compact else 8, "handlelength": 2.6}
        return (ax or self.ax).legend(handles=handles, **{**options, **kwargs})


def cell_diagram(kind: str, force: Mapping[str, float | torch.Tensor] | None = None,
                 ax: Axes | None = None) -> Figure:
    """The data flow inside one LSTM or GRU cell (``kind``), as PyTorch computes it, labelled
    in the language in use. With ``force`` (as for :func:`gatelab.cells.run`, e.g.
    ``{"f": 0.0}``) the forced gates show their values and the paths they cut or open."""
    with plt.rc_context(style()):
        if ax is None:
            fig, grid = _new(figsize=(10, 5.1))
            ax = grid[0, 0]
        diagram = CellDiagram(kind, ax)
        fig = diagram.show(force)
        diagram.legend(marks=bool(force))
    return fig


class GatePanel:
    """The gate explorer's figure, made once and then updated in place (fast enough to follow
    a click): the cell's equations with the forced terms marked and, beside them, a small
    :class:`CellDiagram` showing which paths the forced gates cut or open; below, the input,
    the gates (LSTM i f o, GRU r z) and two states (LSTM c and h, GRU n and h) of one unit —
    the forced run solid, the learned run faint beside it."""

    def __init__(self, steps: int, input_names: Sequence[str], figsize=(10, 10),
                 kind: str = "LSTM"):
        self.view = view = CELL_VIEWS[kind]
        with plt.rc_context(style()):
            self.figure = plt.figure(figsize=figsize, layout="constrained")
            plt.close(self.figure)
            # two subfigures: the diagram beside the equations may use the full width, which
            # the plots below leave to their legends on the right
            top, bottom = self.figure.subfigures(2, 1, height_ratios=[2.3, 4.6 + 0.6])
            beside = top.add_gridspec(1, 2, width_ratios=[0.85, 1.15])
            ax_eq = top.add_subplot(beside[0])
            ax_x, ax_g, ax_c, ax_h = bottom.subplots(4, 1, height_ratios=[1, 1.2, 1.2, 1.2],
                                                     gridspec_kw={"hspace": 0.05})
            ax_cell = top.add_subplot(beside[1])  # last: figure.axes keeps the order above
            t = np.arange(1, steps + 1)
            ax_eq.axis("off")
            # one line each, from the top: the gates' equations, then the update (split at the
            # wide gaps between its equations, so that a line fits beside the diagram)
            lines = [*view.gates, *re.split(r"\s{3,}", view.update)]
            place = {"xy": (0.0, 1.0), "xycoords": "axes fraction", "textcoords": "offset points",
                     "va": "top", "fontsize": 11}
            self.equations = {gate: ax_eq.annotate("", xytext=(0, -22 * row), **place)
                              for row, gate in enumerate(view.gates)}
            for row, line in enumerate(lines[len(view.gates):], start=len(view.gates)):
                ax_eq.annotate(line, xytext=(0, -22 * row), **place)
            self.diagram = CellDiagram(kind, ax_cell, compact=True)
            # its key under the equations, so that the picture can take the whole height
            self.diagram.legend(shapes=False, ax=ax_eq, ncols=1, loc="lower left",
                                bbox_to_anchor=(0.0, 0.0))
            # the preset's name (in the HTML lesson) above the diagram
            self.title = top.suptitle("", x=0.71, fontsize=11, color="#555555")
            self.input_image = ax_x.imshow(np.zeros((len(input_names), steps)), aspect="auto",
                                           cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest",
                                           extent=(0.5, steps + 0.5, len(input_names) - 0.5, -0.5))
            ax_x.set_yticks(range(len(input_names)), list(input_names))
            ax_x.grid(False)
            ax_x.set_ylabel(_("input x[t]"))
            self.gate_lines, self.gate_learned = {}, {}
            for gate in view.gates:
                (self.gate_learned[gate],) = ax_g.plot(t, np.zeros(steps), color=GATE_COLORS[gate],
                                                       lw=1, alpha=0.3, ls="--")
                (self.gate_lines[gate],) = ax_g.plot(t, np.zeros(steps), color=GATE_COLORS[gate],
                                                     lw=2, label=gate)
            ax_g.set_ylim(-0.05, 1.05)
            ax_g.set_ylabel(_("gates"))
            ax_g.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=10)
            self.state_lines, self.state_learned = {}, {}
            for (name, label), ax in zip(view.states, (ax_c, ax_h), strict=True):
                label = _(label)
                (self.state_learned[name],) = ax.plot(t, np.zeros(steps), color="black", lw=1.2,
                                                      alpha=0.35, ls="--", label=_("learned"))
                (self.state_lines[name],) = ax.plot(t, np.zeros(steps), color=COLORS["h"], lw=2.2,
                                                    label=_("with the gates as set"))
                ax.axhline(0, color="black", lw=0.6)
                ax.set_ylabel(label)
            ax_h.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=9)
            self.axes = {"x": ax_x, "gates": ax_g, view.states[0][0]: ax_c, "h": ax_h}
            ax_h.set_xlabel(_("time step t"))
            self._backgrounds: dict = {}  # y-limits and input -> the drawn background (a few)
            for ax in (ax_x, ax_g, ax_c):
                ax.sharex(ax_h)
                ax.tick_params(labelbottom=False)

    def update(self, x: torch.Tensor, trace, learned, forced: Mapping[str, float], unit: int = 0,
               title: str = "") -> Figure:
        """Show ``trace`` (the forced run) against ``learned`` (the unforced one) for ``unit``.

        ``x``: (T, I); ``trace`` and ``learned``: :class:`gatelab.cells.Trace` of an unbatched
        run (each tensor (T, H)); ``forced``: the constant each forced gate was given.
        """
        self.input_image.set_data(_numpy(x).T)
        for gate in self.view.gates:
            self.gate_lines[gate].set_ydata(_numpy(trace.gates[gate][:, unit]))
            self.gate_learned[gate].set_ydata(_numpy(learned.gates[gate][:, unit]))
            if gate in forced:
                self.equations[gate].set_text(f"{gate}[t] = {forced[gate]:g}    ← "
                                              + describe_force(forced[gate]))
                self.equations[gate].set_color(FORCED_COLOR)
                self.equations[gate].set_fontweight("bold")
            else:
                self.equations[gate].set_text(self.view.equations[gate])
                self.equations[gate].set_color("black")
                self.equations[gate].set_fontweight("normal")
        for name, _label in self.view.states:
            ours, reference = _state(trace, name)[:, unit], _state(learned, name)[:, unit]
            self.state_lines[name].set_ydata(_numpy(ours))
            self.state_learned[name].set_ydata(_numpy(reference))
            top = max(float(np.abs(_numpy(ours)).max()), float(np.abs(_numpy(reference)).max()))
            # a few round limits only, so that most clicks reuse a background (see render_png)
            top = next((v for v in (1, 2, 5, 10, 20, 50, 100, 200, 500) if top <= v), top)
            self.axes[name].set_ylim(-1.08 * top, 1.08 * top)
        self.diagram.show(forced)
        self.title.set_text(title)
        return self.figure

    def dynamic_artists(self) -> list:
        """What changes from one click to the next; everything else is the background."""
        return [*self.equations.values(), self.title, *self.gate_lines.values(),
                *self.gate_learned.values(), *self.state_lines.values(),
                *self.state_learned.values(), *self.diagram.changing_artists()]

    def render_png(self, dpi: int = 80) -> bytes:
        """The figure as PNG, quickly: the background (axes, ticks, labels, the input) is drawn
        once and reused; each call draws only the lines and equations over it (blitting).
        The background is drawn again when the y-limits or the input change."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from PIL import Image

        key = (dpi, tuple(ax.get_ylim() for ax in self.axes.values()),
               self.input_image.get_array().tobytes())
        canvas = self.figure.canvas if isinstance(self.figure.canvas, FigureCanvasAgg) \
            else FigureCanvasAgg(self.figure)
        if key not in self._backgrounds:
            self.figure.set_dpi(dpi)
            for artist in self.dynamic_artists():
                artist.set_animated(True)
            canvas.draw()
            self.figure.set_layout_engine("none")  # the layout is settled: keep it fixed
            for artist in self.dynamic_artists():
                artist.set_animated(False)
            if len(self._backgrounds) >= 8:
                self._backgrounds.pop(next(iter(self._backgrounds)))
            self._backgrounds[key] = canvas.copy_from_bbox(self.figure.bbox)
        canvas.restore_region(self._backgrounds[key])
        for artist in self.dynamic_artists():
            self.figure.draw_artist(artist)
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()


def gates(x: torch.Tensor, trace, learned, forced: Mapping[str, float], unit: int = 0,
          input_names: Sequence[str] | None = None, title: str = "",
          kind: str = "LSTM") -> Figure:
    """The gate explorer's figure for an LSTM or a GRU, drawn once (see :class:`GatePanel`)."""
    names = input_names or [f"x{k + 1}" for k in range(x.shape[-1])]
    return GatePanel(len(x), names, kind=kind).update(x, trace, learned, forced, unit, title)


def state_heatmap(trace, symbols: str, unit: int | None = None,
                  axes: Sequence[Axes] | None = None) -> Figure:
    """Hidden state h[t] and cell state c[t] of every unit over one sequence, as heatmaps
    (units down, time across, the input symbols as tick labels, each unit scaled to its own
    range, dotted lines at X and Y); ``unit`` is outlined.

    ``trace``: a :class:`gatelab.cells.Trace` of an unbatched LSTM run (h, c each (T, H)).
    """
    from matplotlib.patches import Rectangle

    with plt.rc_context(style()):
        if axes is None:
            fig, grid = _new(2, 1, figsize=(11, 6.4), sharex=True)
            axes = grid[:, 0]
        fig = axes[0].figure
        for ax, values, label in ((axes[0], trace.h, _("hidden state h[t]")),
                                  (axes[1], trace.c, _("cell state c[t]"))):
            values = _numpy(values).T  # (H, T)
            # each unit scaled to its own range: a unit that moves a little is as visible as
            # one that drifts far
            values = values / np.maximum(np.abs(values).max(1, keepdims=True), 1e-6)
            steps, units = values.shape[1], values.shape[0]
            # time steps t = 1 … T, as in every other figure
            ax.imshow(values, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1,
                      interpolation="nearest", extent=(0.5, steps + 0.5, units - 0.5, -0.5))
            ax.set_ylabel(label + "\n" + _("unit"))
            ax.grid(False)
            for t, symbol in enumerate(symbols, start=1):
                if symbol in "XY":
                    ax.axvline(t, color="black", lw=1, ls=":")
            if unit is not None:
                ax.add_patch(Rectangle((0.5, unit - 0.5), steps, 1, fill=False,
                                       edgecolor="black", lw=2))
        axes[1].set_xticks(range(1, len(symbols) + 1), list(symbols), fontsize=7)
        axes[1].set_xlabel(_("input symbol at each time step"))
        if unit is not None:
            axes[0].set_title(_("unit {unit} (outlined) holds the first relevant symbol")
                              .format(unit=unit))
    return fig


def memory_unit_traces(c: torch.Tensor, symbols: Sequence[str], unit: int,
                       ax: Axes | None = None) -> Figure:
    """One unit's cell state over several sequences, coloured by the first relevant symbol
    (X or Y): a memory unit splits the sequences into two bands at the first X/Y and keeps
    them apart until the second. ``c``: (B, T, H); ``symbols``: the B sequences as text."""
    c = _numpy(c)
    with plt.rc_context(style()):
        if ax is None:
            fig, grid = _new(figsize=(10, 3.8))
            ax = grid[0, 0]
        fig = ax.figure
        shown = set()
        for b, text in enumerate(symbols):
            first = next(ch for ch in text if ch in "XY")
            label = None if first in shown else _("first relevant symbol: {symbol}").format(
                symbol=first)
            shown.add(first)
            ax.plot(np.arange(1, len(text) + 1), c[b, :, unit], lw=1.3, alpha=0.8, label=label,
                    color=COLORS["x"] if first == "X" else COLORS["y"])
        ax.set_xlabel(_("time step t"))
        ax.set_ylabel(_("cell state c[t], unit {unit}").format(unit=unit))
        ax.legend(loc="best")
    return fig


def _recorded_spans() -> tuple[dict[str, dict[int, float]], dict[str, dict[int, float]],
                               list[str], tuple[int, int]]:
    """Accuracy against the gap (temporal order: mean over the seeds that reached 99 % on hard,
    over all seeds for a cell none of whose seeds did) and against the delay (echo: mean over
    seeds), per cell, from data/long_lags.json; the cells none of whose seeds reached 99 %; and
    the gaps that the hard level trains on."""
    from .checkpoints import long_lags
    from .tasks import LEVELS

    results = long_lags()
    gaps, unreached = {}, []
    for label, cell in results["curriculum"]["cells"].items():
        means = cell["gap_summary"]["reached"] or cell["gap_summary"]["all"]
        if not cell["gap_summary"]["reached"]:
            unreached.append(label)
        gaps[label] = {int(g): a for g, a in means.items()}
    delays = {label: {int(d): v["mean"] for d, v in cell["delays"].items()}
              for label, cell in results["echo"]["cells"].items()}
    hard = LEVELS["hard"]
    return gaps, delays, unreached, (hard.t2[0] - hard.t1[1], hard.t2[1] - hard.t1[0])


def memory_span(gaps: Mapping[str, Mapping[int, float]] | None = None,
                delays: Mapping[str, Mapping[int, float]] | None = None,
                axes: Sequence[Axes] | None = None, unreached: Sequence[str] = (),
                trained: tuple[int, int] | None = None) -> Figure:
    """How long a memory each cell learns: held-out accuracy against the distance between the
    two relevant symbols of the temporal-order task (left) and against the delay of the echo
    task (right), one line per cell, with chance marked. ``gaps`` and ``delays`` map a cell's
    label to {distance: accuracy}; by default both come from data/long_lags.json, where a cell
    none of whose seeds solved hard (``unreached``) is drawn dashed, and the distances that hard
    trains on (``trained``) are shaded."""
    if gaps is None or delays is None:
        recorded_gaps, recorded_delays, recorded_unreached, recorded_trained = _recorded_spans()
        if gaps is None:
            gaps, unreached, trained = recorded_gaps, recorded_unreached, recorded_trained
        delays = recorded_delays if delays is None else delays
    with plt.rc_context(style()):
        if axes is None:
            fig, grid = _new(1, 2, figsize=(11, 4.8))
            axes = grid[0]
        fig = axes[0].figure
        panels = ((axes[0], gaps, _("steps between the two relevant symbols"), 0.25,
                   _("temporal order (hard)"), set(unreached)),
                  (axes[1], delays, _("delay of the echo (steps)"), 0.5, _("echo"), set()))
        colors = {}
        for ax, curves, xlabel, chance, title, dashed in panels:
            for label, points in curves.items():
                xs = sorted(points)
                line, = ax.plot(xs, [points[x] for x in xs], marker="o", lw=2, ms=4,
                                label=_(label), color=colors.get(label),
                                ls="--" if label in dashed else "-")
                colors[label] = line.get_color()  # the same colour for a cell in both panels
            ax.axhline(chance, color=COLORS["faint"], ls=":", lw=1.2, label=_("chance"))
            ax.set_xlabel(xlabel)
            ax.set_ylabel(_("held-out accuracy"))
            ax.set_ylim(0, 1.04)
            ax.set_title(title)
        if trained:
            axes[0].axvspan(*trained, color=COLORS["faint"], alpha=0.15, lw=0,
                            label=_("distances trained on"))
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize="small",
                   frameon=False)
    return fig


#: a shade per curriculum level, lightest first
LEVEL_SHADES = {"easy": "#f3f3f3", "moderate": "#e2e2e2", "hard": "#cfcfcf"}


def curriculum(histories: Mapping[str, object], ax: Axes | None = None) -> Figure:
    """Held-out accuracy against the training sequences seen, one line per run
    (:class:`gatelab.train.CurriculumHistory`, labelled by the keys, translated where the
    catalog has them, e.g. "curriculum", "hard only"); the levels of the first run shaded and
    named, chance on hard (25 %) and the target marked."""
    with plt.rc_context(style()):
        if ax is None:
            fig, grid = _new(figsize=(9, 4))
            ax = grid[0, 0]
        fig = ax.figure
        first = next(iter(histories.values()))
        starts = [0, *(seen for seen, before, now in zip(first.sequences[1:], first.levels,
                                                         first.levels[1:], strict=False)
                       if now != before)]
        levels = list(dict.fromkeys(first.levels))
        ends = [*starts[1:], max(max(h.sequences) for h in histories.values())]
        for level, start, end in zip(levels, starts, ends, strict=False):
            ax.axvspan(start, end, color=LEVEL_SHADES.get(level, "#eeeeee"), lw=0)
            ax.annotate(_(level), xy=(start, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(4, -4), textcoords="offset points", va="top", fontsize=10,
                        color="#555555")
        for label, history in histories.items():
            ax.plot(history.sequences, history.accuracy, lw=2, marker="o", ms=2.5,
                    label=_(label) if label else label)
        ax.axhline(0.25, color=COLORS["faint"], ls=":", lw=1.2, label=_("chance on hard"))
        ax.axhline(first.target, color="black", ls="--", lw=0.8, label=_("target"))
        ax.set_xlabel(_("training sequences seen"))
        ax.set_ylabel(_("held-out accuracy of the level trained"))
        ax.set_ylim(0, 1.08)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax.legend(loc="center right", fontsize="small")
    return fig


def chunk_errors(errors: Mapping[str, Sequence[float]], delay: int,
                 ax: Axes | None = None) -> Figure:
    """An echo tagger's error rate at each position of a chunk (what
    :func:`gatelab.train.chunk_errors` returns): read from a fresh state and with the state
    carried in; the first ``delay`` positions, whose bits a fresh state never saw, shaded."""
    names = {"fresh": _("fresh state at every chunk"), "carried": _("state carried in")}
    with plt.rc_context(style()):
        if ax is None:
            fig, grid = _new(figsize=(8, 3.6))
            ax = grid[0, 0]
        fig = ax.figure
        ax.axvspan(0.5, delay + 0.5, color=COLORS["faint"], alpha=0.15, lw=0,
                   label=_("the first {delay} positions").format(delay=delay))
        for mode, values in errors.items():
            ax.plot(np.arange(1, len(values) + 1), values, lw=2, marker="o", ms=3,
                    label=names.get(mode, mode))
        ax.axhline(0.5, color=COLORS["faint"], ls=":", lw=1.2, label=_("guessing"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(_("position in the chunk"))
        ax.set_ylabel(_("error rate"))
        ax.set_ylim(-0.02, 0.6)
        ax.legend(fontsize="small", loc="upper right")
    return fig


# --- Chapter 5: the character model ---------------------------------------------------------


def char_lm_training(history, vocab_size: int, axes: Sequence[Axes] | None = None) -> Figure:
    """A character model's training (:class:`gatelab.charlm.Fit`): held-out bits per character
    against training steps, with a uniform guess over the vocabulary marked; beside it, when
    the samples have Bengali or Devanagari syllables, the share of them that are well formed."""
    from . import charlm

    has_syllables = any(charlm.aksharas(text).syllables for text in history.samples)
    with plt.rc_context(style()):
        if axes is None:
            fig, grid = _new(1, 2 if has_syllables else 1,
                             figsize=(10, 3.6) if has_syllables else (6.5, 3.6))
            axes = list(grid[0])
        fig = axes[0].figure
        ax = axes[0]
        ax.plot(history.steps, history.held_out_bits, lw=2, marker="o", ms=3, color=COLORS["y"],
                label=_("held-out text"))
        ax.axhline(np.log2(vocab_size), color=COLORS["faint"], ls=":", lw=1.2,
                   label=_("a uniform guess over {n} symbols").format(n=vocab_size))
        ax.set_xlabel(_("training steps"))
        ax.set_ylabel(_("bits per character"))
        ax.set_ylim(0, np.log2(vocab_size) + 0.6)
        ax.legend(fontsize="small", loc="upper right")
        if has_syllables:
            ax = axes[1]
            ax.plot(history.steps, history.well_formed, lw=2, marker="o", ms=3,
                    color=COLORS["h"])
            ax.set_xlabel(_("training steps"))
            ax.set_ylabel(_("well-formed syllables in a sample"))
            ax.set_ylim(min(0.5, min(history.well_formed) - 0.05), 1.02)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0%}"))
    return fig


def _symbol(ch: str) -> str:
    """A code point as a label: a space as ␣, a line break as ↵, a mark on a dotted circle."""
    if ch == " ":
        return "\u2423"
    if ch == "\n":
        return "\u21b5"
    return "\u25cc" + ch if unicodedata.category(ch) in ("Mn", "Mc") else ch


def temperature(model, data, prompt: str, temperatures: Sequence[float] = (0.5, 1.0, 1.5),
                top: int = 10, axes: Sequence[Axes] | None = None) -> Figure:
    """The model's probabilities for the symbol after ``prompt`` at each temperature: the
    ``top`` most likely symbols at temperature 1, one panel per temperature, the rest summed."""
    from . import charlm

    base = charlm.next_symbol(model, data, prompt, 1.0)
    order = torch.argsort(base, descending=True)[:top]
    labels = [_symbol(data.vocab[int(i)]) for i in order] + ["…"]
    with plt.rc_context(style()):
        if axes is None:
            fig, grid = _new(1, len(temperatures), figsize=(3.4 * len(temperatures), 3.4),
                             sharey=True)
            axes = list(grid[0])
        fig = axes[0].figure
        highest = 0.0
        for ax, t in zip(axes, temperatures, strict=True):
            probs = charlm.next_symbol(model, data, prompt, t)
            shown = probs[order].numpy()
            values = np.append(shown, max(0.0, 1.0 - shown.sum()))
            highest = max(highest, values.max())
            ax.bar(range(len(values)), values, color=[COLORS["y"]] * top + [COLORS["faint"]])
            ax.set_xticks(range(len(values)), labels, fontsize=12)
            ax.set_title(_("temperature {t}").format(t=_number(t)), fontsize=11)
        axes[0].set_ylim(0, min(1.0, highest * 1.15))
        axes[0].set_ylabel(_("probability of the next symbol"))
        fig.legend([Patch(color=COLORS["y"]), Patch(color=COLORS["faint"])],
                   [_("the {n} most likely at temperature 1").format(n=top),
                    _("… all the others")], fontsize="small", loc="outside lower center",
                   ncols=2)
        fig.suptitle(_("after “{prompt}”").format(prompt=prompt.replace("\n", " ")), fontsize=11)
    return fig


# --- Chapter 5: looking inside a language model -----------------------------------------------


def _clusters(text: str) -> list[tuple[int, int]]:
    """(start, end) of each written unit of ``text``: a character with the combining marks
    after it (vowel signs, viramas, nuktas), and a conjunct (consonant + virama + consonant)
    kept whole, so Bengali and Devanagari are drawn shaped, as a reader sees them."""
    starts = [0] if text else []
    for t in range(1, len(text)):
        joined = (unicodedata.category(text[t])[0] == "M" or text[t] in "\u200c\u200d"
                  or "VIRAMA" in unicodedata.name(text[t - 1], ""))
        if not joined:
            starts.append(t)
    return list(zip(starts, [*starts[1:], len(text)], strict=True))


def unit_over_text(text: str, values, lang: str, title: str = "", width: int = 48,
                   ax: Axes | None = None) -> Figure:
    """One unit's value after each character of ``text``, as the colour behind the text (red
    above 0, blue below, scaled to the largest value shown), ``width`` written units a line.
    ``values``: (T,) for the T code points of ``text``; a written unit of several code points
    (a consonant with its vowel sign, a conjunct) gets the value after its last one, the state
    the model had when it had read the whole of it. ``lang``: the language of ``text``, whose
    font draws it (the labels are in the learner's language)."""
    from .fonts import FAMILIES

    values = _numpy(values).reshape(-1)
    if len(values) != len(text):
        raise ValueError(_("Give one value per character: {n} values for {m} characters.")
                         .format(n=len(values), m=len(text)))
    pieces = _clusters(text)
    lines = [pieces[i : i + width] for i in range(0, len(pieces), width)]
    # a quarter beyond the largest value: the darkest cells stay light enough to read
    scale = 1.25 * max(float(np.abs(values).max()), 1e-6)
    grid = np.full((len(lines), width), np.nan)  # (lines, width): the value behind each piece
    for row, line in enumerate(lines):
        grid[row, : len(line)] = [values[end - 1] for _start, end in line]
    with plt.rc_context(style()):
        if ax is None:
            fig, axes = _new(figsize=(0.21 * width + 1.6, 0.42 * len(lines) + 1.0))
            ax = axes[0, 0]
        fig = ax.figure
        image = ax.imshow(grid, cmap="RdBu_r", vmin=-scale, vmax=scale, aspect="auto",
                          interpolation="nearest", extent=(0, width, len(lines), 0))
        family = FAMILIES.get(lang, FAMILIES["en"])
        for row, line in enumerate(lines):
            for col, (start, end) in enumerate(line):
                piece = text[start:end].replace("\n", " ")
                if piece.strip():
                    # in_layout=False: constrained layout need not measure every piece
                    ax.text(col + 0.5, row + 0.55, piece, ha="center", va="center", fontsize=11,
                            family=family, in_layout=False)
        ax.set_xlim(0, width)
        ax.set_ylim(len(lines), 0)
        ax.set_axis_off()
        if title:
            ax.set_title(title)
        fig.colorbar(image, ax=ax, shrink=0.8, label=_("the unit's value"))
    return fig


def inside_unit(found, unit, lang: str, where: slice | None = None, width: int = 48) -> Figure:
    """The unit ``unit`` (a :class:`gatelab.languagemodel.Unit`) over ``found.text[where]``
    (``found``: :class:`gatelab.languagemodel.States`), as its distance from its own mean over
    the whole of ``found.text`` (a cell state can sit far from 0 all the time; what it tracks
    is how it moves), titled with the feature it follows."""
    where = where or slice(0, len(found.text))
    values = getattr(found, unit.state)[:, unit.unit]  # (T,)
    title = _("unit {unit} of {state}, which follows “{feature}” (correlation {r})").format(
        unit=unit.unit, state=unit.state, feature=_(unit.feature), r=f"{unit.correlation:+.2f}")
    fig = unit_over_text(found.text[where], (values - values.mean())[where], lang, title=title,
                         width=width)
    # in two lines if need be: a three-line text is shorter than the label in every language
    fig.axes[-1].set_ylabel("\n".join(textwrap.wrap(_("the unit's value minus its mean"), 18)),
                            fontsize=10)
    return fig


# --- Chapter 5: forecasting a time series ---


def forecast(series, one_step: torch.Tensor, rollout: torch.Tensor, origin: int,
             ax: Axes | None = None) -> Figure:
    """The held-out year of a :class:`gatelab.forecast.Series`: the rainfall, the climatology,
    the network's one-day-ahead forecasts (``one_step``, one per day of the year) and a rollout
    (``rollout``, the days after ``origin``, an index into the series); the wet season shaded."""
    from . import forecast as fc  # a late import: plots stays usable without the forecaster

    start = series.held_out
    day = np.arange(fc.YEAR)
    first, last = series.wet_season()
    ahead = origin - start + 1 + np.arange(len(rollout))  # days of the year the rollout covers
    with plt.rc_context(style()):
        if ax is None:
            fig, grid = _new(figsize=(10, 4))
            ax = grid[0, 0]
        fig = ax.figure
        ax.axvspan(first, last, color=COLORS["faint"], alpha=0.15, lw=0, label=_("wet season"))
        ax.plot(day, _numpy(series.values[start:]), color="black", lw=0.8,
                label=_("rainfall"))
        ax.plot(day, _numpy(fc.climatology(series)), color=COLORS["h"], ls="--", lw=1.5,
                label=_("climatology: the mean of that day in the training years"))
        ax.plot(day, _numpy(one_step), color=COLORS["y"], lw=1.2,
                label=_("one day ahead, from the true past"))
        ax.plot(ahead, _numpy(rollout), color=COLORS["x"], lw=2,
                label=_("rollout: the network reads its own forecasts"))
        ax.axvline(origin - start, color=COLORS["x"], ls=":", lw=1.2)
        ax.set_xlim(0, fc.YEAR - 1)
        ax.set_ylim(bottom=0)
        ax.set_xlabel(_("day of the held-out year"))
        ax.set_ylabel(_("rainfall (mm per day)"))
        ax.legend(fontsize="small", loc="upper left")
    return fig


def horizon_errors(errors, ax: Axes | None = None) -> Figure:
    """Root-mean-square error against days ahead (a :class:`gatelab.forecast.HorizonErrors`):
    the network's rollout, climatology, persistence and the best forecast possible."""
    lines = [(errors.network, _("network, rollout"), COLORS["x"], "-", "o"),
             (errors.climatology, _("climatology"), COLORS["h"], "--", ""),
             (errors.persistence, _("persistence: every day = the last day seen"), COLORS["y"],
              "-", ""),
             (errors.best, _("best possible (knows how the series was made)"), "black", ":", "")]
    with plt.rc_context(style()):
        if ax is None:
            fig, grid = _new(figsize=(8, 3.8))
            ax = grid[0, 0]
        fig = ax.figure
        days = _numpy(errors.days)
        for values, label, color, style_, marker in lines:
            ax.plot(days, _numpy(values), color=color, ls=style_, lw=2, marker=marker, ms=3,
                    label=label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0.5, days[-1] + 0.5)
        ax.set_ylim(bottom=0)
        ax.set_xlabel(_("days ahead"))
        ax.set_ylabel(_("root-mean-square error (mm per day)"))
        ax.set_title(_("{origins} forecasts from the held-out year").format(origins=errors.origins),
                     fontsize=11)
        ax.legend(fontsize="small", loc="lower right")
    return fig


# --- Chapter 5: deep and bidirectional networks ---------------------------------------------


def layer_reads(rows, steps: int, ax: Axes | None = None) -> Figure:
    """Which inputs x_1 … x_T each layer and direction has read when it gives its output at one
    step (what :func:`gatelab.deep.reads` measured): one row per layer and direction, a filled
    square per input read, the step itself outlined."""
    with plt.rc_context(style()):
        if ax is None:
            fig, grid = _new(figsize=(7, 0.55 * len(rows) + 1.2))
            ax = grid[0, 0]
        fig = ax.figure
        for i, r in enumerate(rows):
            for s in range(1, steps + 1):
                read = s in r.inputs
                ax.add_patch(FancyBboxPatch((s - 0.4, i - 0.35), 0.8, 0.7,
                                            boxstyle="round,pad=0,rounding_size=0.08",
                                            facecolor=COLORS["h"] if read else "white",
                                            edgecolor="black" if s == r.step else COLORS["faint"],
                                            lw=2 if s == r.step else 0.8))
        ax.set_xlim(0.4, steps + 0.6)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xticks(range(1, steps + 1), [f"x{s}" for s in range(1, steps + 1)])
        ax.set_yticks(range(len(rows)), [_("layer {layer}, {direction}").format(
            layer=r.layer, direction=_(r.direction)) for r in rows])
        ax.tick_params(length=0)
        ax.grid(False)
        for side in ax.spines.values():
            side.set_visible(False)
        ax.set_title(_("the inputs each output at step {step} has read (filled)")
                     .format(step=rows[0].step if rows else 0), fontsize=11)
    return fig


def deep_lm(lang: str = "en", ax: Axes | None = None) -> Figure:
    """Held-out bits per character during training for each configuration that
    ``scripts/deep_lm.py`` recorded in ``lang`` (data/deep_lm.json): the mean over the seeds,
    and the band from the best to the worst seed."""
    from . import deep

    recorded = deep.results()
    if lang not in recorded["langs"]:
        raise KeyError(_("No recorded runs in {lang!r}; the recorded languages are: {langs}.")
                       .format(lang=lang, langs=", ".join(recorded["langs"])))
    with plt.rc_context(style()):
        if ax is None:
            fig, grid = _new(figsize=(8, 3.8))
            ax = grid[0, 0]
        fig = ax.figure
        for entry in recorded["langs"][lang]["configurations"].values():
            steps = np.asarray(entry["runs"][0]["history"]["steps"])
            bits = np.asarray([r["history"]["held_out_bits"] for r in entry["runs"]])  # (S, E)
            shown = steps > 0  # the untrained model's bits would flatten the rest
            label = deep.configuration_label(entry["options"])
            line, = ax.plot(steps[shown], bits.mean(0)[shown], lw=2, marker="o", ms=3,
                            label=label)
            ax.fill_between(steps[shown], bits.min(0)[shown], bits.max(0)[shown],
                            color=line.get_color(), alpha=0.15, lw=0)
        ax.set_xlabel(_("training steps"))
        ax.set_ylabel(_("held-out bits per character"))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax.legend(fontsize="small")
    return fig


# --- Chapter 6: why Transformers replaced recurrence ---


def recurrence_timing(timing, committed: bool = True, axes: Sequence[Axes] | None = None) -> Figure:
    """Milliseconds per pass against sequence length T, on log-log axes, for each network of
    ``timing`` (:func:`gatelab.recurrence.measure`): a forward pass on the left, a training step
    on the right; with ``committed``, the run of ``benchmarks/recurrence_vs_attention.py`` as
    thin dashed lines; grey guides show how a time in proportion to T and to T² rises."""
    from . import recurrence

    saved = recurrence.committed_timing() if committed else None
    colors = {"lstm": COLORS["h"], "lstm_loop": COLORS["x"], "attention": COLORS["y"]}
    with plt.rc_context(style()):
        if axes is None:
            fig, grid = _new(1, 2, figsize=(12.5, 4.2))
            axes = grid[0]
        fig = axes[0].figure
        for ax, step in zip(axes, ("forward", "training"), strict=True):
            lengths = np.asarray(timing.lengths, dtype=float)
            for kind, seconds in timing.times(step).items():
                ax.plot(lengths, np.asarray(seconds) * 1000, lw=2, marker="o", ms=4,
                        color=colors[kind], label=_(recurrence.LABELS[kind]))
            if saved is not None:
                for kind, seconds in saved.times(step).items():
                    ax.plot(saved.lengths, np.asarray(seconds) * 1000, lw=1, ls="--",
                            color=colors[kind], alpha=0.8)
            shown = [*timing.times(step).values(), *(saved.times(step).values() if saved else [])]
            top = max(max(seconds) for seconds in shown) * 1000
            everything = [*timing.lengths, *(saved.lengths if saved is not None else [])]
            span = np.asarray([min(everything), max(everything)], dtype=float)
            first = min(s[0] for s in timing.times(step).values()) * 1000
            ax.plot(span, first * span / span[0], color=COLORS["faint"], lw=1, ls=":")
            ax.plot(span, first * (span / span[0]) ** 2, color=COLORS["faint"], lw=1, ls="-.")
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
            _log_axis(ax)
            ax.set_ylim(first / 3, top * 2)  # the T² guide would stretch the axis far above
            ax.set_xlabel(_("sequence length T"))
            ax.set_ylabel(_("milliseconds per pass"))
            ax.set_title(_(recurrence.STEPS[step]), fontsize=11)
        handles, labels = axes[0].get_legend_handles_labels()
        handles += [Line2D([], [], color="black", lw=1, ls="--"),
                    Line2D([], [], color=COLORS["faint"], lw=1, ls=":"),
                    Line2D([], [], color=COLORS["faint"], lw=1, ls="-.")]
        labels += [_("committed run"), _("in proportion to T"), _("in proportion to T²")]
        if saved is None:
            del handles[-3], labels[-3]
        axes[1].legend(handles, labels, fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
    return fig



# --- Chapter 6: encoder, decoder and the bottleneck ---


def alignment(source_tokens: Sequence[str], output_tokens: Sequence[str], weights,
              ax: Axes | None = None) -> Figure:
    """Attention weights (T_out, T_in) as a heatmap: one row per output token (what the decoder
    wrote), one column per source token (the words it read); each row sums to 1. The end token
    shows as "end"."""
    weights = _numpy(weights)
    if weights.shape != (len(output_tokens), len(source_tokens)):
        raise ValueError(_("The weights have shape {shape}, but there are {rows} output tokens "
                           "and {columns} source tokens: pass the tokens the weights belong to.")
                         .format(shape=tuple(weights.shape), rows=len(output_tokens),
                                 columns=len(source_tokens)))
    with plt.rc_context(style()):
        if ax is None:
            fig, grid = _new(figsize=(min(1.1 * len(source_tokens) + 2.5, 12),
                                      min(0.45 * len(output_tokens) + 1.8, 8)))
            ax = grid[0, 0]
        fig = ax.figure
        ax.imshow(weights, cmap="Blues", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
        for (row, column), value in np.ndenumerate(weights):
            if value >= 0.1:
                ax.text(column, row, f"{value:.1f}", ha="center", va="center", fontsize=9,
                        color="white" if value > 0.6 else "black")
        ax.set_xticks(range(len(source_tokens)), list(source_tokens), rotation=30, ha="right")
        ax.set_yticks(range(len(output_tokens)),
                      [_("end") if t == "</s>" else t for t in output_tokens])
        ax.set_xlabel(_("input words the decoder read"))
        ax.set_ylabel(_("digit written"))
        ax.grid(False)
        ax.tick_params(length=0)
    return fig


def seq2seq_lengths(lang: str | None = None, section: str = "bottleneck",
                    yours: Mapping[str, Mapping[int, float]] | None = None,
                    ax: Axes | None = None) -> Figure:
    """Held-out exact match against how many numbers the input lists, with and without
    attention: what ``scripts/seq2seq.py`` recorded for ``lang`` (default: the language in use)
    in ``section`` (the mean over seeds, and the band from the worst to the best seed), and
    ``yours``, a run of your own ({model label: {numbers: accuracy}}), as dashed lines."""
    from . import seq2seq
    from .i18n import language

    recorded = seq2seq.recorded(section, lang or language())
    colors = dict(zip(seq2seq.LABELS, (COLORS["x"], COLORS["y"], COLORS["faint"]), strict=True))
    with plt.rc_context(style()):
        if ax is None:
            fig, grid = _new(figsize=(7.5, 3.8))
            ax = grid[0, 0]
        fig = ax.figure
        for model, by_length in recorded.items():
            lengths = np.asarray(list(by_length))
            values = np.asarray(list(by_length.values()))  # (L, seeds)
            ax.plot(lengths, values.mean(1), lw=2, marker="o", color=colors.get(model),
                    label=_(model))
            ax.fill_between(lengths, values.min(1), values.max(1), color=colors.get(model),
                            alpha=0.15, lw=0)
        for model, by_length in (yours or {}).items():
            ax.plot(list(by_length), list(by_length.values()), lw=1.5, ls="--", marker="s",
                    ms=5, color=colors.get(model, "black"),
                    label=_("{model} (your run)").format(model=_(model)))
        ax.set_xticks(sorted({*(k for v in recorded.values() for k in v),
                              *(k for v in (yours or {}).values() for k in v)}))
        ax.set_xlabel(_("numbers in the input"))
        ax.set_ylabel(_("held-out exact match"))
        ax.set_ylim(-0.03, 1.03)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0%}"))
        ax.legend(fontsize="small")
    return fig
