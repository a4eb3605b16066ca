"""The site: ``site/{lang}/{chapter}.html`` for every executed edition, ``site/{lang}/index.html``
and the language chooser ``site/index.html``, each one self-contained file that loads nothing
from the network. Chapters are written in parallel, and a page whose inputs are unchanged (its
key, in its <head>) is kept."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat

from .. import i18n
from .notebooks import read
from .pages import (
    Chapter,
    chapter_title,
    english_cells,
    render_chapter,
    render_chooser,
    render_index,
)
from .project import Project, current, use


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


#: where a chapter's page says what it was built from
_BUILD_KEY = re.compile(r'<meta name="gatelab-build" content="([0-9a-f]+)">')


def builder_digest(project: Project) -> str:
    """sha256 over the package (the builder, its templates, the explorers) and the catalogs:
    a page built by another version of either is built again."""
    digest = hashlib.sha256()
    for folder in (project.package_source, project.locales):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(project.root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def page_key(builder: str, notebook: Path, english: Path | None, titles: Mapping) -> str:
    """What one chapter's page is made from: the builder, its executed notebook, its English
    source (the originals) and the chapters' titles (the links to the previous and next)."""
    digest = hashlib.sha256(builder.encode() + notebook.read_bytes())
    digest.update(english.read_bytes() if english is not None and english.exists() else b"")
    digest.update(json.dumps(dict(titles), ensure_ascii=False).encode())
    return digest.hexdigest()


def stored_key(page_path: Path) -> str | None:
    """The key a page was built with, from its <head>."""
    try:
        with page_path.open(encoding="utf-8") as f:
            head = f.read(2000)
    except OSError:
        return None
    found = _BUILD_KEY.search(head)
    return found.group(1) if found else None


def _write_chapter(root: Path, executed: Path, out: Path, lang: str, name: str,
                   titles: dict[str, str], key: str = "") -> Path:
    """Write one chapter's page (in a worker process of :func:`build_site`)."""
    use(root)
    chapter = Chapter(name, lang, nbformat.read(executed / lang / f"{name}.ipynb", as_version=4))
    if lang != i18n.SOURCE_LANGUAGE:
        chapter.english = english_source(name, executed)
    return _write(out / lang / f"{name}.html", render_chapter(chapter, titles, key))


def build_site(langs: tuple[str, ...] | None = None, executed: Path | None = None,
               out: Path | None = None, workers: int | None = None,
               force: bool = False) -> list[Path]:
    """Write the pages of every executed edition in ``langs`` (default: all) into ``out``
    (default: the project's site/), the chapters ``workers`` at a time (default: one per core);
    a chapter's page built from the same inputs (:func:`page_key`) is kept, and said so,
    unless ``force``. Return the files written, in order."""
    project = current()
    executed = executed or project.executed
    out = out or project.site
    langs = tuple(i18n.check_language(code) for code in (langs or tuple(i18n.LANGUAGES)))
    builder = builder_digest(project)
    titles, jobs = {}, []
    for lang in langs:
        names = chapter_names(executed, lang)
        if not names:
            raise FileNotFoundError(f"No executed notebooks in {executed / lang}; run "
                                    "`python -m gatelab.publish execute` first.")
        titles[lang] = {name: chapter_title(nbformat.read(executed / lang / f"{name}.ipynb",
                                                          as_version=4)) or name
                        for name in names}
        for name in names:
            english = (project.notebooks / i18n.SOURCE_LANGUAGE / f"{name}.md"
                       if lang != i18n.SOURCE_LANGUAGE else None)
            key = page_key(builder, executed / lang / f"{name}.ipynb", english, titles[lang])
            target = out / lang / f"{name}.html"
            if not force and stored_key(target) == key:
                print(f"reused   {_shown(target, project)} (built from the same notebook and "
                      "package)", flush=True)
            else:
                jobs.append((project.root, executed, out, lang, name, titles[lang], key))
    pages = _write_chapters(jobs, workers)
    written = []
    for lang in langs:
        written += [p for p in pages if p.parent == out / lang]
        written.append(_write(out / lang / "index.html", render_index(lang, titles[lang])))
    written.append(_write(out / "index.html", render_chooser()))
    return written  # the chapters were said as they were written; the indexes are quick


def _write_chapters(jobs: list[tuple], workers: int | None) -> list[Path]:
    """Run :func:`_write_chapter` for each job, ``workers`` at a time; say each page as it is
    written; return the pages in the jobs' order."""
    if not jobs:
        return []
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    started = time.perf_counter()
    if workers == 1:
        return [_said(_write_chapter(*job), started) for job in jobs]
    # spawn, not fork: a forked copy of a process with threads may hang
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_write_chapter, *job) for job in jobs]
        for future in as_completed(futures):
            _said(future.result(), started)
        return [future.result() for future in futures]


def _said(path: Path, started: float) -> Path:
    print(f"wrote    {_shown(path, current())} ({path.stat().st_size / 1e6:.2f} MB) after "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return path


def _shown(path: Path, project: Project) -> Path:
    return path.relative_to(project.root) if path.is_relative_to(project.root) else path
