"""GateWidget in a real JupyterLab, driven by headless Chromium at 1366x768.

Starts JupyterLab on 127.0.0.1 (no token, settings of its own) over a notebook of three cells:
the temporal-order LSTM explorer, then ``w.force``. Runs all cells, then in the explorer shuts
the forget gate and checks: the page's run equals cells.run with f = 0 (<= 1e-5), the forcing
reached the kernel (``w.force`` run again prints it), the explorer with its controls and all
its panels fits in 520 px of height; moving a slider by the keyboard times one painted frame
per step (window.gatelabFrames; p50/p95 printed). Then the kernel is shut down and the explorer must still
answer a click (open the output gate) with no error in the page. Screenshot:
build/screenshots/explorer_jupyterlab_temporal-order.png.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from explorer_browser import CHROMIUM, CHROMIUM_ARGS, lab_page
from gatelab import cells
from gatelab.explorer import GateWidget
from gatelab.widgets import load_example
from test_jupyterlab import LAB_SETTINGS

pytestmark = pytest.mark.browser

JUPYTER = Path(sys.executable).with_name("jupyter")
SCREENSHOT = Path(__file__).resolve().parents[1] / "build" / "screenshots" / \
    "explorer_jupyterlab_temporal-order.png"
TIMEOUT_S = 180
SETTINGS = LAB_SETTINGS  # no autosave, every cell in the page, no news
CELLS = ["from gatelab.explorer import GateWidget\nw = GateWidget.example('temporal-order')",
         "w", "print('force:', w.force)"]
ROOT_JS = "document.querySelector('.gatelab-gates')"
EVENTS = 60  # slider steps timed in the page


def _request(url: str, method: str = "GET", timeout: float = 5) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(url, method=method), timeout=timeout) as response:
        return response.read()


def _notebook(path: Path) -> None:
    cells_ = [{"cell_type": "code", "execution_count": None, "id": f"c{k}", "metadata": {},
               "outputs": [], "source": source} for k, source in enumerate(CELLS)]
    path.write_text(json.dumps({"cells": cells_, "metadata": {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt install chromium)")
    home = tmp_path_factory.mktemp("lab")
    root = home / "root"
    root.mkdir()
    _notebook(root / "explorer.ipynb")
    for plugin, values in SETTINGS.items():
        path = home / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"OMP_NUM_THREADS": "1", **os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime")}
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [str(JUPYTER), "lab", "--no-browser", "--allow-root", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1", "--ServerApp.token=",
         "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
         f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         f"--LabApp.user_settings_dir={home / 'settings'}",
         f"--LabApp.workspaces_dir={home / 'workspaces'}"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=home)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                _request(url + "api/status")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n" +
                                (home / "server.log").read_text(errors="replace")[-2000:])
                time.sleep(0.5)
        yield url
    finally:
        try:
            _request(url + "api/shutdown", method="POST", timeout=15)
            process.wait(timeout=20)
        except Exception:
            process.terminate()
            process.wait(timeout=20)
        log.close()


def _outputs(page) -> list[str]:
    return page.locator(".jp-CodeCell .jp-OutputArea").all_inner_texts()


def test_gate_widget_in_jupyterlab(lab: str) -> None:
    from playwright.sync_api import sync_playwright

    labels = GateWidget.example("temporal-order").labels
    module, x, _names, state, _unit = load_example("temporal-order")
    outside, errors = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = lab_page(browser, lab, outside, errors)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        try:
            page.goto(f"{lab}lab/tree/explorer.ipynb", wait_until="domcontentloaded")
            # Run All before the page is connected to an idle kernel opens "Select Kernel"
            deadline = time.monotonic() + TIMEOUT_S
            while not any(k["execution_state"] == "idle" and k["connections"] > 0
                          for k in json.loads(_request(lab + "api/kernels"))):
                assert time.monotonic() < deadline, "no kernel connected and idle"
                page.wait_for_timeout(300)  # not time.sleep: the page's routes need playwright
            page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
                timeout=TIMEOUT_S * 1000)
            page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
            page.locator("#jp-MainMenu").get_by_role("menuitem", name="Run", exact=True).click()
            page.locator(".lm-Menu .lm-Menu-itemLabel").get_by_text("Run All Cells",
                                                                    exact=True).click()
            page.wait_for_function(f"{ROOT_JS} && {ROOT_JS}.querySelector('polyline')",
                                   timeout=TIMEOUT_S * 1000)
            page.get_by_text("force: {}").wait_for(timeout=TIMEOUT_S * 1000)
            root = page.locator(".gatelab-gates")
            root.scroll_into_view_if_needed()
            page.get_by_label(labels["gates"]["f"], exact=True).select_option("shut")
            trace = page.evaluate(f"{ROOT_JS}.gatelab.trace()")
            with torch.no_grad():
                reference = cells.run(module, x, state, force={"f": 0.0})
            worst = max((torch.tensor(trace[k], dtype=torch.float64) - getattr(reference, k)
                         .double()).abs().max().item() for k in ("h", "c"))
            assert worst <= 1e-5
            box = root.bounding_box()
            page.screenshot(path=str(SCREENSHOT))
            print(f"\nexplorer in JupyterLab at 1366x768: {box['width']:.0f} x "
                  f"{box['height']:.0f} px; page vs cells.run {worst:.3g}")
            assert box["height"] <= 520
            # frame latency in JupyterLab: a slider moved by the keyboard, one frame per step
            slider = page.get_by_label(labels["value_of"].format(gate=labels["gates"]["i"]),
                                       exact=True)
            slider.focus()
            before = page.evaluate("(window.gatelabFrames || []).length")
            for k in range(EVENTS):
                page.keyboard.press("ArrowRight" if k % 16 < 8 else "ArrowLeft")
                page.wait_for_function(f"(window.gatelabFrames || []).length >= {before + k + 1}")
            frames = sorted(f["ms"] for f in page.evaluate("window.gatelabFrames")[before:])
            print(f"JupyterLab, {EVENTS} slider steps: to the painted frame p50 "
                  f"{frames[len(frames) // 2]:.1f} ms, p95 {frames[int(0.95 * (EVENTS - 1))]:.1f} ms")
            assert len(frames) == EVENTS
            page.get_by_label(labels["gates"]["i"], exact=True).select_option("learned")
            # the forcing reached the kernel: run the last cell again (the change is sent when
            # the page gets to it; on a loaded machine a first run can still print the slider's
            # value, so run it until the kernel has the change, for at most a minute)
            deadline = time.monotonic() + 60
            while True:
                page.locator(".jp-CodeCell").nth(2).locator(".jp-InputArea-editor").click()
                page.keyboard.press("Shift+Enter")
                try:
                    page.get_by_text("force: {'f': 0.0}").wait_for(timeout=5_000)
                    break
                except Exception:
                    assert time.monotonic() < deadline, "the kernel never got the change"
            # no kernel any more: the explorer still answers
            for kernel in json.loads(_request(lab + "api/kernels")):
                _request(f"{lab}api/kernels/{kernel['id']}", method="DELETE")
            page.wait_for_timeout(1500)
            page.get_by_label(labels["gates"]["o"], exact=True).select_option("open")
            assert page.evaluate(f"{ROOT_JS}.gatelab.force()") == {"f": 0, "o": 1}
            with torch.no_grad():
                reference = cells.run(module, x, state, force={"f": 0.0, "o": 1.0})
            trace = page.evaluate(f"{ROOT_JS}.gatelab.trace()")
            assert (torch.tensor(trace["h"], dtype=torch.float64) - reference.h.double()) \
                .abs().max().item() <= 1e-5
        except BaseException:
            page.screenshot(path=str(SCREENSHOT.with_name(SCREENSHOT.stem + "_failed.png")))
            raise
        finally:
            browser.close()
    assert not outside, outside
    assert not errors, errors
