"""An explorer's output (mimetype ``application/vnd.gatelab.explorer+json``) in the page.

Two forms:

* ``{"kind", "state"}``: the page computes the explorer itself (:mod:`gatelab.explorer`); its
  container comes from ``page_html``, and the page gets ``page_scripts`` once for the kinds it
  holds (:func:`scripts`);
* ``{"explorer", "args"}``, the older form: every setting drawn in advance as PNG frames by
  :func:`gatelab.widgets.static_explorer` and a small script that swaps them. Only while
  chapters still write it; it imports torch and ipywidgets when (and only when) it is used.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup

from . import templates
from .markdown import data_uri
from .templates import _

#: colours kept when an explorer's frames are turned into palette PNGs; matplotlib draws flat
#: colours, so 64 keep the anti-aliased edges looking smooth
FRAME_COLORS = 64


def _page_module():
    # looked up when a page has such an explorer: gatelab.explorer is the notebook side
    return importlib.import_module("gatelab.explorer.page")


def render(spec: Mapping[str, Any], ctx) -> str:
    """The HTML of one explorer output; ``ctx`` (an :class:`outputs.Context`) numbers them and
    collects the kinds the page's scripts must handle."""
    if "state" in spec:
        ctx.explorer_kinds.add(str(spec.get("kind")))
        return Markup(_page_module().page_html(dict(spec)))
    if "explorer" in spec:
        return render_frames(dict(spec), ctx)
    raise ValueError(f"An explorer output holds neither 'state' nor 'explorer': keys "
                     f"{sorted(spec)}; run the chapter again with this version of gatelab.")


def scripts(kinds: set[str]) -> str:
    """The scripts of the in-page explorers, once per page; empty when the page has none."""
    return Markup(_page_module().page_scripts(sorted(kinds))) if kinds else Markup("")


# --- the older form: precomputed frames -----------------------------------------------------


def shrink_png(data: bytes, colors: int = FRAME_COLORS) -> bytes:
    """``data`` as a palette PNG when that is smaller (matplotlib's flat colours survive)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
                image = image.convert("RGB")
            if image.mode == "RGBA":
                small = image.quantize(colors, method=Image.Quantize.FASTOCTREE,
                                       dither=Image.Dither.NONE)
            elif image.mode in ("RGB", "L"):
                small = image.convert("RGB").quantize(colors, method=Image.Quantize.MEDIANCUT,
                                                      dither=Image.Dither.NONE)
            else:
                return data
    except OSError:  # not a PNG Pillow can read: keep it as it came
        return data
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue() if buffer.tell() < len(data) else data


def _static_explorer() -> Callable[[dict, str], dict]:
    # looked up at each call: the widgets import torch, and tests replace the function
    return importlib.import_module("gatelab.widgets").static_explorer


def render_frames(spec: dict, ctx) -> str:
    """An explorer with every setting drawn in advance: its controls, the default setting's
    picture, and the other pictures (each stored once) for the page's script to swap in."""
    drawn = _static_explorer()(spec, ctx.lang)
    ctx.explorers += 1
    uid = f"explorer-{ctx.explorers}"
    controls = drawn["controls"]
    default_key = ",".join(str(c["default"]) for c in controls)
    images, keys, seen = [], {}, {}
    for key, png in drawn["frames"].items():
        png = shrink_png(png)
        if png not in seen:
            seen[png] = len(images)
            images.append(png)
        keys[key] = seen[png]
    if default_key not in keys:
        raise ValueError(f"explorer {spec.get('explorer')!r}: no frame for the default "
                         f"setting {default_key!r}")
    # the default picture is in the <img> already; the script reads it from there
    frames = {"keys": keys, "images": [None if i == keys[default_key] else
                                       base64.b64encode(png).decode("ascii")
                                       for i, png in enumerate(images)]}
    title = drawn.get("title") or ""
    return Markup(templates.render(
        "explorer_frames.html", lang=ctx.lang, uid=uid, title=title,
        controls=[_control(c, uid) for c in controls],
        src=data_uri(images[keys[default_key]], "image/png"),
        alt=title or _("Figure drawn by the code above", ctx.lang),
        frames=Markup(_json_for_script(frames))))


def _json_for_script(value) -> str:
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def _control(control: Mapping, uid: str) -> dict:
    """What the template needs of one control: a slider for a long range of values, buttons
    for two or three choices."""
    labels = [str(label) for label in control["labels"]]
    return {"id": f"{uid}-{re.sub(r'[^A-Za-z0-9_-]', '-', str(control['name']))}",
            "label": str(control["label"]), "labels": labels,
            "labels_json": json.dumps(labels), "default": int(control["default"])}
