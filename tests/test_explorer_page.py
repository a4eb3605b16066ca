"""The gate explorer in a plain HTML page with no kernel (page_html + page_scripts + host.js), in
headless Chromium, loaded from file:// with every request but the page itself and data: blocked.

For the chapters' trained temporal-order LSTM and GRU: shut one gate and read back what the page
computed (equal to cells.run with that forcing, max |difference| <= 1e-5) and drew (the forced
line leaves the learned ghost); move a value slider with the keyboard; reset; a preset; the text
size control; the plots' text alternatives and the live region; every control reachable by Tab;
a page whose save_changes throws (no kernel) keeps answering. Layout: at 1366x768 the explorer
fits in 520 px of height, at 1024x768 no gate row wraps, at 390x844 nothing overflows sideways
and no text is under 12 px. Screenshots: build/screenshots/explorer_page_{example}_{w}x{h}.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from explorer_browser import Offline, chromium, write_page
from gatelab import cells
from gatelab.explorer import GateWidget
from gatelab.widgets import load_example

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
TOLERANCE = 1e-5
#: example -> (the gate shut, the state panel that must move, a gate moved by a slider)
EXAMPLES = {"temporal-order": ("f", "c", "o"), "gru-temporal-order": ("z", "h", "r")}
ROOT_JS = "document.querySelector('.gatelab-gates')"


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("explorer_pages")
    return {name: write_page(folder / f"{name}.html", [GateWidget.example(name)],
                             title="gate explorer")
            for name in EXAMPLES}


@pytest.fixture
def open_page(browser, pages):
    opened: list[Offline] = []

    def open_(name: str, width: int = 1366, height: int = 768) -> Offline:
        opened.append(Offline(browser, pages[name].as_uri(), width, height,
                              ready=f"{ROOT_JS} && {ROOT_JS}.querySelector('polyline')"))
        return opened[-1]

    yield open_
    for page in opened:
        page.close()


def reference(name: str, force: dict[str, float]) -> cells.Trace:
    module, x, _names, state, _unit = load_example(name)
    with torch.no_grad():
        return cells.run(module, x, state, force=force)


def page_trace(page) -> dict:
    return page.evaluate(f"{ROOT_JS}.gatelab.trace()")


def difference(trace: cells.Trace, result: dict) -> float:
    pairs = [(trace.h, result["h"])] + ([(trace.c, result["c"])] if trace.c is not None else [])
    pairs += [(trace.gates[g], result["gates"][g]) for g in trace.gates]
    return max((torch.tensor(js, dtype=torch.float64) - ref.double()).abs().max().item()
               for ref, js in pairs)


def points(page, name: str) -> dict[str, str]:
    return page.evaluate(f"""() => {{
        const panel = {ROOT_JS}.querySelector('.gl-{name} .gatelab-panel');
        return {{learned: panel.querySelector('.gatelab-learned').getAttribute('points'),
                 forced: panel.querySelector('.gatelab-forced').getAttribute('points')}};
    }}""")


def label_of(page, name: str) -> str:
    return page.evaluate(f"{ROOT_JS}.querySelector('svg.gl-{name}').getAttribute('aria-label')")


@pytest.mark.parametrize("name", EXAMPLES)
def test_shut_a_gate_and_read_back_cells_run(open_page, name):
    gate, state, slid = EXAMPLES[name]
    page = open_page(name).page
    labels = GateWidget.example(name).labels
    T = len(load_example(name)[1])
    # nothing forced: the page's run is the learned one, drawn on the ghost
    assert difference(reference(name, {}), page_trace(page)) <= TOLERANCE
    before = points(page, state)
    assert before["forced"] == before["learned"] and len(before["forced"].split()) == T
    described = label_of(page, state)
    assert "learned ends at" in described and described.split(": ")[0].endswith(
        f"of unit {page.evaluate(f'{ROOT_JS}.gatelab.unit()')}")

    page.get_by_label(labels["gates"][gate], exact=True).select_option("shut")
    assert page.evaluate(f"{ROOT_JS}.gatelab.force()") == {gate: 0}
    worst = difference(reference(name, {gate: 0.0}), page_trace(page))
    print(f"\n{name}: {gate} shut, page vs cells.run max |difference| = {worst:.3g}")
    assert worst <= TOLERANCE
    after = points(page, state)
    assert after["forced"] != after["learned"] and after["learned"] == before["learned"]
    assert label_of(page, state) != described
    # the equation of the shut gate shows its value, marked, and so does the update's term
    marks = page.evaluate(f"[...{ROOT_JS}.querySelectorAll('.gl-eqs mark')].map(m => m.textContent)")
    assert marks[0] == f"{gate}[t] = 0" and "0" in marks[1:]
    # the model the page holds heard it (what save_changes would send to a kernel)
    assert page.evaluate("document.querySelector('.gatelab-explorer-host').gatelabModel"
                         ".get('force')") == {gate: 0}
    page.wait_for_function(f"{ROOT_JS}.querySelector('.gl-live').textContent.length > 0")
    assert labels["gates"][gate] in page.evaluate(f"{ROOT_JS}.querySelector('.gl-live').textContent")

    # a value slider moved with the keyboard: it takes the gate to "value", 0.5 -> 0.6
    slider = page.get_by_label(labels["value_of"].format(gate=labels["gates"][slid]), exact=True)
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.get_by_label(labels["gates"][slid], exact=True).input_value() == "value"
    assert page.evaluate(f"{ROOT_JS}.gatelab.force()") == {gate: 0, slid: 0.6}
    assert difference(reference(name, {gate: 0.0, slid: 0.6}), page_trace(page)) <= TOLERANCE

    # reset: all learned again, the forced line back on the ghost
    page.get_by_role("button", name=labels["reset"]).click()
    assert page.evaluate(f"{ROOT_JS}.gatelab.force()") == {}
    assert points(page, state)["forced"] == before["learned"]
    assert label_of(page, state) == described
    # a preset sets its gates
    preset_name, preset = GateWidget.example(name).presets[-1]
    page.get_by_role("button", name=preset_name).click()
    assert page.evaluate(f"{ROOT_JS}.gatelab.force()") == preset
    assert difference(reference(name, preset), page_trace(page)) <= TOLERANCE
    # every input event was timed to its painted frame
    page.wait_for_function("(window.gatelabFrames || []).length >= 4")


def test_text_size_keyboard_and_no_kernel(open_page):
    name = "gru-temporal-order"
    page = open_page(name).page
    labels = GateWidget.example(name).labels
    size = page.evaluate(f"""() => ({{
        font: parseFloat(getComputedStyle({ROOT_JS}).fontSize),
        tick: parseFloat({ROOT_JS}.querySelector('svg.gl-h text').getAttribute('font-size')),
        height: {ROOT_JS}.getBoundingClientRect().height }})""")
    page.get_by_label(labels["size"], exact=True).select_option("150")
    page.wait_for_timeout(100)
    bigger = page.evaluate(f"""() => ({{
        font: parseFloat(getComputedStyle({ROOT_JS}).fontSize),
        tick: parseFloat({ROOT_JS}.querySelector('svg.gl-h text').getAttribute('font-size')),
        height: {ROOT_JS}.getBoundingClientRect().height }})""")
    assert bigger["font"] == pytest.approx(1.5 * size["font"], rel=0.01)
    assert bigger["tick"] > 1.3 * size["tick"] and bigger["height"] > 1.3 * size["height"]

    # every control is reachable with Tab, in order
    controls = page.evaluate(f"[...{ROOT_JS}.querySelectorAll('select, input, button')].length")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    reached = set()
    for _step in range(controls + 2):
        page.keyboard.press("Tab")
        reached.add(page.evaluate(f"""() => {{
            const all = [...{ROOT_JS}.querySelectorAll('select, input, button')];
            return all.indexOf(document.activeElement); }}"""))
    assert set(range(controls)) <= reached
    # each plot has a role and a text alternative
    plots = page.evaluate(f"""[...{ROOT_JS}.querySelectorAll('svg[role=img]')]
        .map(s => [s.getAttribute('aria-label'), s.querySelector('desc').textContent])""")
    assert len(plots) == 4 and all(label and label == desc for label, desc in plots)
    assert "X" in plots[0][0] and "Y" in plots[0][0]  # the input's channels

    # the kernel is gone: save_changes throws, the page keeps its own state and answers
    page.evaluate("""() => { document.querySelector('.gatelab-explorer-host').gatelabModel
        .save_changes = () => { throw new Error('model not found'); }; }""")
    page.get_by_label(labels["gates"]["z"], exact=True).select_option("open")
    assert page.evaluate(f"{ROOT_JS}.gatelab.force()") == {"z": 1}
    assert difference(reference(name, {"z": 1.0}), page_trace(page)) <= TOLERANCE
    # a forcing set from Python (a kernel that is there) shows in the controls
    page.evaluate("() => document.querySelector('.gatelab-explorer-host').gatelabModel"
                  ".set('force', {r: 0.25})")
    assert page.get_by_label(labels["gates"]["r"], exact=True).input_value() == "value"
    assert page.get_by_label(labels["gates"]["z"], exact=True).input_value() == "learned"
    assert difference(reference(name, {"r": 0.25}), page_trace(page)) <= TOLERANCE


LAYOUT = """() => {
    const root = document.querySelector('.gatelab-gates');
    const box = root.getBoundingClientRect();
    const sizes = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const parent = walker.currentNode.parentElement;
        if (!walker.currentNode.textContent.trim() || parent.closest('.gl-live, style, desc')) continue;
        sizes.push([parent.tagName, parseFloat(getComputedStyle(parent).fontSize),
                    walker.currentNode.textContent.trim().slice(0, 20)]);
    }
    const rows = [...root.querySelectorAll('.gl-gate')].map((row) => {
        const [label, select] = row.children;
        return Math.abs(label.getBoundingClientRect().top - select.getBoundingClientRect().top);
    });
    return { height: box.height, width: box.width, bottom: box.bottom,
             scroll: document.documentElement.scrollWidth, sizes, rows,
             overflow: [...root.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5).map((e) => e.tagName) };
}"""


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("width, height", [(1366, 768), (1024, 768), (390, 844)])
def test_fits_the_screen(open_page, name, width, height):
    page = open_page(name, width, height).page
    page.wait_for_timeout(100)
    layout = page.evaluate(LAYOUT)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"explorer_page_{name}_{width}x{height}.png"),
                    full_page=True)
    smallest = min(size for _tag, size, _text in layout["sizes"])
    print(f"\n{name} at {width}x{height}: explorer {layout['width']:.0f} x {layout['height']:.0f} "
          f"px, smallest text {smallest:.1f} px")
    assert layout["scroll"] <= width and not layout["overflow"], layout["overflow"]
    assert smallest >= 12, [s for s in layout["sizes"] if s[1] < 12]
    if width >= 1024:
        assert layout["height"] <= 520, layout["height"]
        assert max(layout["rows"]) < 4, "a gate's label and its control are on two lines"


SCRIPTS = {"bn": "\u0980-\u09ff", "hi": "\u0900-\u097f"}  # the Unicode blocks of each script


@pytest.mark.parametrize("lang", ["bn", "hi"])
def test_translated_text_drawn_with_the_embedded_face(browser, tmp_path, lang):
    """The three explorers in one page with the shipped Noto face embedded as a data: URL (as the
    lessons do): the gate explorer's labels, HTML and SVG, are drawn with that face once it has
    loaded, not a system font nor boxes; nothing overflows at 1366x768 and 390x844. Screenshots:
    /tmp/shots/polish/{lang}_{w}x{h}.png."""
    import re

    from explorer_browser import DRAWN, platform_fonts
    from gatelab import i18n
    from gatelab.explorer.sequence import SequenceWidget
    from gatelab.explorer.vanishing import VanishingWidget

    with i18n.using(lang):
        widgets = [GateWidget.example("temporal-order"), VanishingWidget(), SequenceWidget()]
    path = write_page(tmp_path / f"{lang}.html", widgets, lang, "explorers")
    shots = Path("/tmp/shots/polish")
    shots.mkdir(parents=True, exist_ok=True)
    letters = re.compile(f"[{SCRIPTS[lang]}]")
    for width, height in [(1366, 768), (390, 844)]:
        opened = Offline(browser, path.as_uri(), width, height,
                         ready="document.querySelectorAll('.gatelab-explorer polyline').length >= 3"
                               " && document.fonts.status === 'loaded'")
        page = opened.page
        page.evaluate("document.fonts.ready")
        page.wait_for_timeout(100)  # a redraw after the font's loadingdone
        gate_label = page.locator(".gatelab-gates .gl-gate label").first
        title = page.locator(".gatelab-gates svg.gl-gates-plot text[font-weight='600']")
        for element in (gate_label, title):
            text = element.text_content()
            assert letters.search(text), text  # translated
            drawn = platform_fonts(page, element.element_handle())
            web = drawn.get(DRAWN[lang], 0)
            assert web >= len(letters.findall(text)) // 2, (text, drawn)
            assert not [f for f in drawn if "Bengali" in f or "Devanagari" in f
                        if not f.endswith("(web)")], drawn
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=shots / f"{lang}_{width}x{height}.png", full_page=True)
        opened.close()


def test_state_axis_only_grows_until_reset(open_page):
    """The c[t] panel's range moves in round steps and never shrinks while a slider is moved
    (no jumping back and forth between ±1 and ±2); reset gives back the learned run's range."""
    name = "temporal-order"
    page = open_page(name).page
    labels = GateWidget.example(name).labels
    top = f"() => Math.max(...[...{ROOT_JS}.querySelectorAll('svg.gl-c text')]" \
          ".map(t => parseFloat(t.textContent.replace('−', '-'))).filter(Number.isFinite))"
    learned = page.evaluate(top)
    page.get_by_label(labels["gates"]["f"], exact=True).select_option("value")
    slider = page.get_by_label(labels["value_of"].format(gate=labels["gates"]["f"]), exact=True)
    slider.focus()
    seen = []
    for key in ["ArrowLeft"] * 10 + ["ArrowRight"] * 20 + ["ArrowLeft"] * 20:
        page.keyboard.press(key)
        seen.append(page.evaluate(top))
    assert seen == sorted(seen), seen  # only grows
    assert set(seen) <= {1, 2, 5, 10, 20, 50}, set(seen)  # round steps
    assert max(seen) > learned  # an open forget gate lets c[t] grow past the learned range
    page.get_by_role("button", name=labels["reset"]).click()
    assert page.evaluate(top) == learned
