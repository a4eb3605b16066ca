"""The translation workflow: English chapters -> gettext catalogs -> Bengali and Hindi editions.

* :func:`extract` writes a template (``.pot``) per chapter, one message per English paragraph
  (msgctxt = the id of the markdown cell it stands in), and one for the package's strings.
* :func:`update` merges a template into each language's ``.po``: an unchanged paragraph keeps
  its translation; a changed one keeps its old translation marked fuzzy, with the previous
  English kept (``#| msgid``) for the translator to compare.

The editions written from them are :mod:`gatelab.publish.editions`'.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jupytext
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import normalize, read_po, unescape, write_po

from .. import i18n
from .paragraphs import split_paragraphs, translatable
from .project import current

TARGET_LANGUAGES = tuple(code for code in i18n.LANGUAGES if code != i18n.SOURCE_LANGUAGE)
HEADER = {"project": "gatelab", "version": "0.1", "copyright_holder": "the gatelab authors",
          "msgid_bugs_address": "the gatelab issue tracker"}


def chapters() -> list[str]:
    """The chapter names, e.g. ["01_rnn"], from the English sources."""
    return sorted(p.stem for p in (current().notebooks / "en").glob("[0-9][0-9]_*.md"))


@dataclass
class Paragraph:
    cell_id: str  # msgctxt: the id of the markdown cell (its metadata "id")
    index: int  # position within the cell
    text: str  # the English paragraph: the msgid
    line: int  # line in the English source, for the translator's reference


def paragraphs(chapter: str) -> Iterator[Paragraph]:
    """The translatable paragraphs of an English chapter, in order."""
    path = current().notebooks / "en" / f"{chapter}.md"
    source = path.read_text(encoding="utf-8")
    seen = set()
    for cell in jupytext.reads(source, fmt="md:myst").cells:
        if cell.cell_type != "markdown":
            continue
        cell_id = cell.metadata.get("id")
        if not cell_id:
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            raise ValueError(f"{path}: a markdown cell has no id; give it one with a line "
                             f'+++ {{"id": "some-name"}} before it. The cell begins: {first!r}')
        if cell_id in seen:
            raise ValueError(f"{path}: two markdown cells share the id {cell_id!r}.")
        seen.add(cell_id)
        for index, text in enumerate(split_paragraphs(cell.source)):
            if translatable(text):
                line = source[: source.find(text)].count("\n") + 1 if text in source else 0
                yield Paragraph(cell_id, index, text, line)


# --- templates ------------------------------------------------------------------------------


def chapter_template(chapter: str) -> Catalog:
    template = Catalog(domain=chapter, **HEADER,
                       header_comment=f"# Prose of notebooks/en/{chapter}.md, paragraph by paragraph.")
    for p in paragraphs(chapter):
        template.add(p.text, context=p.cell_id, locations=[(f"notebooks/en/{chapter}.md", p.line)],
                     auto_comments=[f"cell {p.cell_id}, paragraph {p.index + 1}"])
    return template


#: where the package's strings are: its Python files, and the page templates of the publisher
#: (``_("…", lang)`` in Jinja2, read by Jinja2's babel extractor)
EXTRACTORS = [("**/publish/templates/**.html", "jinja2.ext:babel_extract"),
              ("**.py", "python")]
EXTRACTOR_OPTIONS = {"**/publish/templates/**.html": {"trim_blocks": "true",
                                                      "lstrip_blocks": "true"}}


def package_template() -> Catalog:
    template = Catalog(domain=i18n.PACKAGE_DOMAIN, **HEADER,
                       header_comment="# Strings of the gatelab package: labels, messages, glossary.")
    keywords = {"_": None, "N_": None, "gettext": None, "pgettext": ((1, "c"), 2)}
    for filename, lineno, message, comments, context in extract_from_dir(
            str(current().package_source), method_map=EXTRACTORS, options_map=EXTRACTOR_OPTIONS,
            keywords=keywords, comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        template.add(message, context=context, auto_comments=comments,
                     locations=[(f"src/gatelab/{filename}", lineno)])
    for term in i18n.GLOSSARY_TERMS:
        template.add(term, context=i18n.GLOSSARY_CONTEXT,
                     auto_comments=["glossary term: use this translation in every edition"])
    return template


def templates() -> dict[str, Catalog]:
    found = {i18n.PACKAGE_DOMAIN: package_template()}
    found.update({chapter: chapter_template(chapter) for chapter in chapters()})
    return found


def po_path(lang: str, domain: str) -> Path:
    return current().locales / lang / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(path: Path, lang: str | None = None) -> Catalog:
    """Read a .po file, including the previous English (``#| msgid``) of fuzzy entries, which
    Babel's reader leaves among the translator comments."""
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    for message in catalog:
        previous = [c[1:].strip() for c in message.user_comments if c.startswith("|")]
        if previous:
            message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
            quoted = " ".join(previous).removeprefix("msgid").strip()
            message.previous_id = [unescape_po(quoted)]
    return catalog


def unescape_po(quoted: str) -> str:
    """'"a" "b\\n"' -> 'ab\n': the concatenated strings of a PO field."""
    return "".join(unescape(part) for part in re.findall(r'"(?:[^"\\]|\\.)*"', quoted))


def write_catalog(catalog: Catalog, path: Path) -> bool:
    """Write a catalog; return True when the file changed."""
    for message in catalog:
        # Babel flags any "%" as printf-style; our strings use str.format ("100% on" is prose)
        message.flags.discard("python-format")
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_previous=False, omit_header=False,
             sort_output=False)
    text = _with_previous(buffer.getvalue().decode("utf-8"), catalog)
    # the header's dates change on every write; keep them when nothing else did
    data = re.sub(r'"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', "", text).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True


def _with_previous(text: str, catalog: Catalog) -> str:
    """Add the previous English of each fuzzy message (``#| msgid``) in GNU gettext's layout,
    after the message's flags line. (Babel's writer wraps it like a comment, which tools and
    its own reader cannot read back.)"""
    previous = [m.previous_id[0] if m.previous_id else None for m in catalog if m.id and m.fuzzy]
    lines, out = text.split("\n"), []
    fuzzy_seen = 0
    for line in lines:
        out.append(line)
        if re.match(r"#, .*\bfuzzy\b", line):
            old = previous[fuzzy_seen] if fuzzy_seen < len(previous) else None
            fuzzy_seen += 1
            if old:
                quoted = normalize(old, width=100).split("\n")
                out.append(f"#| msgid {quoted[0]}")
                out.extend(f"#| {q}" for q in quoted[1:])
    return "\n".join(out)


def extract() -> list[Path]:
    """Write ``locales/<domain>.pot`` for the package and every chapter."""
    written = []
    for domain, template in templates().items():
        path = current().locales / f"{domain}.pot"
        write_catalog(template, path)
        written.append(path)
    return written


# --- update ---------------------------------------------------------------------------------


def merge(old: Catalog, template: Catalog, lang: str) -> Catalog:
    """The catalog for ``template``'s messages, keeping what ``old`` knew.

    Exact (msgid, context) matches keep their translation. A message that is new looks for the
    old message it replaced — first among unused messages of the same context (the same cell),
    then anywhere — and takes its translation marked fuzzy, with the old English as previous_id.
    """
    new = Catalog(locale=lang, domain=template.domain, **HEADER,
                  header_comment=template.header_comment, fuzzy=False)
    new.last_translator = old.last_translator if old.last_translator != Catalog().last_translator \
        else "gatelab translators"
    new.language_team = f"gatelab {i18n.LANGUAGES[lang]}"
    old_messages = {(m.id, m.context): m for m in old if m.id}
    used = {(m.id, m.context) for m in template if (m.id, m.context) in old_messages}
    unused = [m for key, m in old_messages.items() if key not in used and m.string]
    for message in template:
        if not message.id:
            continue
        entry = Message(message.id, context=message.context, locations=message.locations,
                        auto_comments=message.auto_comments)
        previous = old_messages.get((message.id, message.context))
        if previous is not None:
            entry.string = previous.string
            entry.user_comments = previous.user_comments
            if previous.fuzzy:
                entry.flags.add("fuzzy")
                entry.previous_id = previous.previous_id
        else:
            match = _closest(message, unused)
            if match is not None:
                unused.remove(match)
                entry.string = match.string
                entry.flags.add("fuzzy")
                entry.previous_id = [match.id]
        new[message.id] = entry
    for m in unused:  # keep what no longer matches as obsolete, so no translation is lost
        new.obsolete[(m.id, m.context) if m.context else m.id] = m
    return new


def _closest(message: Message, candidates: list[Message]) -> Message | None:
    """The old message a changed one most likely replaced: a paragraph of the same cell that is
    at least 30 % alike word by word, else any long message at least 70 % alike. Short labels are never
    matched across contexts: "on" and "one" are not one label edited."""
    pools = [([m for m in candidates if m.context == message.context], 0.3)] if message.context \
        else []
    if len(message.id) > 30:
        pools.append(([m for m in candidates if len(m.id) > 30], 0.7))
    for pool, cutoff in pools:
        scored = [(difflib.SequenceMatcher(None, message.id.split(), m.id.split()).ratio(), i)
                  for i, m in enumerate(pool)]
        scored = [s for s in scored if s[0] >= cutoff]
        if scored:
            return pool[max(scored)[1]]
    return None


def update(languages: tuple[str, ...] = TARGET_LANGUAGES) -> list[Path]:
    """Merge every template into every language's catalog; return the files that changed."""
    changed = []
    for domain, template in templates().items():
        for lang in languages:
            path = po_path(lang, domain)
            old = read_catalog(path, lang) if path.exists() else Catalog(locale=lang)
            if write_catalog(merge(old, template, lang), path):
                changed.append(path)
    return changed


def report() -> dict[tuple[str, str], dict[str, int]]:
    """Per (language, domain): how many messages are translated, fuzzy and missing."""
    counts = {}
    for domain, template in templates().items():
        ids = {(m.id, m.context) for m in template if m.id}
        for lang in TARGET_LANGUAGES:
            path = po_path(lang, domain)
            catalog = read_catalog(path, lang) if path.exists() else Catalog(locale=lang)
            done = fuzzy = 0
            for m in catalog:
                if (m.id, m.context) in ids and m.string:
                    fuzzy += m.fuzzy
                    done += not m.fuzzy
            counts[(lang, domain)] = {"messages": len(ids), "translated": done, "fuzzy": fuzzy,
                                      "missing": len(ids) - done - fuzzy}
    return counts
