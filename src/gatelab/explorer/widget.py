"""A prototype gate explorer that computes in the page: an anywidget over ``cells.js``.

:class:`GateWidget` sends the exported weights and input (:func:`gatelab.explorer.export`) and
the source of ``cells.js`` to the page once; from then on every choice of a gate (learned, open,
shut or a value) is recomputed and redrawn there, with no round trip to the kernel. The page
draws one unit's states (LSTM c[t] and h[t], GRU n[t] and h[t]) as SVG, the learned run faint
and dashed beside the run with the gates as set, and reports the forcing back in
:attr:`GateWidget.force`. Not yet used by the chapters (``widgets.GateExplorer`` still is).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import torch
import traitlets

from .. import cells, plots
from ..i18n import _
from ..widgets import GATE_NAMES, MODES, load_example
from .export import export, source


class GateWidget(anywidget.AnyWidget):
    """Force the gates of an ``nn.LSTM`` (i, f, o) or ``nn.GRU`` (r, z) on one sequence, computed
    in the browser from the module's own weights."""

    _esm = Path(__file__).with_name("widget.js")
    #: run(spec, x, force) of cells.js takes these (see gatelab.explorer.export)
    spec = traitlets.Dict().tag(sync=True)
    x = traitlets.List().tag(sync=True)  # (T, I)
    #: the text of cells.js, which widget.js imports in the page
    cells_js = traitlets.Unicode().tag(sync=True)
    gates = traitlets.List(traitlets.Unicode()).tag(sync=True)  # the gates with a control
    #: what is forced now, gate name -> number; set by the page's controls or from Python
    force = traitlets.Dict().tag(sync=True)
    unit = traitlets.Int(0).tag(sync=True)  # the unit whose states are drawn
    labels = traitlets.Dict().tag(sync=True)  # every word the page shows, in the language in use

    def __init__(self, module: torch.nn.Module, x: torch.Tensor, state=None, unit: int = 0,
                 force: dict[str, float] | None = None, **kwargs: Any):
        kind = cells.kind_of(module)
        if kind not in plots.CELL_VIEWS:
            raise ValueError(_("The gate explorer needs an nn.LSTM or nn.GRU; a plain RNN has "
                               "no gates to force."))
        h0, c0 = state if isinstance(state, tuple | list) else (state, None)
        exported = export(module, x, h0, c0)
        view = plots.CELL_VIEWS[kind]
        labels = {
            "gates": {g: _(GATE_NAMES[g]) for g in view.gates},
            "modes": {mode: _(label) for mode, label in MODES.items()},
            "panels": [[name, _(label)] for name, label in view.states],
            "learned": _("learned"),
            "forced": _("with the gates as set"),
            "time": _("time step t"),
            "unit": _("unit"),
        }
        super().__init__(spec=exported["spec"], x=exported["x"], cells_js=source(),
                         gates=list(view.gates), labels=labels, unit=unit,
                         force=dict(force or {}), **kwargs)

    @classmethod
    def example(cls, name: str = "memory") -> GateWidget:
        """The explorer on one of the chapters' examples (see :func:`gatelab.widgets.load_example`)."""
        module, x, _names, state, unit = load_example(name)
        return cls(module, x, state, unit=unit)

    @traitlets.validate("force")
    def _valid_force(self, proposal) -> dict[str, float]:
        """A constant per gate, in the gate's range; cells.run's message names what is valid."""
        force = proposal["value"]
        checked = cells._check_force(self.spec["kind"], force)
        for gate, v in checked.items():
            if v.numel() != 1:
                raise traitlets.TraitError(_("The explorer forces a gate with one number at "
                                             "every step; got several for gate '{gate}'.")
                                           .format(gate=gate))
        return {gate: v.item() if isinstance(force[gate], torch.Tensor) else float(force[gate])
                for gate, v in checked.items()}

    @traitlets.validate("unit")
    def _valid_unit(self, proposal) -> int:
        unit, hidden = proposal["value"], self.spec["hidden_size"]
        if not 0 <= unit < hidden:
            raise traitlets.TraitError(_("There is no unit {unit}: this network's units are "
                                         "0 to {last}.").format(unit=unit, last=hidden - 1))
        return unit
