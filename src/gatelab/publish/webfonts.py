"""Fonts inside the page: the Noto fonts shipped with gatelab, each cut down to the characters
the page shows and embedded as base64 WOFF2 (a classroom PC may have no Bengali or Devanagari
font). fontTools keeps the OpenType features the Indic scripts need."""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import resources

from .markdown import data_uri


@dataclass(frozen=True)
class FontFamily:
    name: str  # the CSS family name
    stem: str  # file name without -Regular.ttf / -Bold.ttf
    script: tuple[int, int] | None  # code points that make a page need it; None: every page


FAMILIES: tuple[FontFamily, ...] = (
    FontFamily("Noto Sans", "NotoSans", None),
    FontFamily("Noto Sans Bengali", "NotoSansBengali", (0x0980, 0x0A00)),
    FontFamily("Noto Sans Devanagari", "NotoSansDevanagari", (0x0900, 0x0980)),
)
#: kept in a script font whenever it is embedded: the shaper's dotted circle and the joiners
_SHAPING = {0x25CC, 0x200C, 0x200D}
_BOLD_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "th", "dt"}
_SKIP_TAGS = {"script", "style", "math", "title"}
_TEXT_ATTRIBUTES = {"alt", "title", "aria-label", "data-labels", "data-show", "data-hide",
                    "placeholder"}


class _TextCollector(HTMLParser):
    """The characters a page shows, split into those set in regular and in bold type."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.regular: set[str] = set()
        self.bold: set[str] = set()
        self.skip = 0
        self.bold_depth = 0
        self.state = False  # inside an explorer's <script type="application/json">

    def handle_starttag(self, tag, attrs):
        if tag == "script" and ("type", "application/json") in attrs:
            self.state = True  # the explorer draws its labels and tokens from it, in both weights
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BOLD_TAGS:
            self.bold_depth += 1
        for name, value in attrs:
            if name in _TEXT_ATTRIBUTES and value:
                self.regular.update(value)

    def handle_endtag(self, tag):
        if tag == "script":
            self.state = False
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BOLD_TAGS:
            self.bold_depth = max(0, self.bold_depth - 1)

    def handle_data(self, data):
        if self.state:
            self.regular.update(data)
            self.bold.update(data)
        elif not self.skip:
            (self.bold if self.bold_depth else self.regular).update(data)


def page_characters(body: str) -> tuple[set[int], set[int]]:
    """(regular, bold) code points that ``body`` shows, not counting math (the browser draws
    MathML with its math font); an explorer's state (``<script type="application/json">``)
    counts in both, since the explorer draws its labels and tokens from it."""
    collector = _TextCollector()
    collector.feed(body)
    collector.close()
    return _with_parts(collector.regular), _with_parts(collector.bold)


def _with_parts(chars: set[str]) -> set[int]:
    """The code points of chars and of their canonical decompositions: the shaper splits a
    two-part vowel sign (Bengali O, U+09CB = U+09C7 + U+09BE) and looks its parts up in the
    font's cmap."""
    return {ord(part) for c in chars for part in c + unicodedata.normalize("NFD", c)}


def font_file(name: str):
    return resources.files("gatelab") / "fonts" / name


@functools.cache
def _cmap(name: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with font_file(name).open("rb") as f:
        return frozenset(TTFont(f, lazy=True).getBestCmap())


def subset_woff2(name: str, codepoints: Iterable[int]) -> bytes:
    """The font ``name`` (a file in gatelab/fonts) cut down to ``codepoints``, as WOFF2.

    fontTools keeps by default the OpenType features a browser's shaper applies, the Indic ones
    included (Bengali and Devanagari need them to form conjuncts and place vowel signs), and
    every glyph they can produce from the kept characters."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff2"
    options.name_IDs = ["*"]  # keeps the copyright and the OFL licence notice in the file
    options.hinting = False  # screens today render these unhinted fonts well
    font = subset.load_font(io.BytesIO(font_file(name).read_bytes()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return buffer.getvalue()


def font_faces_css(body: str) -> str:
    """``@font-face`` rules embedding the fonts ``body`` needs, each subset to its characters."""
    regular, bold = page_characters(body)
    rules = []
    for family in FAMILIES:
        extra = _SHAPING if family.script else {0x20}
        for weight, style_name, chars in ((400, "Regular", regular), (700, "Bold", bold)):
            file_name = f"{family.stem}-{style_name}.ttf"
            if not _needed(family, chars, _cmap(file_name)):
                continue
            woff2 = subset_woff2(file_name, (chars | extra) & _cmap(file_name))
            rules.append(f'@font-face{{font-family:"{family.name}";font-style:normal;'
                         f"font-weight:{weight};src:url({data_uri(woff2, 'font/woff2')}) "
                         f'format("woff2");}}')
    return "\n".join(rules)


def _needed(family: FontFamily, chars: set[int], cmap: frozenset[int]) -> bool:
    """A script font serves the page when the page has letters of its script; the Latin font
    when the page has anything it draws (in practice, every page)."""
    if family.script:
        return any(family.script[0] <= c < family.script[1] for c in chars)
    return any(not chr(c).isspace() for c in chars & cmap)
