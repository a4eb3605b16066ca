"""The lessons' figures: plain functions that take ``ax=None`` (or ``axes=None``) and return the
figure they drew on. Labels come from the package catalog, so a figure speaks the edition's
language; fonts come from :mod:`gatelab.fonts` through ``rc_context``, never global rcParams.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch
from matplotlib.ticker import FuncFormatter, LogLocator

from .fonts import style
from .i18n import _

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
