"""The HTML lessons (gatelab.publish: pages, site, outputs, bilingual, explorers, webfonts) on a tiny
executed notebook built in memory."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import nbformat
import pytest
from nbformat import v4
from PIL import Image

from gatelab import mimetypes
from gatelab.publish import bilingual, catalogs, explorers, markdown, outputs, pages, site, webfonts
from gatelab.publish.paragraphs import paragraph_spans, split_paragraphs

ENGLISH = """\
# A tiny chapter

A recurrent network reads $x^2$ one step at a time.

$$
\\sum_t h_t
$$

- the first item

- the second item

<details><summary>Answer</summary>

The answer is $h_t$.

</details>
"""

BENGALI = """\
# একটি ছোট অধ্যায়

একটি রিকারেন্ট নেটওয়ার্ক $x^2$ এক ধাপে একটি করে পড়ে। <span class="gatelab-stale">⚠ পুরোনো</span>

$$
\\sum_t h_t
$$

- প্রথম বিষয়

- দ্বিতীয় বিষয়

<details><summary>উত্তর</summary>

উত্তর হল $h_t$।

</details>
"""

#: the English paragraphs that have words, so get an original in the Bengali page: six in
#: the first cell ("The answer is" too, but not the closing </details>), two in the second
TRANSLATABLE = 8
EXTERNAL = re.compile(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//",
                      re.IGNORECASE)


def png(color: str, size: tuple[int, int] = (40, 24)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


class FakePage:
    """gatelab.explorer.page (which imports torch): a container per explorer, scripts once."""

    @staticmethod
    def page_html(state: dict) -> str:
        return f'<div class="gatelab-explorer-host" data-kind="{state["kind"]}"></div>'

    @staticmethod
    def page_scripts(kinds) -> str:
        return f"<script data-gatelab-host>/* {' '.join(kinds)} */</script>\n"


@pytest.fixture(scope="module", autouse=True)
def explorer_module():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(explorers, "_page_module", lambda: FakePage)
        yield


def notebook(markdown: str, lang: str) -> nbformat.NotebookNode:
    nb = v4.new_notebook()
    text = v4.new_markdown_cell(markdown, id="intro")
    text.metadata["id"] = "intro"
    code = v4.new_code_cell(f'import gatelab\ngatelab.use("{lang}")\nprint("hello")', id="code")
    code.outputs = [
        v4.new_output("stream", name="stdout", text="hello from stdout\n"),
        v4.new_output("stream", name="stderr", text="UserWarning: noise\n"),
        v4.new_output("display_data", data={"image/png": base64.b64encode(png("purple")).decode(),
                                            "text/plain": "<Figure>"}),
        v4.new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "m1", "version_major": 2},
            mimetypes.SPEC_MIMETYPE: {"kind": "vanishing", "state": {"radius": 0.9}},
            "text/plain": "VBox()"}),
        v4.new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "m2", "version_major": 2},
            "text/plain": "VBox()"}),
        v4.new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "m3", "version_major": 2},
            "text/plain": "HBox(children=(IntProgress(value=0, description='GRU 0'),))"},
            metadata=mimetypes.PROGRESS_METADATA),
        v4.new_output("error", ename="ValueError", evalue="bad input",
                      traceback=["\x1b[0;31mValueError\x1b[0m: bad input"]),
    ]
    section = v4.new_markdown_cell("## Second part\n\nMore text.", id="second")
    section.metadata["id"] = "second"
    nb.cells = [text, code, section]
    return nb


def render(lang: str) -> str:
    english = pages.english_cells(notebook(ENGLISH, "en"))
    source = ENGLISH if lang == "en" else BENGALI
    chapter = pages.Chapter("01_tiny", lang, notebook(source, lang), english=english)
    return pages.render_chapter(chapter, {"01_tiny": chapter.title, "02_next": "Next one"})


@pytest.fixture(scope="module")
def english_page() -> str:
    return render("en")


@pytest.fixture(scope="module")
def bengali_page() -> str:
    return render("bn")


def test_page_loads_nothing_from_outside(english_page):
    assert "<script src" not in english_page.lower()
    assert not EXTERNAL.search(english_page)
    assert not re.search(r"require\.js|mathjax|cdn\.", english_page, re.IGNORECASE)
    assert english_page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in english_page


def test_math_is_mathml(english_page):
    assert english_page.count("<math") == 3  # x^2, the display sum, h_t inside the answer
    assert '<math display="block">' in english_page
    assert "$" not in re.sub(r"<script.*?</script>", "", english_page, flags=re.DOTALL)


def test_fonts_embedded_as_woff2(english_page):
    faces = re.findall(r"@font-face\{[^}]*\}", english_page)
    assert faces and all("data:font/woff2;base64," in face for face in faces)
    families = {re.search(r'font-family:"([^"]+)"', face).group(1) for face in faces}
    # English text, and the language switch names বাংলা and हिन्दी in their own scripts
    assert families == {"Noto Sans", "Noto Sans Bengali", "Noto Sans Devanagari"}


def test_code_and_outputs(english_page):
    assert 'class="highlight"' in english_page and "hello from stdout" in english_page
    assert "UserWarning" not in english_page  # stderr chatter dropped
    assert "ValueError: bad input" in english_page and "\x1b" not in english_page
    assert english_page.count("data:image/png;base64,") == 1  # the figure
    assert english_page.count("This interactive figure needs a running notebook.") == 1
    assert "GRU 0" not in english_page  # a progress bar is left out: its run's table says more


def test_explorer_computed_in_the_page(english_page):
    assert english_page.count('<div class="gatelab-explorer-host" data-kind="vanishing">') == 1
    assert english_page.count("<script data-gatelab-host>/* vanishing */</script>") == 1
    # the widget's own view (it needs a kernel) is not shown in its place
    assert "needs a running notebook" not in english_page.split("gatelab-explorer-host")[0][-300:]


def test_bengali_page_has_english_originals(bengali_page):
    assert '<html lang="bn">' in bengali_page
    originals = re.findall(r'<details class="original">.*?<div class="en" lang="en">(.*?)</div>'
                           r"</details>", bengali_page, re.DOTALL)
    assert len(originals) == TRANSLATABLE
    assert "A recurrent network reads" in originals[1] and "<math" in originals[1]
    assert 'id="toggle-originals"' in bengali_page
    # the practice answer stays one well-formed <details>, the original inside it
    assert bengali_page.count("<details") == bengali_page.count("</details>")
    answer = re.search(r"<details><summary>উত্তর</summary>.*?</details>\n</details>",
                       bengali_page, re.DOTALL).group(0)
    assert "The answer is" in answer
    # the English list items stay inside their <li>
    assert re.search(r"<li>\s*<p>প্রথম বিষয়</p>\s*<details class=\"original\">", bengali_page)


def test_stale_translation_is_marked(bengali_page):
    assert re.search(r'<p class="flagged">[^<]*রিকারেন্ট', bengali_page)
    assert 'class="gatelab-stale"' in bengali_page


def test_english_page_has_no_originals(english_page):
    assert 'class="original"' not in english_page and 'id="toggle-originals"' not in english_page


def test_page_strings_are_translated(monkeypatch):
    monkeypatch.setattr("gatelab.i18n.gettext",
                        lambda message, context=None, lang=None: f"[{lang}] {message}")
    page = render("bn")
    assert "[bn] Run this chapter in JupyterLab to change the code." in page
    assert "[bn] Show all English originals" in page


def test_page_strings_reach_the_catalog():
    """The extractor (`python -m gatelab.publish extract`) sees every string a page shows, in
    the Python modules and in the Jinja2 templates; a call inside an f-string would be
    invisible to it."""
    found = {message.id for message in catalogs.package_template()}
    assert {"Contents", "Previous", "Next", "Language", "Lessons", "EN",
            "Show all English originals", "Hide all English originals",
            "Run this chapter in JupyterLab to change the code.",
            "This interactive figure needs a running notebook.",
            "Show the English original", "This page works offline: it loads nothing from the "
            "network.",
            "gatelab — recurrent neural networks"} <= found


def test_no_bengali_or_hindi_hard_coded():
    folder = Path(site.__file__).parent
    for path in [*folder.glob("*.py"), *(folder / "templates").glob("*.html")]:
        source = path.read_text(encoding="utf-8")
        assert not re.search("[\u0900-\u09ff]", source), f"{path.name}: page strings go " \
            "through the catalog"


def test_fonts_follow_the_script_of_the_text():
    latin = webfonts.font_faces_css("<p>Hello <strong>world</strong></p>")
    assert '"Noto Sans"' in latin and "Bengali" not in latin and "Devanagari" not in latin
    assert '"Noto Sans";font-style:normal;font-weight:700' in latin
    bengali = webfonts.font_faces_css("<p>Hello বাংলা</p><math><mi>अ</mi></math>")
    assert '"Noto Sans Bengali";font-style:normal;font-weight:400' in bengali
    assert "Devanagari" not in bengali  # the browser draws math with its math font
    assert "font-weight:700" not in bengali  # nothing is bold


def test_subset_is_small():
    woff2 = webfonts.subset_woff2("NotoSansBengali-Regular.ttf", {ord(c) for c in "বাংলা কর্ম"})
    assert woff2[:4] == b"wOF2" and len(woff2) < 20_000


@pytest.mark.parametrize("text", [ENGLISH, BENGALI, "one\n\n\n```\ncode\n\nmore\n```\n\n- a\n- b"])
def test_paragraph_spans_match_split_paragraphs(text):
    lines = text.split("\n")
    spans = paragraph_spans(text)
    assert ["\n".join(lines[a:b]) for a, b in spans] == split_paragraphs(text)


def test_balance_tags_keeps_a_fragment_closed():
    assert bilingual.balance_tags("<details><summary>Answer</summary>", drop=("details", "summary")) \
        == "Answer"
    assert bilingual.balance_tags("text</div><b>bold</b><i>open") == "text<b>bold</b>open"


def test_consecutive_prints_are_one_block():
    prints = [v4.new_output("stream", name="stdout", text="epoch 1\n"),
              v4.new_output("stream", name="stdout", text="epoch 2\n")]
    cell = v4.new_code_cell("train()", outputs=prints)
    html = outputs.render_code_cell(cell, outputs.Context("en"))
    assert html.count("<pre class=\"output stream\">") == 1 and "epoch 1\nepoch 2" in html


def test_a_table_a_cell_returns_is_a_table_in_the_page():
    from gatelab.tables import Table

    table = Table(["মডেল", "সঠিকতা"], [["GRU", 0.97]], formats=["", ".1%"], notes=["GRU: 1/1"])
    result = v4.new_output("execute_result", execution_count=1,
                           data={"text/html": table._repr_html_(), "text/plain": str(table)})
    cell = outputs.render_code_cell(v4.new_code_cell("report.race(h)", outputs=[result]),
                                 outputs.Context("bn"))
    shown = cell.split('<div class="outputs">', 1)[1]
    assert shown.startswith('<div class="output html"><table class="gatelab-table">')
    assert "<pre" not in shown  # the HTML form only, not the text form as well
    page = pages.page("bn", "tables", cell)
    assert "table.gatelab-table" in page and not EXTERNAL.search(page)
    # the header is bold: its Bengali letters are in the embedded bold Bengali font
    assert re.search(r'font-family:"Noto Sans Bengali";font-style:normal;font-weight:700', page)


def test_figure_without_picture_is_an_error():
    with pytest.raises(ValueError, match="MPLBACKEND"):
        outputs.render_bundle({"text/plain": "<Figure size 640x480 with 1 Axes>"}, {},
                           outputs.Context("en"))


def test_remote_markdown_image_is_not_loaded():
    html = markdown.render_markdown("![a plot](https://example.org/plot.png)")
    assert "<img" not in html and "[a plot]" in html


def test_build_site(tmp_path):
    executed = tmp_path / "executed"
    for lang, source in (("en", ENGLISH), ("bn", BENGALI)):
        (executed / lang).mkdir(parents=True)
        nbformat.write(notebook(source, lang), executed / lang / "01_tiny.ipynb")
    out = tmp_path / "site"
    written = site.build_site(("en", "bn"), executed=executed, out=out, workers=1)
    assert {p.relative_to(out).as_posix() for p in written} == {
        "en/01_tiny.html", "en/index.html", "bn/01_tiny.html", "bn/index.html", "index.html"}
    bn = (out / "bn" / "01_tiny.html").read_text(encoding="utf-8")
    assert 'href="../en/01_tiny.html"' in bn and 'href="../hi/01_tiny.html"' in bn
    assert bn.count('class="original"') == TRANSLATABLE  # paired with the executed English
    index = (out / "bn" / "index.html").read_text(encoding="utf-8")
    assert '<a href="01_tiny.html">একটি ছোট অধ্যায়</a>' in index
    chooser = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{code}/index.html">{name}</a>' in chooser
               for code, name in site.i18n.LANGUAGES.items())
    for path in written:
        assert not EXTERNAL.search(path.read_text(encoding="utf-8"))
