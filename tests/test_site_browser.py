"""The real lessons of every chapter in headless Chromium, with every outside request blocked.

Builds the three editions of every chapter (executing them first, reusing each whose .md and
package are unchanged) and checks what a reader with no network sees: the script of the
edition, math, the embedded fonts loaded, and an explorer that answers its controls.
Screenshots go to build/screenshots/site_{lang}_{chapter}.png for a person to look at.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from explorer_browser import CHROMIUM, chromium
from gatelab.publish.catalogs import chapters
from gatelab.publish.project import Project, find_root

pytestmark = pytest.mark.browser

PROJECT = Project(find_root(Path(__file__).parent))
ROOT, NOTEBOOKS = PROJECT.root, PROJECT.notebooks

CHAPTERS = tuple(chapters())
LANGS = ("en", "bn", "hi")
SCREENSHOTS = ROOT / "build" / "screenshots"
#: the letters of each edition's script, and the font that must draw them
SCRIPTS = {"bn": ("[\u0980-\u09ff]", "Noto Sans Bengali", "অ"),
           "hi": ("[\u0900-\u097f]", "Noto Sans Devanagari", "अ"),
           "en": ("[A-Za-z]", "Noto Sans", "a")}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt install chromium)")
    from gatelab.publish.notebooks import execute_all
    from gatelab.publish.site import build_site

    for lang in LANGS:
        for chapter in CHAPTERS:
            source = NOTEBOOKS / lang / f"{chapter}.md"
            if not source.exists():
                pytest.fail(f"{source} is missing: run `python -m gatelab.publish editions`")
    execute_all(LANGS)  # reuses each one whose .md and package are unchanged
    # the chapters' executed editions, copied into a directory of their own
    executed = tmp_path_factory.mktemp("executed")
    for lang in LANGS:
        (executed / lang).mkdir()
        for chapter in CHAPTERS:
            shutil.copy(PROJECT.executed / lang / f"{chapter}.ipynb", executed / lang)
    out = tmp_path_factory.mktemp("site")
    build_site(LANGS, executed=executed, out=out)
    return out


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@dataclass
class Offline:
    """A page that may load only file: and data: URLs, and what it tried besides."""

    page: object  # playwright.sync_api.Page
    outside: list[str] = field(default_factory=list)  # URLs blocked
    failed: list[str] = field(default_factory=list)  # requests that failed
    errors: list[str] = field(default_factory=list)  # uncaught script errors


@pytest.fixture
def offline(browser):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    watch = Offline(page)

    def guard(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            watch.outside.append(url)
            route.abort()

    page.route("**/*", guard)
    page.on("requestfailed", lambda request: watch.failed.append(request.url))
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    yield watch
    page.close()


@pytest.mark.parametrize("chapter", CHAPTERS)
@pytest.mark.parametrize("lang", LANGS)
def test_chapter_page_offline(site, offline, lang, chapter):
    page = offline.page
    page.goto((site / lang / f"{chapter}.html").as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")

    pattern, family, letter = SCRIPTS[lang]
    text = page.evaluate("document.body.innerText")
    assert page.evaluate(f"/{pattern}/.test(document.body.innerText)"), text[:300]
    assert "<Figure size" not in text, "a figure was executed without the inline backend"
    # figures (each with its own text alternative), or explorers (Chapter 3's are explorers)
    assert page.locator("img.output.figure, .gatelab-explorer-host").count() >= 2
    source = (ROOT / "notebooks" / "en" / f"{chapter}.md").read_text(encoding="utf-8")
    assert page.evaluate(f"document.fonts.check('16px \"{family}\"', '{letter}')")
    faces = page.evaluate("Array.from(document.fonts).map(f => [f.family.replace(/\"/g, ''), "
                          "f.weight, f.status])")
    assert [family, "400", "loaded"] in faces, faces
    assert ["Noto Sans", "400", "loaded"] in faces, faces
    assert not [f for f in faces if f[2] == "error"], faces

    sizes = page.evaluate("Array.from(document.querySelectorAll('math'))"
                          ".filter(m => m.checkVisibility())"
                          ".map(m => { const r = m.getBoundingClientRect(); "
                          "return [r.width, r.height]; })")
    assert len(sizes) >= 5 and all(w > 0 and h > 0 for w, h in sizes), sizes

    if "Explorer(" in source:  # the chapter makes an explorer (Chapter 5 has none)
        _explorer_responds(page)
    else:
        assert page.locator(".gatelab-explorer-host").count() == 0
    if lang != "en":
        _originals_open(page)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"site_{lang}_{chapter}.png"), full_page=True)
    assert offline.outside == [], f"the page tried to load {offline.outside}"
    assert offline.failed == [], f"requests failed: {offline.failed}"
    assert offline.errors == [], f"script errors: {offline.errors}"


# what an explorer draws: lines (gates, vanishing, sequence) or heatmap cells (attention)
_LINES = ("h => [...h.querySelectorAll('polyline, path, rect')]"
          ".map(e => e.getAttribute('points') || e.getAttribute('d')"
          " || [e.getAttribute('y'), e.getAttribute('fill'), e.getAttribute('fill-opacity')]"
          ".join()).join('|')")


def _explorer_responds(page) -> None:
    """Every explorer is drawn in the page (no kernel); shutting the first one's first gate (or
    moving its first slider, or choosing another example) redraws its lines, computed in the
    page."""
    hosts = page.locator(".gatelab-explorer-host")
    assert hosts.count() >= 1
    page.wait_for_function("[...document.querySelectorAll('.gatelab-explorer-host')]"
                           ".every(h => h.querySelector('polyline, rect'))")
    host = hosts.first
    before = host.evaluate(_LINES)
    gates = host.locator("select:has(option[value='shut'])")
    sliders = host.locator('input[type="range"]:visible')
    if gates.count():  # a gate explorer: shut the first gate
        gates.first.select_option("shut")
    elif sliders.count():  # the vanishing explorer: move the first slider to its end
        sliders.first.focus()
        page.keyboard.press("End")
    else:  # the sequence and attention explorers: another example
        choice = host.locator("select").first
        current = choice.evaluate("s => s.value")
        choice.select_option([v for v in choice.evaluate("s => [...s.options].map(o => o.value)")
                              if v != current][-1])
    page.wait_for_function(f"([h, before]) => ({_LINES})(h) !== before",
                           arg=[host.element_handle(), before], timeout=5000)


def _originals_open(page) -> None:
    """One click shows a paragraph's English original; the global button shows them all."""
    first = page.locator("details.original").first
    first.locator("summary").click()
    assert first.locator(".en").is_visible()
    assert page.evaluate("/[A-Za-z]{4}/.test(document.querySelector('details.original .en')"
                         ".innerText)")
    first.locator("summary").click()
    page.locator("#toggle-originals").click()
    closed = page.evaluate("Array.from(document.querySelectorAll('details.original'))"
                           ".filter(d => !d.open).length")
    assert closed == 0
    page.locator("#toggle-originals").click()


#: the largest a chapter page may be: one self-contained file a class downloads on a weak network
PAGE_LIMIT_BYTES = 600_000


@pytest.mark.parametrize("chapter", CHAPTERS)
@pytest.mark.parametrize("lang", LANGS)
def test_chapter_page_small_and_readable_on_a_phone(site, browser, lang, chapter):
    """At most 0.6 MB, and on a 390 px wide phone nothing runs off the right edge (long code in
    a sentence wraps; display equations and tables scroll inside their own box) and the
    explorers' text is at least 12 px."""
    path = site / lang / f"{chapter}.html"
    assert path.stat().st_size <= PAGE_LIMIT_BYTES, f"{path.name}: {path.stat().st_size:,} bytes"
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        beyond = page.evaluate("""() => {
            const width = document.documentElement.clientWidth, out = [];
            for (const e of document.querySelectorAll('body *')) {
                const box = e.getBoundingClientRect();
                if (box.width === 0 || box.right <= width + 1) continue;
                let scrolls = false;  // inside a box that scrolls or clips on its own
                for (let p = e.parentElement; p && !scrolls; p = p.parentElement)
                    scrolls = /(auto|scroll|hidden)/.test(getComputedStyle(p).overflowX);
                if (!scrolls) out.push(`${e.tagName.toLowerCase()}.${e.className}`);
            }
            return out; }""")
        assert beyond == [], f"beyond the right edge at 390 px: {beyond[:5]}"
        smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll(
            '.gatelab-explorer-host *')].filter(e => e.checkVisibility() &&
            [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
            .map(e => parseFloat(getComputedStyle(e).fontSize)), 99)""")
        assert smallest >= 12, f"explorer text of {smallest} px on a phone"
    finally:
        page.close()
