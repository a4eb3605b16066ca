"""Notebook files of every edition: ``.md`` (the source) -> ``.ipynb`` -> executed ``.ipynb``.

:func:`execute_all` runs the editions in parallel, one kernel per core with one torch thread
each, and reuses an executed notebook whose inputs have not changed: its metadata holds a key
(:func:`execution_key`) of the edition's ``.md`` and of everything the kernel reads from the
project (the package, ``data/`` and ``locales/``).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from .. import i18n
from . import generated
from .catalogs import chapters
from .project import Project, current

#: where an executed notebook keeps what it was executed from, and how long it took
EXECUTION = "execution"
#: each kernel gets one thread for torch and for OpenMP: the editions run side by side
KERNEL_ENVIRONMENT = {"GATELAB_THREADS": "1", "OMP_NUM_THREADS": "1"}


def sources(langs: tuple[str, ...] | None = None) -> list[tuple[str, str, Path]]:
    """(language, chapter, path of the .md) for every edition."""
    notebooks = current().notebooks
    return [(lang, chapter, notebooks / lang / f"{chapter}.md")
            for lang in (langs or tuple(i18n.LANGUAGES)) for chapter in chapters()]


def read(path: Path) -> nbformat.NotebookNode:
    """A chapter as a notebook; markdown cells get their stable id from their metadata."""
    nb = jupytext.read(path)
    for number, cell in enumerate(nb.cells):
        cell.id = cell.metadata.get("id", f"cell-{number}")
    return nb


def write_ipynb(langs: tuple[str, ...] | None = None) -> list[generated.Outcome]:
    """The .ipynb next to every edition's .md, except where one was run or edited since it was
    built: that one is kept (see :mod:`gatelab.publish.generated`)."""
    return [generated.write(md.with_suffix(".ipynb"), generated.stamped_text(read(md), "ipynb"))
            for _lang, _chapter, md in sources(langs)]


def clean_ipynb(langs: tuple[str, ...] | None = None) -> list[generated.Outcome]:
    """Delete the built .ipynb of every edition, keeping any that was run or edited since."""
    return [generated.remove(md.with_suffix(".ipynb")) for _lang, _chapter, md in sources(langs)
            if md.with_suffix(".ipynb").exists()]


# --- executing the editions -----------------------------------------------------------------


def _kernel_inputs(project: Project) -> list[Path]:
    """The files a chapter's kernel reads from the project besides the chapter: the package
    (not its builder, which never runs in a kernel), the trained models and the catalogs."""
    package = project.package_source
    files = [p for p in package.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts
             and not p.is_relative_to(package / "publish")]
    for folder in (project.data, project.locales):
        files += [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    return sorted(files)


def package_digest(project: Project | None = None) -> str:
    """sha256 over the names and bytes of :func:`_kernel_inputs`."""
    project = project or current()
    digest = hashlib.sha256()
    for path in _kernel_inputs(project):
        digest.update(path.relative_to(project.root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def execution_key(md: Path, package: str) -> str:
    """What an executed edition was made from: its ``.md`` and the :func:`package_digest`."""
    return hashlib.sha256(md.read_bytes() + package.encode()).hexdigest()


def stored_execution(target: Path) -> dict:
    """The ``execution`` metadata of an executed notebook (empty when there is none)."""
    try:
        nb = nbformat.read(target, as_version=4)
    except (OSError, ValueError):
        return {}
    return dict(nb.metadata.get(generated.KEY, {}).get(EXECUTION, {}))


@dataclass
class Execution:
    """The outcome of one edition: executed (with its seconds) or reused."""

    lang: str
    chapter: str
    target: Path
    seconds: float
    reused: bool

    def message(self) -> str:
        if self.reused:
            return (f"reused   {self.lang}/{self.chapter} (its .md and the package are unchanged; "
                    f"it took {self.seconds:.0f} s)")
        return f"executed {self.lang}/{self.chapter} in {self.seconds:.1f} s"


def say(line: str) -> None:
    """Print one line in one write: the workers share the terminal, and print() writes the line
    and its end separately, so two processes' lines could interleave."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def execute_one(md: Path, target: Path, key: str, timeout: int = 600, label: str = "") -> float:
    """Execute the edition ``md`` into ``target`` in a fresh kernel (one torch thread); return
    the seconds it took. Runs in a worker process of :func:`execute_all`."""
    from nbclient import NotebookClient

    os.environ.update(KERNEL_ENVIRONMENT)  # the kernel inherits this process's environment
    say(f"started  {label or md}")
    nb = read(md)
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    # the kernel's own messages (its start-up notices) go to a log beside the notebook, not
    # between the build's lines; a cell's error is in the notebook and raised here
    with target.with_suffix(".log").open("w", encoding="utf-8") as log:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", shutdown_kernel="graceful",
                       resources={"metadata": {"path": str(md.parent)}}).execute(stderr=log)
    seconds = time.perf_counter() - started
    nb.metadata.setdefault(generated.KEY, {})[EXECUTION] = {"key": key,
                                                             "seconds": round(seconds, 1)}
    nbformat.write(nb, target)
    return seconds


def execute_all(langs: tuple[str, ...] | None = None, timeout: int = 600,
                workers: int | None = None, force: bool = False) -> list[Execution]:
    """Execute every edition into build/executed/<lang>/<chapter>.ipynb, ``workers`` at a time
    (default: one per core), reusing those whose key is unchanged (unless ``force``); print
    each as it ends."""
    project = current()
    package = package_digest(project)
    todo, done = [], []
    for lang, chapter, md in sources(langs):
        target = project.executed / lang / f"{chapter}.ipynb"
        key = execution_key(md, package)
        stored = stored_execution(target)
        if not force and stored.get("key") == key:
            done.append(Execution(lang, chapter, target, stored.get("seconds", 0.0), True))
            say(done[-1].message())
        else:
            todo.append((lang, chapter, md, target, key, stored.get("seconds", 0.0)))
    if not todo:
        return done
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    print(f"executing {len(todo)} edition(s), {workers} at a time, one torch thread each",
          flush=True)
    todo.sort(key=lambda job: -job[-1])  # the longest last time first: the cores end together
    # spawn, not fork: a forked copy of a process with threads may hang
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        running = {}
        for lang, chapter, md, target, key, _previous in todo:
            running[pool.submit(execute_one, md, target, key, timeout,
                                f"{lang}/{chapter}")] = (lang, chapter, target)
        for future in as_completed(running):
            lang, chapter, target = running[future]
            try:
                seconds = future.result()
            except Exception as error:
                raise RuntimeError(f"{lang}/{chapter} failed (its kernel's messages are in "
                                   f"{target.with_suffix('.log')}): {error}") from error
            done.append(Execution(lang, chapter, target, seconds, False))
            say(done[-1].message())
    return done
