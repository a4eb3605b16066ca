"""Notebook files of every edition: ``.md`` (the source) -> ``.ipynb`` -> executed ``.ipynb``."""

from __future__ import annotations

import time
from pathlib import Path

import jupytext
import nbformat

from .. import i18n
from . import generated
from .catalogs import NOTEBOOKS, ROOT, chapters

EXECUTED = ROOT / "build" / "executed"


def sources(langs: tuple[str, ...] | None = None) -> list[tuple[str, str, Path]]:
    """(language, chapter, path of the .md) for every edition."""
    return [(lang, chapter, NOTEBOOKS / lang / f"{chapter}.md")
            for lang in (langs or tuple(i18n.LANGUAGES)) for chapter in chapters()]


def read(path: Path) -> nbformat.NotebookNode:
    """A chapter as a notebook; markdown cells get their stable id from their metadata."""
    nb = jupytext.read(path)
    for number, cell in enumerate(nb.cells):
        cell.id = cell.metadata.get("id", f"cell-{number}")
    return nb


def write_ipynb(langs: tuple[str, ...] | None = None) -> list[generated.Outcome]:
    """The .ipynb next to every edition's .md, except where one was run or edited since it was
    built: that one is kept (see :mod:`gatelab.build.generated`)."""
    return [generated.write(md.with_suffix(".ipynb"), generated.stamped_text(read(md), "ipynb"))
            for _lang, _chapter, md in sources(langs)]


def clean_ipynb(langs: tuple[str, ...] | None = None) -> list[generated.Outcome]:
    """Delete the built .ipynb of every edition, keeping any that was run or edited since."""
    return [generated.remove(md.with_suffix(".ipynb")) for _lang, _chapter, md in sources(langs)
            if md.with_suffix(".ipynb").exists()]


def execute_all(langs: tuple[str, ...] | None = None, timeout: int = 600) -> dict[Path, float]:
    """Execute every edition into build/executed/<lang>/<chapter>.ipynb; return seconds each."""
    from nbclient import NotebookClient

    seconds = {}
    for lang, chapter, md in sources(langs):
        nb = read(md)
        started = time.perf_counter()
        NotebookClient(nb, timeout=timeout, kernel_name="python3", shutdown_kernel="graceful",
                       resources={"metadata": {"path": str(md.parent)}}).execute()
        target = EXECUTED / lang / f"{chapter}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        seconds[target] = time.perf_counter() - started
        print(f"executed {lang}/{chapter} in {seconds[target]:.1f} s", flush=True)
    return seconds
