"""Chapter 6's attention explorer in a real JupyterLab (the server of
tests/test_explorer_jupyterlab.py), driven by headless Chromium at 1366x768: a notebook makes the
widget from two made-up Bengali examples; after Run All the learner picks the second example and
steps with a button and the arrow key (JupyterLab's shortcuts leave the key alone), the page shows
that step's weights, and the choice reaches the kernel (the last cell, run again, prints it).
Screenshot: /tmp/shots/ch6/jupyterlab_attention.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_explorer_chapter1_jupyterlab import _lab_browser, _put_notebook, _run_all
from test_explorer_jupyterlab import TIMEOUT_S, lab  # noqa: F401

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/ch6")
ROOT_JS = "document.querySelector('.gatelab-attention')"
CELLS = ["import numpy as np\nfrom gatelab import widgets\n\n"
         "def softmax(z):\n    e = np.exp(z - z.max(1, keepdims=True))\n"
         "    return e / e.sum(1, keepdims=True)\n\n"
         "rng = np.random.default_rng(0)\n"
         "examples = [{'source': ['তেইশ', 'হাজার', 'চারশো', 'ছয়'], 'target': list('23406'),\n"
         "             'output': list('23406') + ['<end>'],\n"
         "             'weights': softmax(3 * rng.normal(size=(6, 4)))},\n"
         "            {'source': ['সাতাশি', 'হাজার', 'নয়শো', 'বারো'], 'target': list('87912'),\n"
         "             'output': list('87913') + ['<end>'],\n"
         "             'weights': softmax(3 * rng.normal(size=(6, 4)))}]\n"
         "w = widgets.AttentionExplorer(examples)",
         "w",
         "print('example:', w.example, 'step:', w.step)"]


def test_attention_explorer_in_jupyterlab(lab: str) -> None:  # noqa: F811 (the fixture)
    _put_notebook(lab, "attention.ipynb", CELLS)
    with _lab_browser(lab, SHOTS / "jupyterlab_failure.png") as page:
        _run_all(page, lab, "attention.ipynb")
        page.wait_for_function(f"{ROOT_JS} && {ROOT_JS}.querySelector('.gl-current-row')",
                               timeout=TIMEOUT_S * 1000)
        page.get_by_text("example: 0 step: 0").wait_for(timeout=TIMEOUT_S * 1000)
        explorer = page.locator(".gatelab-attention")
        explorer.scroll_into_view_if_needed()
        page.get_by_label("example", exact=True).select_option(index=1)
        page.get_by_role("button", name="next ▶").click()
        page.keyboard.press("ArrowRight")  # on the focused button: the explorer's, not Lab's
        assert page.evaluate(f"[{ROOT_JS}.gatelab.example(), {ROOT_JS}.gatelab.step()]") == [1, 2]
        weights = page.evaluate(f"{ROOT_JS}.gatelab.weights()")
        assert len(weights) == 4 and abs(sum(weights) - 1) < 1e-5
        assert page.locator(".jp-Notebook .jp-Cell").count() == 3  # no cell added by a key
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "jupyterlab_attention.png"))
        # the choice reached the kernel: run the last cell again
        page.locator(".jp-CodeCell").nth(2).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        page.get_by_text("example: 1 step: 2").wait_for(timeout=60_000)
