"""The index page of each edition, ``notebooks/<lang>/index.md``: the chapters' titles in that
language, each a link that opens the chapter as a notebook, and the other languages. A class's
nbgitpuller link lands here. Written by ``make editions`` from the English chapters, the
catalogs and the strings below; committed like the editions. Its name does not start with two
digits, so :func:`gatelab.publish.catalogs.chapters` never takes it for a chapter.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat

from .. import i18n
from ..i18n import N_
from . import generated
from .catalogs import chapters, po_path, read_catalog
from .paragraphs import split_paragraphs
from .project import current

NAME = "index"
TITLE = N_("Recurrent neural networks — the chapters")
HOW = N_("Click a chapter to open it as a notebook, then run its cells in order from the top: "
         "Shift+Enter runs the cell you are in and moves to the next.")
OTHER_LANGUAGES = N_("In other languages:")


def path(lang: str) -> Path:
    return current().notebooks / lang / f"{NAME}.md"


def chapter_title(chapter: str, lang: str) -> str:
    """A chapter's heading ("Chapter 2 — …") in ``lang``: its translation in the chapter's
    catalog where it is translated and current, the English heading otherwise."""
    for cell in jupytext.read(current().notebooks / "en" / f"{chapter}.md").cells:
        if cell.cell_type != "markdown":
            continue
        for paragraph in split_paragraphs(cell.source):
            if paragraph.startswith("# "):
                heading = paragraph
                if lang != i18n.SOURCE_LANGUAGE and po_path(lang, chapter).exists():
                    entry = read_catalog(po_path(lang, chapter), lang).get(
                        heading, context=cell.metadata.get("id"))
                    if entry is not None and entry.string and not entry.fuzzy:
                        heading = entry.string
                return heading[2:].strip()
    raise ValueError(f"notebooks/en/{chapter}.md has no title (a line starting with '# ')")


def index_text(lang: str) -> str:
    """The text of ``notebooks/<lang>/index.md``."""
    lang = i18n.check_language(lang)
    lines = [f"# {i18n.gettext(TITLE, lang=lang)}", "", i18n.gettext(HOW, lang=lang), ""]
    lines += [f"- [{chapter_title(chapter, lang)}]({chapter}.md)" for chapter in chapters()]
    others = " · ".join(f"[{name}](../{code}/{NAME}.md)" for code, name in i18n.LANGUAGES.items()
                        if code != lang)
    lines += ["", f"{i18n.gettext(OTHER_LANGUAGES, lang=lang)} {others}"]
    cell = nbformat.v4.new_markdown_cell("\n".join(lines), metadata={"id": NAME})
    first = jupytext.read(current().notebooks / "en" / f"{chapters()[0]}.md").metadata
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={
        # a kernel of its own, like the chapters: with none named, JupyterLab asks for one
        "kernelspec": first["kernelspec"],
        "jupytext": {"text_representation": first["jupytext"]["text_representation"]},
        # (names the builder's old path until the lead's next `make editions` pass: changing
        # it rewrites the committed index pages)
        generated.KEY: {"generated": "by `make editions` (src/gatelab/publish/index.py) from the "
                                     "chapters and the catalogs; edit those, never this file"},
    })
    return generated.stamped_text(nb, "md:myst")


def write_indexes(langs: tuple[str, ...] | None = None) -> list[generated.Outcome]:
    return [generated.write(path(lang), index_text(lang))
            for lang in (langs or tuple(i18n.LANGUAGES))]
