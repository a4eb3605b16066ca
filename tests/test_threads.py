"""The thread policy: gatelab.use() gives torch one thread unless the learner asks for more
(an argument, or GATELAB_THREADS), says so in one line, and importing gatelab changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

import gatelab
from gatelab import threads
from gatelab.i18n import gettext


@pytest.fixture(autouse=True)
def torch_threads_restored(monkeypatch):
    """Each test starts without GATELAB_THREADS and leaves torch's thread count as it found it."""
    monkeypatch.delenv(threads.ENV, raising=False)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_default_is_one_thread_and_says_so(capsys) -> None:
    torch.set_num_threads(2)
    assert gatelab.use("en") == "en"
    assert torch.get_num_threads() == 1
    line = capsys.readouterr().out.strip()
    assert line == threads.describe(1, "en")
    assert "threads=N" in line and "GATELAB_THREADS" in line and "1" in line


def test_argument_overrides_environment(monkeypatch, capsys) -> None:
    monkeypatch.setenv(threads.ENV, "3")
    gatelab.use("en", threads=2)
    assert torch.get_num_threads() == 2
    assert capsys.readouterr().out.strip() == threads.describe(2, "en")


def test_environment_variable(monkeypatch) -> None:
    monkeypatch.setenv(threads.ENV, " 2 ")
    gatelab.use("en")
    assert torch.get_num_threads() == 2
    monkeypatch.setenv(threads.ENV, "")  # set but empty: the default
    gatelab.use("en")
    assert torch.get_num_threads() == 1


def test_the_line_is_in_the_learners_language(capsys) -> None:
    gatelab.use("bn")
    line = capsys.readouterr().out.strip()
    template = gettext('torch threads: {count} (to change: gatelab.use("{lang}", threads=N) or '
                       "the environment variable GATELAB_THREADS)", lang="bn")
    assert line == template.format(count=1, lang="bn")


@pytest.mark.parametrize("bad", [0, -1, "two", "1.5", 1.5, True, ""])
def test_bad_argument_is_a_clear_error(bad) -> None:
    torch.set_num_threads(2)
    with pytest.raises(gatelab.ThreadsError) as error:
        gatelab.use("en", threads=bad)
    message = str(error.value)
    assert repr(bad) in message and "at least 1" in message and 'gatelab.use("en", threads=2)' in message
    assert torch.get_num_threads() == 2, "a bad value must change nothing"


@pytest.mark.parametrize("bad", ["0", "many", "-2"])
def test_bad_environment_variable_names_it(monkeypatch, bad) -> None:
    monkeypatch.setenv(threads.ENV, bad)
    with pytest.raises(gatelab.ThreadsError, match="GATELAB_THREADS is"):
        gatelab.use("en")


def test_bad_value_error_is_translated(monkeypatch) -> None:
    template = gettext("The number of torch threads must be a whole number of at least 1; "
                       "{origin} is {value!r}. For example: gatelab.use(\"{lang}\", threads=2), "
                       "or GATELAB_THREADS=2 before starting Jupyter.", lang="hi")
    with pytest.raises(gatelab.ThreadsError) as error:
        gatelab.use("hi", threads=0)
    assert str(error.value) == template.format(origin="threads", value=0, lang="hi")


def test_interop_threads_after_parallel_work_is_no_error() -> None:
    """torch refuses to resize its inter-op pool once parallel work has run (and after a first
    set): a second gatelab.use() in a notebook that has trained something must still work."""
    torch.ones(256, 256) @ torch.ones(256, 256)
    gatelab.use("en", threads=2)
    gatelab.use("en")
    assert torch.get_num_threads() == 1


def test_importing_gatelab_sets_nothing() -> None:
    """In a fresh interpreter, importing gatelab and its modules leaves the environment, torch's
    thread counts and the set of imported modules (no torch for ``import gatelab``) as a plain
    ``import torch`` has them."""
    plain = "import torch\nprint(torch.get_num_threads(), torch.get_num_interop_threads())\n"
    ours = ("import os, sys\n"
            "before = dict(os.environ)\n"
            "import gatelab, gatelab.threads, gatelab.i18n\n"
            "assert 'torch' not in sys.modules, 'importing gatelab imported torch'\n"
            "assert dict(os.environ) == before, 'importing gatelab changed the environment'\n"
            "import gatelab.cells, gatelab.models, gatelab.plots, gatelab.train, gatelab.widgets\n"
            "assert dict(os.environ) == before, 'importing gatelab changed the environment'\n"
            + plain)
    # torch's own default: a thread per core (OMP_NUM_THREADS, which conftest sets, removed)
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", threads.ENV)}
    counts = []
    for code in (plain, ours):
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        counts.append(result.stdout.split())
    assert counts[1] == counts[0]
