"""Tables of results: an HTML ``<table>`` in JupyterLab and in the HTML lessons, plain text
whose columns line up everywhere else.

A :class:`Table` keeps its values as they were measured (numbers stay numbers, so a test reads
them instead of parsing text) and formats them only when it is shown. IPython calls
``_repr_html_`` for JupyterLab and for the lessons build, and ``_repr_pretty_`` for a terminal.

The text form pads by *display width*, not by ``len``: in Bengali and Devanagari, vowel signs
and the virama join the letters around them into one syllable, which a terminal draws in one or
two columns (``"হিন্দি"`` and ``"हिन्दी"`` are 6 code points each, and 4 columns). Widths come
from the ``wcwidth`` package, which measures grapheme clusters the way terminals draw them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Real

from wcwidth import wcswidth

#: space between two columns of the text form
GAP = "  "


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal, syllable by syllable (not code point by code point)."""
    width = wcswidth(text)
    return width if width >= 0 else len(text)  # -1: a control character; count code points


def pad(text: str, width: int, align: str = "l") -> str:
    """``text`` padded with spaces to ``width`` display columns, on the right ("l") or left ("r")."""
    fill = " " * max(width - display_width(text), 0)
    return fill + text if align == "r" else text + fill


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


@dataclass(repr=False)
class Table:
    """A small table of results, shown as HTML in a notebook and as aligned text elsewhere."""

    headers: Sequence[str]  # one per column, already in the learner's language
    rows: Sequence[Sequence[object]]  # the values; numbers stay numbers, None is a missing value
    formats: Sequence[str] = ()  # a format spec per column for its numbers (".1%", ",d"); "": str
    align: str = ""  # "l" or "r" per column; by default "r" for a column that holds numbers
    caption: str = ""  # a line above the table
    notes: Sequence[str] = field(default_factory=tuple)  # lines below it, e.g. a summary
    missing: str = ""  # what a None cell shows, e.g. "never"

    def __post_init__(self):
        n = len(self.headers)
        for row in self.rows:
            if len(row) != n:
                raise ValueError(f"a row of {len(row)} cells in a table of {n} columns: {row!r}")
        if len(self.formats) not in (0, n) or len(self.align) not in (0, n):
            raise ValueError(f"give a format and an alignment for each of the {n} columns, or none")
        if set(self.align) - {"l", "r"}:
            raise ValueError(f"alignments are 'l' or 'r'; got {self.align!r}")

    @property
    def alignments(self) -> str:
        """"l" or "r" for each column."""
        if self.align:
            return self.align
        return "".join("r" if any(_is_number(row[j]) for row in self.rows) else "l"
                       for j in range(len(self.headers)))

    def cell(self, row: int, column: int) -> str:
        """The text of one cell: its number formatted, ``missing`` for None."""
        value = self.rows[row][column]
        if value is None:
            return self.missing
        spec = self.formats[column] if self.formats else ""
        return format(value, spec) if spec and _is_number(value) else str(value)

    def texts(self) -> list[list[str]]:
        """Every cell as text, row by row (the headers not included)."""
        return [[self.cell(i, j) for j in range(len(self.headers))] for i in range(len(self.rows))]

    # --- plain text ---------------------------------------------------------------------------

    def __str__(self) -> str:
        texts = [list(self.headers), *self.texts()]
        widths = [max(display_width(row[j]) for row in texts) for j in range(len(self.headers))]
        aligns = self.alignments

        def line(cells: Sequence[str]) -> str:
            return GAP.join(pad(c, w, a) for c, w, a in zip(cells, widths, aligns, strict=True)).rstrip()

        lines = [self.caption] if self.caption else []
        lines.append(line(texts[0]))
        lines.append(GAP.join("-" * w for w in widths))
        lines.extend(line(row) for row in texts[1:])
        if self.notes:
            lines.append("")
            lines.extend(self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython's text form
        printer.text(str(self))

    # --- HTML ---------------------------------------------------------------------------------

    def _repr_html_(self) -> str:
        aligns = ["right" if a == "r" else "left" for a in self.alignments]

        def cells(tag: str, texts: Sequence[str]) -> str:
            return "".join(f'<{tag} style="text-align: {a}">{html.escape(t)}</{tag}>'
                           for t, a in zip(texts, aligns, strict=True))

        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        body = "".join(f"<tr>{cells('td', row)}</tr>" for row in self.texts())
        notes = "".join(f"<p>{html.escape(note)}</p>" for note in self.notes)
        notes = f'<div class="gatelab-notes">{notes}</div>' if notes else ""
        return (f'<table class="gatelab-table">{caption}<thead><tr>{cells("th", self.headers)}'
                f"</tr></thead><tbody>{body}</tbody></table>{notes}")
