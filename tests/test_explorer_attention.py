"""Chapter 6's attention explorer (AttentionWidget, attention.js): what it accepts and the state it
holds, then in headless Chromium on a kernel-free page (page_html + page_scripts + host.js, every
outside request blocked, no script error allowed): pick the second example, step with the keyboard
and the buttons, read back the weights the input is shaded with against the given rows, the
answer's right/wrong marks, the heatmap's current row, the live region; labels in Bengali with the
embedded face; nothing overflows at 390 px. Last, the explorer inside a rendered HTML lesson
(gatelab.publish.pages.render_chapter on a small notebook, its fonts cut down to what it shows,
the explorer's text included). Screenshots:
build/screenshots/explorer_attention_{lang}_{width}.png and explorer_attention_lesson_{lang}.png.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import traitlets
from nbformat import v4

from gatelab import i18n, widgets
from gatelab.explorer import MIMETYPE, page_state
from gatelab.explorer.attention import ENDS, AttentionWidget, check_examples

SCREENSHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
ROOT_JS = "document.querySelector('.gatelab-attention')"
BENGALI = re.compile("[\u0980-\u09ff]")


def softmax(logits) -> np.ndarray:
    """Rows of a softmax: each sums to 1, as an attention layer's weights do."""
    logits = np.asarray(logits, dtype=np.float64)  # (T_out, S)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def examples() -> list[dict]:
    """Three made-up examples in Bengali number words: the first right, the second wrong at its
    fifth digit (weights as a torch tensor), the third stopping one digit early (NumPy)."""
    rng = np.random.default_rng(0)
    return [
        {"source": ["তেইশ", "হাজার", "চারশো", "ছয়"], "target": list("23406"),
         "output": ["2", "3", "4", "0", "6", "<end>"],
         "weights": softmax(3 * rng.normal(size=(6, 4))).tolist()},
        {"source": ["সাতাশি", "হাজার", "নয়শো", "বারো"], "target": list("87912"),
         "output": ["8", "7", "9", "1", "3", "<end>"],
         "weights": torch.softmax(3 * torch.randn(6, 4, generator=torch.Generator()
                                                  .manual_seed(1)), dim=1)},
        {"source": ["এক", "লক্ষ", "দুই", "হাজার", "তিনশো", "চল্লিশ", "পাঁচ"],
         "target": list("102345"), "output": ["1", "0", "2", "3", "4", "<end>"],
         "weights": softmax(2 * rng.normal(size=(6, 7)))},
    ]


def rows(example: dict) -> np.ndarray:
    weights = example["weights"]
    return weights.numpy() if isinstance(weights, torch.Tensor) else np.asarray(weights)


# --- Python: what the explorer accepts ---------------------------------------------------------


def test_examples_become_plain_lists_of_the_same_weights():
    given = examples()
    checked = check_examples(given)
    assert [e["source"] for e in checked] == [e["source"] for e in given]
    for example, plain in zip(given, checked, strict=True):
        assert isinstance(plain["weights"], list) and isinstance(plain["weights"][0][0], float)
        assert np.abs(np.array(plain["weights"]) - rows(example)).max() <= 1e-6  # tensor, array
    one = check_examples(given[0])  # one example on its own
    assert len(one) == 1 and one[0]["output"] == given[0]["output"]


@pytest.mark.parametrize("change, message", [
    (lambda e: e.update(weights=rows(e).T), r"shaped \(len\(output\), len\(source\)\) = \(6, 4\)"
                                            r".*got shape \(4, 6\)"),
    (lambda e: e.update(weights=[[0.5, 0.5]] * 6), r"= \(6, 4\).*got shape \(6, 2\)"),
    (lambda e: e.update(weights=[[1, 0, 0, 0]] * 5 + [[1, 0]]), r"got shape \?"),
    (lambda e: e.update(weights=np.full((6, 4), 0.3)),
     r"Example 2: the weights of output step 1 \('8'\) sum to 1.2000, not 1"),
    (lambda e: e["weights"].__setitem__(4, torch.tensor([0.5, 0.2, 0.2, 0.0])),
     r"output step 5 \('3'\) sum to 0.9000"),
    (lambda e: e.update(weights=np.tile([1.5, -0.5, 0, 0], (6, 1))),
     "between 0 and 1.*from -0.5 to 1.5"),
    (lambda e: e.update(weights=np.full((6, 4), np.nan)), "not numbers \\(nan or inf\\)"),
    (lambda e: e.pop("target"), "Example 2 has no target; each example needs"),
    (lambda e: e.update(source="সাতাশি হাজার"), "'source' must be a list of strings"),
    (lambda e: e.update(output=[8, 7, 9, 1, 3, 0]), "'output' must be a list of strings"),
    (lambda e: e.update(source=[]), "'source' is empty"),
])
def test_refuses_examples_it_cannot_show(change, message):
    given = examples()
    given[1]["weights"] = given[1]["weights"].clone()
    change(given[1])
    with pytest.raises(ValueError, match=message):
        check_examples(given)


def test_refuses_no_examples_and_too_many():
    for nothing in ([], None, "তেইশ", {}):
        with pytest.raises(ValueError, match="a list of examples, at least one|has no source"):
            check_examples(nothing)
    with pytest.raises(ValueError, match="Example 1 is not a dict"):
        check_examples([["তেইশ"]])
    with pytest.raises(ValueError, match="at most 100 examples; got 101"):
        check_examples(examples()[:1] * 101)


def test_widget_state_holds_the_examples():
    widget = widgets.AttentionExplorer(examples(), example=1, step=2)
    assert isinstance(widget, AttentionWidget)
    state = widget.get_state()
    assert state["examples"] == check_examples(examples())
    assert (state["example"], state["step"], state["end"]) == (1, 2, "<end>")
    page = page_state(widget)
    assert page["kind"] == "attention"
    assert set(page["state"]) == {"examples", "example", "step", "end", "labels"}
    data, _metadata = widget._repr_mimebundle_()
    assert data[MIMETYPE] == page
    # another example starts at its first step; steps and examples are checked
    widget.example = 2
    assert widget.step == 0
    with pytest.raises(traitlets.TraitError, match="no output step 6: .* 0 to 5"):
        widget.step = 6
    with pytest.raises(traitlets.TraitError, match="no example 3: the examples are 0 to 2"):
        widget.example = 3
    with pytest.raises(traitlets.TraitError, match="sum to"):
        widget.examples = [{**examples()[0], "weights": np.full((6, 4), 0.5)}]
    widget.step = 3
    widget.examples = examples()[:1]  # example 2 is gone: the first, at its first step
    assert (widget.example, widget.step) == (0, 0)
    widget.step = 5
    widget.examples = examples()[::-1]  # example 0 is still there, with step 5
    assert (widget.example, widget.step) == (0, 5)
    assert AttentionWidget._esm.rstrip().endswith("export default { render };")


def test_end_token_follows_the_examples():
    from gatelab import tasks

    assert ENDS[0] == tasks.NumberWords.END  # the number task's end token comes first
    as_the_task_writes = [{**examples()[0], "target": [*"23406", "</s>"],
                           "output": [*"23406", "</s>"]}]
    assert widgets.AttentionExplorer(as_the_task_writes).end == "</s>"
    assert widgets.AttentionExplorer(examples()).end == "<end>"
    assert widgets.AttentionExplorer(examples(), end="<eos>").end == "<eos>"


def test_labels_follow_the_edition():
    with i18n.using("bn"):
        bengali = widgets.AttentionExplorer(examples())
        with pytest.raises(ValueError) as problem:
            check_examples([])
    english = widgets.AttentionExplorer(examples())
    assert set(bengali.labels) == set(english.labels)
    for key, text in english.labels.items():
        assert bengali.labels[key] == i18n.gettext(text, lang="bn")
    assert BENGALI.search(bengali.labels["example"])  # a msgid the catalog already has
    assert str(problem.value) == i18n.gettext(
        "Give the attention explorer a list of examples, at least one: each a dict with the "
        "keys source, target, output and weights.", lang="bn")


# --- the page, in Chromium --------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    from explorer_browser import chromium

    yield from chromium()


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    from explorer_browser import fonts_css, write_page

    folder = tmp_path_factory.mktemp("attention")
    made = {}
    for lang in ("en", "bn"):
        with i18n.using(lang):
            made[lang] = write_page(folder / f"{lang}.html",
                                    [widgets.AttentionExplorer(examples())], lang, "attention")
    # the English page shows Bengali tokens too: it gets the Bengali face (as a lesson does)
    english = made["en"].read_text(encoding="utf-8")
    made["en"].write_text(english.replace("</head>", f"{fonts_css('bn')}</head>", 1),
                          encoding="utf-8")
    return made


@pytest.fixture
def open_page(browser, pages):
    from explorer_browser import Offline

    opened = []

    def open_(lang: str = "en", width: int = 1366, height: int = 768):
        opened.append(Offline(browser, pages[lang].as_uri(), width, height,
                              ready=f"{ROOT_JS} && {ROOT_JS}.querySelector('.gl-current-row')"))
        return opened[-1].page

    yield open_
    for page in opened:
        page.close()


def shown(page) -> dict:
    """What the page shows now: example, step, the input's weights (data and the text written
    under each token), the output tokens and their marks, the outlined heatmap row."""
    return page.evaluate(f"""() => {{
        const root = {ROOT_JS};
        const rowOf = (y) => [...root.querySelectorAll('.gl-heat-row')].findIndex(
            (g) => Math.abs(Number(g.querySelector('rect').getAttribute('y')) - y) < 0.5);
        return {{
            example: root.gatelab.example(), step: root.gatelab.step(),
            weights: root.gatelab.weights(),
            written: [...root.querySelectorAll('.gl-source .gl-weight')].map((s) => s.textContent),
            output: [...root.querySelectorAll('.gl-output .gl-token')].map((s) => s.textContent),
            ok: [...root.querySelectorAll('.gl-output li')].map((li) => li.dataset.ok === 'true'),
            current: [...root.querySelectorAll('.gl-output li')].findIndex(
                (li) => li.classList.contains('gl-current')),
            row: rowOf(Number(root.querySelector('.gl-current-row').getAttribute('y'))),
            slider: root.querySelector('input[type=range]').value,
            verdict: root.querySelector('.gl-verdict').textContent,
            model: [document.querySelector('.gatelab-explorer-host').gatelabModel.get('example'),
                    document.querySelector('.gatelab-explorer-host').gatelabModel.get('step')],
        }};
    }}""")


def check_step(page, example: dict, k: int, t: int) -> dict:
    now = shown(page)
    assert (now["example"], now["step"], now["model"]) == (k, t, [k, t])
    row = rows(example)[t]
    assert np.abs(np.array(now["weights"]) - row).max() <= 1e-6, (now["weights"], row)
    assert [float(w) for w in now["written"]] == pytest.approx(row, abs=0.005 + 1e-9)
    assert now["output"] == example["output"][:t + 1] and now["current"] == t
    assert now["row"] == t and now["slider"] == str(t + 1)
    return now


def test_pick_an_example_and_step_through_it(open_page):
    page = open_page()
    given = examples()
    labels = widgets.AttentionExplorer(given).labels
    check_step(page, given[0], 0, 0)

    page.get_by_label(labels["example"], exact=True).select_option(index=1)
    second = given[1]
    check_step(page, second, 1, 0)
    slider = page.get_by_label(labels["step"], exact=True)
    slider.focus()
    page.keyboard.press("ArrowRight")  # the slider's own key
    check_step(page, second, 1, 1)
    next_button = page.get_by_role("button", name=f"{labels['next']} ▶")
    next_button.click()
    check_step(page, second, 1, 2)
    page.keyboard.press("ArrowRight")  # on the focused button: the explorer's key
    check_step(page, second, 1, 3)
    page.keyboard.press("End")
    now = check_step(page, second, 1, 5)
    # the fifth digit is wrong (3 for 2), the rest right; the verdict says so
    assert now["ok"] == [True, True, True, True, False, True]
    mark = page.locator(".gatelab-attention .gl-output li").nth(4).locator(".gl-mark")
    assert mark.locator("[aria-hidden=true]").text_content() == "✗ 2"
    assert mark.locator(".gl-sr").text_content() == labels["wrong"].format(expected="2")
    assert now["verdict"].startswith("✗ ") and "87913" in now["verdict"] \
        and "87912" in now["verdict"]
    assert next_button.get_attribute("aria-disabled") == "true"
    page.keyboard.press("ArrowRight")  # past the end: stays there
    check_step(page, second, 1, 5)
    page.get_by_role("button", name=f"◀ {labels['previous']}").click()
    check_step(page, second, 1, 4)
    page.keyboard.press("Home")
    check_step(page, second, 1, 0)
    # a click on a heatmap row goes to its step
    page.locator(".gatelab-attention .gl-heat-row[data-step='3'] rect").first.click()
    check_step(page, second, 1, 3)
    top = second["source"][int(rows(second)[3].argmax())]
    expected = labels["say"].format(step=4, steps=6, token="1", verdict=labels["right"],
                                    top=top, weight=f"{rows(second)[3].max():.2f}")
    # the live region speaks after a short pause (so that a screen reader is not flooded while
    # keys repeat): wait for it to say step 4, then read it
    try:
        page.wait_for_function(f"text => {ROOT_JS}.querySelector('.gl-live').textContent === text",
                               arg=expected, timeout=5000)
    except Exception:
        pass  # the assertion below shows what it says instead
    said = page.evaluate(f"{ROOT_JS}.querySelector('.gl-live').textContent")
    assert said == expected
    alt = page.evaluate(f"{ROOT_JS}.querySelector('svg.gl-heatmap-plot').getAttribute('aria-label')")
    assert f"'{top}'" in alt and "6" in alt

    # the third example stops a digit early: its end token is wrong, where the 5 should be
    page.get_by_label(labels["example"], exact=True).select_option(index=2)
    third = given[2]
    check_step(page, third, 2, 0)
    page.get_by_label(labels["step"], exact=True).fill("6")
    now = check_step(page, third, 2, 5)
    assert now["ok"] == [True, True, True, True, True, False]
    assert page.locator(".gatelab-attention .gl-output li").nth(5) \
        .locator(".gl-mark [aria-hidden=true]").text_content() == "✗ 5"
    assert now["verdict"] == "✗ " + labels["verdict_wrong"].format(answer="10234",
                                                                  target="102345")
    # reset: the first example, first step; a step set from Python shows
    page.get_by_role("button", name=labels["reset"]).click()
    check_step(page, given[0], 0, 0)
    page.evaluate("document.querySelector('.gatelab-explorer-host').gatelabModel.set('step', 4)")
    check_step(page, given[0], 0, 4)
    page.wait_for_function("(window.gatelabFrames || []).length >= 8")


LAYOUT = f"""() => {{
    const root = {ROOT_JS};
    const sizes = [...root.querySelectorAll('text, label, output, select, button, span, h4, p')]
        .filter((e) => e.textContent.trim() && !e.closest('.gl-live, .gl-sr'))
        .map((e) => parseFloat(getComputedStyle(e).fontSize));
    return {{ scroll: document.documentElement.scrollWidth, smallest: Math.min(...sizes),
              overflow: [...root.querySelectorAll('*')].filter(
                  (e) => e.getBoundingClientRect().right > innerWidth + 0.5).map((e) => e.tagName),
              height: root.getBoundingClientRect().height }};
}}"""


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_labels_fonts_and_layout(open_page, lang):
    """Every label is the widget's (Bengali where the catalog has it), the Bengali tokens are
    drawn with the embedded face; at 390 px (and at 150 % text) nothing overflows sideways and no
    text is under 12 px; at 1366x768 the explorer is at most 520 px high."""
    from explorer_browser import DRAWN, platform_fonts

    with i18n.using(lang):
        labels = widgets.AttentionExplorer(examples()).labels
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in [(1366, 768), (390, 844)]:
        page = open_page(lang, width, height)
        page.evaluate("document.fonts.ready")
        texts = page.evaluate(f"""[...{ROOT_JS}.querySelectorAll('label, h4, button')]
                                  .map((e) => e.textContent)""")
        assert labels["example"] in texts and labels["source"] in texts
        assert f"{labels['next']} ▶" in texts and labels["reset"] in texts
        if lang == "bn":
            assert BENGALI.search(labels["example"]) and BENGALI.search(labels["size"])
            token = page.locator(".gatelab-attention .gl-source .gl-token").first
            drawn = platform_fonts(page, token.element_handle())
            assert drawn.get(DRAWN["bn"], 0) >= 3, drawn  # তেইশ: not boxes, not a system face
        page.get_by_role("button", name=f"{labels['next']} ▶").click()
        page.wait_for_timeout(50)
        page.screenshot(path=SCREENSHOTS / f"explorer_attention_{lang}_{width}.png",
                        full_page=True)
        layout = page.evaluate(LAYOUT)
        print(f"\n{lang} at {width}px: explorer height {layout['height']:.0f} px, smallest text "
              f"{layout['smallest']:.1f} px")
        assert layout["scroll"] <= width and not layout["overflow"], layout
        assert layout["smallest"] >= 12, layout
        if width >= 1024:  # beside each other: fits a projected laptop screen, as the others
            assert layout["height"] <= 520, layout
        if width == 390:  # seven long words at 150 %: the heatmap's labels slant, still inside
            page.get_by_label(labels["example"], exact=True).select_option(index=2)
            page.get_by_label(labels["size"], exact=True).select_option("150")
            page.wait_for_timeout(100)
            layout = page.evaluate(LAYOUT)
            assert layout["scroll"] <= width and not layout["overflow"], layout
            assert page.locator(".gatelab-attention .gl-heatmap-plot text[transform]").count() \
                == 7
            page.screenshot(path=SCREENSHOTS / f"explorer_attention_{lang}_{width}_150.png",
                            full_page=True)


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_in_a_rendered_lesson(browser, tmp_path, lang):
    """A small notebook whose output is the explorer, rendered as the lessons are
    (gatelab.publish.pages.render_chapter: fonts and scripts inline): the explorer starts and
    steps in Chromium with no kernel, its Bengali tokens drawn with the page's embedded face,
    in the English lesson too (its prose has no Bengali: the explorer's state brings the face)."""
    from explorer_browser import DRAWN, Offline, platform_fonts
    from gatelab.publish import pages, webfonts

    with i18n.using(lang):
        widget = widgets.AttentionExplorer(examples())
        data, _metadata = widget._repr_mimebundle_()
    title = {"bn": "# মনোযোগ\n\nসংখ্যার কথা থেকে অঙ্ক।", "en": "# Attention\n\nWords to digits."}
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell(title[lang], id="title"),
                v4.new_code_cell("widgets.AttentionExplorer(examples)", id="explorer",
                                 outputs=[v4.new_output("display_data", data=data)])]
    nbformat.validate(nb)
    html = pages.render_chapter(pages.Chapter("06_attention", lang, nb))
    assert html.count('<script data-gatelab-explorer="attention">') == 1
    # the page's fonts are cut down to what it shows: that includes the explorer's tokens and
    # labels, in both weights (headings are bold), and the parts of a two-part vowel sign (ো)
    regular, bold = webfonts.page_characters(html)
    words = [t for e in examples() for k in ("source", "output") for t in e[k]]
    shown = {ord(c) for text in [*words, *widget.labels.values()]
             for c in unicodedata.normalize("NFD", text)}
    assert not shown - regular and not shown - bold, sorted(map(chr, shown - (regular & bold)))
    path = tmp_path / "06_attention.html"
    path.write_text(html, encoding="utf-8")
    opened = Offline(browser, path.as_uri(), 1100, 900,
                     ready=f"{ROOT_JS} && {ROOT_JS}.querySelector('.gl-current-row')")
    page = opened.page
    page.evaluate("document.fonts.ready")
    page.get_by_role("button", name=f"{widget.labels['next']} ▶").click()
    check_step(page, examples()[0], 0, 1)
    token = page.locator(".gatelab-attention .gl-source .gl-token").first
    drawn = platform_fonts(page, token.element_handle())
    assert drawn.get(DRAWN["bn"], 0) >= 3, drawn  # the lesson's embedded face
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"explorer_attention_lesson_{lang}.png", full_page=True)
    opened.close()


def test_as_the_notebook_loads_it(browser):
    """anywidget's path: the widget's one ES module imported on its own (no other request) and
    rendered over a model like anywidget's; the learner's steps are saved to the model (what
    goes back to the kernel), and a step the kernel sets is shown."""
    import base64

    from explorer_browser import Offline

    widget = widgets.AttentionExplorer(examples(), example=1)
    opened = Offline(browser, None, 900, 700)
    page = opened.page
    page.set_content("<!doctype html><meta charset='utf-8'><title>anywidget</title><div id=w></div>")
    url = "data:text/javascript;base64," + base64.b64encode(widget._esm.encode()).decode()
    page.evaluate("""async ([url, state]) => {
        const listeners = {};
        window.saved = [];
        window.model = {
            get: (key) => state[key],
            set: (key, value) => { state[key] = value; },
            save_changes: () => window.saved.push([state.example, state.step]),
            on: (event, f) => { (listeners[event] ??= []).push(f); },
            off: () => {},
            fromKernel: (key, value) => { state[key] = value;
                                          (listeners[`change:${key}`] ?? []).forEach((f) => f()); },
        };
        const explorer = (await import(url)).default;
        explorer.render({ model: window.model, el: document.getElementById('w') });
    }""", [url, page_state(widget)["state"]])
    check_step(page_without_host(page), examples()[1], 1, 0)
    page.locator(".gatelab-attention .gl-next").click()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.saved") == [[1, 1], [1, 2]]
    page.evaluate("window.model.fromKernel('step', 4)")
    assert page.evaluate(f"{ROOT_JS}.gatelab.step()") == 4
    assert page.evaluate("window.saved") == [[1, 1], [1, 2]]  # not echoed back
    # new examples set from Python (it sets example and step first: its own checks)
    third = examples()[2]
    page.evaluate("(state) => { window.model.set('example', 0); window.model.set('step', 2);"
                  " window.model.fromKernel('examples', state.examples); }",
                  page_state(widgets.AttentionExplorer([third]))["state"])
    check_step(page, third, 0, 2)
    assert page.locator(".gatelab-attention select.gl-example option").count() == 1
    opened.close()


def page_without_host(page):
    """The page seen by check_step, with window.model where host.js would keep its model."""
    page.evaluate("""() => { const host = document.createElement('div');
        host.className = 'gatelab-explorer-host'; host.gatelabModel = window.model;
        document.body.prepend(host); }""")
    return page
