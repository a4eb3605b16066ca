"""The Bengali LSTM chapter and the Hindi GRU chapter in a real JupyterLab, driven by headless
Chromium.

Starts JupyterLab on 127.0.0.1 (no token, no news, no update check, settings of its own) over a
copy of notebooks/, opens a notebook, runs all cells from the Run menu, then shuts a gate in the
first gate explorer (the LSTM's forget gate, the GRU's update gate), found by its translated
label, and checks that the explorer computed the new run in the page. Then the teacher's
evening before: the run chapter is saved, its kernel shut down, the page reloaded; the explorer
must show from the saved widget state, as it was, and answer a click at once. No cell may show
an error. The screenshots go to build/screenshots/jupyterlab_{lang}_{chapter}[_reopened].png for
a person to look at.

Also what a class meets first: the Bengali index page opened by URL (where an nbgitpuller link
lands) and the chapters opened from its links and by a double-click on their .md open as
notebooks, with Bengali and Devanagari drawn in the fonts the project installs into JupyterLab
(build/screenshots/jupyterlab_bn_index.png).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from gatelab.i18n import gettext
from gatelab.publish.index import chapter_title
from gatelab.publish.project import Project, find_root

pytestmark = pytest.mark.browser

PROJECT = Project(find_root(Path(__file__).parent))
ROOT, NOTEBOOKS = PROJECT.root, PROJECT.notebooks

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
JUPYTER = Path(sys.executable).with_name("jupyter")
START_TIMEOUT_S = 90  # the server answering, the page loaded, the kernel ready
# Run All Cells of a chapter (they train small networks): 15-45 s alone on 2 cores, but minutes
# beside other torch processes (make test runs nbval's kernels at the same time)
RUN_TIMEOUT_S = 600
#: JupyterLab settings for the test: no autosave (the repository's .ipynb keeps no outputs),
#: every cell in the page (windowing would leave far cells out of the DOM), no news
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                     "checkForUpdates": False},
}


@dataclass(frozen=True)
class Case:
    """A notebook under test and the gate to shut in its first explorer."""

    lang: str
    chapter: str
    gate: str  # the gate's English label (GATE_NAMES), found on the page in ``lang``

    @property
    def notebook(self) -> Path:  # relative to the server's root directory (NOTEBOOKS)
        return Path(self.lang) / f"{self.chapter}.ipynb"

    @property
    def screenshot(self) -> Path:
        return ROOT / "build" / "screenshots" / f"jupyterlab_{self.lang}_{self.chapter}.png"


CASES = [Case("bn", "02_lstm", "forget gate f"), Case("hi", "03_gru", "update gate z")]


@dataclass
class Lab:
    """A running JupyterLab server."""

    url: str  # http://127.0.0.1:PORT/
    process: subprocess.Popen
    log: Path
    root: Path  # the folder it serves: a copy of notebooks/


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, method: str = "GET", timeout: float = 5) -> bytes:
    # no proxy: the server is on this machine, whatever the environment says
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(url, method=method), timeout=timeout) as response:
        return response.read()


def _ensure_notebooks() -> None:
    """The .ipynb under test, written from their .md when missing or older (like `make
    notebooks`)."""
    for case in CASES:
        notebook = NOTEBOOKS / case.notebook
        source = notebook.with_suffix(".md")
        if source.exists() and (not notebook.exists()
                                or notebook.stat().st_mtime < source.stat().st_mtime):
            subprocess.run([sys.executable, "-m", "gatelab.publish", "notebooks", "--lang",
                            case.lang], check=True, cwd=ROOT)
        if not notebook.exists():
            pytest.fail(f"{notebook} is missing and there is no {source.name} to make it from")


def _write_settings(directory: Path) -> None:
    for plugin, values in LAB_SETTINGS.items():
        path = directory / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def _wait_until_answers(lab: Lab) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {lab.process.returncode}:\n"
                        + lab.log.read_text(errors="replace")[-3000:])
        try:
            _request(lab.url + "api/status")
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer in {START_TIMEOUT_S} s:\n"
                + lab.log.read_text(errors="replace")[-3000:])


def _stop(lab: Lab) -> None:
    """Shut the server down with its kernels (they run in sessions of their own, so a signal to
    the server alone could leave them behind), then make sure the server itself is gone."""
    if lab.process.poll() is None:
        try:
            _request(lab.url + "api/shutdown", method="POST", timeout=15)
            lab.process.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            lab.process.send_signal(signal.SIGTERM)
            try:
                lab.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                lab.process.kill()
                lab.process.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt install chromium)")
    _ensure_notebooks()
    home = tmp_path_factory.mktemp("jupyterlab")
    _write_settings(home / "user-settings")
    # the class's folder: a copy, so that saving a run chapter leaves the repository's alone
    shutil.copytree(NOTEBOOKS, home / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port = _free_port()
    # the kernels inherit this environment: conftest's network guard and warnings included.
    # One torch thread: beside another torch process on 2 cores, two threads each made the
    # chapter 10x slower (145 s instead of 15 s), the threads spinning against each other
    env = {"OMP_NUM_THREADS": "1", **os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime")}
    log = home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(JUPYTER), "lab", "--no-browser", "--allow-root", f"--ServerApp.port={port}",
             "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
             "--ServerApp.token=", "--ServerApp.password=",
             "--ServerApp.disable_check_xsrf=True",  # _stop's POST /api/shutdown has no cookie
             f"--ServerApp.root_dir={home / 'notebooks'}", "--LabApp.news_url=None",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             f"--LabApp.user_settings_dir={home / 'user-settings'}",
             f"--LabApp.workspaces_dir={home / 'workspaces'}",
             # opening a notebook makes a checkpoint: in our directory, not in notebooks/
             f"--FileCheckpoints.checkpoint_dir={home / 'checkpoints'}"],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=home)
    server = Lab(f"http://127.0.0.1:{port}/", process, log, home / "notebooks")
    try:
        _wait_until_answers(server)
        yield server
    finally:
        _stop(server)


@dataclass
class Watched:
    """A browser page that may load only from the server, and what it tried besides."""

    page: object  # playwright.sync_api.Page
    outside: list[str] = field(default_factory=list)  # URLs blocked
    errors: list[str] = field(default_factory=list)  # uncaught script errors


@pytest.fixture
def page(lab: Lab) -> Iterator[Watched]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1300})
            watched = Watched(page)

            def guard(route) -> None:
                url = route.request.url
                if url.startswith((lab.url, "data:", "blob:")):
                    route.continue_()
                else:
                    watched.outside.append(url)
                    route.abort()

            page.route("**/*", guard)
            page.on("pageerror", lambda error: watched.errors.append(str(error)))
            yield watched
        finally:
            browser.close()


def _wait_for_kernel(lab: Lab, page) -> None:
    """Wait until the notebook's kernel is idle with the page connected to it: Run All before
    that opens JupyterLab's "Select Kernel" dialog instead of running anything."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        kernels = json.loads(_request(lab.url + "api/kernels"))
        if any(k["execution_state"] == "idle" and k["connections"] > 0 for k in kernels):
            break
        # not time.sleep: the page's requests wait for our route handler, which runs only
        # while playwright has control
        page.wait_for_timeout(300)
    else:
        pytest.fail(f"no kernel connected and idle within {START_TIMEOUT_S} s: {kernels}")
    page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
        timeout=START_TIMEOUT_S * 1000)


def _run_all_cells(page) -> None:
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Run", exact=True).click()
    page.locator(".lm-Menu .lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()


def _wait_until_run(page) -> list[str]:
    """Wait until the run has begun (a prompt shows * or a number: the .ipynb has none) and then
    until no code cell is queued or running ([*]); return every code cell's prompt."""
    prompts = "Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt'), " \
              "e => e.textContent.trim())"
    page.wait_for_function(f"() => {prompts}.some(t => /[*0-9]/.test(t))",
                           timeout=START_TIMEOUT_S * 1000, polling=200)
    page.wait_for_function(f"() => !{prompts}.some(t => t.includes('*'))",
                           timeout=RUN_TIMEOUT_S * 1000, polling=500)
    return page.evaluate(f"() => {prompts}")


def _error_outputs(page) -> list[str]:
    stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    return [text for text in stderr.all_inner_texts() if "Error" in text or "Traceback" in text]


@contextlib.contextmanager
def _screenshot_on_failure(page, screenshot: Path) -> Iterator[None]:
    """On failure, keep what the page showed next to the screenshot a passing run makes."""
    try:
        yield
    except BaseException:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot.with_name(screenshot.stem + "_failed.png")))
        raise


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.lang}-{case.chapter}")
def test_gate_explorer_in_jupyterlab(lab: Lab, page: Watched, case: Case) -> None:
    with _screenshot_on_failure(page.page, case.screenshot):
        _check_gate_explorer(lab, page, case)


def _check_gate_explorer(lab: Lab, page: Watched, case: Case) -> None:
    browser_page = page.page
    # a workspace of its own: the layout the previous case left (file browser folded) is not
    # carried over
    url = f"{lab.url}lab/workspaces/{case.lang}-{case.chapter}/tree/{case.notebook.as_posix()}"
    browser_page.goto(url, wait_until="domcontentloaded")
    browser_page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(
        timeout=START_TIMEOUT_S * 1000)
    # fold the file browser away: the notebook gets the width, the screenshot the explorer
    browser_page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
    _wait_for_kernel(lab, browser_page)
    _run_all_cells(browser_page)
    prompts = _wait_until_run(browser_page)
    assert _error_outputs(browser_page) == []
    code_cells = sum(cell["cell_type"] == "code" for cell in json.loads(
        (lab.root / case.notebook).read_text(encoding="utf-8"))["cells"])
    assert len(prompts) == code_cells, "not every cell is in the page"
    not_run = [i for i, p in enumerate(prompts) if not any(c.isdigit() for c in p)]
    assert not_run == [], f"code cells {not_run} did not run: {prompts}"

    # the first gate explorer: shut the gate by its translated label; the page computes it
    explorer = browser_page.locator(".gatelab-gates").first
    explorer.scroll_into_view_if_needed()
    learned = explorer.evaluate("e => e.gatelab.trace().h")
    _shut(explorer, case)
    shut = explorer.evaluate("e => e.gatelab.trace().h")
    assert shut != learned
    assert _error_outputs(browser_page) == []
    # the whole explorer in the picture: its controls at the top of the notebook's view
    explorer.evaluate("element => element.scrollIntoView({block: 'start'})")
    case.screenshot.parent.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(case.screenshot))

    # the teacher saves the run chapter and closes it with its kernel; reopened later, its
    # explorers show from the saved widget state (saveState, jupyter/settings/gatelab.json)
    # and answer at once, computed in the page
    browser_page.keyboard.press("Control+s")
    browser_page.wait_for_function(
        "() => !document.querySelector('.lm-DockPanel-tabBar .lm-mod-current.jp-mod-dirty')",
        timeout=START_TIMEOUT_S * 1000, polling=200)
    saved = json.loads((lab.root / case.notebook).read_text(encoding="utf-8"))
    assert "application/vnd.jupyter.widget-state+json" in saved["metadata"].get("widgets", {})
    for kernel in json.loads(_request(lab.url + "api/kernels")):
        _request(f"{lab.url}api/kernels/{kernel['id']}", method="DELETE")
    browser_page.goto(url, wait_until="domcontentloaded")
    explorer = browser_page.locator(".gatelab-gates").first
    explorer.wait_for(timeout=START_TIMEOUT_S * 1000)
    explorer.scroll_into_view_if_needed()
    assert "Error displaying widget" not in browser_page.locator(".jp-Notebook").inner_text()
    # as the teacher left it, the gate shut; putting it back is computed at once
    assert explorer.evaluate("e => e.gatelab.force()") == {case.gate.split()[-1]: 0}
    assert explorer.evaluate("e => e.gatelab.trace().h") == shut
    explorer.get_by_label(gettext(case.gate, lang=case.lang), exact=True).select_option("learned")
    assert explorer.evaluate("e => e.gatelab.trace().h") == learned
    case.screenshot.parent.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(case.screenshot.with_name(case.screenshot.stem
                                                               + "_reopened.png")))
    assert page.outside == [], f"the page tried to load {page.outside}"
    assert page.errors == [], f"script errors: {page.errors}"


def _shut(explorer, case: Case) -> None:
    """Shut the case's gate in ``explorer``: its select, found by the gate's translated name."""
    gate = explorer.get_by_label(gettext(case.gate, lang=case.lang), exact=True)
    gate.select_option("shut")
    symbol = case.gate.split()[-1]  # "forget gate f" -> "f"
    assert explorer.evaluate("e => e.gatelab.force()") == {symbol: 0}


# --- what an nbgitpuller link and a double-click open ----------------------------------------

#: the fonts the project installs into JupyterLab (jupyter/labextension/static/fonts.css), by
#: the name inside the font file, which is what Chromium reports
SHIPPED_FONTS = {"bn": "Noto Sans Bengali", "hi": "Noto Sans Devanagari"}


def _platform_fonts(page, element) -> dict[str, int]:
    """The fonts Chromium really drew ``element``'s text with: family -> glyphs (DevTools'
    CSS.getPlatformFontsForNode), "(web)" after the name of a font the page loaded."""
    client = page.context.new_cdp_session(page)
    try:
        client.send("DOM.enable")
        client.send("CSS.enable")
        client.send("DOM.getDocument", {"depth": 0})
        element.evaluate("e => { window.__gatelabNode = e; }")
        remote = client.send("Runtime.evaluate", {"expression": "window.__gatelabNode"})
        node = client.send("DOM.requestNode", {"objectId": remote["result"]["objectId"]})
        fonts = client.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
        return {f["familyName"] + (" (web)" if f["isCustomFont"] else ""): f["glyphCount"]
                for f in fonts}
    finally:
        client.detach()


def _current_document(page):
    """The widget of the main area's current tab, once it has finished opening."""
    return page.locator("#jp-main-dock-panel .jp-MainAreaWidget:not(.lm-mod-hidden)").last


def test_link_and_double_click_open_notebooks_in_the_language(lab: Lab, page: Watched) -> None:
    """The URL an nbgitpuller link lands on (the Bengali index page) opens a notebook, not the
    Markdown source; its links and a double-click in the file browser open the chapters as
    notebooks too; and the Bengali and Devanagari text is drawn with the fonts the project
    installs, not left to the system's (this machine may have none for either script)."""
    screenshot = ROOT / "build" / "screenshots" / "jupyterlab_bn_index.png"
    browser_page = page.page
    with _screenshot_on_failure(browser_page, screenshot):
        browser_page.goto(f"{lab.url}lab/workspaces/index-bn/tree/bn/index.md",
                          wait_until="domcontentloaded")
        index_view = _current_document(browser_page)
        first_title = index_view.locator(".jp-RenderedMarkdown li a").first
        first_title.wait_for(timeout=START_TIMEOUT_S * 1000)
        assert "jp-NotebookPanel" in (index_view.get_attribute("class") or "")
        assert browser_page.locator(".jp-FileEditor:visible").count() == 0, "opened as text"
        assert first_title.inner_text().strip() == chapter_title("01_rnn", "bn")

        # the fonts: every Bengali glyph of the title from the shipped face, and the link to
        # the Hindi index in the Devanagari one
        browser_page.evaluate("() => document.fonts.ready")
        drawn = _platform_fonts(browser_page, first_title.element_handle())
        assert drawn.get(SHIPPED_FONTS["bn"] + " (web)", 0) >= len("অধ্যায়"), drawn
        assert SHIPPED_FONTS["bn"] not in drawn, f"a system font drew Bengali: {drawn}"
        hindi = index_view.locator(".jp-RenderedMarkdown a").get_by_text("हिन्दी", exact=True)
        drawn_hi = _platform_fonts(browser_page, hindi.element_handle())
        assert drawn_hi.get(SHIPPED_FONTS["hi"] + " (web)", 0) >= len("हिन्दी") - 2, drawn_hi
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        browser_page.screenshot(path=str(screenshot))

        # a link of the index opens its chapter as a notebook
        first_title.click()
        tab = browser_page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
        expect_label = "01_rnn.md"
        browser_page.wait_for_function(
            "label => [...document.querySelectorAll('.lm-DockPanel-tabBar .lm-mod-current "
            ".lm-TabBar-tabLabel')].some(e => e.textContent === label)", arg=expect_label,
            timeout=START_TIMEOUT_S * 1000)
        _current_document(browser_page).locator(".jp-Notebook .jp-Cell").first.wait_for(
            timeout=START_TIMEOUT_S * 1000)
        assert tab.first.inner_text().strip() == expect_label

        # a double-click on a chapter's .md in the file browser (now in bn/) does the same
        browser_page.locator(".jp-DirListing-item").get_by_text(
            "03_gru.md", exact=True).dblclick()
        browser_page.wait_for_function(
            "() => [...document.querySelectorAll('.lm-DockPanel-tabBar .lm-mod-current "
            ".lm-TabBar-tabLabel')].some(e => e.textContent === '03_gru.md')",
            timeout=START_TIMEOUT_S * 1000)
        gru = _current_document(browser_page)
        gru.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=START_TIMEOUT_S * 1000)
        assert "jp-NotebookPanel" in (gru.get_attribute("class") or "")
        assert browser_page.locator(".jp-FileEditor:visible").count() == 0
        heading = gru.locator(".jp-RenderedMarkdown h1").first
        assert heading.inner_text().strip().startswith(chapter_title("03_gru", "bn")[:6])
        drawn = _platform_fonts(browser_page, heading.element_handle())
        assert drawn.get(SHIPPED_FONTS["bn"] + " (web)", 0) > 0, drawn
    assert page.outside == [], f"the page tried to load {page.outside}"
    assert page.errors == [], f"script errors: {page.errors}"
