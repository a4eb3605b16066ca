"""The lessons' figures: plain functions that take ``ax=None`` (or ``axes=None``) and return the
figure they drew on. Labels come from the package catalog, so a figure speaks the edition's
language; fonts come from :mod:`gatelab.fonts` through ``rc_context``, never global rcParams.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch
from matplotlib.ticker import FuncFormatter, LogLocator

from .fonts import style
from .i18n import N_, _

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

        if clip:
            ax_g.plot(steps, norms, color=COLORS["faint"], lw=1.5, ls="--",
                          label=_("without clipping"))
            ax_g.plot(steps, norms * result.clip_factor, color=COLORS["grad"], lw=2.2,
                          label=_("with clipping"))
            ax_g.set_title(_("‖∇W‖ = {raw:.2g} → clipped to {clipped:.2g}").format(
                raw=result.weight_grad_norm,
                clipped=result.weight_grad_norm * result.clip_factor))
        else:
            ax_g.plot(steps, norms, color=COLORS["grad"], lw=2.2, label=_("without clipping"))
            ax_g.set_title(_("‖∇W‖ = {raw:.2g}").format(raw=result.weight_grad_norm))
        _log_axis(ax_g)
        ax_g.set_ylim(1e-12, 1e6)
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
               "r": "#c92a2a", "z": "#1864ab"}
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


class GatePanel:
    """The gate explorer's figure, made once and then updated in place (fast enough to follow
    a click): the cell's equations with the forced terms marked, the input, the gates (LSTM
    i f o, GRU r z) and two states (LSTM c and h, GRU n and h) of one unit — the forced run
    solid, the learned run faint beside it."""

    def __init__(self, steps: int, input_names: Sequence[str], figsize=(10, 8.6),
                 kind: str = "LSTM"):
        self.view = view = CELL_VIEWS[kind]
        with plt.rc_context(style()):
            self.figure = plt.figure(figsize=figsize, layout="constrained")
            plt.close(self.figure)
            ax_eq, ax_x, ax_g, ax_c, ax_h = self.figure.subplots(
                5, 1, height_ratios=[1.25, 1, 1.2, 1.2, 1.2],
                gridspec_kw={"hspace": 0.05})
            t = np.arange(1, steps + 1)
            ax_eq.axis("off")
            self.equations = {
                gate: ax_eq.text(0.0, 0.95 - 0.22 * row, "", transform=ax_eq.transAxes,
                                 va="top", fontsize=11)
                for row, gate in enumerate(view.gates)}
            ax_eq.text(0.0, 0.95 - 0.22 * len(view.gates), view.update,
                       transform=ax_eq.transAxes, va="top", fontsize=11)
            self.title = ax_eq.text(1.0, 0.95, "", transform=ax_eq.transAxes, va="top",
                                    ha="right", fontsize=11, color="#555555")
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
        self.title.set_text(title)
        return self.figure

    def dynamic_artists(self) -> list:
        """What changes from one click to the next; everything else is the background."""
        return [*self.equations.values(), self.title, *self.gate_lines.values(),
                *self.gate_learned.values(), *self.state_lines.values(),
                *self.state_learned.values()]

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
            ax.imshow(values, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1,
                      interpolation="nearest")
            ax.set_ylabel(label + "\n" + _("unit"))
            ax.grid(False)
            for t, symbol in enumerate(symbols):
                if symbol in "XY":
                    ax.axvline(t, color="black", lw=1, ls=":")
            if unit is not None:
                ax.add_patch(Rectangle((-0.5, unit - 0.5), values.shape[1], 1, fill=False,
                                       edgecolor="black", lw=2))
        axes[1].set_xticks(range(len(symbols)), list(symbols), fontsize=7)
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
            ax.plot(np.arange(len(text)), c[b, :, unit], lw=1.3, alpha=0.8, label=label,
                    color=COLORS["x"] if first == "X" else COLORS["y"])
        ax.set_xlabel(_("time step t"))
        ax.set_ylabel(_("cell state c[t], unit {unit}").format(unit=unit))
        ax.legend(loc="best")
    return fig
