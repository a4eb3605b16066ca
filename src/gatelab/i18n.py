"""Every string a learner reads, in the learner's language.

Strings are written in English in the code, wrapped in ``_()``, and translated in the package
catalog ``locales/{bn,hi}/LC_MESSAGES/gatelab.po`` (gettext, read with Babel). A notebook picks
its language once with ``gatelab.use("bn")``; plots, widgets and messages follow.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

#: the editions, with each language's own name for itself
LANGUAGES: dict[str, str] = {"en": "English", "bn": "বাংলা", "hi": "हिन्दी"}
SOURCE_LANGUAGE = "en"
PACKAGE_DOMAIN = "gatelab"


class LanguageError(ValueError):
    """An unknown language code."""


@dataclass
class _Active:
    """The language chosen with :func:`use`; the one piece of session state the package keeps."""

    code: str = SOURCE_LANGUAGE


_active = _Active()


def use(code: str) -> str:
    """Choose the language of everything the package shows: plots, widgets and messages."""
    _active.code = check_language(code)
    return _active.code


@contextlib.contextmanager
def using(code: str) -> Iterator[str]:
    """Temporarily use another language (the lessons build renders each edition this way)."""
    before = _active.code
    use(code)
    try:
        yield _active.code
    finally:
        _active.code = before


def language() -> str:
    """The code of the language in use ("en", "bn" or "hi")."""
    return _active.code


def check_language(code: str) -> str:
    """``code`` normalised ("BN" -> "bn"); LanguageError listing the available ones otherwise."""
    normal = str(code).strip().lower().replace("_", "-").split("-")[0]
    if normal not in LANGUAGES:
        available = ", ".join(f'"{c}" ({name})' for c, name in LANGUAGES.items())
        raise LanguageError(f"Unknown language {code!r}. Available: {available}.")
    return normal


@functools.cache
def catalog(code: str, domain: str = PACKAGE_DOMAIN) -> Catalog:
    """The gettext catalog of one language and domain ("gatelab", or a chapter such as "01_rnn")."""
    code = check_language(code)
    if code == SOURCE_LANGUAGE:
        return Catalog(locale="en", domain=domain)
    path = resources.files("gatelab.locales") / code / "LC_MESSAGES" / f"{domain}.po"
    if not path.is_file():  # a language being started: everything shows in English until then
        return Catalog(locale=code, domain=domain)
    with path.open("rb") as f:
        return read_po(f, locale=code, domain=domain)


def gettext(message: str, context: str | None = None, lang: str | None = None) -> str:
    """The translation of ``message`` in ``lang`` (default: the language in use); the English
    message itself where the catalog has no translation yet."""
    lang = check_language(lang) if lang else _active.code
    if lang == SOURCE_LANGUAGE:
        return message
    entry = catalog(lang).get(message, context=context)
    if entry is None or not entry.string:
        return message
    return entry.string


def _(message: str) -> str:
    """Mark ``message`` for translation and translate it now."""
    return gettext(message)


def pgettext(context: str, message: str) -> str:
    """Translate ``message`` within ``context`` (for short labels that mean different things)."""
    return gettext(message, context=context)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (for module-level constants)."""
    return message


#: each language's name in English, translated in the catalog: what a table or a sentence in
#: one edition calls another language (a Hindi reader should not meet Bengali script there);
#: :data:`LANGUAGES` keeps the autonyms for the language switcher
LANGUAGE_NAMES: dict[str, str] = {"en": N_("English"), "bn": N_("Bengali"), "hi": N_("Hindi")}


def language_name(code: str) -> str:
    """The name of language ``code`` in the language in use ("Hindi" is "হিন্দি" in Bengali)."""
    return gettext(LANGUAGE_NAMES[check_language(code)])


# --- the glossary ---------------------------------------------------------------------------

#: the technical terms every edition uses consistently; translated in the package catalog
#: under the context "glossary" (the extractor adds them; they are not marked with N_ so that
#: they are not extracted a second time without context); the editions must use them
GLOSSARY_CONTEXT = "glossary"
GLOSSARY_TERMS: tuple[str, ...] = (
    "sequence",
    "recurrent neural network",
    "feed-forward network",
    "hidden state",
    "cell state",
    "time step",
    "training step",
    "epoch",
    "accuracy",
    "held-out",
    "chunk",
    "force",
    "preset",
    "explorer",
    "weight",
    "bias",
    "layer",
    "relevant symbol",
    "distractor",
    "weight sharing",
    "unrolling",
    "backpropagation through time",
    "truncated backpropagation through time",
    "vanishing gradient",
    "exploding gradient",
    "gradient clipping",
    "spectral radius",
    "batch",
    "gate",
    "forget gate",
    "input gate",
    "output gate",
    "update gate",
    "reset gate",
    "candidate",
    "loss",
    "encoder",
    "decoder",
)


def glossary(lang: str | None = None) -> dict[str, str]:
    """English term -> the term in ``lang`` (default: the language in use)."""
    return {term: gettext(term, context=GLOSSARY_CONTEXT, lang=lang) for term in GLOSSARY_TERMS}
