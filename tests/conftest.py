"""Test session set-up: every process the tests start, the notebooks' kernels included, runs
with the network blocked and the lessons' warnings as errors (see kernel_guard/sitecustomize.py)."""

import os
from pathlib import Path

GUARD = Path(__file__).parent / "kernel_guard"

os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(GUARD), os.environ.get("PYTHONPATH", "")) if p)
os.environ["GATELAB_NO_NETWORK"] = "1"
os.environ["GATELAB_WARNINGS"] = "error"
# The models are tiny: one thread each is fastest, and with two test workers, their kernels and
# JupyterLab's kernel sharing two cores, more threads only wait for each other (a cell that takes
# 0.4 s alone took 100 s with every process spinning up a thread per core).
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"


import pytest  # noqa: E402 (after the environment above, which the imports below must see)


@pytest.fixture(autouse=True)
def english_afterwards():
    """Every test leaves the package speaking English, whatever language it switched to."""
    yield
    import gatelab

    gatelab.use("en")


class Example:
    """One of the gate explorer's named examples (gatelab.widgets.EXAMPLES), run by
    gatelab.cells.run as the explorer runs it in the page: with any gates forced."""

    def __init__(self, name: str):
        from gatelab import cells, widgets

        self.module, self.x, self.input_names, self.state, self.first_unit = \
            widgets.load_example(name)
        self.kind = cells.kind_of(self.module)
        self.learned = self.run({})

    def run(self, force: dict[str, float]):
        import torch

        from gatelab import cells

        with torch.no_grad():
            return cells.run(self.module, self.x, self.state, force=force or None)


@pytest.fixture(scope="session")
def example():
    """example(name) -> Example, made once per session and language (its input channels'
    names are in the language in use)."""
    made: dict[tuple[str, str], Example] = {}

    def get(name: str) -> Example:
        from gatelab import i18n

        key = (name, i18n.language())
        if key not in made:
            made[key] = Example(name)
        return made[key]

    return get
