"""A code cell of an executed notebook as HTML: the code, highlighted (pygments), and the
outputs a reader without a kernel can use (text, figures with their text alternative, HTML,
markdown, math, explorers); Jupyter Book's ``remove-input``, ``remove-output`` and
``remove-cell`` tags hide parts."""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from ..mimetypes import PROGRESS_METADATA, SPEC_MIMETYPE
from . import explorers
from .markdown import data_uri, latex_to_mathml, render_markdown
from .templates import _

WIDGET_MIMETYPE = "application/vnd.jupyter.widget-view+json"


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


def joined(value: str | list[str]) -> str:
    """A notebook's text field, which may be stored as a list of lines."""
    return "".join(value) if isinstance(value, list) else value


def _pre(text: str, css_class: str) -> str:
    return Markup('<pre class="{}">{}</pre>').format(css_class, plain_text(text))


def _is_error_text(text: str) -> bool:
    return bool(re.search(r"Traceback|\w*(Error|Exception)\b", text))


@dataclass
class Context:
    """What rendering one page needs besides the cell: its language, the folder of its images,
    and the kinds of explorers it holds (the page's scripts must handle them)."""

    lang: str
    base: Path = field(default_factory=lambda: Path("."))
    explorer_kinds: set[str] = field(default_factory=set)


def render_output(output: Mapping, ctx: Context) -> str:
    """One output of a code cell as HTML; empty for what a reader does not need."""
    kind = output.get("output_type")
    if kind == "stream":
        text = joined(output.get("text", ""))
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
    if SPEC_MIMETYPE in data:
        spec = data[SPEC_MIMETYPE]
        return explorers.render(spec if isinstance(spec, dict) else json.loads(spec), ctx)
    if WIDGET_MIMETYPE in data and PROGRESS_METADATA.items() <= metadata.items():
        return ""  # a training run's progress bar: its results are printed below it
    if WIDGET_MIMETYPE in data:
        note = _("This interactive figure needs a running notebook.", ctx.lang)
        return Markup('<p class="note widget-note">{}</p>').format(note)
    for mimetype in ("image/png", "image/jpeg"):
        if mimetype in data:
            return image(base64.b64decode(joined(data[mimetype])), mimetype,
                         metadata.get(mimetype, {}), ctx)
    if "image/svg+xml" in data:
        return image(joined(data["image/svg+xml"]).encode(), "image/svg+xml",
                     metadata.get("image/svg+xml", {}), ctx)
    if "text/html" in data:
        return Markup('<div class="output html">{}</div>').format(Markup(joined(data["text/html"])))
    if "text/markdown" in data:
        rendered = Markup(render_markdown(joined(data["text/markdown"])))
        return Markup('<div class="output markdown">{}</div>').format(rendered)
    if "text/latex" in data:
        latex = joined(data["text/latex"]).strip().strip("$")
        return Markup('<div class="output math">{}</div>').format(
            Markup(latex_to_mathml(latex, display=True)))
    if "text/plain" in data:
        text = joined(data["text/plain"])
        if _FIGURE_WITHOUT_PICTURE.match(text):
            raise ValueError(f"An output is {text!r} but has no picture: the notebook ran with a "
                             "non-interactive matplotlib backend. Unset MPLBACKEND and run "
                             "`python -m gatelab.publish execute` again.")
        return _pre(text, "output result")
    return ""


_FIGURE_WITHOUT_PICTURE = re.compile(r"^<Figure size \d+x\d+ with \d+ Axes>$")


def alt_text(metadata: Mapping, lang: str) -> str:
    """The figure's own text alternative (``gatelab.figures`` puts it in the output's
    metadata), else a generic one."""
    alt = metadata.get("alt")
    return alt if isinstance(alt, str) and alt.strip() else _("Figure drawn by the code above",
                                                              lang)


#: colours of a figure in the page: matplotlib's flat colours, antialiased edges and colour maps
#: survive a 256-colour palette; the page gets about a third of the bytes
PALETTE_COLORS = 256


def compact_png(data: bytes, colors: int = PALETTE_COLORS) -> bytes:
    """``data`` as a palette PNG when that is smaller; anything Pillow cannot read, as it came."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()
            if picture.mode == "RGBA" and picture.getchannel("A").getextrema() == (255, 255):
                picture = picture.convert("RGB")  # opaque: the alpha channel says nothing
            if picture.mode == "RGBA":
                small = picture.quantize(colors, method=Image.Quantize.FASTOCTREE,
                                         dither=Image.Dither.NONE)
            elif picture.mode in ("RGB", "L"):
                small = picture.convert("RGB").quantize(colors, method=Image.Quantize.MEDIANCUT,
                                                        dither=Image.Dither.NONE)
            else:
                return data
    except (OSError, UnidentifiedImageError):
        return data
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue() if buffer.tell() < len(data) else data


def image(data: bytes, mimetype: str, metadata: Mapping, ctx: Context) -> str:
    if mimetype == "image/png":
        data = compact_png(data)
    size = Markup("").join(Markup(' {}="{}"').format(k, int(metadata[k]))
                           for k in ("width", "height") if k in metadata)
    return Markup('<img class="output figure" src="{}" alt="{}"{}>').format(
        data_uri(data, mimetype), alt_text(metadata, ctx.lang), size)


def merge_streams(outputs: Iterable[Mapping]) -> list[Mapping]:
    """Consecutive prints to the same stream as one block, the way Jupyter shows them (a cell
    that prints while it trains sends its text in several messages)."""
    merged: list[Mapping] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (previous is not None and output.get("output_type") == "stream"
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            merged[-1] = {**previous, "text": joined(previous["text"]) + joined(output["text"])}
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
        code = Markup(highlight_code(joined(cell.get("source", ""))))
        parts.append(Markup('<div class="input">{}</div>').format(code))
    if "remove-output" not in tags:
        outputs = Markup("").join(Markup(render_output(o, ctx))
                                  for o in merge_streams(cell.get("outputs", [])))
        if outputs:
            parts.append(Markup('<div class="outputs">{}</div>').format(outputs))
    return Markup('<div class="cell code">{}</div>\n').format(Markup("").join(parts)) if parts else ""
