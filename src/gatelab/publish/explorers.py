"""An explorer's output (mimetype ``application/vnd.gatelab.explorer+json``) in the page.

The output carries ``{"kind", "state"}``: what :mod:`gatelab.explorer` needs to compute the
explorer in the page, with no kernel. Its container comes from ``page_html``; the page gets
``page_scripts`` once, for the kinds it holds (:func:`scripts`). ``gatelab.explorer`` is the
notebook side (it imports torch and anywidget): it is loaded only when a page has an explorer.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup


def _page_module():
    return importlib.import_module("gatelab.explorer.page")


def render(spec: Mapping[str, Any], ctx) -> str:
    """The HTML of one explorer output; ``ctx`` (an :class:`outputs.Context`) collects the
    kinds the page's scripts must handle."""
    if "state" not in spec or "kind" not in spec:
        raise ValueError(
            f"An explorer output without its page state (keys {sorted(spec)}): the notebook was "
            "executed with an older gatelab, whose explorers were drawn in advance. Execute it "
            "again: `python -m gatelab.publish execute --force`.")
    ctx.explorer_kinds.add(str(spec["kind"]))
    return Markup(_page_module().page_html(dict(spec)))


def scripts(kinds: set[str]) -> str:
    """The scripts of the page's explorers, once per page; empty when the page has none."""
    return Markup(_page_module().page_scripts(sorted(kinds))) if kinds else Markup("")
