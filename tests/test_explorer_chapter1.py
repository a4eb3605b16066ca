"""Chapter 1's two explorers computed in the page, in headless Chromium, against the Python that
the chapter runs: the spectral-radius explorer (VanishingWidget, vanishing.js over bptt.js) against
models.radius_experiment and cells.gradient_norms, the memory explorer (SequenceWidget,
sequence.js over cells.js) against cells.run and widgets.parse_sequence.

bptt.js computes in float64 from the network's exact float32 weights. Against the same network
run in float64 by cells it agrees to rounding; against radius_experiment itself (float32) the
gradient norms, ‖∂L/∂W_hh‖ and the clip factor agree to 1e-5 relative, and the hidden states to
the error float32 itself makes: ~2e-7 up to ρ = 1, growing to ~1.6e-5 at ρ = 1.5, where the
chaotic network amplifies float32's rounding (the float64 run is the exact one there).

The explorers run in plain pages written with page_html + page_scripts (host.js, no kernel),
loaded from file:// with every other request blocked; no page may log an error.
Screenshots: /tmp/shots/ch1/{explorer}_{width}_{lang}.png.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import torch

from explorer_browser import Offline, chromium, write_page
from gatelab import cells, i18n, models
from gatelab.explorer import MIMETYPE, page_state
from gatelab.explorer.sequence import SequenceWidget
from gatelab.explorer.vanishing import VanishingWidget, network
from gatelab.widgets import InputError, parse_sequence

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/ch1")
RADII = [0.5, 0.95, 1.0, 1.37, 1.5]
VANISHING = "document.querySelector('.gatelab-vanishing')"
SEQUENCE = "document.querySelector('.gatelab-sequence')"
#: the font size of every piece of text the explorers show, in CSS px
FONT_SIZES = ("() => [...document.querySelectorAll('.gatelab-explorer text, .gatelab-explorer "
              "label, .gatelab-explorer output, .gatelab-explorer select, .gatelab-explorer input, "
              ".gatelab-explorer div')].filter((e) => e.textContent.trim() || e.value)"
              ".map((e) => parseFloat(getComputedStyle(e).fontSize))")


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture
def open_page(browser, tmp_path):
    """open_page(widget, width, height, lang): the widget alone in a kernel-free page."""
    opened: list[Offline] = []

    def open_(widget, width: int = 1366, height: int = 768, lang: str = "en") -> Offline:
        kind = widget.explorer_kind
        path = write_page(tmp_path / f"{kind}_{width}_{lang}.html", [widget], lang, kind)
        root = {"vanishing": VANISHING, "sequence": SEQUENCE}[kind]
        opened.append(Offline(browser, path.as_uri(), width, height,
                              ready=f"{root} && {root}.querySelector('polyline')"))
        return opened[-1]

    yield open_
    for page in opened:
        page.close()


@pytest.fixture(scope="module")
def bptt(browser):
    """A blank page with bptt.js imported as window.bptt (a library: a module on its own)."""
    page = Offline(browser, None)
    page.page.set_content("<!doctype html><meta charset='utf-8'><title>bptt.js</title>")
    text = (Path(models.__file__).parent / "explorer" / "bptt.js").read_text(encoding="utf-8")
    url = "data:text/javascript;base64," + base64.b64encode(text.encode()).decode()
    page.page.evaluate("async (url) => { window.bptt = await import(url); }", url)
    yield page.page
    page.close()


@pytest.fixture(scope="module")
def vanishing():
    return VanishingWidget()


def relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs() / b.abs()).max().item()


def check_layout(page, shot: str, max_height: int | None = None):
    """No sideways overflow, no text under 12 px, within max_height; a screenshot."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    sizes = page.evaluate(FONT_SIZES)
    assert sizes and min(sizes) >= 12, sorted(sizes)[:5]
    if max_height:
        box = page.locator(".gatelab-explorer").bounding_box()
        assert box["height"] <= max_height, box
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.fonts.ready.then(() => document.fonts.size)")
    page.wait_for_timeout(100)
    page.screenshot(path=SHOTS / shot, full_page=True)


# --- the spectral-radius explorer --------------------------------------------------------------


def test_weights_are_the_float32_network(bptt):
    """The page rebuilds W_hh bit for bit as models.random_rnn makes it, for any ρ."""
    for radius in [*RADII, 1.2345]:
        W = bptt.evaluate("([net, r]) => Array.from(bptt.weightsAt(net, r).W)", [network(), radius])
        expected = models.random_rnn(1, 32, radius, 0).weight_hh_l0.detach().double().flatten()
        assert torch.equal(torch.tensor(W, dtype=torch.float64), expected), radius


@pytest.mark.parametrize("radius", RADII)
def test_parity_with_radius_experiment(bptt, vanishing, radius):
    got = bptt.evaluate("([net, r]) => bptt.experiment(net, r)", [vanishing.network, radius])
    h = torch.tensor(got["h"], dtype=torch.float64)  # (T, H)
    norms = torch.tensor(got["norms"], dtype=torch.float64)  # (T,)
    reference = models.radius_experiment(radius)
    assert h.shape == (60, 32) and norms.shape == (60,)
    assert relative(norms, reference.norms.double()) < 1e-5
    assert abs(got["weightGradNorm"] / reference.weight_grad_norm - 1) < 1e-5
    threshold = bptt.evaluate("(net) => bptt.experiment(net, 1).weightGradNorm",
                              vanishing.network)  # what the page clips at
    factor = bptt.evaluate("([t, n]) => bptt.clipFactor(t, n)", [threshold, got["weightGradNorm"]])
    assert factor == pytest.approx(reference.clip_factor, rel=1e-5)
    assert (factor < 1) == reference.clipped == (radius > 1)
    tolerance = 1e-6 if radius <= 1 else 5e-5  # float32's own error, see the module docstring
    assert (h - reference.h.double()).abs().max().item() < tolerance

    # the same network run in float64 by cells: equal to rounding
    rnn = models.random_rnn(1, 32, radius, 0).double()
    x = torch.tensor(vanishing.network["x"]).double().unsqueeze(-1)  # float32 values: (T, B, 1)
    with torch.no_grad():
        assert (h - cells.run(rnn, x).h[:, 0]).abs().max().item() < 1e-10
    assert relative(norms, cells.gradient_norms(rnn, x)) < 1e-9


def test_threshold_computed_in_the_page(bptt, vanishing):
    """The page's own ‖∂L/∂W_hh‖ at ρ = 1 is the threshold Python sends and clips at."""
    got = bptt.evaluate("(net) => bptt.experiment(net, 1).weightGradNorm", vanishing.network)
    assert got == pytest.approx(vanishing.threshold, rel=1e-5)
    assert vanishing.threshold == models.radius_experiment(1.5).max_norm


def test_vanishing_keyboard_clip_and_text_alternatives(open_page, vanishing):
    page = open_page(vanishing).page
    focused = "() => document.activeElement.getAttribute('type')"
    page.keyboard.press("Tab")  # every control in reach of the keyboard, in reading order
    assert page.evaluate(focused) == "range"
    page.keyboard.press("Tab")
    assert page.evaluate(focused) == "checkbox"
    slider = page.get_by_role("slider", name="spectral radius ρ")
    figures = page.get_by_role("img")
    assert figures.count() == 2
    before = figures.nth(1).get_attribute("aria-label")
    slider.focus()
    for _ in range(37):
        page.keyboard.press("ArrowRight")
    model = "document.querySelector('.gatelab-explorer-host').gatelabModel"
    assert page.evaluate(f"{model}.get('radius')") == pytest.approx(1.37)
    assert page.locator(".gatelab-vanishing output").inner_text() == "1.37"
    reference = models.radius_experiment(1.37)
    drawn = page.evaluate(f"{VANISHING}.gatelab.result()")
    assert relative(torch.tensor(drawn["norms"]).double(), reference.norms.double()) < 1e-5
    after = figures.nth(1).get_attribute("aria-label")
    assert after != before and "713" in after  # ‖∂L/∂W_hh‖ at ρ = 1.37, from the data
    assert "1.37" in figures.nth(0).get_attribute("aria-label")
    assert page.locator(".gatelab-norms polyline:visible").count() == 1
    clip = page.get_by_role("checkbox", name="gradient clipping")
    clip.focus()
    page.keyboard.press("Space")
    assert page.evaluate(f"{model}.get('clip')") is True
    caption = page.locator(".gatelab-caption").nth(1).inner_text()
    assert caption == "‖∂L/∂W_hh‖ = 713 > threshold 51.6: clipped to 51.6"
    assert page.locator(".gatelab-norms polyline:visible").count() == 2  # raw (dashed), clipped
    slider.focus()
    page.keyboard.press("Home")  # ρ = 0.5: not clipped
    assert page.locator(".gatelab-caption").nth(1).inner_text() == \
        "‖∂L/∂W_hh‖ = 6.97 ≤ threshold 51.6: not clipped"
    assert page.locator(".gatelab-caption").nth(0).inner_text() == "spectral radius ρ = 0.50"
    page.keyboard.press("End")
    check_layout(page, "vanishing_1366_en.png", max_height=520)


@pytest.mark.parametrize("lang", ["bn", "hi"])
def test_vanishing_on_a_phone_translated(open_page, lang):
    with i18n.using(lang):
        widget = VanishingWidget(radius=1.3, clip=True)
        name, clipped = i18n._("spectral radius ρ"), i18n._("with clipping")
    assert name != "spectral radius ρ"
    page = open_page(widget, 390, 844, lang).page
    assert page.get_by_role("slider", name=name).count() == 1
    assert clipped in page.locator(".gatelab-legend").inner_text()
    check_layout(page, f"vanishing_390_{lang}.png")


def test_vanishing_mimebundle_carries_the_page_state(vanishing):
    bundle = vanishing._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data[MIMETYPE] == page_state(vanishing)
    state = data[MIMETYPE]["state"]
    assert data[MIMETYPE]["kind"] == "vanishing" and state["radius"] == 1.0
    w = torch.tensor(state["network"]["w"])  # float32 again
    assert w.tolist() != state["network"]["w"]  # written short, not as float64 expansions
    assert len(json.dumps(state["network"]["w"])) < 0.7 * len(json.dumps(w.tolist()))
    with pytest.raises(Exception, match="between 0.5 and 1.5"):
        vanishing.radius = 2.0


# --- the memory explorer -----------------------------------------------------------------------

TYPED = ["1 0 0 0 0 0 0 0 0 0 0 0", "0.5, -1.25; 3   0 0", "−2 4.999 1e-3 -.5 +2. 1_0e-1",
         "৩ ০ ০ -১", "1 " * 60, "5 -5 5"]
BAD = ["", "   ", "1 2 x 3", "1 0 ..5", "1 " * 61, "6", "1 nan", "1 inf 2", "1 - 2", "1__0",
       "0x10", "1,,2,,zz"]


@pytest.fixture(scope="module")
def sequence():
    return SequenceWidget()


def test_parse_rules_and_messages_as_python(open_page):
    """The page reads every text as parse_sequence does, with its messages, in bn too."""
    for lang in ["en", "bn"]:
        with i18n.using(lang):
            page = open_page(SequenceWidget(), lang=lang).page
            for text in TYPED + BAD:
                got = page.evaluate(f"(t) => {SEQUENCE}.gatelab.parse(t)", text)
                try:
                    expected = parse_sequence(text)
                except InputError as error:
                    assert got == {"error": str(error)}, text
                else:
                    assert "error" not in got, (text, got)
                    assert torch.equal(torch.tensor(got["values"], dtype=torch.float64),
                                       expected.double()), text


def test_sequence_equals_cells_run(open_page, sequence):
    page = open_page(sequence).page
    box = page.get_by_role("textbox", name="input x")
    for text in TYPED:
        box.fill(text)
        box.press("Enter")
        shown = page.evaluate(f"{SEQUENCE}.gatelab.shown()")
        x = parse_sequence(text).reshape(-1, 1)  # (T, 1) float32
        with torch.no_grad():
            exact = cells.run(sequence.rnn.double(), x.double()).h  # (T, H)
            float32 = cells.run(models.random_rnn(1, 4, 0.9, 3), x).h
        h = torch.tensor(shown["h"], dtype=torch.float64)
        assert (h - exact).abs().max().item() < 1e-12, text
        assert (h - float32.double()).abs().max().item() < 1e-5, text
        assert page.locator(".gatelab-sequence polyline").count() == 4
        label = page.get_by_role("img").get_attribute("aria-label")
        assert f"over {len(x)} steps" in label and "h4 = " in label


def test_bad_input_says_what_to_fix_and_keeps_the_text(open_page):
    with i18n.using("hi"):
        widget = SequenceWidget()
        with pytest.raises(InputError) as error:
            parse_sequence("1 0 abc 0")
        preset_name = i18n._("two pulses")
    page = open_page(widget, 390, 844, "hi").page
    box = page.locator(".gatelab-sequence input[type=text]")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "SELECT"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "text"
    before = page.evaluate(f"{SEQUENCE}.gatelab.shown()")
    box.fill("1 0 abc 0")
    box.press("Enter")
    message = page.locator(".gatelab-error")
    assert message.inner_text() == str(error.value)
    assert box.input_value() == "1 0 abc 0" and box.get_attribute("aria-invalid") == "true"
    assert page.evaluate(f"{SEQUENCE}.gatelab.shown()") == before  # the last good run stays
    check_layout(page, "sequence_390_hi_error.png")
    # a correction clears it; an example fills the input
    box.press("End")
    for _ in range(len("abc 0")):
        box.press("Backspace")
    box.type("1")
    page.wait_for_function(f"{SEQUENCE}.gatelab.shown().x.length === 3")
    assert message.inner_text() == "" and box.input_value() == "1 0 1"
    assert page.locator("select[id$=-preset]").evaluate("s => s.selectedOptions[0].text") == "…"
    page.locator("select[id$=-preset]").select_option(label=preset_name)
    assert box.input_value() == "1 0 0 0 0 0 -1 0 0 0 0 0"
    assert page.evaluate(f"{SEQUENCE}.gatelab.shown().x") == [1, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0]
    box.fill("1 0 0 0 0 0 0 0 0 0 0 0")  # typed to equal an example: that example shows
    with i18n.using("hi"):
        assert page.locator("select[id$=-preset]").evaluate("s => s.selectedOptions[0].text") == \
            i18n._("one pulse")
    check_layout(page, "sequence_390_hi.png")


def test_sequence_fits_a_laptop(open_page, sequence):
    page = open_page(sequence).page
    model = "document.querySelector('.gatelab-explorer-host').gatelabModel"
    box = page.get_by_role("textbox", name="input x")
    box.fill("0 0 1 1 1 1 1 1 1 1 0 0 -2")
    assert page.evaluate(f"{model}.get('text')") == "0 0 1 1 1 1 1 1 1 1 0 0 -2"
    check_layout(page, "sequence_1366_en.png", max_height=520)


def test_sequence_mimebundle(sequence):
    bundle = sequence._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data[MIMETYPE] == page_state(sequence) and data[MIMETYPE]["kind"] == "sequence"
    assert torch.equal(sequence.x, parse_sequence(sequence.text))


@pytest.mark.parametrize("widget_class", [VanishingWidget, SequenceWidget])
def test_anywidget_module_renders(browser, widget_class):
    """The widget's _esm (what JupyterLab imports) is one ES module that renders from the
    widget's state over a stand-in for anywidget's model, and writes its setting back."""
    widget = widget_class()
    page = Offline(browser, None)
    page.page.set_content("<!doctype html><meta charset='utf-8'><title>esm</title><div id=app>")
    url = "data:text/javascript;base64," + base64.b64encode(widget._esm.encode()).decode()
    page.page.evaluate("""async ([url, state]) => {
        const module = await import(url);
        const listeners = {};
        window.saved = [];
        const model = {
          get: (key) => state[key],
          set: (key, value) => { state[key] = value; },
          on: (event, f) => { (listeners[event] ??= []).push(f); },
          off: () => {},
          save_changes: () => window.saved.push(JSON.stringify(state)),
        };
        window.cleanup = module.default.render({ model, el: document.getElementById("app") });
    }""", [url, page_state(widget)["state"]])
    page.page.wait_for_function("document.querySelector('#app polyline')")
    if widget_class is VanishingWidget:
        page.page.get_by_role("slider").focus()
        page.page.keyboard.press("ArrowUp")
        assert json.loads(page.page.evaluate("window.saved.at(-1)"))["radius"] == 1.01
    else:
        page.page.get_by_role("textbox").fill("1 2 3")
        assert json.loads(page.page.evaluate("window.saved.at(-1)"))["text"] == "1 2 3"
    page.close()


# --- frame latency -------------------------------------------------------------------------------


def test_every_event_is_timed_to_its_painted_frame(open_page, vanishing, sequence):
    """Each input event leaves one sample in window.gatelabFrames (ui.js timeFrame): from the
    event to the task after the painted frame, with the event's own work inside it. The numbers
    themselves are the benchmark's (benchmarks/chapter1_explorers_page.py): a timed assertion
    here would only measure how busy the test machine is."""

    def samples(page, count: int) -> list[dict]:
        page.wait_for_function(f"(window.gatelabFrames || []).length >= {count}")
        return page.evaluate("window.gatelabFrames")

    page = open_page(vanishing).page
    page.get_by_role("slider", name="spectral radius ρ").focus()
    page.evaluate("window.gatelabFrames = []")
    for key in ["ArrowRight"] * 10 + ["ArrowLeft"] * 10:
        page.keyboard.press(key)
        page.wait_for_timeout(20)
    moved = samples(page, 20)
    page = open_page(sequence).page
    page.get_by_role("textbox", name="input x").fill("")
    page.evaluate("window.gatelabFrames = []")
    text = "1 0 0 1 0"
    for char in text:  # an input event per character; a redraw where the reading changed
        page.keyboard.type(char)
        page.wait_for_timeout(20)
    page.wait_for_timeout(300)
    typed = page.evaluate("window.gatelabFrames")
    assert len(moved) == 20 and 1 <= len(typed) <= len(text), (moved, typed)
    for explorer, got in (("vanishing", moved), ("sequence", typed)):
        assert {f["explorer"] for f in got} == {explorer}, got
        assert all(0 < f["work"] <= f["ms"] for f in got), got


# --- reset and text size, as in the gate explorer ------------------------------------------------

#: the explorer's font size, its first SVG label's, its height
SIZE_JS = """(root) => ({ font: parseFloat(getComputedStyle(root).fontSize),
    tick: parseFloat(root.querySelector('svg text').getAttribute('font-size')),
    height: root.getBoundingClientRect().height })"""


def check_text_size(page, root: str, label: str) -> None:
    """The text-size control at 150 % makes the text 1.5x and the figures' text and height grow."""
    explorer = page.locator(root)
    before = explorer.evaluate(SIZE_JS)
    page.get_by_label(label, exact=True).select_option("150")
    page.wait_for_timeout(100)
    after = explorer.evaluate(SIZE_JS)
    assert after["font"] == pytest.approx(1.5 * before["font"], rel=0.01)
    assert after["tick"] > 1.3 * before["tick"] and after["height"] > 1.3 * before["height"]


def test_vanishing_reset_and_text_size(open_page, vanishing):
    page = open_page(vanishing).page
    labels = vanishing.labels
    slider = page.get_by_role("slider", name=labels["radius"])
    slider.focus()
    for _ in range(15):
        page.keyboard.press("ArrowRight")
    page.get_by_role("checkbox", name=labels["clip"]).check()
    model = "document.querySelector('.gatelab-explorer-host').gatelabModel"
    assert page.evaluate(f"[{model}.get('radius'), {model}.get('clip')]") == [1.15, True]
    page.get_by_role("button", name=labels["reset"]).click()
    assert slider.input_value() == "1"
    assert not page.get_by_role("checkbox", name=labels["clip"]).is_checked()
    assert page.evaluate(f"[{model}.get('radius'), {model}.get('clip')]") == [1, False]
    assert page.locator(".gatelab-caption").first.inner_text() == "spectral radius ρ = 1.00"
    check_text_size(page, ".gatelab-vanishing", labels["size"])
    check_layout(page, "vanishing_150pct_1366_en.png")


def test_sequence_reset_and_text_size(open_page, sequence):
    page = open_page(sequence).page
    labels, first = sequence.labels, sequence.presets[0][1]
    box = page.get_by_role("textbox", name=labels["input"])
    box.fill("1 x")
    box.press("Enter")
    assert page.locator(".gatelab-error").inner_text()  # says what to fix, keeps the text
    page.get_by_role("button", name=labels["reset"]).click()
    assert box.input_value() == first and not page.locator(".gatelab-error").inner_text()
    model = "document.querySelector('.gatelab-explorer-host').gatelabModel"
    assert page.evaluate(f"{model}.get('text')") == first
    assert page.evaluate(f"{SEQUENCE}.gatelab.shown().x.length") == len(first.split())
    check_text_size(page, ".gatelab-sequence", labels["size"])
    check_layout(page, "sequence_150pct_1366_en.png")
