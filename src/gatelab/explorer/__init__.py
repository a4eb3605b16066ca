"""Explorers that compute the real network in the page, not in the kernel.

``cells.js`` steps an RNN, LSTM or GRU in the browser from the trained weights, with any gate
learned, forced open (1), shut (0) or set to a value: the JavaScript twin of
:func:`gatelab.cells.run`, checked equal to it by ``tests/test_explorer_parity.py``.
:func:`export` turns a ``torch.nn`` layer and its input into the plain numbers ``cells.js`` takes;
:func:`source` is the module's text, to inline into a page.
"""

from .export import export, source

__all__ = ["export", "source"]
