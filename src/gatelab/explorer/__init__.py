"""Explorers that compute the real network in the page, not in the kernel.

``cells.js`` steps an RNN, LSTM or GRU in the browser from the trained weights, with any gate
learned, forced open (1), shut (0) or set to a value: the JavaScript twin of
:func:`gatelab.cells.run`, checked equal to it by ``tests/test_explorer_parity.py``.
:func:`export` turns a ``torch.nn`` layer and its input into the plain numbers ``cells.js`` takes;
:func:`source` is that module's text.

``plot.js`` holds the SVG plotting helpers the explorers share, ``ui.js`` their page furniture
(theme colours, reset and text-size controls, live region, keys kept from JupyterLab's shortcuts,
redraw when a web font arrives, frame timing); ``gates.js`` is the gate explorer
(:class:`GateWidget`), ``vanishing.js`` and ``sequence.js`` Chapter 1's, ``attention.js``
Chapter 6's (:class:`AttentionWidget`) (all anywidgets, with
:class:`~gatelab.explorer.page.PageExplorer` for their page state); ``host.js`` runs the same
explorers in a plain HTML page with no kernel. :func:`module` assembles one explorer's ES module,
:func:`page_state`, :func:`page_html` and :func:`page_scripts` put explorers in a page (the
scheme is described in :mod:`gatelab.explorer.page`).
"""

from .page import MIMETYPE, module, page_html, page_scripts, page_state

__all__ = ["MIMETYPE", "AttentionWidget", "GateWidget", "export", "module", "page_html",
           "page_scripts", "page_state", "source"]

#: what needs torch (export) or anywidget (the widgets), loaded on first use: putting explorers
#: in a page (gatelab.publish) needs neither
_LAZY = {"export": ".export", "source": ".export", "GateWidget": ".gates",
         "AttentionWidget": ".attention"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        import sys

        importlib.import_module(_LAZY[name], __name__)
        # importing .export (directly, or through .gates) binds the submodule to the name
        # "export" here: put the function (and every other lazy name loaded) in its place
        for lazy, where in _LAZY.items():
            loaded = sys.modules.get(__name__ + where)
            if loaded is not None:
                globals()[lazy] = getattr(loaded, lazy)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
