"""The catalogs and editions: complete, faithful to the English, consistent with the glossary,
and current."""

from __future__ import annotations

import re

import jupytext
import pytest
from babel.messages.catalog import Catalog

from gatelab import i18n
from gatelab.publish import catalogs, editions
from gatelab.publish.project import current

LANGS = catalogs.TARGET_LANGUAGES
DOMAINS = [i18n.PACKAGE_DOMAIN, *catalogs.chapters()]


def entries(lang: str, domain: str):
    """(template message, translation entry or None) for every message the template has."""
    template = catalogs.templates()[domain]
    translated = catalogs.read_catalog(catalogs.po_path(lang, domain), lang)
    return [(m, translated.get(m.id, context=m.context)) for m in template if m.id]


@pytest.fixture(scope="module")
def templates() -> dict[str, Catalog]:
    return catalogs.templates()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_translated_none_fuzzy(lang, domain):
    missing = [m.id[:70] for m, t in entries(lang, domain) if t is None or not t.string]
    fuzzy = [m.id[:70] for m, t in entries(lang, domain) if t is not None and t.fuzzy]
    assert not missing, f"{len(missing)} untranslated in {lang}/{domain}.po, e.g. {missing[:3]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (out of date) in {lang}/{domain}.po, e.g. {fuzzy[:3]}"


# what must pass through translation unchanged
MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.DOTALL)
CODE = re.compile(r"`[^`\n]+`")
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)[^>]*>")
FIELD = re.compile(r"\{[a-z_]*(?:![rs])?(?::[^{}]*)?\}")
MARKDOWN_START = re.compile(r"^(#{1,6} |- |\*\*\d+\.\*\*|\d+\. )")


def structure(text: str, pattern: re.Pattern) -> list[str]:
    return sorted(pattern.findall(text))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("domain", DOMAINS)
def test_math_code_links_markup_preserved(lang, domain):
    problems = []
    for message, entry in entries(lang, domain):
        if entry is None or not entry.string:
            continue
        source, target = message.id, entry.string
        for name, pattern in (("math", MATH), ("inline code", CODE), ("link", LINK_TARGET),
                              ("HTML tag", TAG), ("format field", FIELD)):
            if structure(source, pattern) != structure(target, pattern):
                problems.append(f"{name} differs in {source[:60]!r}: "
                                f"{structure(source, pattern)} vs {structure(target, pattern)}")
        if domain != i18n.PACKAGE_DOMAIN:
            if "\n\n" in target:
                problems.append(f"blank line inside the translation of {source[:60]!r}")
            start_s, start_t = MARKDOWN_START.match(source), MARKDOWN_START.match(target)
            if (start_s and start_s.group(1)) != (start_t and start_t.group(1)):
                problems.append(f"paragraph start (heading/list/question) differs: {source[:60]!r}")
            if source.count("\n- ") != target.count("\n- "):
                problems.append(f"number of list items differs in {source[:60]!r}")
    assert not problems, "\n".join(problems)


def _term_pattern(term: str) -> re.Pattern:
    return re.compile(r"\b" + re.escape(term) + r"(s|es)?\b", re.IGNORECASE)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("chapter", catalogs.chapters())
def test_editions_use_the_glossary(lang, chapter):
    """Where the English uses a glossary term, the translation uses the glossary's translation
    (or keeps the English term); on the first use in running text, both, e.g. "ফরগেট গেট
    (forget gate)"."""
    glossary = i18n.glossary(lang)
    problems, introduced = [], set()
    for message, entry in entries(lang, chapter):
        if entry is None or not entry.string:
            continue
        target = entry.string
        heading = message.id.startswith("#")
        for term, native in glossary.items():
            if not _term_pattern(term).search(message.id):
                continue
            has_native = native.lower() in target.lower()
            has_english = term.lower() in target.lower()
            if not (has_native or has_english):
                problems.append(f"{term!r} -> {native!r} missing in: {target[:80]!r}")
            if not heading and term not in introduced:
                introduced.add(term)
                if not (has_native and has_english):
                    problems.append(f"first use of {term!r} should read '{native} ({term})': "
                                    f"{target[:80]!r}")
    assert not problems, "\n".join(problems)


def test_glossary_translated_and_distinct():
    for lang in LANGS:
        glossary = i18n.glossary(lang)
        untranslated = [t for t, n in glossary.items() if n == t]
        assert not untranslated, f"{lang}: glossary terms without translation: {untranslated}"


@pytest.mark.parametrize("chapter", catalogs.chapters())
@pytest.mark.parametrize("lang", LANGS)
def test_editions_are_current(chapter, lang):
    """Regenerating an edition from the English source and the catalog changes nothing."""
    path = current().notebooks / lang / f"{chapter}.md"
    assert path.exists(), f"{path} is missing: run `make editions`"
    assert path.read_text(encoding="utf-8") == editions.edition_text(chapter, lang), (
        f"{path} is out of date: run `make editions` (never edit it by hand)")


@pytest.mark.parametrize("chapter", catalogs.chapters())
def test_code_cells_identical_across_editions(chapter):
    def code(lang):
        nb = jupytext.read(current().notebooks / lang / f"{chapter}.md")
        return [editions.LANGUAGE_LINE.sub(r"\g<1>xx\g<3>", c.source)
                for c in nb.cells if c.cell_type == "code"]

    english = code("en")
    assert any(editions.LANGUAGE_LINE.search(c) for c in english), "no gatelab.use line"
    for lang in LANGS:
        assert code(lang) == english
        nb = jupytext.read(current().notebooks / lang / f"{chapter}.md")
        uses = [m.group(2) for c in nb.cells for m in editions.LANGUAGE_LINE.finditer(c.source)]
        assert uses == [lang]


def test_templates_are_current(templates):
    """The English side of every catalog matches the sources (run `make update` if not)."""
    for domain, template in templates.items():
        for lang in LANGS:
            catalog = catalogs.read_catalog(catalogs.po_path(lang, domain), lang)
            have = {(m.id, m.context) for m in catalog if m.id}
            want = {(m.id, m.context) for m in template if m.id}
            assert want <= have, f"{lang}/{domain}.po lacks {len(want - have)} messages: make update"
