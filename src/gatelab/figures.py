"""A figure as the notebook shows it: a PNG, with a text alternative in its display metadata
(``{"image/png": {"alt": …}}``) that says what the figure shows (its titles, axes and series,
in the learner's language), read from the figure itself. The HTML lesson puts it in ``alt``."""

from __future__ import annotations

import io

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .i18n import _


def png(fig: Figure, dpi: int = 90) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def _text(artist) -> str:
    return " ".join(artist.get_text().split()) if artist is not None else ""


def _series(ax: Axes) -> list[str]:
    """The legend's entries, else the labels of the lines that have one."""
    legend = ax.get_legend()
    if legend is not None:
        labels = [_text(t) for t in legend.get_texts()]
    else:
        labels = [str(line.get_label()) for line in ax.get_lines()]
    return [label for label in labels if label and not label.startswith("_")]


def describe_axes(ax: Axes) -> str:
    """One panel: its title, the label of each axis, and its series."""
    parts = []
    if title := " ".join(filter(None, (_text(ax.title), _text(ax._left_title),
                                       _text(ax._right_title)))):
        parts.append(title)
    if xlabel := _text(ax.xaxis.label):
        parts.append(_("horizontal axis: {label}").format(label=xlabel))
    if ylabel := _text(ax.yaxis.label):
        parts.append(_("vertical axis: {label}").format(label=ylabel))
    if series := _series(ax):
        parts.append(_("series: {names}").format(names=", ".join(series)))
    return "; ".join(parts)


def describe(fig: Figure) -> str:
    """What ``fig`` shows, in words: its title, then each panel that has something to say."""
    panels = [text for ax in fig.get_axes() if ax.get_visible() and (text := describe_axes(ax))]
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
    _register()
    if _register not in shell.events.callbacks["post_execute"]:
        shell.events.register("post_execute", _register)
