"""The lesson page for any notebook: an nbconvert exporter, so that a teacher turns their own
notebook (run first) into the same self-contained offline page as the lessons::

    jupyter nbconvert --to gatelab-lesson my_chapter.ipynb
    jupyter nbconvert --to gatelab-lesson --GatelabLessonExporter.lang=bn \\
        --GatelabLessonExporter.english=my_chapter_en.ipynb my_chapter_bn.ipynb

With ``english`` (the same notebook in English, its markdown cells carrying the same ids, as
the editions of ``make editions`` do), each translated paragraph gets its English original.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert.exporters import Exporter
from traitlets import Unicode, validate

from .. import i18n
from .pages import Chapter, english_cells, render_chapter


class GatelabLessonExporter(Exporter):
    """A notebook as one HTML page that loads nothing from the network."""

    export_from_notebook = "gatelab lesson (offline HTML)"
    output_mimetype = "text/html"

    lang = Unicode(i18n.SOURCE_LANGUAGE,
                   help="the notebook's language: the page's own words are in it "
                        f"({', '.join(i18n.LANGUAGES)})").tag(config=True)
    english = Unicode("", help="the same notebook in English (.ipynb or Jupytext .md), whose "
                               "paragraphs are shown beside the translation").tag(config=True)

    def _file_extension_default(self) -> str:
        return ".html"

    @validate("lang")
    def _check_lang(self, proposal) -> str:
        return i18n.check_language(proposal["value"])

    def from_notebook_node(self, nb, resources=None, **kw):
        nb, resources = super().from_notebook_node(nb, resources, **kw)
        metadata = resources.get("metadata", {})
        name = metadata.get("name") or "notebook"
        base = Path(metadata.get("path") or ".")
        chapter = Chapter(name, self.lang, nb, base=base)
        if self.english and self.lang != i18n.SOURCE_LANGUAGE:
            chapter.english = english_cells(_read(Path(self.english)))
        return render_chapter(chapter), resources


def _read(path: Path) -> nbformat.NotebookNode:
    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    from .notebooks import read

    return read(path)
