"""The catalog workflow: paragraphs, the fuzzy update, and the editions' handling of out-of-date
or missing translations."""

from babel.messages.catalog import Catalog

from gatelab.publish import catalogs, editions
from gatelab.publish.paragraphs import split_paragraphs, translatable


def test_split_keeps_code_and_display_math_whole():
    text = ("# Title\n\nFirst paragraph\nstill first.\n\n$$\na = b\n\nc = d\n$$\n\n"
            "```python\nx = 1\n\ny = 2\n```\n\n- one\n- two")
    parts = split_paragraphs(text)
    assert parts == ["# Title", "First paragraph\nstill first.", "$$\na = b\n\nc = d\n$$",
                     "```python\nx = 1\n\ny = 2\n```", "- one\n- two"]
    assert [translatable(p) for p in parts] == [True, True, False, False, True]
    assert not translatable("$h_t$ `x` <br> 42")


def template(*messages):
    catalog = Catalog(locale="en")
    for msgid, ctx in messages:
        catalog.add(msgid, context=ctx)
    return catalog


def translated(*messages):
    catalog = Catalog(locale="bn")
    for msgid, ctx, string in messages:
        catalog.add(msgid, string, context=ctx)
    return catalog


def test_update_keeps_changed_paragraphs_as_fuzzy_with_the_previous_english():
    old = translated(("The gate opens.", "intro", "গেট খোলে।"),
                     ("A paragraph that will be deleted entirely.", "old-cell", "মুছে যাবে।"),
                     ("Unchanged text.", "intro", "অপরিবর্তিত।"))
    new = catalogs.merge(old, template(("The gate opens wide.", "intro"),
                                       ("Unchanged text.", "intro"),
                                       ("Brand new paragraph.", "new-cell")), "bn")
    changed = new.get("The gate opens wide.", context="intro")
    assert changed.string == "গেট খোলে।" and changed.fuzzy
    assert changed.previous_id == ["The gate opens."]
    kept = new.get("Unchanged text.", context="intro")
    assert kept.string == "অপরিবর্তিত।" and not kept.fuzzy
    assert not new.get("Brand new paragraph.", context="new-cell").string
    assert [m.string for m in new.obsolete.values()] == ["মুছে যাবে।"]  # nothing is lost


def test_update_round_trips_through_a_po_file(tmp_path):
    long_old = "Old English with \"quotes\" and a long tail. " * 5  # wraps over several lines
    long_new = long_old + "Edited."
    old = translated(("Old English.", "c1", "পুরনো।"), (long_old, "c2", "দীর্ঘ।"))
    new_template = template(("Old English, edited.", "c1"), (long_new, "c2"))
    path = tmp_path / "x.po"
    catalogs.write_catalog(catalogs.merge(old, new_template, "bn"), path)
    text = path.read_text(encoding="utf-8")
    assert "#, fuzzy" in text and '#| msgid "Old English."' in text
    again = catalogs.read_catalog(path, "bn")
    assert again.get("Old English, edited.", context="c1").previous_id == ["Old English."]
    assert again.get(long_new, context="c2").previous_id == [long_old]
    assert not catalogs.write_catalog(catalogs.merge(again, new_template, "bn"), path)  # stable


def test_editions_mark_out_of_date_and_missing_translations():
    catalog = translated(("Fresh.", "c", "তাজা।"), ("Stale.", "c", "বাসি।"))
    catalog.get("Stale.", context="c").flags.add("fuzzy")
    cell = "Fresh.\n\nStale.\n\nMissing.\n\n$$x$$"
    out = split_paragraphs(editions.translate_cell(cell, "c", catalog, "bn"))
    assert out[0] == "তাজা।"
    assert out[1].startswith("বাসি।") and editions.STALE_CLASS in out[1]
    assert out[2].startswith("Missing.") and editions.MISSING_CLASS in out[2]
    assert out[3] == "$$x$$"


def test_every_markdown_cell_of_every_chapter_has_a_unique_id():
    for chapter in catalogs.chapters():
        paragraphs = list(catalogs.paragraphs(chapter))  # raises on a missing or repeated id
        assert len(paragraphs) > 20
