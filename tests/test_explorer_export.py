"""gatelab.explorer.export: a torch layer and its input as the plain float64 numbers cells.js runs
(the numbers themselves are checked against cells.run in test_explorer_parity.py)."""

from __future__ import annotations

import json

import pytest
import torch

from gatelab import cells
from gatelab.explorer import export, source


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_spec_carries_the_weights_as_json(kind):
    torch.manual_seed(1)
    module = getattr(torch.nn, kind)(3, 2)
    x = torch.randn(5, 3)
    exported = json.loads(json.dumps(export(module, x, h0=torch.ones(1, 2))))  # JSON-able
    spec = exported["spec"]
    assert spec["kind"] == kind and (spec["input_size"], spec["hidden_size"]) == (3, 2)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        expected = getattr(module, f"{name}_l0").detach().double()
        assert torch.equal(torch.tensor(spec[name], dtype=torch.float64), expected)
    assert torch.equal(torch.tensor(exported["x"], dtype=torch.float64), x.double())
    assert spec["h0"] == [1.0, 1.0]
    assert spec["c0"] is None
    assert spec["nonlinearity"] == ("tanh" if kind == "RNN" else None)
    assert spec.get("reset_after") == (True if kind == "GRU" else None)


def test_layouts_and_states():
    torch.manual_seed(2)
    x = torch.randn(4, 3)
    for batch_first, batched in ((False, x.unsqueeze(1)), (True, x.unsqueeze(0))):
        lstm = torch.nn.LSTM(3, 2, batch_first=batch_first, bias=False)
        a, b = export(lstm, x), export(lstm, batched, torch.zeros(2), torch.full((1, 1, 2), 0.5))
        assert a["x"] == b["x"] and a["spec"]["bias_ih"] is None and a["spec"]["h0"] is None
        assert b["spec"]["h0"] == [0.0, 0.0] and b["spec"]["c0"] == [0.5, 0.5]


@pytest.mark.parametrize("module, error", [
    (torch.nn.LSTM(3, 2, num_layers=2), "one layer in one direction"),
    (torch.nn.GRU(3, 2, bidirectional=True), "one layer in one direction"),
    (torch.nn.LSTM(3, 4, proj_size=2), "one layer in one direction"),
    (torch.nn.Linear(3, 2), "not Linear"),
])
def test_refuses_what_it_cannot_run(module, error):
    with pytest.raises((TypeError, ValueError), match=error):
        export(module, torch.randn(4, 3))


def test_bad_inputs_are_named():
    gru = torch.nn.GRU(3, 2)
    with pytest.raises(cells.ShapeError, match=r"one sequence.*\(T, 3\) or \(T, 1, 3\).*\(4, 2, 3\)"):
        export(gru, torch.randn(4, 2, 3))  # two sequences
    with pytest.raises(cells.ShapeError, match=r"\(0, 3\)"):
        export(gru, torch.randn(0, 3))
    with pytest.raises(cells.ShapeError, match="must hold 2 numbers"):
        export(gru, torch.randn(4, 3), h0=torch.zeros(3))
    with pytest.raises(ValueError, match="no cell state"):
        export(gru, torch.randn(4, 3), c0=torch.zeros(2))
    with pytest.raises(TypeError, match="torch.Tensor"):
        export(gru, [[0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="NaN or infinity"):
        export(gru, torch.tensor([[0.0, float("nan"), 0.0]]))


def test_source_is_the_es_module():
    text = source()
    assert "export function run(spec, x, force = {})" in text
    assert "export const GATES" in text
