"""The site: ``site/{lang}/{chapter}.html`` for every executed edition, ``site/{lang}/index.html``
and the language chooser ``site/index.html``, each one self-contained file that loads nothing
from the network (styles, fonts, figures and scripts inline)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from markupsafe import Markup

from .. import i18n
from . import explorers, outputs, templates, webfonts
from .bilingual import bilingual_cell
from .markdown import inline_text, markdown
from .notebooks import read
from .outputs import Context, joined, render_code_cell
from .project import current, use
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


def page(lang: str, title: str, body: str, explorer_kinds: set[str] = frozenset()) -> str:
    """A complete HTML document around ``body``: styles, the fonts it needs and scripts inline."""
    css = "\n".join([templates.asset("lesson.css"), outputs.code_css(),
                     webfonts.font_faces_css(body)])
    return templates.render("page.html", lang=lang, title=title, body=Markup(body),
                            css=Markup(css), script=Markup(templates.asset("lesson.js")),
                            explorer_scripts=explorers.scripts(set(explorer_kinds)))


def render_chapter(chapter: Chapter, chapters: Mapping[str, str] | None = None) -> str:
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
    return page(lang, f"{chapter.title} · gatelab", body, ctx.explorer_kinds)


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


# --- writing the site -----------------------------------------------------------------------


def chapter_names(executed: Path, lang: str) -> list[str]:
    return sorted(p.stem for p in (executed / lang).glob("[0-9][0-9]_*.ipynb"))


def english_source(name: str, executed: Path) -> dict[str, str]:
    """The English markdown of a chapter by cell id: from its source in notebooks/en (the text
    the editions were generated from), else from the executed English notebook."""
    source = current().notebooks / i18n.SOURCE_LANGUAGE / f"{name}.md"
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


def _write_chapter(root: Path, executed: Path, out: Path, lang: str, name: str,
                   titles: dict[str, str]) -> Path:
    """Write one chapter's page (in a worker process of :func:`build_site`)."""
    use(root)
    chapter = Chapter(name, lang, nbformat.read(executed / lang / f"{name}.ipynb", as_version=4))
    if lang != i18n.SOURCE_LANGUAGE:
        chapter.english = english_source(name, executed)
    return _write(out / lang / f"{name}.html", render_chapter(chapter, titles))


def build_site(langs: tuple[str, ...] | None = None, executed: Path | None = None,
               out: Path | None = None, workers: int | None = None) -> list[Path]:
    """Write the pages of every executed edition in ``langs`` (default: all) into ``out``
    (default: the project's site/), the chapters ``workers`` at a time (default: one per core);
    return the files written, in order."""
    project = current()
    executed = executed or project.executed
    out = out or project.site
    langs = tuple(i18n.check_language(code) for code in (langs or tuple(i18n.LANGUAGES)))
    titles = {}
    for lang in langs:
        names = chapter_names(executed, lang)
        if not names:
            raise FileNotFoundError(f"No executed notebooks in {executed / lang}; run "
                                    "`python -m gatelab.publish execute` first.")
        titles[lang] = {name: chapter_title(nbformat.read(executed / lang / f"{name}.ipynb",
                                                          as_version=4)) or name
                        for name in names}
    jobs = [(project.root, executed, out, lang, name, titles[lang])
            for lang in langs for name in titles[lang]]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1:
        pages = [_write_chapter(*job) for job in jobs]
    else:  # spawn, not fork: a forked copy of a process with threads may hang
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            pages = list(pool.map(_write_chapter, *zip(*jobs, strict=True)))
    written = []
    for lang in langs:
        written += [p for p in pages if p.parent == out / lang]
        written.append(_write(out / lang / "index.html", render_index(lang, titles[lang])))
    written.append(_write(out / "index.html", render_chooser()))
    return written
