"""Chapter 1's explorers (VanishingWidget, SequenceWidget) in a real JupyterLab, driven by headless
Chromium at 1366x768 (the JupyterLab server of tests/test_explorer_jupyterlab.py).

A notebook makes both widgets and prints their synced values. After Run All: the spectral-radius
explorer's slider moved by the keyboard and clipping turned on, the memory explorer given typed
numbers; the page's numbers equal radius_experiment's; each explorer fits in 520 px of height;
the values reached the kernel (the last cell run again prints them); no error in the page.
Frame latency of the slider in JupyterLab printed (p50/p95). Screenshot:
/tmp/shots/ch1/jupyterlab_1366.png.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from pathlib import Path

import pytest
import torch

from explorer_browser import CHROMIUM, CHROMIUM_ARGS, lab_page
from gatelab import models
from test_explorer_jupyterlab import TIMEOUT_S, lab  # noqa: F401

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/ch1")
CELLS = ["from gatelab.explorer.sequence import SequenceWidget\n"
         "from gatelab.explorer.vanishing import VanishingWidget\n"
         "v = VanishingWidget()\ns = SequenceWidget()",
         "v", "s", "print('radius:', v.radius, 'clip:', v.clip, 'text:', s.text)"]
VANISHING = "document.querySelector('.gatelab-vanishing')"
SEQUENCE = "document.querySelector('.gatelab-sequence')"


def _put_notebook(url: str, name: str, sources: list[str]) -> None:
    """A notebook of code cells, written through the server's contents API."""
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{k}", "metadata": {},
              "outputs": [], "source": source} for k, source in enumerate(sources)]
    body = json.dumps({"type": "notebook", "format": "json", "content": {
        "cells": cells, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                    "display_name": "Python 3"}},
        "nbformat": 4, "nbformat_minor": 5}}).encode()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(f"{url}api/contents/{name}", data=body, method="PUT",
                                     headers={"Content-Type": "application/json"})
    with opener.open(request, timeout=10) as response:
        assert response.status in (200, 201)


def _run_all(page, url: str, name: str) -> None:
    """Open the notebook ``name`` and run all its cells (the file browser closed)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{url}lab/tree/{name}", wait_until="domcontentloaded")
    page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
        timeout=TIMEOUT_S * 1000)
    try:  # JupyterLab may ask which kernel, for a notebook it has seen before
        page.locator(".jp-Dialog").get_by_role("button", name="Select").click(timeout=3000)
    except PlaywrightTimeout:
        pass
    side_panel = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if side_panel.count():  # open in a new server; a later notebook finds it closed
        side_panel.click()
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Run", exact=True).click()
    page.locator(".lm-Menu .lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()


@contextlib.contextmanager
def _lab_browser(lab: str, failure: Path):  # noqa: F811 (lab: the server's URL)
    """A Chromium page that may reach only the JupyterLab server; on an error, a screenshot at
    ``failure`` and the outputs printed; at the end, no outside request and no script error."""
    from playwright.sync_api import sync_playwright

    outside, errors = [], []
    failure.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = lab_page(browser, lab, outside, errors)
        try:
            yield page
        except Exception:
            page.screenshot(path=str(failure))
            print("outputs:", page.locator(".jp-OutputArea").all_inner_texts(), "errors:", errors)
            raise
        finally:
            browser.close()
    assert not outside, f"the page asked for {outside}"
    assert not errors, errors


def test_chapter1_explorers_in_jupyterlab(lab: str) -> None:  # noqa: F811 (the fixture)
    _put_notebook(lab, "chapter1.ipynb", CELLS)
    with _lab_browser(lab, SHOTS / "jupyterlab_failure.png") as page:
        _run_all(page, lab, "chapter1.ipynb")
        for root in (VANISHING, SEQUENCE):
            page.wait_for_function(f"{root} && {root}.querySelector('polyline')",
                                   timeout=TIMEOUT_S * 1000)
        page.get_by_text("radius: 1.0 clip: False").wait_for(timeout=TIMEOUT_S * 1000)

        vanishing = page.locator(".gatelab-vanishing")
        vanishing.scroll_into_view_if_needed()
        slider = page.get_by_role("slider", name="spectral radius ρ")
        slider.focus()
        before = page.evaluate("(window.gatelabFrames || []).length")
        for k in range(40):  # up to 1.20 and back to 1.00, then to 1.37
            page.keyboard.press("ArrowRight" if k < 20 else "ArrowLeft")
            page.wait_for_function(f"(window.gatelabFrames || []).length >= {before + k + 1}")
        frames = sorted(f["ms"] for f in page.evaluate("window.gatelabFrames")[before:]
                        if f["explorer"] == "vanishing")
        print(f"\nJupyterLab, 40 slider steps: to the painted frame p50 "
              f"{frames[len(frames) // 2]:.1f} ms, p95 {frames[int(0.95 * 39)]:.1f} ms")
        for _ in range(37):
            page.keyboard.press("ArrowRight")
        page.get_by_role("checkbox", name="gradient clipping").check()
        drawn = page.evaluate(f"{VANISHING}.gatelab.result()")
        reference = models.radius_experiment(1.37)
        worst = ((torch.tensor(drawn["norms"], dtype=torch.float64) - reference.norms.double())
                 .abs() / reference.norms.double()).max().item()
        assert worst < 1e-5
        assert page.locator(".gatelab-vanishing .gatelab-caption").nth(1).inner_text() == \
            "‖∂L/∂W_hh‖ = 713 > threshold 51.6: clipped to 51.6"
        assert vanishing.bounding_box()["height"] <= 520

        sequence = page.locator(".gatelab-sequence")
        sequence.scroll_into_view_if_needed()
        page.get_by_role("textbox", name="input x").fill("1 2 3")
        page.wait_for_function(f"{SEQUENCE}.gatelab.shown().x.length === 3")
        assert sequence.bounding_box()["height"] <= 520
        SHOTS.mkdir(parents=True, exist_ok=True)
        vanishing.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "jupyterlab_1366.png"))

        # the settings reached the kernel: run the last cell again
        page.locator(".jp-CodeCell").nth(3).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        page.get_by_text("radius: 1.37 clip: True text: 1 2 3").wait_for(timeout=60_000)


#: the three explorers in one notebook, for the dark theme
DARK_CELLS = ["from gatelab.explorer import GateWidget\n"
              "from gatelab.explorer.sequence import SequenceWidget\n"
              "from gatelab.explorer.vanishing import VanishingWidget\n"
              "g = GateWidget.example('temporal-order')\nv = VanishingWidget()\n"
              "s = SequenceWidget()", "g", "v", "s"]
#: (text colour, the background under it) of an element, as "rgb(…)" strings
COLORS_JS = """(e) => {
  let b = e;
  while (b && ['rgba(0, 0, 0, 0)', 'transparent'].includes(getComputedStyle(b).backgroundColor)) b = b.parentElement;
  const style = getComputedStyle(e);
  return [e instanceof SVGElement ? style.fill : style.color, getComputedStyle(b ?? document.body).backgroundColor];
}"""


def _luminance(rgb: str) -> float:
    channels = [int(float(v)) / 255 for v in rgb[rgb.index("(") + 1:-1].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG's contrast ratio of two "rgb(r, g, b)" colours."""
    a, b = sorted([_luminance(foreground), _luminance(background)], reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_contrast_ratio() -> None:
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21)
    assert contrast("rgb(176, 0, 32)", "rgb(255, 255, 255)") == pytest.approx(7.33, abs=0.01)


def test_explorers_readable_in_the_dark_theme(lab: str) -> None:  # noqa: F811 (the fixture)
    """In JupyterLab Dark, each explorer's text, its axes' labels and the sequence explorer's
    error message keep a contrast of at least 4.5:1 with what is under them. Screenshots:
    /tmp/shots/polish/jupyterlab_dark_{explorer}.png."""

    _put_notebook(lab, "dark.ipynb", DARK_CELLS)
    theme = json.dumps({"raw": json.dumps({"theme": "JupyterLab Dark"})}).encode()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(f"{lab}lab/api/settings/@jupyterlab/apputils-extension:themes",
                                     data=theme, method="PUT",
                                     headers={"Content-Type": "application/json"})
    with opener.open(request, timeout=10) as response:
        assert response.status in (200, 204)
    shots = Path("/tmp/shots/polish")
    with _lab_browser(lab, shots / "jupyterlab_dark_failure.png") as page:
        _run_all(page, lab, "dark.ipynb")
        page.wait_for_function("document.body.dataset.jpThemeLight === 'false'",
                               timeout=TIMEOUT_S * 1000)
        for name in ("gates", "vanishing", "sequence"):
            root = f"document.querySelector('.gatelab-{name}')"
            page.wait_for_function(f"{root} && {root}.querySelector('polyline')",
                                   timeout=TIMEOUT_S * 1000)
        page.get_by_role("textbox", name="input x").fill("1 x 2")
        page.get_by_role("textbox", name="input x").press("Enter")
        for name in ("gates", "vanishing", "sequence"):
            explorer = page.locator(f".gatelab-{name}")
            explorer.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"jupyterlab_dark_{name}.png"))
            for what in (explorer, explorer.locator("svg text").first,
                         explorer.locator("label").first):
                foreground, background = what.evaluate(COLORS_JS)
                assert contrast(foreground, background) >= 4.5, (name, foreground, background)
        error = page.locator(".gatelab-sequence .gl-error")
        assert error.inner_text().startswith("'x'")
        foreground, background = error.evaluate(COLORS_JS)
        assert contrast(foreground, background) >= 4.5, (foreground, background)
