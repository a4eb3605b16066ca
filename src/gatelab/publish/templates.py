"""The page chrome: Jinja2 templates in ``gatelab/publish/templates/``, autoescaped (a value is
escaped unless it is :class:`markupsafe.Markup`: HTML the builder made itself)."""

from __future__ import annotations

import functools
from importlib import resources

import jinja2

from .. import i18n


def _(message: str, lang: str) -> str:
    """A string of the page itself (not of the notebook) in the page's language.

    Named ``_`` so that ``python -m gatelab.publish extract`` finds the English messages in the
    package, like every other ``_("…")``; the templates call it as ``_("…", lang)`` and the
    extractor reads them with Jinja2's babel extractor."""
    return i18n.gettext(message, lang=lang)


def asset(name: str) -> str:
    """A file of ``gatelab/publish/assets`` (the page's CSS and script), as text."""
    return (resources.files("gatelab.publish") / "assets" / name).read_text(encoding="utf-8")


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gatelab.publish", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined)
    env.globals.update(_=_, languages=i18n.LANGUAGES)
    return env


def render(template: str, **values) -> str:
    """The template ``template`` (a file name in templates/) filled with ``values``."""
    return environment().get_template(template).render(**values)

