"""The lessons as self-contained HTML pages that work offline.

``site/{lang}/{chapter}.html`` for every executed edition, ``site/{lang}/index.html`` and a
language chooser ``site/index.html``. nbconvert's default template loads require.js, MathJax and
the widget manager from CDNs; these pages load nothing:

* markdown is rendered with markdown-it-py, and ``$…$`` / ``$$…$$`` become MathML at build time
  (latex2mathml), which browsers draw natively;
* figures are inlined as ``data:`` URIs, and the fonts are subset to the characters of the page
  and embedded as base64 WOFF2 (a classroom PC may have no Bengali or Devanagari font);
* a gate explorer, which needs a kernel in JupyterLab, is replaced by every one of its settings
  drawn in advance (:func:`gatelab.widgets.static_explorer`) and a small script that swaps them;
* in the Bengali and Hindi editions each paragraph carries its English original one click
  away, paired by the id of the markdown cell and the paragraph's position in it.
"""

from __future__ import annotations

import base64
import functools
import html
import importlib
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import nbformat
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

from .. import i18n
from ..widgets import PROGRESS_METADATA
from ..widgets import SPEC_MIMETYPE as EXPLORER_MIMETYPE  # what an explorer's output carries
from .catalogs import MISSING_CLASS, NOTEBOOKS, ROOT, STALE_CLASS, split_paragraphs, translatable
from .notebooks import EXECUTED, read

WIDGET_MIMETYPE = "application/vnd.jupyter.widget-view+json"
#: colours kept when an explorer's frames are turned into palette PNGs; matplotlib draws flat
#: colours, so 64 keep the anti-aliased edges looking smooth
FRAME_COLORS = 64


def _(message: str, lang: str) -> str:
    """A string of the page itself (not of the notebook) in the page's language.

    Named ``_`` so that ``python -m gatelab.build extract`` finds the English messages in this
    file and puts them in the package catalog, like every other ``_("…")`` of the package.
    """
    return i18n.gettext(message, lang=lang)


# --- markdown and math ----------------------------------------------------------------------


def latex_to_mathml(latex: str, display: bool) -> str:
    """MathML for one formula; the TeX source, shown as code, if latex2mathml cannot read it."""
    from latex2mathml.converter import convert

    try:
        mathml = convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds; the reader still gets the formula
        return f'<code class="tex">{html.escape(latex.strip())}</code>'
    # an HTML parser knows <math>; the namespace only adds bytes (and an http:// to the page)
    return mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "", 1)


def _render_math(content: str, options: dict) -> str:
    return latex_to_mathml(content, display=options.get("display_mode", False))


def _render_image(self, tokens: list[Token], idx: int, options, env: dict) -> str:
    """Inline a markdown image found next to the chapter; never link one from the network."""
    token = tokens[idx]
    src = token.attrGet("src") or ""
    if not src.startswith("data:"):
        local = Path(env.get("base", ".")) / src
        if re.match(r"^[a-z]+:", src) or not local.is_file():
            alt = html.escape(self.renderInlineAsText(token.children or [], options, env))
            return f'<span class="missing-image">[{alt}]</span>'
        token.attrSet("src", data_uri(local.read_bytes(), _image_type(local)))
    return self.image(tokens, idx, options, env)


def _image_type(path: Path) -> str:
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
            ".svg": "image/svg+xml", ".gif": "image/gif"}.get(path.suffix.lower(), "image/png")


@functools.cache
def markdown() -> MarkdownIt:
    """CommonMark with tables, raw HTML (the practice answers are ``<details>`` blocks) and
    dollar math rendered to MathML."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.use(dollarmath_plugin, renderer=_render_math, allow_labels=False)
    md.add_render_rule("image", _render_image)
    return md


def render_markdown(text: str, base: Path | None = None) -> str:
    """One piece of markdown as HTML (for text/markdown outputs and the English originals)."""
    return markdown().render(text, {"base": base or Path(".")})


def inline_text(token: Token) -> str:
    """The plain text of an inline token (a heading's title, for <title> and the index)."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "math_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


# --- bilingual paragraphs -------------------------------------------------------------------


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """The lines (start, end) of each paragraph of :func:`split_paragraphs`, in order."""
    lines = text.split("\n")
    spans, start = [], 0
    for paragraph in split_paragraphs(text):
        first = paragraph.split("\n", 1)[0]
        while start < len(lines) and lines[start] != first:  # the blank lines between
            start += 1
        end = start + paragraph.count("\n") + 1
        spans.append((start, end))
        start = end
    return spans


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
                   base: Path | None = None) -> str:
    """A markdown cell as HTML; with ``english`` (the same cell of the English source), each
    translated paragraph is followed by its English original, folded.

    The cell is parsed whole (lists, tables and ``<details>`` blocks may span paragraphs) and the
    original goes after the block the paragraph became. A paragraph whose translation is out of
    date or missing is marked so that the reader sees it."""
    md = markdown()
    source = source.replace("\r\n", "\n")
    env = {"base": base or Path(".")}
    tokens = md.parse(source, env)
    _number_headings(tokens, cell_id)
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
    # TRANSLATORS: the tiny button after a paragraph that shows its English original
    label = _("EN", lang)
    title = _("Show the English original", lang)
    return (f'<details class="original"><summary title="{html.escape(title)}">{label}</summary>'
            f'<div class="en" lang="en">{body}</div></details>\n')


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


# --- code cells and their outputs -----------------------------------------------------------


@functools.cache
def _code_formatter():
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(cssclass="highlight", style="default")


def highlight_code(source: str) -> str:
    from pygments import highlight
    from pygments.lexers import PythonLexer

    return highlight(source, PythonLexer(), _code_formatter())


def code_css() -> str:
    return _code_formatter().get_style_defs(".highlight")


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain_text(text: str) -> str:
    """Terminal text as it looked: no colour codes, and a line rewritten with ``\\r`` (a
    progress bar) shown as its last state."""
    text = _ANSI.sub("", text)
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def data_uri(data: bytes, mimetype: str) -> str:
    return f"data:{mimetype};base64,{base64.b64encode(data).decode('ascii')}"


def _joined(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def _pre(text: str, css_class: str) -> str:
    return f'<pre class="{css_class}">{html.escape(plain_text(text))}</pre>'


def _is_error_text(text: str) -> bool:
    return bool(re.search(r"Traceback|\w*(Error|Exception)\b", text))


@dataclass
class Context:
    """What rendering one page needs besides the cell: its language, and a counter that keeps
    the ids of its explorers unique."""

    lang: str
    base: Path = field(default_factory=lambda: Path("."))
    explorers: int = 0


def render_output(output: Mapping, ctx: Context) -> str:
    """One output of a code cell as HTML; empty for what a reader does not need."""
    kind = output.get("output_type")
    if kind == "stream":
        text = _joined(output.get("text", ""))
        if output.get("name") == "stderr" and not _is_error_text(text):
            return ""  # warnings and progress chatter
        return _pre(text, "output stream" if output.get("name") == "stdout" else "output error")
    if kind == "error":
        trace = "\n".join(output.get("traceback") or [])
        return _pre(trace or f"{output.get('ename')}: {output.get('evalue')}", "output error")
    if kind in ("execute_result", "display_data"):
        return render_bundle(output.get("data", {}), output.get("metadata", {}), ctx)
    return ""


def render_bundle(data: Mapping, metadata: Mapping, ctx: Context) -> str:
    """The richest form of a display bundle that a page without a kernel can show."""
    if EXPLORER_MIMETYPE in data:
        spec = data[EXPLORER_MIMETYPE]
        return render_explorer(spec if isinstance(spec, dict) else json.loads(spec), ctx)
    if WIDGET_MIMETYPE in data and PROGRESS_METADATA.items() <= metadata.items():
        return ""  # a training run's progress bar: its results are printed below it
    if WIDGET_MIMETYPE in data:
        note = _("This interactive figure needs a running notebook.", ctx.lang)
        return f'<p class="note widget-note">{html.escape(note)}</p>'
    for mimetype in ("image/png", "image/jpeg"):
        if mimetype in data:
            return _image(base64.b64decode(_joined(data[mimetype])), mimetype,
                          metadata.get(mimetype, {}), ctx)
    if "image/svg+xml" in data:
        return _image(_joined(data["image/svg+xml"]).encode(), "image/svg+xml", {}, ctx)
    if "text/html" in data:
        return f'<div class="output html">{_joined(data["text/html"])}</div>'
    if "text/markdown" in data:
        return f'<div class="output markdown">{render_markdown(_joined(data["text/markdown"]))}</div>'
    if "text/latex" in data:
        latex = _joined(data["text/latex"]).strip().strip("$")
        return f'<div class="output math">{latex_to_mathml(latex, display=True)}</div>'
    if "text/plain" in data:
        text = _joined(data["text/plain"])
        if _FIGURE_WITHOUT_PICTURE.match(text):
            raise ValueError(f"An output is {text!r} but has no picture: the notebook ran with a "
                             "non-interactive matplotlib backend. Unset MPLBACKEND and run "
                             "`python -m gatelab.build execute` again.")
        return _pre(text, "output result")
    return ""


_FIGURE_WITHOUT_PICTURE = re.compile(r"^<Figure size \d+x\d+ with \d+ Axes>$")


def _image(data: bytes, mimetype: str, metadata: Mapping, ctx: Context) -> str:
    size = "".join(f' {k}="{int(metadata[k])}"' for k in ("width", "height") if k in metadata)
    alt = html.escape(_("Figure drawn by the code above", ctx.lang))
    return f'<img class="output figure" src="{data_uri(data, mimetype)}" alt="{alt}"{size}>'


def merge_streams(outputs: Iterable[Mapping]) -> list[Mapping]:
    """Consecutive prints to the same stream as one block, the way Jupyter shows them (a cell
    that prints while it trains sends its text in several messages)."""
    merged: list[Mapping] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (previous is not None and output.get("output_type") == "stream"
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            merged[-1] = {**previous, "text": _joined(previous["text"]) + _joined(output["text"])}
        else:
            merged.append(output)
    return merged


def render_code_cell(cell: Mapping, ctx: Context) -> str:
    """The code, highlighted, and its outputs; the tags ``remove-input``, ``remove-output`` and
    ``remove-cell`` hide parts as they do in Jupyter Book."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    if "remove-cell" in tags:
        return ""
    parts = []
    if "remove-input" not in tags:
        parts.append(f'<div class="input">{highlight_code(_joined(cell.get("source", "")))}</div>')
    if "remove-output" not in tags:
        outputs = "".join(render_output(o, ctx) for o in merge_streams(cell.get("outputs", [])))
        if outputs:
            parts.append(f'<div class="outputs">{outputs}</div>')
    return f'<div class="cell code">{"".join(parts)}</div>\n' if parts else ""


# --- static explorers -----------------------------------------------------------------------


def shrink_png(data: bytes, colors: int = FRAME_COLORS) -> bytes:
    """``data`` as a palette PNG when that is smaller (matplotlib's flat colours survive)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
                image = image.convert("RGB")
            if image.mode == "RGBA":
                small = image.quantize(colors, method=Image.Quantize.FASTOCTREE,
                                       dither=Image.Dither.NONE)
            elif image.mode in ("RGB", "L"):
                small = image.convert("RGB").quantize(colors, method=Image.Quantize.MEDIANCUT,
                                                      dither=Image.Dither.NONE)
            else:
                return data
    except OSError:  # not a PNG Pillow can read: keep it as it came
        return data
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue() if buffer.tell() < len(data) else data


def _static_explorer() -> Callable[[dict, str], dict]:
    # looked up at each call: the widgets import torch, and tests replace the function
    return importlib.import_module("gatelab.widgets").static_explorer


def render_explorer(spec: dict, ctx: Context) -> str:
    """An explorer with every setting drawn in advance: its controls, the default setting's
    picture, and the other pictures (each stored once) for the page's script to swap in."""
    drawn = _static_explorer()(spec, ctx.lang)
    ctx.explorers += 1
    uid = f"explorer-{ctx.explorers}"
    controls = drawn["controls"]
    default_key = ",".join(str(c["default"]) for c in controls)
    images, keys, seen = [], {}, {}
    for key, png in drawn["frames"].items():
        png = shrink_png(png)
        if png not in seen:
            seen[png] = len(images)
            images.append(png)
        keys[key] = seen[png]
    if default_key not in keys:
        raise ValueError(f"explorer {spec.get('explorer')!r}: no frame for the default "
                         f"setting {default_key!r}")
    default_png = images[keys[default_key]]
    # the default picture is in the <img> already; the script reads it from there
    frames = {"keys": keys, "images": [None if i == keys[default_key] else
                                       base64.b64encode(png).decode("ascii")
                                       for i, png in enumerate(images)]}
    title = drawn.get("title") or ""
    caption = f"<figcaption>{html.escape(title)}</figcaption>" if title else ""
    note = _("Precomputed: change the settings to see the network's real response.", ctx.lang)
    alt = title or _("Figure drawn by the code above", ctx.lang)
    return (
        f'<figure class="explorer" id="{uid}">{caption}'
        f'<div class="controls">{"".join(_control(c, uid) for c in controls)}</div>'
        f'<img class="frame" src="{data_uri(default_png, "image/png")}" alt="{html.escape(alt)}">'
        f'<p class="note">{html.escape(note)}</p>'
        f'<script type="application/json" class="frames">{_json_for_script(frames)}</script>'
        "</figure>\n"
    )


def _json_for_script(value) -> str:
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def _control(control: Mapping, uid: str) -> str:
    """A slider for a long range of values, buttons for two or three choices."""
    name = f"{uid}-{re.sub(r'[^A-Za-z0-9_-]', '-', str(control['name']))}"
    labels = [str(label) for label in control["labels"]]
    default = int(control["default"])
    label = html.escape(str(control["label"]))
    if len(labels) > 3:
        return (f'<div class="control range" data-control>'
                f'<label for="{name}">{label}</label>'
                f'<input type="range" id="{name}" min="0" max="{len(labels) - 1}" step="1" '
                f'value="{default}" data-labels="{html.escape(json.dumps(labels))}">'
                f'<output for="{name}">{html.escape(labels[default])}</output></div>')
    buttons = "".join(
        f'<label><input type="radio" name="{name}" value="{i}"{" checked" if i == default else ""}>'
        f"<span>{html.escape(text)}</span></label>" for i, text in enumerate(labels))
    return (f'<fieldset class="control choice" data-control><legend>{label}</legend>'
            f"{buttons}</fieldset>")


# --- fonts ----------------------------------------------------------------------------------


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

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BOLD_TAGS:
            self.bold_depth += 1
        for name, value in attrs:
            if name in _TEXT_ATTRIBUTES and value:
                self.regular.update(value)

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BOLD_TAGS:
            self.bold_depth = max(0, self.bold_depth - 1)

    def handle_data(self, data):
        if not self.skip:
            (self.bold if self.bold_depth else self.regular).update(data)


def page_characters(body: str) -> tuple[set[int], set[int]]:
    """(regular, bold) code points that ``body`` shows, not counting math (the browser draws
    MathML with its math font)."""
    collector = _TextCollector()
    collector.feed(body)
    collector.close()
    return {ord(c) for c in collector.regular}, {ord(c) for c in collector.bold}


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


# --- pages ----------------------------------------------------------------------------------


def asset(name: str) -> str:
    return (resources.files("gatelab.build") / "assets" / name).read_text(encoding="utf-8")


@dataclass
class Chapter:
    """One chapter in one edition, as the page needs it."""

    name: str  # e.g. "01_rnn"
    lang: str
    notebook: nbformat.NotebookNode
    english: dict[str, str] = field(default_factory=dict)  # cell id -> English markdown

    @property
    def title(self) -> str:
        return chapter_title(self.notebook) or self.name

    @property
    def title_html(self) -> str:
        return chapter_title(self.notebook, as_html=True) or html.escape(self.name)


def chapter_title(nb: nbformat.NotebookNode, as_html: bool = False) -> str:
    """The first heading of the notebook: plain text (for <title>), or HTML with its math."""
    md = markdown()
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        tokens = md.parse(_joined(cell.source))
        for i, token in enumerate(tokens):
            if token.type == "heading_open":
                inline = tokens[i + 1]
                if as_html:
                    return md.renderer.renderInline(inline.children or [], md.options, {})
                return inline_text(inline)
    return ""


def cell_id(cell: Mapping) -> str:
    return str(cell.get("metadata", {}).get("id") or cell.get("id") or "")


def english_cells(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Cell id -> source of each markdown cell of an English notebook."""
    return {cell_id(c): _joined(c.source) for c in nb.cells
            if c.cell_type == "markdown" and cell_id(c)}


def _contents(body_tokens_html: list[tuple[str, str]], lang: str) -> str:
    if len(body_tokens_html) < 2:
        return ""
    items = "".join(f'<li><a href="#{hid}">{text}</a></li>' for hid, text in body_tokens_html)
    label = html.escape(_("Contents", lang))
    return (f'<nav class="contents" aria-label="{label}"><details>'
            f"<summary>{label}</summary><ol>{items}</ol></details></nav>")


_H2 = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', re.DOTALL)


def render_chapter(chapter: Chapter, chapters: Mapping[str, str] | None = None) -> str:
    """The whole page of one chapter; ``chapters`` (name -> title, in order) gives the links to
    the previous and next chapter."""
    lang = chapter.lang
    ctx = Context(lang, base=NOTEBOOKS / lang)
    cells = []
    for cell in chapter.notebook.cells:
        if cell.cell_type == "markdown":
            english = chapter.english.get(cell_id(cell)) if lang != i18n.SOURCE_LANGUAGE else None
            text = bilingual_cell(_joined(cell.source), english, lang, cell_id(cell), ctx.base)
            cells.append(f'<section class="cell markdown">{text}</section>\n')
        elif cell.cell_type == "code":
            cells.append(render_code_cell(cell, ctx))
    content = "".join(cells)
    contents = _contents([(m.group(1), m.group(2)) for m in _H2.finditer(content)], lang)
    run_note = _("Run this chapter in JupyterLab to change the code.", lang)
    # after the first cell (the title and the introduction), before the first code
    intro = f'{contents}<p class="note run-note">{html.escape(run_note)}</p>\n'
    first = 1 if cells and cells[0].startswith("<section") else 0
    main = (f'{"".join(cells[:first])}{intro}{"".join(cells[first:])}'
            f"{_chapter_links(chapter.name, chapters or {}, lang)}")
    header = _header(lang, chapter.title_html, f"{chapter.name}.html",
                     originals=lang != i18n.SOURCE_LANGUAGE)
    return page(lang, f"{chapter.title} · gatelab", header, main)


def _chapter_links(name: str, chapters: Mapping[str, str], lang: str) -> str:
    """Links to the previous and the next chapter, with their titles."""
    names = list(chapters)
    if name not in names:
        return ""
    i = names.index(name)
    previous, following = _("Previous", lang), _("Next", lang)
    links = []
    if i > 0:
        title = chapters[names[i - 1]]
        links.append(f'<a rel="prev" href="{names[i - 1]}.html">← {html.escape(previous)}: '
                     f"{html.escape(title)}</a>")
    if i + 1 < len(names):
        title = chapters[names[i + 1]]
        links.append(f'<a rel="next" href="{names[i + 1]}.html">{html.escape(following)}: '
                     f"{html.escape(title)} →</a>")
    return f'<nav class="chapters">{"".join(links)}</nav>\n' if links else ""


def _language_switch(lang: str, page_name: str, prefix: str = "../") -> str:
    """Links to this page in every edition, each language named in its own script."""
    links = []
    for code, own_name in i18n.LANGUAGES.items():
        if code == lang:
            links.append(f'<strong lang="{code}" aria-current="page">{own_name}</strong>')
        else:
            links.append(f'<a lang="{code}" hreflang="{code}" '
                         f'href="{prefix}{code}/{page_name}">{own_name}</a>')
    label = html.escape(_("Language", lang))
    return (f'<nav class="languages" aria-label="{label}"><span class="label">{label}:</span> '
            f'{" ".join(links)}</nav>')


def _header(lang: str, title_html: str, page_name: str, originals: bool = False) -> str:
    toggle = ""
    if originals:
        show, hide = _("Show all English originals", lang), _("Hide all English originals", lang)
        toggle = (f'<button type="button" id="toggle-originals" data-show="{html.escape(show)}" '
                  f'data-hide="{html.escape(hide)}" aria-pressed="false">{html.escape(show)}'
                  "</button>")
    lessons = html.escape(_("Lessons", lang))
    return (f'<header class="site"><div class="bar"><a class="home" href="index.html">'
            f"<strong>gatelab</strong> · {lessons}</a>{_language_switch(lang, page_name)}</div>"
            f'<div class="bar"><span class="chapter-title">{title_html}</span>{toggle}'
            "</div></header>\n")


def _footer(lang: str) -> str:
    licences = _("Code: MIT licence. Lesson text: CC BY-SA 4.0. Fonts: Noto, SIL Open Font "
                 "License 1.1.", lang)
    made = _("This page works offline: it loads nothing from the network.", lang)
    return (f'<footer class="site"><p>{html.escape(licences)}</p>'
            f"<p>{html.escape(made)}</p></footer>\n")


def page(lang: str, title: str, header: str, main: str) -> str:
    """A complete HTML document: styles, fonts and script inline."""
    body = f"{header}<main>\n{main}</main>\n{_footer(lang)}"
    css = "\n".join([asset("lesson.css"), code_css(), font_faces_css(body)])
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>\n{css}\n</style>\n</head>\n"
            f"<body>\n{body}<script>\n{asset('lesson.js')}\n</script>\n</body>\n</html>\n")


def site_title(lang: str) -> str:
    return _("gatelab — recurrent neural networks", lang)


def render_index(lang: str, chapters: Mapping[str, str]) -> str:
    """The list of chapters of one edition."""
    items = "".join(f'<li><a href="{name}.html">{html.escape(title)}</a></li>'
                    for name, title in chapters.items())
    title = site_title(lang)
    run_note = _("Run this chapter in JupyterLab to change the code.", lang)
    main = (f'<h1>{html.escape(title)}</h1>\n<ol class="chapter-list">{items}</ol>\n'
            f'<p class="note">{html.escape(run_note)}</p>\n')
    header = (f'<header class="site"><div class="bar"><a class="home" href="../index.html">'
              f"<strong>gatelab</strong></a>{_language_switch(lang, 'index.html')}</div></header>\n")
    return page(lang, title, header, main)


def render_chooser() -> str:
    """``site/index.html``: the three editions, each named and described in its own language."""
    items = "".join(
        f'<li lang="{code}"><a href="{code}/index.html">{own_name}</a>'
        f'<span class="description">{html.escape(site_title(code))}</span></li>'
        for code, own_name in i18n.LANGUAGES.items())
    main = f'<h1>gatelab</h1>\n<ul class="language-list">{items}</ul>\n'
    header = '<header class="site"><div class="bar"><strong>gatelab</strong></div></header>\n'
    return page(i18n.SOURCE_LANGUAGE, "gatelab", header, main)


# --- the site -------------------------------------------------------------------------------


def chapter_names(executed: Path, lang: str) -> list[str]:
    return sorted(p.stem for p in (executed / lang).glob("[0-9][0-9]_*.ipynb"))


def english_source(name: str, executed: Path) -> dict[str, str]:
    """The English markdown of a chapter by cell id: from its source in notebooks/en (the text
    the editions were generated from), else from the executed English notebook."""
    source = NOTEBOOKS / i18n.SOURCE_LANGUAGE / f"{name}.md"
    if source.exists():
        return english_cells(read(source))
    executed_en = executed / i18n.SOURCE_LANGUAGE / f"{name}.ipynb"
    if executed_en.exists():
        return english_cells(nbformat.read(executed_en, as_version=4))
    return {}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build_site(langs: tuple[str, ...] | None = None, executed: Path = EXECUTED,
               out: Path = ROOT / "site") -> list[Path]:
    """Write the pages of every executed edition in ``langs`` (default: all) into ``out``;
    return the files written."""
    langs = tuple(i18n.check_language(code) for code in (langs or tuple(i18n.LANGUAGES)))
    written = []
    for lang in langs:
        names = chapter_names(executed, lang)
        if not names:
            raise FileNotFoundError(f"No executed notebooks in {executed / lang}; run "
                                    "`python -m gatelab.build execute` first.")
        chapters = [Chapter(name, lang, nbformat.read(executed / lang / f"{name}.ipynb",
                                                      as_version=4))
                    for name in names]
        titles = {c.name: c.title for c in chapters}
        for chapter in chapters:
            if lang != i18n.SOURCE_LANGUAGE:
                chapter.english = english_source(chapter.name, executed)
            written.append(_write(out / lang / f"{chapter.name}.html",
                                  render_chapter(chapter, titles)))
        written.append(_write(out / lang / "index.html", render_index(lang, titles)))
    written.append(_write(out / "index.html", render_chooser()))
    return written
