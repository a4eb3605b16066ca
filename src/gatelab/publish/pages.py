"""The pages: a chapter (its cells, contents, run-note and links to its neighbours), an edition's
index and the language chooser, each a complete HTML document from the Jinja2 templates with its
styles, fonts and scripts inline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from markupsafe import Markup

from .. import i18n
from . import explorers, outputs, templates, webfonts
from .bilingual import bilingual_cell
from .markdown import inline_text, markdown
from .outputs import Context, joined, render_code_cell
from .project import current
from .templates import _


@dataclass
class Chapter:
    """One chapter in one edition, as the page needs it."""

    name: str  # e.g. "01_rnn"
    lang: str
    notebook: nbformat.NotebookNode
    english: dict[str, str] = field(default_factory=dict)  # cell id -> English markdown
    base: Path | None = None  # the folder of the chapter's images

    @property
    def title(self) -> str:
        return chapter_title(self.notebook) or self.name

    @property
    def title_html(self) -> str:
        return Markup(chapter_title(self.notebook, as_html=True)) or self.name


def chapter_title(nb: nbformat.NotebookNode, as_html: bool = False) -> str:
    """The first heading of the notebook: plain text (for <title>), or HTML with its math."""
    md = markdown()
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        tokens = md.parse(joined(cell.source))
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
    return {cell_id(c): joined(c.source) for c in nb.cells
            if c.cell_type == "markdown" and cell_id(c)}


def page(lang: str, title: str, body: str, explorer_kinds: set[str] = frozenset(),
         build_key: str = "") -> str:
    """A complete HTML document around ``body``: styles, the fonts it needs and scripts inline;
    ``build_key`` says what it was built from (see :func:`build_site`)."""
    css = "\n".join([templates.asset("lesson.css"), outputs.code_css(),
                     webfonts.font_faces_css(body)])
    return templates.render("page.html", lang=lang, title=title, body=Markup(body),
                            css=Markup(css), script=Markup(templates.asset("lesson.js")),
                            explorer_scripts=explorers.scripts(set(explorer_kinds)),
                            build_key=build_key)


def render_chapter(chapter: Chapter, chapters: Mapping[str, str] | None = None,
                   build_key: str = "") -> str:
    """The whole page of one chapter; ``chapters`` (name -> title, in order) gives the links to
    the previous and next chapter."""
    lang = chapter.lang
    ctx = Context(lang, base=chapter.base or current().notebooks / lang)
    cells, contents = [], []
    for cell in chapter.notebook.cells:
        if cell.cell_type == "markdown":
            english = chapter.english.get(cell_id(cell)) if lang != i18n.SOURCE_LANGUAGE else None
            text = bilingual_cell(joined(cell.source), english, lang, cell_id(cell), ctx.base,
                                  contents)
            cells.append(Markup('<section class="cell markdown">{}</section>\n').format(
                Markup(text)))
        elif cell.cell_type == "code":
            cells.append(Markup(render_code_cell(cell, ctx)))
    # the contents and the run-note go after the first cell (the title and the introduction)
    first = 1 if chapter.notebook.cells and chapter.notebook.cells[0].cell_type == "markdown" \
        else 0
    body = templates.render(
        "chapter.html", lang=lang, name=chapter.name, title_html=chapter.title_html,
        originals=lang != i18n.SOURCE_LANGUAGE, contents=contents,
        first_cells=Markup("").join(cells[:first]), other_cells=Markup("").join(cells[first:]),
        previous=_neighbour(chapter.name, chapters or {}, -1),
        following=_neighbour(chapter.name, chapters or {}, +1))
    return page(lang, f"{chapter.title} · gatelab", body, ctx.explorer_kinds, build_key)


def _neighbour(name: str, chapters: Mapping[str, str], step: int) -> tuple[str, str] | None:
    """(name, title) of the chapter ``step`` places from ``name`` in ``chapters``, if any."""
    names = list(chapters)
    if name not in names or not 0 <= names.index(name) + step < len(names):
        return None
    other = names[names.index(name) + step]
    return other, chapters[other]


def site_title(lang: str) -> str:
    return _("gatelab — recurrent neural networks", lang)


def render_index(lang: str, chapters: Mapping[str, str]) -> str:
    """The list of chapters of one edition."""
    title = site_title(lang)
    return page(lang, title, templates.render("index.html", lang=lang, title=title,
                                              chapters=chapters))


def render_chooser() -> str:
    """``site/index.html``: the three editions, each named and described in its own language."""
    lang = i18n.SOURCE_LANGUAGE
    body = templates.render("chooser.html", lang=lang,
                            site_titles={code: site_title(code) for code in i18n.LANGUAGES})
    return page(lang, "gatelab", body)
