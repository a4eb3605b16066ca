"""Where a committed result came from: what the scripts in ``scripts/`` record beside their
numbers (data/*.json), so that a reader can tell which code, machine and PyTorch made them,
and how busy the machine was; :func:`save` writes such a file."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

#: what every record says about reproducing it
NOTE = ("what a run sees (steps, sequences) does not depend on the computer's speed, but a run "
        "is not bit-reproducible across CPUs and thread counts; seconds depend on the machine and "
        "its load")


def cpu_name() -> str:
    """The CPU's model name (Linux), else what the platform says."""
    info = Path("/proc/cpuinfo")
    if info.exists():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def record(script: str, command: str, root: Path, depends_on: Sequence[str] = (),
           date_only: bool = False, note: str = NOTE, **extra: Any) -> dict[str, Any]:
    """The provenance of a run made now by ``script`` with ``command``, in the checkout ``root``:
    git commit, whether the files it depends on (``depends_on``; default: every tracked file)
    had uncommitted changes, UTC date, PyTorch, Python, CPU and thread count, the process's
    niceness and the machine's 1-minute load average (what the seconds depend on), ``note``,
    and any ``extra`` fields."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True,
                              text=True).stdout.strip()

    now = datetime.datetime.now(datetime.UTC)
    changed = git("status", "--porcelain", "--", *depends_on) if depends_on else \
        git("status", "--porcelain", "--untracked-files=no")
    return {"script": script, "command": command,
            "date": now.date().isoformat() if date_only else now.isoformat(timespec="seconds"),
            "git_commit": git("rev-parse", "HEAD"), "uncommitted_changes": bool(changed),
            "torch": torch.__version__, "python": platform.python_version(), "cpu": cpu_name(),
            "threads": torch.get_num_threads(), "niceness": os.nice(0),
            "load_average": round(os.getloadavg()[0], 2), **extra, "note": note}


def save(path: Path, results: dict[str, Any]) -> None:
    """Write a script's results (with their provenance) as UTF-8 JSON, one key per line."""
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
