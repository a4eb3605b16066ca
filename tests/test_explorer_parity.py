"""cells.js, the in-page twin of gatelab.cells.run, against cells.run itself, in headless Chromium.

Random weights and inputs for every cell kind (RNN tanh and relu, LSTM, GRU in PyTorch's form
and in Cho's), sizes from one unit to sixteen, with and without biases and initial states, and
every kind of forcing cells.run takes: none, 0, 1, a value, one value per step, per unit, per step
and unit. Both sides compute in float64; every h, c and gate must agree to 1e-5 (in practice
they agree to rounding, ~1e-15). One browser for all cases; the page may load only data: URLs.
"""

from __future__ import annotations

import base64
import random

import pytest
import torch

from explorer_browser import Offline, chromium
from gatelab import cells
from gatelab.explorer import export, source

pytestmark = pytest.mark.browser

TOLERANCE = 1e-5
SIZES = [(1, 1), (3, 1), (2, 4), (5, 3), (8, 16)]  # (input_size, hidden_size)


@pytest.fixture(scope="module")
def page():
    """A blank page with cells.js imported as window.cells; every request but data: blocked."""
    for browser in chromium():
        blank = Offline(browser, None)
        blank.page.set_content("<!doctype html><meta charset='utf-8'><title>cells.js</title>")
        url = "data:text/javascript;base64," + base64.b64encode(source().encode()).decode()
        blank.page.evaluate("async (url) => { window.cells = await import(url); }", url)
        yield blank.page
        blank.close()


def _forcing(kind: str, T: int, H: int, rng: random.Random) -> dict[str, object]:
    """A random choice of gates and forcings: none, 0, 1, a value, or a schedule (a float64
    tensor shaped (T, 1), (H,), (1, H) or (T, H))."""
    force: dict[str, object] = {}
    for gate, (lo, hi) in cells.GATES[kind].items():
        how = rng.choice(["learned", "learned", "shut", "open", "value", "steps", "units", "each"])
        if how == "shut":
            force[gate] = 0.0
        elif how == "open":
            force[gate] = 1.0
        elif how == "value":  # a float32 number, which cells.run turns a Python float into
            force[gate] = float(torch.tensor(rng.uniform(lo, hi), dtype=torch.float32))
        elif how != "learned":
            shape = {"steps": (T, 1), "units": rng.choice([(H,), (1, H)]), "each": (T, H)}[how]
            force[gate] = lo + (hi - lo) * torch.rand(shape, dtype=torch.float64)
    return force


def _cases(count_per_kind: int = 12):
    """(name, cells.run trace, export, JS force, reset_after) for random modules and forcings."""
    rng = random.Random(2026)
    variants = [("RNN", "tanh"), ("RNN", "relu"), ("LSTM", None), ("GRU", None)]
    for kind, nonlinearity in variants:
        for n in range(count_per_kind):
            seed = rng.randrange(10**6)
            torch.manual_seed(seed)
            I, H = SIZES[n % len(SIZES)]
            T = rng.randint(1, 30)
            options = {"bias": n % 4 != 3, "batch_first": n % 3 == 1}
            if kind == "RNN":
                options["nonlinearity"] = nonlinearity
            module = getattr(torch.nn, kind)(I, H, **options).double()
            with torch.no_grad():  # spread the weights a little wider than the default init
                for p in module.parameters():
                    p.mul_(1 + n % 3)
            x = torch.randn(T, I, dtype=torch.float64)
            h0 = torch.randn(1, H, dtype=torch.float64) if n % 2 else None
            c0 = torch.randn(1, H, dtype=torch.float64) if kind == "LSTM" and n % 4 in (1, 2) else None
            if kind == "LSTM":
                state = None if h0 is None and c0 is None else (
                    h0 if h0 is not None else torch.zeros(1, H, dtype=torch.float64),
                    c0 if c0 is not None else torch.zeros(1, H, dtype=torch.float64))
            else:
                state = h0
            force = {} if kind == "RNN" or n == 0 else _forcing(kind, T, H, rng)
            reset_after = not (kind == "GRU" and n % 5 == 4)
            with torch.no_grad():
                trace = cells.run(module, x, state, force=force, reset_after=reset_after)
            # the export sees the other layouts it accepts: (T, 1, I) or (1, T, I), (H,), (1, 1, H)
            x_in = x.unsqueeze(0 if module.batch_first else 1) if n % 2 else x
            exported = export(module, x_in, None if h0 is None else h0.reshape(H),
                              None if c0 is None else c0.reshape(1, 1, H))
            if not reset_after:
                exported["spec"]["reset_after"] = False
            js_force = {g: v.tolist() if isinstance(v, torch.Tensor) else v for g, v in force.items()}
            name = f"{kind}{'/' + nonlinearity if nonlinearity else ''} I={I} H={H} T={T} " \
                   f"seed={seed} force={sorted(force)}{'' if reset_after else ' Cho'}"
            yield name, trace, exported, js_force


def _difference(trace: cells.Trace, result: dict) -> float:
    """The largest |cells.run − cells.js| over h, c and every gate of one run."""
    pairs = [(trace.h, result["h"])]
    if trace.c is None:
        assert result["c"] is None
    else:
        pairs.append((trace.c, result["c"]))
    assert sorted(result["gates"]) == sorted(trace.gates)
    pairs += [(trace.gates[g], result["gates"][g]) for g in trace.gates]
    worst = 0.0
    for reference, js in pairs:
        js = torch.tensor(js, dtype=torch.float64)
        assert js.shape == reference.shape
        worst = max(worst, (js - reference).abs().max().item())
    return worst


def test_cells_js_equals_cells_run(page):
    cases = list(_cases())
    results = page.evaluate(
        "(cases) => cases.map(c => window.cells.run(c.spec, c.x, c.force))",
        [{"spec": e["spec"], "x": e["x"], "force": f} for _name, _trace, e, f in cases])
    differences = {name: _difference(trace, result)
                   for (name, trace, _e, _f), result in zip(cases, results, strict=True)}
    worst = max(differences, key=differences.get)
    print(f"\ncells.js vs cells.run over {len(cases)} runs: max |difference| = "
          f"{differences[worst]:.3g} ({worst})")
    bad = {name: d for name, d in differences.items() if not d <= TOLERANCE}
    assert not bad, f"cells.js differs from cells.run by more than {TOLERANCE}: {bad}"
    # the random choice did exercise forcing, in most of the gated runs
    assert sum("force=[]" not in name for name in differences) >= 15


def test_forced_gate_replaces_activation(page):
    """A forced gate shows its value in the trace, and a shut forget gate erases the memory."""
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(2, 3).double()
    exported = export(lstm, torch.randn(5, 2, dtype=torch.float64), c0=torch.ones(3))
    result = page.evaluate("(e) => window.cells.run(e.spec, e.x, {f: 0, i: 0})", exported)
    assert result["gates"]["f"] == [[0.0] * 3] * 5
    assert result["c"] == [[0.0] * 3] * 5 and result["h"] == [[0.0] * 3] * 5
    steps = [[0.25 * t] for t in range(5)]  # one value per step, as (T, 1)
    result = page.evaluate("([e, s]) => window.cells.run(e.spec, e.x, {o: s})", [exported, steps])
    assert result["gates"]["o"] == [[0.25 * t] * 3 for t in range(5)]


@pytest.mark.parametrize("kind, force, message", [
    ("RNN", {"f": 1}, "A plain RNN has no gates to force"),
    ("LSTM", {"z": 1}, "LSTM has no gate 'z'. Gates you can force: i ∈ [0, 1], f ∈ [0, 1], "
                       "g ∈ [-1, 1], o ∈ [0, 1]"),
    ("LSTM", {"f": 1.5}, "Gate 'f' of LSTM takes values in [0, 1]"),
    ("GRU", {"n": -2}, "Gate 'n' of GRU takes values in [-1, 1]"),
    ("GRU", {"r": [0.5, 0.5]}, "does not broadcast to the trace's shape (4, 3)"),
    ("GRU", {"z": [[[0.5]]]}, "has 3 dimensions"),
])
def test_bad_forcing_is_named(page, kind, force, message):
    torch.manual_seed(0)
    exported = export(getattr(torch.nn, kind)(2, 3), torch.randn(4, 2))
    error = page.evaluate("""([e, force]) => {
        try { window.cells.run(e.spec, e.x, force); return null; } catch (err) { return err.message; }
    }""", [exported, force])
    assert error is not None and message in error
