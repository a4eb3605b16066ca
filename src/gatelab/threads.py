"""How many threads torch uses in a lesson's kernel: one, unless the learner asks for more.

A class shares a server's cores. torch starts a thread per core in every kernel, and with four
kernels on two cores those threads wait for one another: Chapter 2 took 260–349 s per kernel
instead of 27–28 s with one thread each (``benchmarks/threads.py``, ``benchmarks/README.md``).
The lessons' networks are tiny, so one thread loses nothing even alone (13 s either way).
:func:`gatelab.use` sets the count when a notebook starts, never ``import gatelab``; a learner
who knows better passes ``threads=N`` or sets the environment variable ``GATELAB_THREADS``
before starting Jupyter.
"""

from __future__ import annotations

import os

from .i18n import _, language

#: the environment variable that overrides the default (an argument overrides both)
ENV = "GATELAB_THREADS"
DEFAULT = 1


class ThreadsError(ValueError):
    """A thread count that is not a whole number of at least 1."""


def choose(threads: int | str | None = None) -> int:
    """The number of torch threads to use: ``threads`` when given, else ``$GATELAB_THREADS``
    when set (and not empty), else 1. ThreadsError, in the learner's language, otherwise."""
    if threads is None:
        value = os.environ.get(ENV, "").strip()
        if not value:
            return DEFAULT
        origin = ENV
    else:
        value, origin = threads, "threads"
    try:
        count = int(value) if not isinstance(value, (bool, float)) else None
    except (TypeError, ValueError):
        count = None
    if count is None or count < 1:
        raise ThreadsError(_("The number of torch threads must be a whole number of at least "
                             "1; {origin} is {value!r}. For example: gatelab.use(\"{lang}\", "
                             "threads=2), or GATELAB_THREADS=2 before starting Jupyter.")
                           .format(origin=origin, value=value, lang=language()))
    return count


def apply(count: int) -> int:
    """Make torch use ``count`` threads in this process; return the count torch reports."""
    import torch  # here, not at module level: importing gatelab starts no torch

    torch.set_num_threads(count)
    try:
        # the pool for parallel *operators* (torch.jit.fork); its size can be set only before
        # any parallel work has started and only once, so a second gatelab.use() or a cell
        # that already trained something leaves it as it is (the lessons do not use it)
        torch.set_num_interop_threads(count)
    except RuntimeError:
        pass
    return torch.get_num_threads()


def describe(count: int, lang: str) -> str:
    """The line :func:`gatelab.use` prints: how many threads, and how to change it."""
    return _("torch threads: {count} (to change: gatelab.use(\"{lang}\", threads=N) or the "
             "environment variable GATELAB_THREADS)").format(count=count, lang=lang)
