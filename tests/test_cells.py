"""gatelab.cells against torch.nn: the step-by-step run is the same function (the STYLE habit of
testing our own math against the reference implementation, same inputs, allclose)."""

import itertools

import pytest
import torch
from torch import nn

from gatelab import cells

KINDS = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


def make(kind, I, H, batch_first=False, bias=True, dtype=torch.float32, **kwargs):
    return KINDS[kind](I, H, batch_first=batch_first, bias=bias, **kwargs).to(dtype)


def random_state(kind, B, H, dtype, gen):
    h0 = torch.randn(1, B, H, generator=gen, dtype=dtype)
    if kind == "LSTM":
        return h0, torch.randn(1, B, H, generator=gen, dtype=dtype)
    return h0


CASES = list(itertools.product(["RNN", "LSTM", "GRU"], [False, True], [False, True],
                               [torch.float32, torch.float64]))


@pytest.mark.parametrize(("kind", "batch_first", "given_state", "dtype"), CASES)
def test_unforced_run_equals_torch(kind, batch_first, given_state, dtype):
    gen = torch.Generator().manual_seed(hash((kind, batch_first, given_state)) % 2**31)
    tol = 1e-6 if dtype == torch.float32 else 1e-12
    for _ in range(6):  # random sizes
        T, B, I, H = (int(torch.randint(1, n, (1,), generator=gen)) for n in (9, 5, 6, 7))
        bias = bool(torch.randint(0, 2, (1,), generator=gen))
        torch.manual_seed(int(torch.randint(0, 10_000, (1,), generator=gen)))
        module = make(kind, I, H, batch_first, bias, dtype)
        shape = (B, T, I) if batch_first else (T, B, I)
        x = torch.randn(*shape, generator=gen, dtype=dtype)
        state = random_state(kind, B, H, dtype, gen) if given_state else None
        with torch.no_grad():
            out, final = module(x, state)
            trace = cells.run(module, x, state)
        assert trace.h.shape == out.shape
        assert (trace.h - out).abs().max() <= tol
        if kind == "LSTM":
            assert (trace.state[0] - final[0]).abs().max() <= tol
            assert (trace.state[1] - final[1]).abs().max() <= tol
            assert trace.c.shape == out.shape
            assert set(trace.gates) == {"i", "f", "g", "o"}
        else:
            assert (trace.state - final).abs().max() <= tol
            assert trace.c is None
        for gate in trace.gates.values():
            assert gate.shape == out.shape


def test_relu_rnn_and_unbatched_input():
    torch.manual_seed(0)
    for module in (nn.RNN(3, 4, nonlinearity="relu"), nn.LSTM(3, 4), nn.GRU(3, 4)):
        x = torch.randn(5, 3)  # unbatched (T, I)
        with torch.no_grad():
            out, _ = module(x)
            trace = cells.run(module, x)
        assert trace.h.shape == out.shape == (5, 4)
        assert torch.allclose(trace.h, out, atol=1e-6)


def test_lstm_gates_are_pytorch_gates():
    """The i, f, g, o blocks really are PyTorch's: c[t] = f c[t-1] + i g and h = o tanh(c)."""
    torch.manual_seed(1)
    lstm = nn.LSTM(2, 3)
    trace = cells.run(lstm, torch.randn(6, 2, 2))
    g = trace.gates
    c_prev = torch.cat([torch.zeros(1, 2, 3), trace.c[:-1]])
    assert torch.allclose(trace.c, g["f"] * c_prev + g["i"] * g["g"], atol=1e-6)
    assert torch.allclose(trace.h, g["o"] * torch.tanh(trace.c), atol=1e-6)
    assert ((g["i"] > 0) & (g["i"] < 1)).all() and ((g["g"] > -1) & (g["g"] < 1)).all()


def test_forcing_lstm_gates():
    torch.manual_seed(2)
    lstm = nn.LSTM(2, 3)
    x = torch.randn(8, 4, 2)
    c0 = torch.randn(1, 4, 3)
    state = (torch.zeros(1, 4, 3), c0)
    keep = cells.run(lstm, x, state, force={"f": 1.0, "i": 0.0})  # keep memory
    assert torch.allclose(keep.c, c0.expand(8, 4, 3))
    reset = cells.run(lstm, x, state, force={"f": 0.0, "i": 0.0})  # reset memory
    assert reset.c.abs().max() == 0 and reset.h.abs().max() == 0
    shut = cells.run(lstm, x, force={"o": 0.0})  # output off: memory hidden
    assert shut.h.abs().max() == 0 and shut.c.abs().max() > 0
    wipe = cells.run(lstm, x, force={"f": 0.0})  # forget every step: c = i g
    assert torch.allclose(wipe.c, wipe.gates["i"] * wipe.gates["g"])
    assert (wipe.gates["f"] == 0).all() and wipe.gates["f"].shape == (8, 4, 3)


def test_forcing_with_a_schedule_and_batch_first():
    torch.manual_seed(3)
    lstm = nn.LSTM(2, 3, batch_first=True)
    x = torch.randn(4, 6, 2)  # (B, T, I)
    schedule = torch.tensor([1.0, 1.0, 0.0, 1.0, 1.0, 1.0]).reshape(1, 6, 1)  # forget at step 3
    trace = cells.run(lstm, x, force={"f": schedule})
    assert torch.equal(trace.gates["f"][:, 2], torch.zeros(4, 3))
    assert torch.allclose(trace.c[:, 2], (trace.gates["i"] * trace.gates["g"])[:, 2])


def test_forcing_gru_gates():
    torch.manual_seed(4)
    gru = nn.GRU(2, 3)
    x = torch.randn(7, 2, 2)
    h0 = torch.randn(1, 2, 3)
    frozen = cells.run(gru, x, h0, force={"z": 1.0})  # freeze: h never changes
    assert torch.allclose(frozen.h, h0.expand(7, 2, 3))
    overwrite = cells.run(gru, x, h0, force={"z": 0.0})  # overwrite: h = n
    assert torch.allclose(overwrite.h, overwrite.gates["n"])
    ignore = cells.run(gru, x, h0, force={"r": 0.0})  # the past cannot enter the candidate
    b_in, b_hn = gru.bias_ih_l0[6:], gru.bias_hh_l0[6:]
    expected_n = torch.tanh(x @ gru.weight_ih_l0[6:].T + b_in + 0 * b_hn)
    assert torch.allclose(ignore.gates["n"], expected_n, atol=1e-6)


def test_gru_is_not_chos_form():
    """PyTorch's GRU applies r after W_hn h; Cho et al. (2014) apply it before. They differ."""
    torch.manual_seed(5)
    gru = nn.GRU(2, 3)
    x, h = torch.randn(1, 2), torch.randn(1, 3)
    w_in, w_hn = gru.weight_ih_l0[6:], gru.weight_hh_l0[6:]
    b_in, b_hn = gru.bias_ih_l0[6:], gru.bias_hh_l0[6:]
    weights = (gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0)
    _, gates = cells.gru_cell(x, h, *weights)
    _, cho = cells.gru_cell(x, h, *weights, reset_after=False)
    cho_n = torch.tanh(x @ w_in.T + b_in + (gates["r"] * h) @ w_hn.T + b_hn)
    torch.testing.assert_close(cho["n"], cho_n)
    torch.testing.assert_close(cho["r"], gates["r"])
    assert not torch.allclose(gates["n"], cho_n, atol=1e-4)


def test_run_in_chos_form_differs_from_the_module():
    torch.manual_seed(6)
    gru = nn.GRU(2, 3)
    x = torch.randn(7, 2, 2)
    out, _ = gru(x)
    assert (cells.run(gru, x).h - out).abs().max() < 1e-6
    assert (cells.run(gru, x, reset_after=False).h - out).abs().max() > 1e-3
    with pytest.raises(ValueError, match="Cho"):
        cells.run(nn.LSTM(2, 3), x, reset_after=False)


@pytest.mark.parametrize(("module", "force", "message"), [
    (nn.LSTM(2, 3), {"x": 0.5}, "no gate 'x'.*i ∈ \\[0, 1\\].*g ∈ \\[-1, 1\\]"),
    (nn.LSTM(2, 3), {"f": 1.5}, "'f'.*\\[0, 1\\].*1.5"),
    (nn.LSTM(2, 3), {"g": -2}, "'g'.*\\[-1, 1\\]"),
    (nn.LSTM(2, 3), {"f": float("nan")}, "'f'"),
    (nn.LSTM(2, 3), {"f": "open"}, "'open'"),
    (nn.GRU(2, 3), {"f": 0.0}, "GRU has no gate 'f'.*r ∈.*z ∈.*n ∈"),
    (nn.GRU(2, 3), {"z": torch.tensor([0.2, 1.2])}, "'z'.*0.2 … 1.2"),
    (nn.RNN(2, 3), {"f": 0.0}, "no gates to force"),
    (nn.LSTM(2, 3), {"f": torch.ones(5, 5, 5)}, "does not broadcast"),
])
def test_invalid_force_names_valid_gates(module, force, message):
    with pytest.raises(ValueError, match=message):
        cells.run(module, torch.randn(4, 2, 2), force=force)


def test_modules_it_cannot_explain():
    with pytest.raises(ValueError, match="num_layers=1"):
        cells.run(nn.LSTM(2, 3, num_layers=2), torch.randn(4, 1, 2))
    with pytest.raises(ValueError, match="bidirectional=False"):
        cells.run(nn.GRU(2, 3, bidirectional=True), torch.randn(4, 1, 2))
    with pytest.raises(TypeError, match="Linear"):
        cells.run(nn.Linear(2, 3), torch.randn(4, 1, 2))
    with pytest.raises(ValueError, match="pair"):
        cells.run(nn.LSTM(2, 3), torch.randn(4, 1, 2), state=torch.zeros(1, 1, 3))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_gradient_norms_match_the_jacobian(kind):
    torch.manual_seed(6)
    module = make(kind, 2, 3, dtype=torch.float64)
    x = torch.randn(5, 2, 2, dtype=torch.float64)
    norms = cells.gradient_norms(module, x)
    assert norms.shape == (5,)
    assert torch.isclose(norms[-1], torch.tensor(3.0, dtype=torch.float64).sqrt())
    # reference: the Jacobian of h_T with respect to h_t, re-running the module from step t
    with torch.no_grad():
        trace = cells.run(module, x)
    for t in range(4):  # h_t is trace.h[t]; steps t+1 .. T-1 follow
        state_c = trace.c[t] if kind == "LSTM" else None

        def h_last(h, t=t, state_c=state_c):
            state = (h.unsqueeze(0), state_c.unsqueeze(0)) if kind == "LSTM" else h.unsqueeze(0)
            return module(x[t + 1:], state)[0][-1]

        jac = torch.autograd.functional.jacobian(h_last, trace.h[t])  # (B, H, B, H)
        per_sample = [jac[b, :, b, :].norm() for b in range(2)]
        assert torch.isclose(norms[t], torch.stack(per_sample).mean(), rtol=1e-9)


def test_forget_gate_open_keeps_the_gradient():
    """The constant error carousel: with f forced to 1 the gradient does not vanish."""
    torch.manual_seed(7)
    lstm = nn.LSTM(1, 8)
    x = torch.randn(80, 4, 1)
    learned = cells.gradient_norms(lstm, x)
    carousel = cells.gradient_norms(lstm, x, force={"f": 1.0})
    assert carousel[0] > 100 * learned[0]


# --- the learner's usual mistakes: a clear message instead of torch's -----------------------

MISTAKES = [  # module, input, error, what the message must say
    (lambda: nn.LSTM(3, 4), torch.randn(6, 2, 7), cells.ShapeError,
     r"LSTM expects inputs shaped \(T, B, 3\) or \(T, 3\): time steps, batch.*got \(6, 2, 7\)"),
    (lambda: nn.GRU(3, 4, batch_first=True), torch.randn(2, 6, 7), cells.ShapeError,
     r"\(B, T, 3\) or \(T, 3\): batch, time steps.*got \(2, 6, 7\)"),
    (lambda: nn.LSTM(3, 4), torch.randn(6, 2, 3, 1), cells.ShapeError, r"got \(6, 2, 3, 1\)"),
    (lambda: nn.RNN(3, 4), torch.randn(6), cells.ShapeError, r"\(T, B, 3\).*got \(6,\)"),
    (lambda: nn.RNN(3, 4), torch.ones(6, 2, 3, dtype=torch.long), cells.DtypeError,
     r"torch\.int64.*torch\.float32.*x\.float\(\)"),
    (lambda: nn.GRU(3, 4).double(), torch.randn(6, 2, 3), cells.DtypeError,
     r"torch\.float32.*torch\.float64.*x\.double\(\)"),
    (lambda: nn.LSTM(3, 4), torch.randn(0, 2, 3), cells.ShapeError,
     r"\(0, 2, 3\) is empty.*\(T, B, 3\)"),
    (lambda: nn.GRU(3, 4, batch_first=True), torch.randn(2, 0, 3), cells.ShapeError,
     r"\(2, 0, 3\) is empty.*\(B, T, 3\)"),
    (lambda: nn.LSTM(3, 4), [[0.0, 1.0, 0.0]], TypeError, r"torch\.Tensor.*got list"),
]


@pytest.mark.parametrize("explain", [cells.run, cells.gradient_norms])
@pytest.mark.parametrize(("module", "x", "error", "message"), MISTAKES)
def test_usual_input_mistakes_get_a_clear_message(explain, module, x, error, message):
    with pytest.raises(error, match=message) as raised:
        explain(module(), x)
    assert isinstance(raised.value, ValueError | TypeError)
    assert "mat1" not in str(raised.value) and "TensorList" not in str(raised.value)


@pytest.mark.parametrize(("module", "x", "error", "message"), MISTAKES)
def test_input_mistakes_are_told_in_the_learners_language(monkeypatch, module, x, error, message):
    monkeypatch.setattr(cells, "_", lambda text: f"«{text}»")  # what the catalog would return
    with pytest.raises(error, match="^«"):
        cells.run(module(), x)


def test_a_state_of_the_wrong_shape_names_the_right_one():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(cells.ShapeError, match=r"c0 .*\(1, 2, 4\).*got \(1, 3, 4\)"):
        cells.run(lstm, torch.randn(5, 2, 3), state=(torch.zeros(1, 2, 4), torch.zeros(1, 3, 4)))
    with pytest.raises(cells.ShapeError, match=r"h0 .*\(1, 4\)"):
        cells.run(nn.GRU(3, 4), torch.randn(5, 3), state=torch.zeros(1, 5))
    trace = cells.run(nn.GRU(3, 4), torch.randn(5, 3), state=torch.zeros(1, 4))  # unbatched
    assert trace.h.shape == (5, 4)


def test_force_must_map_gate_names_to_values():
    with pytest.raises(TypeError, match=r'force=\{"f": 0.0\}.*got tuple'):
        cells.run(nn.LSTM(3, 4), torch.randn(5, 2, 3), force=("f", 0.0))
    with pytest.raises(ValueError, match="no gate 'F'"):  # names are PyTorch's, lower case
        cells.gradient_norms(nn.LSTM(3, 4), torch.randn(5, 2, 3), force={"F": 0.0})
    with pytest.raises(ValueError, match=r"'f'.*\[0, 1\].*-0.5"):
        cells.gradient_norms(nn.LSTM(3, 4), torch.randn(5, 2, 3), force={"f": -0.5})
