"""Files the build writes into ``notebooks/`` that a person may have opened, run and saved since:
the ``.ipynb`` of every edition, the Bengali and Hindi editions and the index pages.

Every such file carries a fingerprint of its cells as written (``metadata.gatelab.fingerprint``:
sha256 of each cell's type, source, outputs, execution count and attachments). A later build
replaces a file only when it is missing, already current, or still exactly as built (its cells
match its fingerprint; a file written before fingerprints existed counts as built while git
says it is unchanged since the last commit). A file that was run (outputs) or edited since, or
that differs from the new build with no way to tell, is kept, and the build says so: no command
overwrites a teacher's work.
JupyterLab keeps a notebook's metadata when it saves, so the fingerprint survives a save and
shows the cells changed; for the Markdown files the Jupytext header keeps it
(``notebook_metadata_filter: gatelab``).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

KEY = "gatelab"  # the notebook metadata the build owns
FINGERPRINT = "fingerprint"
WROTE, CURRENT, KEPT = "wrote", "current", "kept"


def fingerprint(nb: nbformat.NotebookNode) -> str:
    """sha256 of what a person changes in a notebook: each cell's type, source, outputs,
    execution count and attachments (not metadata or ids, which Jupyter may touch on its own)."""
    cells = [{"type": c.cell_type, "source": c.source, "outputs": c.get("outputs", []),
              "count": c.get("execution_count"), "attachments": c.get("attachments", {})}
             for c in nb.cells]
    text = json.dumps(cells, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamp(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Record ``nb``'s fingerprint in its metadata (in place); return it."""
    nb.metadata.setdefault(KEY, {})[FINGERPRINT] = fingerprint(nb)
    return nb


def as_built(nb: nbformat.NotebookNode) -> bool:
    """True when ``nb`` is still exactly what the build wrote (its cells match its fingerprint)."""
    return nb.metadata.get(KEY, {}).get(FINGERPRINT) == fingerprint(nb)


def stamped_text(nb: nbformat.NotebookNode, fmt: str) -> str:
    """The text of ``nb`` in ``fmt`` ("ipynb" or "md:myst") with its fingerprint recorded: taken
    from the notebook as read back from that text, so that reading the file gives it exactly."""
    if fmt == "ipynb":
        return nbformat.writes(stamp(nb)) + "\n"
    nb.metadata.setdefault("jupytext", {})["notebook_metadata_filter"] = KEY  # keep the stamp
    return jupytext.writes(stamp(jupytext.reads(jupytext.writes(nb, fmt=fmt), fmt=fmt)), fmt=fmt)


def as_committed(path: Path) -> bool:
    """True when git tracks ``path`` and it is unchanged since the last commit (a file written
    before fingerprints existed, never touched since); False where git cannot tell."""
    def git(*args: str) -> int:
        return subprocess.run(["git", *args, "--", path.name], cwd=path.parent,
                              capture_output=True, timeout=60).returncode
    try:
        return git("ls-files", "--error-unmatch") == 0 and git("diff", "--quiet", "HEAD") == 0
    except (OSError, subprocess.SubprocessError):
        return False


@dataclass
class Outcome:
    path: Path
    status: str  # WROTE, CURRENT or KEPT

    def message(self, root: Path) -> str:
        shown = self.path.relative_to(root) if self.path.is_relative_to(root) else self.path
        if self.status == KEPT:
            return (f"kept {shown}: it was run or edited since it was built (outputs or changed "
                    f"cells); rename or delete it to get a fresh copy")
        return f"{self.status} {shown}"


def _read(path: Path) -> nbformat.NotebookNode:
    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    return jupytext.read(path)


def write(path: Path, text: str) -> Outcome:
    """Write ``text`` (a built notebook: .ipynb JSON or Jupytext Markdown, stamped) to ``path``
    unless a person's work is there: see the module's docstring."""
    if path.exists():
        old_text = path.read_text(encoding="utf-8")
        if old_text == text:
            return Outcome(path, CURRENT)
        try:
            old = _read(path)
        except Exception:  # not a notebook any more: someone's file, not ours to replace
            return Outcome(path, KEPT)
        new = jupytext.reads(text, fmt="ipynb" if path.suffix == ".ipynb" else "md:myst")
        if not (as_built(old) or fingerprint(old) == fingerprint(new)
                or (KEY not in old.metadata and as_committed(path))):
            return Outcome(path, KEPT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return Outcome(path, WROTE)


def remove(path: Path) -> Outcome:
    """Delete a built ``.ipynb`` (``make clean``) unless it was run or edited since."""
    try:
        unchanged = as_built(_read(path))
    except Exception:
        unchanged = False
    if not unchanged:
        return Outcome(path, KEPT)
    path.unlink()
    return Outcome(path, "removed")
