"""What "a paragraph" of a markdown cell is: the unit a translator translates (one catalog
message) and the unit the bilingual page pairs with its English original. One definition, used
by both: :func:`paragraph_spans` finds the lines, :func:`split_paragraphs` returns their text.

A paragraph is a run of non-blank lines; fenced code and display math (``$$ … $$`` over several
lines) stay whole even when they hold blank lines.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^(```|~~~)")
_MATH_ONLY = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]+`|<[^>]+>", re.DOTALL)


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """The lines ``(start, end)`` (end excluded) of each paragraph of ``text``, in order."""
    spans, start, in_fence, in_math = [], None, False, False
    lines = text.splitlines()
    for number, line in enumerate(lines):
        stripped = line.strip()
        if _FENCE.match(stripped):
            in_fence = not in_fence
        elif not in_fence and stripped.count("$$") % 2 == 1:
            in_math = not in_math
        if not stripped and not in_fence and not in_math:
            if start is not None:
                spans.append((start, number))
                start = None
        elif start is None:
            start = number
    if start is not None:
        spans.append((start, len(lines)))
    return spans


def split_paragraphs(text: str) -> list[str]:
    """The paragraphs of a markdown cell, each as its lines joined by ``\\n``."""
    lines = text.splitlines()
    return ["\n".join(lines[start:end]) for start, end in paragraph_spans(text)]


def translatable(paragraph: str) -> bool:
    """True when a paragraph has words to translate (not only math, code, markup or numbers)."""
    if _FENCE.match(paragraph.strip()):
        return False
    rest = _MATH_ONLY.sub(" ", paragraph)
    return bool(re.search(r"[^\W\d_]{2,}", rest))
