"""A ``torch.nn`` RNN, LSTM or GRU and one input sequence, as the plain numbers ``cells.js`` runs.

``export(module, x)`` gives ``{"spec": …, "x": …}``, JSON-able (lists of Python floats, float64),
for ``run(spec, x, force)`` in ``cells.js``; its result equals :func:`gatelab.cells.run` on the
same module and input (``tests/test_explorer_parity.py``).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from .. import cells
from ..i18n import _


def source() -> str:
    """The text of ``cells.js``, the ES module that steps the cells in the page."""
    return (resources.files(__package__) / "cells.js").read_text(encoding="utf-8")


def shortest(tensor: Tensor) -> list:
    """A float32 tensor as nested lists of Python floats printed in float32's shortest repr
    (0.1, not 0.10000000149011612): what the page needs, half the characters. Each number reads
    back as the same float32; in float64 it is within half a float32 step of it."""
    values = tensor.detach().cpu().to(torch.float32).numpy()
    flat = [float(str(v)) for v in values.ravel()]  # str(np.float32) is its shortest repr
    return np.asarray(flat, dtype=np.float64).reshape(values.shape).tolist()


def export(module: nn.Module, x: Tensor, h0: Tensor | None = None,
           c0: Tensor | None = None, compact: bool = False) -> dict[str, Any]:
    """``{"spec": {...}, "x": [[...]]}`` for ``run(spec, x, force)`` in ``cells.js``.

    ``module`` is a single-layer, one-direction ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``; ``x`` one
    sequence, shaped (T, I), or (T, 1, I) — (1, T, I) with ``batch_first=True``. ``h0`` and ``c0``
    (LSTM only) hold the H numbers of the initial state in any shape, e.g. (H,), (1, H) or
    (1, 1, H); zeros when omitted. The spec carries PyTorch's parameters under their own names,
    gate blocks in PyTorch's order (LSTM i, f, g, o; GRU r, z, n), as float64 numbers; with
    ``compact=True`` float32 tensors (torch's default) go in float32's shortest repr instead
    (:func:`shortest`), which keeps cells.js within ~1e-7 of ``cells.run`` at half the size.
    """
    kind = cells.kind_of(module)  # a clear error for anything but one layer in one direction
    H, I = module.hidden_size, module.input_size
    if not isinstance(x, Tensor):
        raise TypeError(_("The input must be a torch.Tensor, as for the module itself; got "
                          "{type}. Make one with torch.tensor(…, dtype=torch.float32).")
                        .format(type=type(x).__name__))
    batched = f"(1, T, {I})" if module.batch_first else f"(T, 1, {I})"
    if x.dim() == 3 and x.shape[0 if module.batch_first else 1] == 1:
        x = x[0] if module.batch_first else x[:, 0]  # (T, I)
    if x.dim() != 2 or x.shape[-1] != I or x.shape[0] == 0:
        raise cells.ShapeError(_("The explorer runs one sequence: give it shaped (T, {I}) or "
                                 "{batched}, with T ≥ 1; got {shape}.")
                               .format(I=I, batched=batched, shape=tuple(x.shape)))
    if kind != "LSTM" and c0 is not None:
        raise ValueError(_("{kind} has no cell state: give h0 only.").format(kind=kind))

    def numbers(tensor: Tensor | None) -> list | None:
        if tensor is None:
            return None
        values = tensor.detach().to(torch.float64)
        if not torch.isfinite(values).all():
            raise ValueError(_("The explorer needs finite numbers, but the {kind} or its input "
                               "holds NaN or infinity.").format(kind=kind))
        if compact and tensor.dtype == torch.float32:
            return shortest(tensor)
        return values.tolist()

    def state(name: str, tensor: Tensor | None) -> list[float] | None:
        if tensor is None:
            return None
        if not isinstance(tensor, Tensor) or tensor.numel() != H:
            got = tuple(tensor.shape) if isinstance(tensor, Tensor) else type(tensor).__name__
            raise cells.ShapeError(_("The state {name} of this {kind} must hold {H} numbers, "
                                     "e.g. shaped (1, {H}); got {got}.")
                                   .format(name=name, kind=kind, H=H, got=got))
        return numbers(tensor.reshape(H))

    spec = {
        "kind": kind,
        "nonlinearity": getattr(module, "nonlinearity", None) if kind == "RNN" else None,
        "input_size": I,
        "hidden_size": H,
        "weight_ih": numbers(module.weight_ih_l0),  # (G·H, I), G = 1, 4 or 3 gate blocks
        "weight_hh": numbers(module.weight_hh_l0),  # (G·H, H)
        "bias_ih": numbers(module.bias_ih_l0) if module.bias else None,  # (G·H)
        "bias_hh": numbers(module.bias_hh_l0) if module.bias else None,  # (G·H)
        "h0": state("h0", h0),  # (H) or None: zeros
        "c0": state("c0", c0) if kind == "LSTM" else None,
    }
    if kind == "GRU":
        spec["reset_after"] = True  # nn.GRU's form: r ⊙ (W_hn h + b_hn)
    return {"spec": spec, "x": numbers(x)}  # x: (T, I)
