"""gatelab.explorer.GateWidget and the explorers' assembly, on the Python side: the state the page
gets (the exported network in float32's shortest form, translated labels, presets), its checks,
the one ES module anywidget takes, and what a kernel-free page is made of. The page itself is
tested in Chromium by test_explorer_page.py."""

from __future__ import annotations

import json
import re

import pytest
import torch
import traitlets

from gatelab import cells, i18n
from gatelab.explorer import (
    MIMETYPE,
    GateWidget,
    export,
    module,
    page_html,
    page_scripts,
    page_state,
)
from gatelab.explorer import page as page_module
from gatelab.widgets import PRESETS, load_example


def test_state_carries_the_exported_network():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4)
    x = torch.randn(10, 3)
    h0, c0 = torch.zeros(1, 4), torch.full((1, 4), 0.5)
    widget = GateWidget(lstm, x, (h0, c0), unit=2, force={"f": 0.0}, input_names=["a", "b", "c"])
    compact = export(lstm, x, h0, c0, compact=True)
    state = widget.get_state()
    assert state["spec"] == compact["spec"] and state["x"] == compact["x"]
    assert state["gates"] == ["i", "f", "o"] and state["unit"] == 2
    assert state["force"] == {"f": 0.0}
    assert set(state["labels"]["gates"]) == {"i", "f", "o"}
    assert state["labels"]["inputs"] == ["a", "b", "c"]
    assert [name for name, _label in state["labels"]["states"]] == ["c", "h"]
    assert state["labels"]["update"] == ["c[t] = f[t] ⊙ c[t−1] + i[t] ⊙ g[t]",
                                         "h[t] = o[t] ⊙ tanh(c[t])"]
    assert [force for _name, force in state["presets"]] == list(PRESETS["LSTM"].values())
    assert "cells_js" not in state  # the code is in the module, not in the state


def test_weights_go_in_float32_shortest_form():
    torch.manual_seed(3)
    lstm = torch.nn.LSTM(2, 3)
    widget = GateWidget(lstm, torch.randn(4, 2))
    weights = torch.tensor(widget.spec["weight_hh"], dtype=torch.float64)
    # the same float32 numbers ...
    assert torch.equal(weights.float(), lstm.weight_hh_l0.detach())
    # ... each written in at most 9 significant digits, where float64 takes 17
    short = json.dumps(widget.spec["weight_hh"])
    full = json.dumps(export(lstm, torch.randn(4, 2))["spec"]["weight_hh"])
    assert len(short) < 0.75 * len(full)
    assert max(len(d) for d in re.findall(r"\d+\.?\d*(?:e-?\d+)?", short)) <= 16
    # float64 modules keep every digit
    double = GateWidget(lstm.double(), torch.randn(4, 2, dtype=torch.float64))
    assert torch.equal(torch.tensor(double.spec["weight_hh"], dtype=torch.float64),
                       lstm.weight_hh_l0.detach())


def test_examples_and_gru():
    memory = GateWidget.example("memory")
    module_, x, names, (h0, c0), _unit = load_example("memory")
    assert memory.spec == export(module_, x, h0, c0, compact=True)["spec"]
    assert memory.spec["c0"] == [0.5] and memory.labels["inputs"] == names
    gru = GateWidget.example("gru-memory")
    assert gru.gates == ["r", "z"] and gru.spec["reset_after"] is True
    assert [name for name, _label in gru.labels["states"]] == ["n", "h"]
    assert [name for name, _f in gru.presets][0] == "all learned"
    with pytest.raises(ValueError, match="Unknown example 'lstm'"):
        GateWidget.example("lstm")


def test_labels_are_translated():
    with i18n.using("bn"):
        bengali = GateWidget.example("memory")
    english = GateWidget.example("memory")
    assert english.labels["learned"] == "learned"
    assert bengali.labels["gates"]["f"] == i18n.gettext("forget gate f", lang="bn")
    assert bengali.labels["gates"]["f"] != "forget gate f"
    assert bengali.labels["inputs"] != english.labels["inputs"]  # value / write / read
    assert bengali.presets[1][0] != english.presets[1][0]


def test_refuses_bad_settings():
    with pytest.raises(ValueError, match="a plain RNN has no gates"):
        GateWidget(torch.nn.RNN(2, 3), torch.randn(5, 2))
    with pytest.raises(ValueError, match="one name per input channel.*2 inputs, got 3"):
        GateWidget(torch.nn.GRU(2, 3), torch.randn(5, 2), input_names=["a", "b", "c"])
    with pytest.raises(traitlets.TraitError, match="units are 0 to 2"):
        GateWidget(torch.nn.GRU(2, 3), torch.randn(5, 2), unit=3)
    widget = GateWidget(torch.nn.GRU(2, 3), torch.randn(5, 2))
    with pytest.raises(ValueError, match="GRU has no gate 'f'"):
        widget.force = {"f": 1.0}
    with pytest.raises(ValueError, match=r"Gate 'z' of GRU takes values in \[0, 1\]"):
        widget.force = {"z": 2.0}
    with pytest.raises(traitlets.TraitError, match="one number at every step"):
        widget.force = {"z": torch.full((5, 1), 0.5)}
    with pytest.raises(traitlets.TraitError, match="only the gates r, z; got 'n'"):
        widget.force = {"n": 0.5}
    with pytest.raises(traitlets.TraitError, match="units are 0 to 2"):
        widget.unit = 3
    widget.force = {"z": 0.35}
    assert widget.force == {"z": 0.35}  # the number as given, not rounded to float32


def test_module_is_one_es_module_with_its_libraries_inlined():
    text = module("gates")
    assert GateWidget._esm == text
    assert not re.search(r"^\s*import\b|\bimport\s*\(", re.sub(r"^\s*//.*$", "", text, flags=re.M),
                         re.M)
    assert len(re.findall(r"^export ", text, re.M)) == 1 and text.rstrip().endswith("export default { render };")
    assert text.count("// ---- cells.js ----") == 1 and text.count("// ---- plot.js ----") == 1
    assert "const cells = __gatelab_cells;" in text and "const plot = __gatelab_plot;" in text
    assert "blob:" not in text and "http" not in text.replace("http://www.w3.org/2000/svg", "")


def test_assembly_refuses_files_off_the_scheme(tmp_path, monkeypatch):
    files = {"lib": "export function f() { return 1; }\nexport default f;\n",
             "entry": 'import * as lib from "./lib.js";\nexport default { render: lib.f };\n',
             "loose": 'import { f } from "./lib.js";\nexport default { f };\n',
             "two": "export const a = 1;\nexport default { a };\n"}
    monkeypatch.setattr(page_module, "_read", lambda name: files[name])
    with pytest.raises(ValueError, match="lib.js is a library: it must not have 'export default'"):
        module("entry")
    with pytest.raises(ValueError, match=r"loose.js may import only with 'import \* as"):
        module("loose")
    with pytest.raises(ValueError, match="two.js is an entry"):
        module("two")


def test_unknown_module_is_named():
    with pytest.raises(ValueError, match="gatelab.explorer has no sequencer.js"):
        module("sequencer")


def test_page_state_html_and_scripts():
    widget = GateWidget.example("gru-memory")
    widget.force = {"z": 1.0}
    state = page_state(widget)
    assert state["kind"] == "gates" and state["state"]["force"] == {"z": 1.0}
    assert set(state["state"]) == {"spec", "x", "gates", "force", "unit", "labels", "presets"}
    # the bundle a notebook saves carries it beside anywidget's own output
    data, _metadata = widget._repr_mimebundle_()
    assert data[MIMETYPE] == state and "application/vnd.jupyter.widget-view+json" in data
    # a label that would close the <script> stays inside it
    state["state"]["labels"]["learned"] = "</script><script>alert(1)</script><!--"
    html = page_html(state)
    assert html.count("</script>") == 1 and "<!--" not in html
    data = re.search(r'<script type="application/json">(.*)</script></div>$', html, re.S)[1]
    assert json.loads(data) == state
    scripts = page_scripts(["gates", "gates"])
    assert scripts.count('<script data-gatelab-explorer="gates">') == 1
    assert scripts.index("data-gatelab-explorer") < scripts.index("data-gatelab-host")
    assert " src=" not in scripts and "import(" not in scripts
    with pytest.raises(ValueError, match="what page_state gives"):
        page_html({"spec": {}})
    with pytest.raises(TypeError, match="not a gatelab explorer"):
        page_state(object())


def test_run_in_python_matches_what_the_state_describes():
    """The state's numbers run by cells.run equal the module's own run to float32 precision."""
    module_, x, _names, state, _unit = load_example("temporal-order")
    widget = GateWidget.example("temporal-order")
    rebuilt = torch.nn.LSTM(module_.input_size, module_.hidden_size).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(rebuilt, f"{name}_l0").copy_(torch.tensor(widget.spec[name]))
        a = cells.run(module_, x, state, force={"f": 0.0}).h
        b = cells.run(rebuilt, torch.tensor(widget.x, dtype=torch.float64), force={"f": 0.0}).h
    assert (a.double() - b).abs().max().item() <= 1e-5
