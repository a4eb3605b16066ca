"""What the explorer tests share to drive headless Chromium: the browser, a page that may load
nothing from outside (a kernel-free explorer page, or a JupyterLab page that may reach only its
server), the shipped Bengali and Devanagari fonts as data: URLs, and (from test_jupyterlab) the
fonts Chromium really drew a node's text with.

Imported by tests/test_explorer_*.py (a helper module, not a test file)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatelab.explorer import page_html, page_scripts, page_state
from gatelab.fonts import font_path
from test_jupyterlab import _platform_fonts as platform_fonts  # noqa: F401 (for the explorer tests)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: the family names the explorers ask for (ui.js FONT_STACK), by language
FAMILIES = {"bn": "gatelab Noto Sans Bengali", "hi": "gatelab Noto Sans Devanagari"}
#: the name DevTools gives the embedded face when it draws (the font's own family name)
DRAWN = {"bn": "Noto Sans Bengali (web)", "hi": "Noto Sans Devanagari (web)"}


def chromium() -> Iterator:
    """Headless Chromium for a module's tests (use as a fixture's body: ``yield from``)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Offline:
    """A page that may load only its own URL and data: URLs; records what else it asked for and
    every script or console error. ``ready``: a JavaScript condition to wait for after loading."""

    def __init__(self, browser, url: str | None, width: int = 1366, height: int = 768,
                 ready: str | None = None):
        self.url = url
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.route("**/*", self._guard)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: self.errors.append(message.text)
                     if message.type == "error" else None)
        if url:
            self.page.goto(url, wait_until="load")
        if ready:
            self.page.wait_for_function(ready)

    def _guard(self, route):
        url = route.request.url
        if url == self.url or url.startswith("data:"):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def close(self):
        self.page.close()
        assert not self.outside, f"the page asked for {self.outside}"
        assert not self.errors, self.errors


def lab_page(browser, lab: str, outside: list[str], errors: list[str], width: int = 1366,
             height: int = 768):
    """A page that may reach only the JupyterLab server at ``lab`` (and data:, blob:, ws:);
    appends what else it asked for to ``outside`` and script errors to ``errors``."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.route("**/*", lambda route: route.continue_()
               if route.request.url.startswith((lab, "data:", "blob:", "ws:"))
               else (outside.append(route.request.url), route.abort()))
    page.on("pageerror", lambda error: errors.append(f"{error}\n{error.stack}"))
    return page


def fonts_css(lang: str) -> str:
    """@font-face rules for the shipped Noto face of ``lang`` as data: URLs, under the family
    name the explorers ask for (as the lessons and JupyterLab's gatelab-fonts register it)."""
    script = {"bn": "Bengali", "hi": "Devanagari"}.get(lang)
    if script is None:
        return ""
    rules = []
    for weight, style in [(400, "Regular"), (700, "Bold")]:
        data = base64.b64encode(font_path(f"NotoSans{script}-{style}.ttf").read_bytes()).decode()
        rules.append(f'@font-face{{font-family:"{FAMILIES[lang]}";font-weight:{weight};'
                     f'src:url(data:font/ttf;base64,{data}) format("truetype")}}')
    return f"<style>{''.join(rules)}</style>"


def write_page(path: Path, widgets: list, lang: str = "en", title: str = "explorer") -> Path:
    """A standalone kernel-free page: the explorers' containers, then their scripts once; the
    language's embedded font when it has one."""
    body = "\n".join(page_html(page_state(w)) for w in widgets)
    kinds = [w.explorer_kind for w in widgets]
    path.write_text(
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title>{fonts_css(lang)}</head>"
        "<body style='margin: 8px; font-family: sans-serif'>"
        f"{body}\n{page_scripts(kinds)}</body></html>", encoding="utf-8")
    return path
