"""Markdown to HTML: CommonMark with tables and raw HTML (markdown-it-py), ``$…$`` and
``$$…$$`` as MathML drawn by the browser (latex2mathml, at build time), and images next to a
chapter inlined as ``data:`` URIs (never linked from the network)."""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.dollarmath import dollarmath_plugin


def data_uri(data: bytes, mimetype: str) -> str:
    return f"data:{mimetype};base64,{base64.b64encode(data).decode('ascii')}"


def latex_to_mathml(latex: str, display: bool) -> str:
    """MathML for one formula; the TeX source, shown as code, if latex2mathml cannot read it."""
    from latex2mathml.converter import convert

    try:
        mathml = convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds; the reader still gets the formula
        return Markup('<code class="tex">{}</code>').format(latex.strip())
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
            alt = self.renderInlineAsText(token.children or [], options, env)
            return Markup('<span class="missing-image">[{}]</span>').format(alt)
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


def headings(tokens: list[Token], level: str = "h2") -> list[tuple[str, str]]:
    """(id, inline HTML) of each heading of ``level`` that has an id, for a table of contents."""
    md = markdown()
    found = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == level and token.attrGet("id"):
            inline = tokens[i + 1]
            found.append((str(token.attrGet("id")), Markup(
                md.renderer.renderInline(inline.children or [], md.options, {}))))
    return found
