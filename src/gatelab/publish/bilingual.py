"""A markdown cell as HTML, and in a Bengali or Hindi page each translated paragraph followed by
its English original, folded. Paragraphs are :mod:`gatelab.publish.paragraphs`' (the catalog's
messages); they are paired by the cell's id and their position in it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from markdown_it.token import Token
from markupsafe import Markup

from .editions import MISSING_CLASS, STALE_CLASS
from .markdown import headings, markdown, render_markdown
from .paragraphs import paragraph_spans, split_paragraphs, translatable
from .templates import render


def _closing(tokens: list[Token], idx: int) -> int:
    """The index of the token that closes ``tokens[idx]`` (itself for a leaf block)."""
    if tokens[idx].nesting != 1:
        return idx
    depth = 0
    for j in range(idx, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _anchor_block(tokens: list[Token], lines: list[str], span: tuple[int, int]) -> int | None:
    """The outermost block that a paragraph of the source consists of (the last one when the
    paragraph holds several, e.g. two headings), or None when no block starts inside it."""
    start, end = span
    candidates = []
    for idx, token in enumerate(tokens):
        if token.map is None or token.nesting == -1 or token.type == "inline":
            continue
        first, last = token.map
        while last > first + 1 and not lines[last - 1].strip():  # a list's trailing blank line
            last -= 1
        if start <= first < end and last <= end:
            candidates.append(idx)
    if not candidates:
        return None
    outermost = min(tokens[idx].level for idx in candidates)
    return max(idx for idx in candidates if tokens[idx].level == outermost)


@dataclass
class _Insert:
    after: int  # insert after this token index (before it when ``before`` is set)
    html: str
    before: bool = False


def bilingual_cell(source: str, english: str | None, lang: str, cell_id: str,
                   base: Path | None = None,
                   contents: list[tuple[str, str]] | None = None) -> str:
    """A markdown cell as HTML; with ``english`` (the same cell of the English source), each
    translated paragraph is followed by its English original, folded. The cell's ``<h2>``s
    (id, title HTML) are appended to ``contents`` when it is given.

    The cell is parsed whole (lists, tables and ``<details>`` blocks may span paragraphs) and the
    original goes after the block the paragraph became. A paragraph whose translation is out of
    date or missing is marked so that the reader sees it."""
    md = markdown()
    source = source.replace("\r\n", "\n")
    env = {"base": base or Path(".")}
    tokens = md.parse(source, env)
    _number_headings(tokens, cell_id)
    if contents is not None:
        contents.extend(headings(tokens, "h2"))
    lines = source.split("\n")
    spans = paragraph_spans(source)
    paragraphs = split_paragraphs(source)
    originals = split_paragraphs(english) if english is not None else []
    inserts = []
    for k, (span, text) in enumerate(zip(spans, paragraphs, strict=True)):
        idx = _anchor_block(tokens, lines, span)
        if idx is None:
            continue
        flagged = STALE_CLASS in text or MISSING_CLASS in text
        if flagged and tokens[idx].nesting == 1:
            tokens[idx].attrJoin("class", "flagged")
        if len(originals) != len(paragraphs) or not translatable(originals[k]):
            continue  # a stale edition with another paragraph structure: pair nothing
        if MISSING_CLASS in text:
            continue  # still in English
        inserts.append(_original_after(tokens, idx, original_html(originals[k], lang, base)))
    for insert in sorted(inserts, key=lambda i: i.after, reverse=True):
        position = insert.after if insert.before else insert.after + 1
        token = Token("html_block", "", 0)
        token.content = insert.html
        tokens.insert(position, token)
    return md.renderer.render(tokens, md.options, env)


def _original_after(tokens: list[Token], idx: int, original: str) -> _Insert:
    close = _closing(tokens, idx)
    if tokens[idx].type == "list_item_open":  # stay inside the <li>
        return _Insert(close, original, before=True)
    return _Insert(close, original)


def _number_headings(tokens: list[Token], cell_id: str) -> None:
    """Give headings ids from the cell id, the same in every edition (a link keeps its place
    when the reader switches language)."""
    count = 0
    for token in tokens:
        if token.type == "heading_open" and cell_id:
            count += 1
            token.attrSet("id", cell_id if count == 1 else f"{cell_id}-{count}")


def original_html(paragraph: str, lang: str, base: Path | None = None) -> str:
    """The English original of one paragraph, folded in a <details> the reader can open."""
    body = balance_tags(render_markdown(paragraph, base), drop=("details", "summary"))
    return render("original.html", lang=lang, body=Markup(body))


_VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
         "wbr"}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*?(/?)>")


def balance_tags(fragment: str, drop: Iterable[str] = ()) -> str:
    """``fragment`` without the tags in ``drop`` and without tags opened or closed outside it:
    one paragraph of a ``<details>`` block must not open or close the page's elements."""
    drop = set(drop)
    matches = list(_TAG.finditer(fragment))
    stack, unmatched = [], set()
    for m in matches:
        closing, name, selfclosing = m.group(1), m.group(2).lower(), m.group(3)
        if name in _VOID or selfclosing or name in drop:
            continue
        if not closing:
            stack.append(m)
        elif stack and stack[-1].group(2).lower() == name:
            stack.pop()
        else:
            unmatched.add(m.start())
    unmatched.update(m.start() for m in stack)
    out, pos = [], 0
    for m in matches:
        if m.start() in unmatched or m.group(2).lower() in drop:
            out.append(fragment[pos:m.start()])
            pos = m.end()
    out.append(fragment[pos:])
    return "".join(out)
