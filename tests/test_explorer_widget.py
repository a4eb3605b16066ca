"""gatelab.explorer.GateWidget, the prototype explorer that computes in the page: its state carries
the exported network; widget.js, rendered in headless Chromium against a stand-in for anywidget's
model, draws the learned and the forced run and reports the forcing chosen in its controls."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import torch
import traitlets

from gatelab import cells
from gatelab.build.catalogs import ROOT
from gatelab.explorer import export, source
from gatelab.explorer.widget import GateWidget
from gatelab.widgets import load_example

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = ROOT / "build" / "screenshots" / "explorer_widget_memory.png"


def test_state_carries_the_exported_network():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4)
    x = torch.randn(10, 3)
    h0, c0 = torch.zeros(1, 4), torch.full((1, 4), 0.5)
    widget = GateWidget(lstm, x, (h0, c0), unit=2, force={"f": 0.0})
    exported = export(lstm, x, h0, c0)
    state = widget.get_state()
    assert state["spec"] == exported["spec"] and state["x"] == exported["x"]
    assert state["cells_js"] == source()
    assert state["gates"] == ["i", "f", "o"] and state["unit"] == 2
    assert state["force"] == {"f": 0.0}
    assert set(state["labels"]["gates"]) == {"i", "f", "o"}
    json.dumps({k: state[k] for k in ("spec", "x", "labels", "force")})  # what goes to the page


def test_example_and_gru():
    memory = GateWidget.example("memory")
    module, x, _names, (h0, c0), _unit = load_example("memory")
    assert memory.spec == export(module, x, h0, c0)["spec"] and memory.spec["c0"] == [0.5]
    gru = GateWidget(torch.nn.GRU(2, 3), torch.randn(5, 2))
    assert gru.gates == ["r", "z"] and gru.spec["reset_after"] is True
    assert [name for name, _label in gru.labels["panels"]] == ["n", "h"]


def test_refuses_bad_settings():
    with pytest.raises(ValueError, match="a plain RNN has no gates"):
        GateWidget(torch.nn.RNN(2, 3), torch.randn(5, 2))
    widget = GateWidget(torch.nn.GRU(2, 3), torch.randn(5, 2))
    with pytest.raises(ValueError, match="GRU has no gate 'f'"):
        widget.force = {"f": 1.0}
    with pytest.raises(ValueError, match=r"Gate 'z' of GRU takes values in \[0, 1\]"):
        widget.force = {"z": 2.0}
    with pytest.raises(traitlets.TraitError, match="one number at every step"):
        widget.force = {"z": torch.full((5, 1), 0.5)}
    with pytest.raises(traitlets.TraitError, match="units are 0 to 2"):
        widget.unit = 3
    widget.force = {"z": 0.35}
    assert widget.force == {"z": 0.35}  # the number as given, not rounded to float32


# widget.js against a stand-in for anywidget's model: get, set (with Backbone's change events),
# save_changes, on, off, recording what it saved
PAGE = """async ([url, state]) => {
    const listeners = {};
    const saved = [];
    const model = {
        get: (key) => state[key],
        set: (key, value) => {
            const changed = JSON.stringify(state[key]) !== JSON.stringify(value);
            state[key] = value;
            if (changed) (listeners["change:" + key] || []).forEach((f) => f());
        },
        save_changes: () => saved.push(JSON.parse(JSON.stringify(state.force))),
        on: (event, f) => (listeners[event] = [...(listeners[event] || []), f]),
        off: (event, f) => (listeners[event] = (listeners[event] || []).filter((g) => g !== f)),
    };
    const widget = (await import(url)).default;
    const el = document.createElement("div");
    document.body.appendChild(el);
    window.explorer = { model, saved, el, cleanup: await widget.render({ model, el }) };
}"""

POINTS = """() => [...document.querySelectorAll(".gatelab-panel")].map((panel) => ({
    name: panel.getAttribute("class").split(" ")[1],
    learned: panel.querySelector(".gatelab-learned").getAttribute("points"),
    forced: panel.querySelector(".gatelab-forced").getAttribute("points"),
}))"""


@pytest.mark.browser
def test_widget_js_computes_and_draws_in_the_page():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt install chromium)")
    module, x, _names, memory_state, _unit = load_example("memory")
    widget = GateWidget(module, x, memory_state)
    state = {k: v for k, v in widget.get_state().items()
             if k in ("spec", "x", "cells_js", "gates", "force", "unit", "labels")}
    widget_js = (Path(cells.__file__).parent / "explorer" / "widget.js").read_bytes()
    url = "data:text/javascript;base64," + base64.b64encode(widget_js).decode()
    outside, errors = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 700, "height": 480})

        def guard(route):
            if route.request.url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_content("<!doctype html><meta charset='utf-8'><body style='font: 13px sans-serif'>")
        page.evaluate(PAGE, [url, state])

        panels = page.evaluate(POINTS)
        T = len(state["x"])
        assert [p["name"] for p in panels] == ["gatelab-c", "gatelab-h"]
        for p in panels:  # nothing forced: the run with the gates as set is the learned one
            assert len(p["forced"].split()) == T and p["forced"] == p["learned"]
        # every select has its label, and offers the four modes
        for name in state["labels"]["gates"].values():
            select = page.get_by_label(name, exact=True)
            assert select.evaluate("s => [...s.options].map(o => o.value)") == \
                ["learned", "open", "shut", "value"]
        page.get_by_label(state["labels"]["gates"]["f"], exact=True).select_option("shut")
        assert page.evaluate("() => window.explorer.saved.at(-1)") == {"f": 0}
        shut = {p["name"]: p for p in page.evaluate(POINTS)}
        assert shut["gatelab-c"]["forced"] != shut["gatelab-c"]["learned"]
        # what the page draws for f = 0 is cells.run's c[t]: zero at every step, on the zero line
        with torch.no_grad():
            trace = cells.run(module, x, memory_state, force={"f": 0.0, "i": 0.0})
        page.get_by_label(state["labels"]["gates"]["i"], exact=True).select_option("shut")
        assert page.evaluate("() => window.explorer.saved.at(-1)") == {"f": 0, "i": 0}
        assert torch.all(trace.c == 0)
        zero_y = page.evaluate("() => document.querySelector('.gatelab-c line').getAttribute('y1')")
        forced = page.evaluate(POINTS)[0]["forced"].split()
        assert {float(point.split(",")[1]) for point in forced} == {round(float(zero_y), 1)}
        # a forcing set from the kernel side shows in the controls
        page.evaluate("() => window.explorer.model.set('force', {o: 1, f: 0.25})")
        modes = {g: page.get_by_label(name, exact=True).input_value()
                 for g, name in state["labels"]["gates"].items()}
        assert modes == {"i": "learned", "f": "value", "o": "open"}
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        page.evaluate("() => window.explorer.cleanup()")
        browser.close()
    assert not outside and not errors, (outside, errors)
