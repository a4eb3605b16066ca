"""Where the lessons' sources are: the project root the build works in.

Every path of the build comes from one :class:`Project`: ``python -m gatelab.publish --root DIR``
sets it; without ``--root`` it is the checkout around the current directory (the first folder,
going up, that holds both ``pyproject.toml`` and ``notebooks/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    """The folders of one checkout of the lessons."""

    root: Path

    @property
    def notebooks(self) -> Path:  # notebooks/{en,bn,hi}/NN_topic.md: the editions
        return self.root / "notebooks"

    @property
    def locales(self) -> Path:  # locales/{lang}/LC_MESSAGES/*.po
        return self.root / "locales"

    @property
    def package_source(self) -> Path:  # src/gatelab: the package's own strings
        return self.root / "src" / "gatelab"

    @property
    def data(self) -> Path:  # data/: the trained models the chapters load
        return self.root / "data"

    @property
    def executed(self) -> Path:  # build/executed/{lang}/NN_topic.ipynb
        return self.root / "build" / "executed"

    @property
    def site(self) -> Path:  # site/: the HTML lessons
        return self.root / "site"


def find_root(start: Path | None = None) -> Path:
    """The checkout that holds ``start`` (default: the current directory)."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir():
            return folder
    raise FileNotFoundError(
        f"No gatelab checkout around {start}: run the build inside one (a folder with "
        "pyproject.toml and notebooks/), or give it with --root DIR.")


_current: Project | None = None


def use(root: Path | str) -> Project:
    """Make ``root`` the project every build step works in; return it."""
    global _current
    _current = Project(Path(root).resolve())
    return _current


def current() -> Project:
    """The project set by :func:`use`, else the checkout around the current directory."""
    return _current if _current is not None else use(find_root())
