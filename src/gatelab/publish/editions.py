"""The Bengali and Hindi editions: :func:`write_editions` writes ``notebooks/{bn,hi}/NN_topic.md``
from the English chapter and the language's catalog, markdown translated paragraph by paragraph
(a fuzzy translation shown with a note that it is out of date, a missing one left in English,
marked) and code cells copied verbatim except the language line."""

from __future__ import annotations

import re

import jupytext
from babel.messages.catalog import Catalog

from .. import i18n
from . import generated
from .catalogs import TARGET_LANGUAGES, chapters, po_path, read_catalog
from .paragraphs import split_paragraphs, translatable
from .project import current

#: the one line of code that differs between editions
LANGUAGE_LINE = re.compile(r'^(\s*gatelab\.use\(")([a-z]{2})("\).*)$', re.MULTILINE)
#: a paragraph whose translation is out of date, or missing, carries a note of this class
STALE_CLASS = "gatelab-stale"
MISSING_CLASS = "gatelab-untranslated"


def translate_cell(source: str, cell_id: str, catalog: Catalog, lang: str) -> str:
    """A markdown cell in ``lang``: each paragraph replaced by its translation. A fuzzy one is
    shown with a visible "translation out of date" note; a missing one stays English, marked."""
    out = []
    for text in split_paragraphs(source):
        entry = catalog.get(text, context=cell_id) if translatable(text) else None
        if not translatable(text):
            out.append(text)
        elif entry is None or not entry.string:
            note = i18n.gettext("not yet translated", lang=lang)
            out.append(f'{text} <span class="{MISSING_CLASS}">⚠ {note}</span>')
        elif entry.fuzzy:
            note = i18n.gettext("translation out of date", lang=lang)
            out.append(f'{entry.string} <span class="{STALE_CLASS}">⚠ {note}</span>')
        else:
            out.append(entry.string)
    return "\n\n".join(out)


def edition_text(chapter: str, lang: str) -> str:
    """The text of ``notebooks/<lang>/<chapter>.md``."""
    nb = jupytext.read(current().notebooks / "en" / f"{chapter}.md")
    catalog = read_catalog(po_path(lang, chapter), lang)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = translate_cell(cell.source, cell.metadata["id"], catalog, lang)
        elif cell.cell_type == "code":
            cell.source = LANGUAGE_LINE.sub(rf"\g<1>{lang}\g<3>", cell.source)
    nb.metadata["gatelab"] = {
        "edition": lang,
        "generated": f"from notebooks/en/{chapter}.md and locales/{lang}/LC_MESSAGES/{chapter}.po "
                     "by `make editions`; edit those, never this file",
    }
    # with a fingerprint of its cells: a teacher who opens the edition in JupyterLab and saves
    # changes keeps them (gatelab.publish.generated)
    return generated.stamped_text(nb, "md:myst")


def write_editions(languages: tuple[str, ...] = TARGET_LANGUAGES) -> list[generated.Outcome]:
    """Write every edition, except one that was edited since it was written (kept); return
    what happened to each file that is not already current."""
    notebooks = current().notebooks
    outcomes = [generated.write(notebooks / lang / f"{chapter}.md", edition_text(chapter, lang))
                for chapter in chapters() for lang in languages]
    return [o for o in outcomes if o.status != generated.CURRENT]
