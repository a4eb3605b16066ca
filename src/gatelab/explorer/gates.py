"""The gate explorer that computes in the page: an anywidget over ``gates.js`` and ``cells.js``.

:class:`GateWidget` sends the exported weights and input (:func:`gatelab.explorer.export`, float32
numbers in their shortest form) and every word it shows (``labels``, translated) to the page
once; from then on every choice of a gate (learned, open, shut or a value), preset, unit or text
size is computed and drawn there, with no round trip to the kernel, and keeps working when the
kernel is gone. The forcing chosen in the page is reported back in :attr:`GateWidget.force`.
The same explorer runs in a kernel-free HTML page: :func:`gatelab.explorer.page_state`,
:func:`~gatelab.explorer.page_html`, :func:`~gatelab.explorer.page_scripts`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import anywidget
import torch
import traitlets

from .. import cells, plots
from ..i18n import _
from ..widgets import GATE_NAMES, MODES, PRESETS, load_example
from .export import export
from .page import PageExplorer, module


def labels(kind: str, input_names: list[str]) -> dict[str, Any]:
    """Every word the explorer of an ``kind`` cell shows, in the language in use."""
    view = plots.CELL_VIEWS[kind]
    return {
        "controls": _("gates"),
        "gates": {g: _(GATE_NAMES[g]) for g in view.gates},
        "modes": {mode: _(label) for mode, label in MODES.items()},
        "value_of": _("value of {gate}"),
        "states": [[name, _(label)] for name, label in view.states],
        "gates_panel": _("gates"),
        "input_panel": _("input x[t]"),
        "inputs": list(input_names),
        "learned": _("learned"),
        "forced": _("with the gates as set"),
        "time": _("time step t"),
        "unit": _("unit"),
        "presets": _("presets:"),
        "reset": _("reset: all learned"),
        "size": _("text size"),
        "equations_label": _("the cell's equations, forced terms marked"),
        "equations": dict(view.equations),
        "update": [line.strip() for line in view.update.split("      ") if line.strip()],
        "forced_open": _("forced open (1)"),
        "forced_shut": _("forced shut (0)"),
        "forced_to": _("forced to {value}"),
        "describe_input": _("{panel}: {steps} time steps of the channels {channels}"),
        "describe_gates": _("{panel} of unit {unit}: {gates}"),
        "describe_gate": _("{gate} learned ends at {learned}, as set ends at {forced}"),
        "describe_state": _("{panel} of unit {unit}: learned ends at {learned}, with the gates "
                            "as set ends at {forced}"),
        "error": _("The explorer cannot run this setting: {error}"),
    }


class GateWidget(PageExplorer, anywidget.AnyWidget):
    """Force the gates of an ``nn.LSTM`` (i, f, o) or ``nn.GRU`` (r, z) on one sequence, computed
    in the browser from the module's own weights.

    ``GateWidget(module, x, state=None, unit=0, force=None, input_names=None)``: ``x`` one
    sequence (T, I); ``state`` the initial h0, or (h0, c0) for an LSTM; ``unit`` the unit shown
    first; ``input_names`` the I input channels' names (x1, x2, … when omitted).
    ``GateWidget.example(name)`` opens one of the chapters' examples.
    """

    _esm = module("gates")
    #: what gatelab.explorer.page_state puts in a page, and which explorer draws it
    explorer_kind: ClassVar[str] = "gates"
    page_traits: ClassVar[tuple[str, ...]] = ("spec", "x", "gates", "force", "unit", "labels",
                                              "presets")
    #: run(spec, x, force) of cells.js takes these (see gatelab.explorer.export)
    spec = traitlets.Dict().tag(sync=True)
    x = traitlets.List().tag(sync=True)  # (T, I)
    gates = traitlets.List(traitlets.Unicode()).tag(sync=True)  # the gates with a control
    #: what is forced now, gate name -> number; set by the page's controls or from Python
    force = traitlets.Dict().tag(sync=True)
    unit = traitlets.Int(0).tag(sync=True)  # the unit whose states are drawn
    labels = traitlets.Dict().tag(sync=True)  # every word the page shows, in the language in use
    presets = traitlets.List().tag(sync=True)  # [[translated name, force], …]

    def __init__(self, module: torch.nn.Module, x: torch.Tensor, state=None, unit: int = 0,
                 force: dict[str, float] | None = None, input_names: list[str] | None = None,
                 **kwargs: Any):
        kind = cells.kind_of(module)
        if kind not in plots.CELL_VIEWS:
            raise ValueError(_("The gate explorer needs an nn.LSTM or nn.GRU; a plain RNN has "
                               "no gates to force."))
        h0, c0 = state if isinstance(state, tuple | list) else (state, None)
        exported = export(module, x, h0, c0, compact=True)
        inputs = module.input_size
        names = [str(n) for n in input_names] if input_names is not None else \
            [f"x{k + 1}" for k in range(inputs)]
        if len(names) != inputs:
            raise ValueError(_("Give one name per input channel: this {kind} takes {I} inputs, "
                               "got {n} names.").format(kind=kind, I=inputs, n=len(names)))
        super().__init__(spec=exported["spec"], x=exported["x"],
                         gates=list(plots.CELL_VIEWS[kind].gates), labels=labels(kind, names),
                         presets=[[_(name), dict(f)] for name, f in PRESETS[kind].items()],
                         **kwargs)
        self.unit = unit  # validated against the spec
        self.force = dict(force or {})

    @classmethod
    def example(cls, name: str = "memory") -> GateWidget:
        """The explorer on one of the chapters' examples: "memory", "temporal-order",
        "gru-memory", "gru-temporal-order" (see :func:`gatelab.widgets.load_example`)."""
        module, x, names, state, unit = load_example(name)
        return cls(module, x, state, unit=unit, input_names=names)

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
            if gate not in self.gates:
                raise traitlets.TraitError(_("The explorer forces only the gates {gates}; got "
                                             "'{gate}'.").format(gates=", ".join(self.gates),
                                                                 gate=gate))
        return {gate: v.item() if isinstance(force[gate], torch.Tensor) else float(force[gate])
                for gate, v in checked.items()}

    @traitlets.validate("unit")
    def _valid_unit(self, proposal) -> int:
        unit, hidden = proposal["value"], self.spec.get("hidden_size", 1)
        if not 0 <= unit < hidden:
            raise traitlets.TraitError(_("There is no unit {unit}: this network's units are "
                                         "0 to {last}.").format(unit=unit, last=hidden - 1))
        return unit
