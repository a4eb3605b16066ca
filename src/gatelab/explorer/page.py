"""The explorers' JavaScript, put together for JupyterLab (one ES module) and for a plain HTML page.

The scheme, also described at the top of each ``.js`` file:

- every file is an ES module with no dependency outside this package; a file uses another only
  by a line ``import * as name from "./other.js";``;
- a *library* (``cells.js``, ``plot.js``, ``ui.js``, ``bptt.js``) exports top-level declarations only, each on a line
  starting ``export const``, ``export function`` or ``export class``, and no ``export default``;
- an explorer's *entry* (``gates.js``) ends with one line ``export default <expression>;``.

:func:`module` inlines each library once, as a namespace object (what ``import * as`` would
give), so anywidget receives ONE module that asks for nothing else. :func:`page_scripts` writes
the same code as classic ``<script>`` elements that register each explorer in
``window.gatelabExplorers``, followed by ``host.js``, which renders every container that
:func:`page_html` wrote; no ``import()``, no ``blob:`` or ``data:`` URL, so it runs from
``file://`` with every request blocked.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any, ClassVar

IMPORT = re.compile(r'^import \* as ([A-Za-z_$][\w$]*) from "\./([\w-]+)\.js";[ \t]*$', re.M)
ANY_IMPORT = re.compile(r"^\s*import\b|\bimport\s*\(", re.M)
EXPORT = re.compile(r"^export (?:const|let|function\*?|async function|class) ([A-Za-z_$][\w$]*)",
                    re.M)
DEFAULT = re.compile(r"^export default (.+);[ \t]*$", re.M)
#: the mimetype under which an explorer's page state rides along in a notebook's output
MIMETYPE = "application/vnd.gatelab.explorer+json"


def _read(name: str) -> str:
    path = resources.files(__package__) / f"{name}.js"
    if not path.is_file():
        raise ValueError(f"gatelab.explorer has no {name}.js")
    return path.read_text(encoding="utf-8")


def _resolve(text: str, name: str) -> str:
    """``text`` with its import lines turned into references to the inlined namespaces."""
    rest = IMPORT.sub("", text)
    if ANY_IMPORT.search(_strip_comments(rest)):
        raise ValueError(f"{name}.js may import only with 'import * as name from \"./file.js\";'")
    return IMPORT.sub(lambda m: f"const {m[1]} = __gatelab_{_ident(m[2])};", text)


def _strip_comments(text: str) -> str:
    return re.sub(r"^\s*//.*$", "", text, flags=re.M)


def _ident(name: str) -> str:
    return name.replace("-", "_")


def _libraries(name: str, done: list[str], chain: tuple[str, ...] = ()) -> list[str]:
    """The namespace blocks of the libraries ``name`` imports (and theirs), each once, in order."""
    blocks = []
    for _alias, library in IMPORT.findall(_read(name)):
        if library in chain or library == name:
            raise ValueError(f"{name}.js and {library}.js import each other")
        if library in done:
            continue
        blocks += _libraries(library, done, (*chain, name))
        text = _read(library)
        if DEFAULT.search(text):
            raise ValueError(f"{library}.js is a library: it must not have 'export default'")
        exported = EXPORT.findall(text)
        body = _resolve(EXPORT.sub(lambda m: m[0][len("export "):], text), library)
        blocks.append(f"// ---- {library}.js ----\nconst __gatelab_{_ident(library)} = (() => {{\n"
                      f"{body}\nreturn Object.freeze({{ {', '.join(exported)} }});\n}})();\n")
        done.append(library)
    return blocks


def _parts(entry: str) -> tuple[str, str, str]:
    """(the libraries, the entry's body without its default export, that export's expression)."""
    text = _read(entry)
    defaults = DEFAULT.findall(text)
    if len(defaults) != 1 or EXPORT.search(text):
        raise ValueError(f"{entry}.js is an entry: it must end with one 'export default …;' "
                         "and have no other export")
    body = _resolve(DEFAULT.sub("", text), entry)
    return "".join(_libraries(entry, [])), body, defaults[0]


def module(entry: str) -> str:
    """The ES module of the explorer ``entry`` (``"gates"`` for ``gates.js``): its libraries
    inlined, ``export default`` its own; anywidget's ``_esm``."""
    libraries, body, default = _parts(entry)
    return f"{libraries}// ---- {entry}.js ----\n{body}\nexport default {default};\n"


def _script_safe(text: str, what: str) -> str:
    """``text`` as it may sit inside <script>…</script>: it must not close or comment the element."""
    if re.search(r"</script|<!--", text, re.I):
        raise ValueError(f"{what} contains '</script' or '<!--', which would end its <script>")
    return text


def script(entry: str) -> str:
    """The explorer ``entry`` as a classic script's code: registers it in window.gatelabExplorers."""
    libraries, body, default = _parts(entry)
    return _script_safe(f"(window.gatelabExplorers = window.gatelabExplorers || {{}})"
                        f"[{json.dumps(entry)}] = (() => {{\n\"use strict\";\n{libraries}"
                        f"// ---- {entry}.js ----\n{body}\nreturn {default};\n}})();\n", entry)


def page_scripts(kinds) -> str:
    """The <script> elements to put once in a page (after or before its explorers' containers):
    the modules of the explorer ``kinds`` (e.g. ``["gates"]``) and ``host.js``, all inline."""
    kinds = list(dict.fromkeys([kinds] if isinstance(kinds, str) else kinds))
    parts = [f'<script data-gatelab-explorer="{kind}">\n{script(kind)}</script>' for kind in kinds]
    host = _script_safe(_read("host"), "host.js")
    parts.append(f"<script data-gatelab-host>\n{host}</script>")
    return "\n".join(parts) + "\n"


def page_state(widget) -> dict[str, Any]:
    """What a page needs to show ``widget`` with no kernel: ``{"kind", "state"}``, JSON-able."""
    kind = getattr(widget, "explorer_kind", None)
    if kind is None:
        raise TypeError(f"{type(widget).__name__} is not a gatelab explorer widget")
    state = {name: getattr(widget, name) for name in widget.page_traits}
    return json.loads(json.dumps({"kind": kind, "state": state}))  # checks it is JSON-able


class PageExplorer:
    """Mixin for the explorer widgets (put it before ``anywidget.AnyWidget``): their output carries
    the page state under :data:`MIMETYPE` next to anywidget's bundle, so that the HTML lessons can
    show the explorer with no kernel. A subclass sets ``explorer_kind`` and ``page_traits``."""

    explorer_kind: ClassVar[str]
    page_traits: ClassVar[tuple[str, ...]]

    def _repr_mimebundle_(self, **kwargs: Any):
        """anywidget's bundle, plus the page state under MIMETYPE for the HTML lessons."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, None)
        if data is None:
            return bundle
        data = {**data, MIMETYPE: page_state(self)}
        return (data, metadata) if isinstance(bundle, tuple) else data


def page_html(state: dict[str, Any]) -> str:
    """The container of one explorer, its state in a <script type="application/json">; put
    :func:`page_scripts` once in the same page to bring it to life."""
    if not isinstance(state, dict) or not isinstance(state.get("kind"), str) or \
            not isinstance(state.get("state"), dict):
        raise ValueError("page_html takes what page_state gives: {'kind': …, 'state': {…}}")
    data = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
    # inside <script>, '</' could close the element and '<!--' start an HTML comment:
    # '<\/' and '\u003c!--' are the same JSON
    data = data.replace("</", "<\\/").replace("<!--", "\\u003c!--")
    kind = re.sub(r"[^\w-]", "", state["kind"])
    return (f'<div class="gatelab-explorer-host" data-kind="{kind}">'
            f'<script type="application/json">{data}</script></div>')
