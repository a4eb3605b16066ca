"""The Noto fonts shipped with the package, and the matplotlib style that uses them.

Nothing here runs at import: :func:`register` adds the fonts to matplotlib's font manager the
first time a plot needs them, and :func:`style` returns settings for ``plt.rc_context`` so a
plot never changes the global rcParams. Bengali and Devanagari need matplotlib ≥ 3.11, which
shapes complex scripts (vowel signs and conjuncts in the right place).
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from .i18n import check_language, language

FONT_FILES: tuple[str, ...] = (
    "NotoSans-Regular.ttf", "NotoSans-Bold.ttf",
    "NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf",
    "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf",
)

#: font families in fallback order: a glyph missing from the first comes from the next (every
#: edition can draw all three scripts: Chapter 5 shows Bengali and Hindi text in English too)
FAMILIES: dict[str, list[str]] = {
    "en": ["Noto Sans", "Noto Sans Bengali", "Noto Sans Devanagari", "DejaVu Sans"],
    "bn": ["Noto Sans Bengali", "Noto Sans", "Noto Sans Devanagari", "DejaVu Sans"],
    "hi": ["Noto Sans Devanagari", "Noto Sans", "Noto Sans Bengali", "DejaVu Sans"],
}


def font_path(name: str) -> Path:
    """The path of one shipped font file."""
    return Path(str(resources.files("gatelab") / "fonts" / name))


@functools.cache
def register() -> None:
    """Make the shipped fonts known to matplotlib (once per session)."""
    from matplotlib import font_manager

    for name in FONT_FILES:
        font_manager.fontManager.addfont(str(font_path(name)))


def style(lang: str | None = None) -> dict:
    """rcParams for ``plt.rc_context``: fonts for ``lang`` and sizes readable on a projector."""
    register()
    lang = check_language(lang) if lang else language()
    return {
        "font.family": FAMILIES[lang],
        "font.size": 12,
        "axes.titlesize": 13,
        "axes.labelsize": 12,
        "legend.fontsize": 11,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.25,
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "figure.constrained_layout.use": True,
        # the shipped fonts have no U+2212 minus; a hyphen keeps every tick label renderable
        "axes.unicode_minus": False,
    }
