"""A figure as the notebook shows it: a PNG, with a text alternative in its display metadata
(``{"image/png": {"alt": …}}``) that says what the figure shows (its titles, axes and series,
in the learner's language), read from the figure itself. The HTML lesson puts it in ``alt``."""

from __future__ import annotations

import importlib
import io
import re

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .i18n import _


def png(fig: Figure, dpi: int = 90) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


#: TeX in a figure's labels ($\tanh$, $c_{t-1}$) as a screen reader can say it
_TEX = {r"\odot": "⊙", r"\sigma": "σ", r"\tanh": "tanh", r"\rho": "ρ", r"\partial": "∂",
        r"\cdot": "·", r"\times": "×", r"\|": "‖", r"\leq": "≤", r"\geq": "≥"}


def _plain_math(math: str) -> str:
    """``c_{t-1}`` -> ``c[t-1]``, ``\\sigma`` -> ``σ``; other TeX commands lose their backslash."""
    for command, symbol in _TEX.items():
        math = math.replace(command, symbol)
    math = re.sub(r"_\{([^{}]*)\}|_(\w)", lambda m: f"[{m[1] or m[2]}]", math)
    return re.sub(r"\\([A-Za-z]+)", r"\1", math).replace("{", "").replace("}", "")


def _text(artist) -> str:
    if artist is None:
        return ""
    text = re.sub(r"\$([^$]*)\$", lambda m: _plain_math(m[1]), artist.get_text())
    return " ".join(text.split())


def _series(ax: Axes) -> list[str]:
    """The legend's entries, else the labels of the lines that have one."""
    legend = ax.get_legend()
    if legend is not None:
        labels = [_text(t) for t in legend.get_texts()]
    else:
        labels = [str(line.get_label()) for line in ax.get_lines()]
    return [label for label in labels if label and not label.startswith("_")]


def _words(texts, limit: int = 12) -> list[str]:
    """The words of some text artists (a diagram's labels), each once, in order."""
    words = [w for t in texts if t.get_visible() and (w := _text(t))]
    return list(dict.fromkeys(words))[:limit]


def describe_axes(ax: Axes) -> str:
    """One panel: its title, the label of each axis and its series; a panel without axis
    labels (a diagram) also by the words written in it."""
    parts = []
    if title := " ".join(filter(None, (_text(ax.title), _text(ax._left_title),
                                       _text(ax._right_title)))):
        parts.append(title)
    xlabel, ylabel = _text(ax.xaxis.label), _text(ax.yaxis.label)
    if xlabel:
        parts.append(_("horizontal axis: {label}").format(label=xlabel))
    if ylabel:
        parts.append(_("vertical axis: {label}").format(label=ylabel))
    if not (xlabel or ylabel) and (words := _words(ax.texts)):
        parts.append(_("labels: {labels}").format(labels=", ".join(words)))
    if series := _series(ax):
        parts.append(_("series: {names}").format(names=", ".join(series)))
    return "; ".join(parts)


def describe(fig: Figure) -> str:
    """What ``fig`` shows, in words: its title, then each panel that has something to say."""
    panels = [text for ax in fig.get_axes() if ax.get_visible() and (text := describe_axes(ax))]
    if not panels and (words := _words(fig.texts)):
        panels = [_("labels: {labels}").format(labels=", ".join(words))]
    title = _text(fig._suptitle)
    if not panels:
        return title or _("A figure without titles or axis labels.")
    if len(panels) == 1:
        body = panels[0]
    else:
        body = " ".join(_("Panel {number}: {text}.").format(number=n, text=text)
                        for n, text in enumerate(panels, 1))
    return f"{title}. {body}" if title else body


def png_with_alt(fig: Figure) -> tuple[bytes, dict[str, str]]:
    """IPython's ``image/png`` formatter for figures: the picture and its text alternative."""
    return png(fig), {"alt": describe(fig)}


def _register() -> None:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, png_with_alt)


def install(shell) -> None:
    """Show every figure through :func:`png_with_alt` in this IPython ``shell``.

    matplotlib's inline backend registers its own PNG formatter when it loads (at the first
    figure, often after this call) and draws a cell's figures after it ran: registering ours
    again at the start of each ``post_execute`` (before the backend's, which was registered
    later) keeps ours for every figure."""
    try:  # the inline backend registers its formatter when it loads: let it load first
        importlib.import_module("matplotlib_inline.backend_inline")
    except ImportError:
        pass
    _register()
    if _register not in shell.events.callbacks["post_execute"]:
        shell.events.register("post_execute", _register)
