"""Re-run a trained ``torch.nn`` recurrent layer step by step, exposing every gate.

The learner trains an ordinary ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``; :func:`run` takes the same
weights and repeats the computation one time step at a time in plain tensor code, so every gate
can be looked at and, with ``force``, overridden. With nothing forced the result equals the
module's own output (tested to 1e-6 in float32 and 1e-12 in float64).

The equations follow PyTorch's documentation exactly (parameter names ``weight_ih``,
``weight_hh``, ``bias_ih``, ``bias_hh``; gate blocks stacked in PyTorch's order):

* Elman (1990) RNN, ``nn.RNN``:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
* LSTM, Hochreiter & Schmidhuber (1997) with the forget gate of Gers et al. (2000), ``nn.LSTM``
* GRU, Cho et al. (2014) in PyTorch's variant, ``nn.GRU`` (the reset gate acts *after* W_hn h)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .i18n import _

#: the gates of each cell kind, in PyTorch's block order, with the range of their activation
GATES: dict[str, dict[str, tuple[float, float]]] = {
    "RNN": {},
    "LSTM": {"i": (0.0, 1.0), "f": (0.0, 1.0), "g": (-1.0, 1.0), "o": (0.0, 1.0)},
    "GRU": {"r": (0.0, 1.0), "z": (0.0, 1.0), "n": (-1.0, 1.0)},
}


class ShapeError(ValueError):
    """An input or a state whose shape the module cannot take; the message names the right one."""


class DtypeError(TypeError):
    """An input of a dtype the module does not compute with; the message names the conversion."""


@dataclass
class Trace:
    """Everything one run computed, laid out like ``module(x)[0]``: (T, B, H), or (B, T, H)
    with ``batch_first=True``, or (T, H) for an unbatched input."""

    h: Tensor  # hidden state after every step
    c: Tensor | None  # LSTM cell state after every step; None for RNN and GRU
    gates: dict[str, Tensor]  # gate activations by PyTorch's names (LSTM i f g o, GRU r z n)
    state: Tensor | tuple[Tensor, Tensor]  # final state as the module returns it: h_n or (h_n, c_n)


# --- one time step of each cell ------------------------------------------------------------


def rnn_cell(x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor,
             bias_ih: Tensor | None, bias_hh: Tensor | None, nonlinearity: str = "tanh") -> Tensor:
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh)        x: (B, I), h: (B, H) -> (B, H)"""
    z = _linear(x, weight_ih, bias_ih) + _linear(h, weight_hh, bias_hh)
    return torch.tanh(z) if nonlinearity == "tanh" else torch.relu(z)


def lstm_cell(x: Tensor, h: Tensor, c: Tensor, weight_ih: Tensor, weight_hh: Tensor,
              bias_ih: Tensor | None, bias_hh: Tensor | None,
              force: Mapping[str, Tensor] | None = None) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
    """One LSTM step, with any gate replaced by a forced value.

        i = σ(W_ii x + b_ii + W_hi h + b_hi)     input gate: how much of g to write
        f = σ(W_if x + b_if + W_hf h + b_hf)     forget gate: how much of c to keep
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)  candidate: what could be written
        o = σ(W_io x + b_io + W_ho h + b_ho)     output gate: how much of c to show
        c' = f ⊙ c + i ⊙ g
        h' = o ⊙ tanh(c')
    """
    z = _linear(x, weight_ih, bias_ih) + _linear(h, weight_hh, bias_hh)  # (B, 4H)
    zi, zf, zg, zo = z.chunk(4, -1)
    gates = {"i": torch.sigmoid(zi), "f": torch.sigmoid(zf), "g": torch.tanh(zg),
             "o": torch.sigmoid(zo)}
    gates.update(force or {})
    i, f, g, o = (gates[k].expand_as(zi) for k in "ifgo")
    c = f * c + i * g
    h = o * torch.tanh(c)
    return h, c, {k: gates[k].expand_as(zi) for k in "ifgo"}


def gru_cell(x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor,
             bias_ih: Tensor | None, bias_hh: Tensor | None,
             force: Mapping[str, Tensor] | None = None,
             reset_after: bool = True) -> tuple[Tensor, dict[str, Tensor]]:
    """One GRU step in PyTorch's form, with any gate replaced by a forced value.

        r = σ(W_ir x + b_ir + W_hr h + b_hr)            reset gate
        z = σ(W_iz x + b_iz + W_hz h + b_hz)            update gate
        n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   candidate
        h' = (1 − z) ⊙ n + z ⊙ h

    Cho et al. (2014) put the reset gate inside the product, before the weights:
    n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn). PyTorch (like cuDNN) applies it after them.
    The two are different functions of the same weights; ``reset_after=False`` computes Cho's
    (the name Keras uses for the same choice).
    """
    gi = _linear(x, weight_ih, bias_ih)  # (B, 3H)
    gh = _linear(h, weight_hh, bias_hh)  # (B, 3H)
    i_r, i_z, i_n = gi.chunk(3, -1)
    h_r, h_z, h_n = gh.chunk(3, -1)
    force = force or {}
    r = force["r"].expand_as(i_r) if "r" in force else torch.sigmoid(i_r + h_r)
    z = force["z"].expand_as(i_z) if "z" in force else torch.sigmoid(i_z + h_z)
    if reset_after:  # PyTorch: r ⊙ (W_hn h + b_hn)
        past = r * h_n
    else:  # Cho et al.: W_hn (r ⊙ h) + b_hn
        H = h.shape[-1]
        past = _linear(r * h, weight_hh[2 * H:], None if bias_hh is None else bias_hh[2 * H:])
    n = force["n"].expand_as(i_n) if "n" in force else torch.tanh(i_n + past)
    h = (1 - z) * n + z * h
    return h, {"r": r, "z": z, "n": n}


def _linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    return x @ weight.T if bias is None else x @ weight.T + bias


# --- the whole sequence ---------------------------------------------------------------------


def kind_of(module: nn.Module) -> str:
    """'RNN', 'LSTM' or 'GRU' for a module :func:`run` can explain; ValueError otherwise."""
    for cls in (nn.LSTM, nn.GRU, nn.RNN):
        if isinstance(module, cls):
            kind = cls.__name__
            break
    else:
        raise TypeError(_("cells.run explains torch.nn.RNN, nn.LSTM or nn.GRU modules, "
                          "not {name}.").format(name=type(module).__name__))
    if module.num_layers != 1 or module.bidirectional or getattr(module, "proj_size", 0):
        raise ValueError(_("cells.run explains one layer in one direction: build the module "
                           "with num_layers=1, bidirectional=False (and proj_size=0), or pass "
                           "one of its layers separately."))
    return kind


def run(module: nn.Module, x: Tensor, state: Tensor | tuple[Tensor, Tensor] | None = None,
        force: Mapping[str, float | Tensor] | None = None, reset_after: bool = True) -> Trace:
    """Run ``module`` over ``x`` one step at a time and return a :class:`Trace`.

    ``x`` and ``state`` are what the module itself takes (``batch_first`` is honoured; ``state``
    is ``h0`` for RNN and GRU, ``(h0, c0)`` for LSTM; zeros when omitted). ``force`` maps a
    gate name to the value that replaces that gate's activation at every step: a number, or a
    tensor that broadcasts to the trace's layout (e.g. (T, 1, 1) for a per-step schedule).
    For a GRU, ``reset_after=False`` runs the same weights in Cho et al.'s (2014) form instead of
    PyTorch's (see :func:`gru_cell`); the result then differs from the module's.
    """
    kind, xs, h0, c0, forced = _prepare(module, x, state, force)
    if not reset_after and kind != "GRU":
        raise ValueError(_("reset_after=False chooses Cho et al.'s form of the GRU; {kind} has "
                           "no reset gate.").format(kind=kind))
    hs, cs, gate_steps = _unroll(kind, module, xs, h0, c0, forced, reset_after)
    unbatched = x.dim() == 2

    def layout(steps: list[Tensor]) -> Tensor:  # T tensors (B, H) -> the module's output layout
        y = torch.stack(steps)  # (T, B, H)
        if unbatched:
            return y.squeeze(1)  # (T, H)
        return y.transpose(0, 1) if module.batch_first else y

    def final(steps: list[Tensor]) -> Tensor:  # (1, B, H), or (1, H) unbatched, like the module
        return steps[-1].unsqueeze(0) if not unbatched else steps[-1]

    if kind == "LSTM":
        return Trace(h=layout(hs), c=layout(cs), gates={k: layout(v) for k, v in gate_steps.items()},
                     state=(final(hs), final(cs)))
    return Trace(h=layout(hs), c=None, gates={k: layout(v) for k, v in gate_steps.items()},
                 state=final(hs))


def gradient_norms(module: nn.Module, x: Tensor, state=None,
                   force: Mapping[str, float | Tensor] | None = None) -> Tensor:
    """‖∂h_T/∂h_t‖ for every step t = 1 … T: how much the last hidden state still depends on h_t.

    The Frobenius norm of the Jacobian of h_T with respect to h_t, averaged over the batch
    (samples do not interact, so one backward pass per hidden unit gives every sample's row).
    Returns (T,); the last entry is √H, since h_T depends on itself as the identity.
    A curve that falls like a cliff towards small t is the vanishing gradient.
    """
    with torch.enable_grad():
        kind, xs, h0, c0, forced = _prepare(module, x, state, force)
        hs, _cs, _gates = _unroll(kind, module, xs, h0.detach().requires_grad_(True), c0, forced)
        T, B = xs.shape[:2]
        squared = xs.new_zeros(T, B)
        for k in range(module.hidden_size):
            grads = torch.autograd.grad(hs[-1][:, k].sum(), hs, retain_graph=True)
            squared += torch.stack([(g.detach() ** 2).sum(-1) for g in grads])  # (T, B)
    return squared.sqrt().mean(1)


def _prepare(module: nn.Module, x: Tensor, state, force):
    """Check the arguments and make everything time-major: xs (T, B, I), h0 and c0 (B, H)."""
    kind = kind_of(module)
    _check_input(kind, module, x)
    checked = _check_force(kind, force)
    unbatched = x.dim() == 2
    xs = x.unsqueeze(1) if unbatched else (x.transpose(0, 1) if module.batch_first else x)
    T, B = xs.shape[:2]
    H = module.hidden_size
    h0, c0 = _initial_state(kind, state, B, H, xs, unbatched)
    out_shape = (T, H) if unbatched else ((B, T, H) if module.batch_first else (T, B, H))
    forced = {}
    for gate, v in checked.items():
        v = v.to(dtype=xs.dtype, device=xs.device)
        if v.dim() == 0:
            forced[gate] = v
            continue
        try:
            v = torch.broadcast_to(v, out_shape)
        except RuntimeError:
            raise ValueError(_("The forced value for gate '{gate}' has shape {shape}, which does "
                               "not broadcast to the trace's shape {target}. Use a number, or a "
                               "tensor such as shape (T, 1, 1) for one value per step.")
                             .format(gate=gate, shape=tuple(v.shape), target=out_shape)) from None
        forced[gate] = v.unsqueeze(1) if unbatched else (v.transpose(0, 1) if module.batch_first else v)
    return kind, xs, h0, c0, forced


def _unroll(kind: str, module: nn.Module, xs: Tensor, h: Tensor, c: Tensor | None,
            forced: dict[str, Tensor], reset_after: bool = True):
    """The loop over time. Returns lists of T tensors (B, H): h, c (LSTM) and each gate."""
    w = (module.weight_ih_l0, module.weight_hh_l0,
         module.bias_ih_l0 if module.bias else None, module.bias_hh_l0 if module.bias else None)
    hs, cs, gate_steps = [], [], {k: [] for k in GATES[kind]}
    for t in range(xs.shape[0]):
        force_t = {k: v if v.dim() == 0 else v[t] for k, v in forced.items()}
        if kind == "RNN":
            h, gates = rnn_cell(xs[t], h, *w, module.nonlinearity), {}
        elif kind == "LSTM":
            h, c, gates = lstm_cell(xs[t], h, c, *w, force_t)
            cs.append(c)
        else:
            h, gates = gru_cell(xs[t], h, *w, force_t, reset_after)
        hs.append(h)
        for k, v in gates.items():
            gate_steps[k].append(v)
    return hs, cs, gate_steps


def _initial_state(kind: str, state, B: int, H: int, xs: Tensor, unbatched: bool = False):
    """h0 and c0 as (B, H); zeros where not given. ``state`` is what the module takes."""
    if state is None:
        zeros = xs.new_zeros(B, H)
        return zeros, (zeros if kind == "LSTM" else None)
    expected = (1, H) if unbatched else (1, B, H)

    def checked(name: str, tensor) -> Tensor:  # (B, H)
        if not isinstance(tensor, Tensor) or tensor.numel() != B * H:
            got = tuple(tensor.shape) if isinstance(tensor, Tensor) else type(tensor).__name__
            raise ShapeError(_("The state {name} of this {kind} must be shaped {expected} for "
                               "this input; got {got}.")
                             .format(name=name, kind=kind, expected=expected, got=got))
        return tensor.reshape(B, H)

    if kind == "LSTM":
        if not isinstance(state, tuple | list) or len(state) != 2:
            raise ValueError(_("An LSTM's state is a pair (h0, c0), each shaped "
                               "(1, batch, hidden)."))
        h0, c0 = state
        return checked("h0", h0), checked("c0", c0)
    if isinstance(state, tuple | list):
        raise ValueError(_("{kind} takes one state tensor h0, shaped (1, batch, hidden), "
                           "not a tuple.").format(kind=kind))
    return checked("h0", state), None


#: the conversion that gives a tensor each floating-point dtype
_CONVERSIONS = {torch.float32: ".float()", torch.float64: ".double()", torch.float16: ".half()",
                torch.bfloat16: ".bfloat16()"}


def _check_input(kind: str, module: nn.Module, x) -> None:
    """The learner's usual mistakes with an input, each named with its fix instead of the raw
    error torch would raise from deep inside the loop: not a tensor, a dtype the weights do not
    compute with, a wrong number of dimensions or features, no time steps."""
    n = module.input_size
    if module.batch_first:
        layouts = {"batched": f"(B, T, {n})", "single": f"(T, {n})",
                   "order": _("batch, time steps, input features")}
    else:
        layouts = {"batched": f"(T, B, {n})", "single": f"(T, {n})",
                   "order": _("time steps, batch, input features")}
    if not isinstance(x, Tensor):
        raise TypeError(_("The input must be a torch.Tensor, as for the module itself; got "
                          "{type}. Make one with torch.tensor(…, dtype=torch.float32).")
                        .format(type=type(x).__name__))
    dtype = module.weight_ih_l0.dtype
    if x.dtype != dtype:
        fix = _CONVERSIONS.get(dtype, f".to({dtype})")
        raise DtypeError(_("The input holds {got} numbers, but this {kind} computes with "
                           "{dtype}: convert it first with x{fix}.")
                         .format(got=x.dtype, kind=kind, dtype=dtype, fix=fix))
    if x.dim() not in (2, 3) or x.shape[-1] != n:
        raise ShapeError(_("This {kind} expects inputs shaped {batched} or {single}: {order}; "
                           "got {shape}.").format(kind=kind, shape=tuple(x.shape), **layouts))
    if x.numel() == 0:
        raise ShapeError(_("The input of shape {shape} is empty: this {kind} needs at least one "
                           "time step and one sequence, shaped {batched} or {single}.")
                         .format(kind=kind, shape=tuple(x.shape), **layouts))


def _check_force(kind: str, force: Mapping[str, float | Tensor] | None) -> dict[str, Tensor]:
    """Validate ``force`` and turn every value into a tensor; ValueError names what is valid."""
    if not force:
        return {}
    if not isinstance(force, Mapping):
        raise TypeError(_("force maps gate names to values, for example {example}; got {type}.")
                        .format(example='force={"f": 0.0}', type=type(force).__name__))
    valid = GATES[kind]
    if not valid:
        raise ValueError(_("A plain RNN has no gates to force; use an nn.LSTM or nn.GRU."))
    ranges = ", ".join(f"{g} ∈ [{lo:g}, {hi:g}]" for g, (lo, hi) in valid.items())
    checked = {}
    for gate, value in force.items():
        if gate not in valid:
            raise ValueError(_("{kind} has no gate '{gate}'. Gates you can force: {ranges}.")
                             .format(kind=kind, gate=gate, ranges=ranges))
        lo, hi = valid[gate]
        message = _("Gate '{gate}' of {kind} takes values in [{lo:g}, {hi:g}]; got {value}. "
                    "Gates you can force: {ranges}.")
        try:
            v = value if isinstance(value, Tensor) else torch.as_tensor(
                value, dtype=torch.get_default_dtype())
        except (TypeError, ValueError, RuntimeError):
            raise ValueError(message.format(gate=gate, kind=kind, lo=lo, hi=hi,
                                            value=repr(value), ranges=ranges)) from None
        if v.numel() == 0 or torch.isnan(v).any() or v.min() < lo or v.max() > hi:
            shown = f"{v.item():g}" if v.numel() == 1 else f"{v.min().item():g} … {v.max().item():g}"
            raise ValueError(message.format(gate=gate, kind=kind, lo=lo, hi=hi,
                                            value=shown if v.numel() else "[]", ranges=ranges))
        checked[gate] = v
    return checked
