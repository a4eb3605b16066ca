"""What the notebooks show: tables (gatelab.tables) and the report functions that fill them.

The values of a table are read from ``table.rows``; the text and HTML forms are checked for their
structure (columns that line up, a real <table>), never word for word."""

import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
import torch
from IPython.core.formatters import DisplayFormatter

from gatelab import i18n, report
from gatelab.tables import Table, display_width
from gatelab.train import History

BENGALI, HINDI = "[\u0980-\u09ff]", "[\u0900-\u097f]"


def runs(*reached_at: int | None) -> list[History]:
    """One history per run, evaluated every 50 steps up to 300; a run reaches 97% at the step
    given (None: it stays at 50%). Each step takes 0.01 s."""
    histories = []
    for step in reached_at:
        steps = list(range(50, 301, 50))
        accuracy = [0.97 if step is not None and s >= step else 0.5 for s in steps]
        histories.append(History(steps, accuracy, [s / 100 for s in steps]))
    return histories


@pytest.fixture
def marked(monkeypatch):
    """Every language's catalog translates every message as «message»: a label that reaches
    the table without going through the catalog shows without the marks."""
    entry = lambda message, context=None: SimpleNamespace(string=f"«{message}»")  # noqa: E731
    monkeypatch.setattr(i18n, "catalog", lambda code, domain=None: SimpleNamespace(get=entry))
    with i18n.using("bn"):
        yield


def html_tree(table: Table) -> ET.Element:
    return ET.fromstring(f"<root>{table._repr_html_()}</root>")


# --- the table ------------------------------------------------------------------------------


SCRIPTS = Table(["ভাষা", "ধরন", "সেকেন্ড"],
                [["বাংলা", "পরীক্ষা", 0.58], ["हिन्दी", "अलग रखे वाक्य", 0.8],
                 ["English", "held-out", 0.425], ["क्षत्रिय", None, 1.0]],
                formats=["", "", ".1%"], missing="—")


def test_bengali_and_devanagari_cells_are_measured_by_display_width():
    # the reason for the table's padding: len() counts vowel signs and viramas as columns
    assert all(display_width(s) < len(s) for s in ("বাংলা", "हिन्दी", "क्षत्रिय", "পরীক্ষা"))
    assert display_width("English") == len("English")


def test_text_columns_line_up_by_display_width():
    lines = str(SCRIPTS).splitlines()
    header, rule, *rows = lines
    assert len(rows) == 4 and set(rule) <= {"-", " "}
    texts = [SCRIPTS.headers, *SCRIPTS.texts()]
    starts, ends = set(), set()
    for line, cells in zip([header, *rows], texts, strict=True):
        second = line.index(cells[1], len(cells[0])) if cells[1] else None
        if second is not None:  # the left-aligned middle column starts at one column
            starts.add(display_width(line[:second]))
        ends.add(display_width(line))  # the right-aligned last column ends at one column
    assert len(starts) == 1 and len(ends) == 1
    # the rule under each header is as wide as its column
    assert [len(dashes) for dashes in rule.split()] == [
        max(display_width(row[j]) for row in texts) for j in range(3)]


def test_numbers_are_formatted_when_shown_and_kept_as_numbers():
    assert SCRIPTS.rows[2][2] == 0.425 and SCRIPTS.cell(2, 2) == "42.5%"
    assert SCRIPTS.cell(3, 1) == "—"  # a missing value
    assert SCRIPTS.alignments == "llr"


def test_html_is_a_table_with_a_head_and_numbers_on_the_right():
    root = html_tree(SCRIPTS)
    (table,) = root.findall("table")
    assert [th.text for th in table.findall("thead/tr/th")] == list(SCRIPTS.headers)
    body = table.findall("tbody/tr")
    assert [[td.text for td in tr.findall("td")] for tr in body] == SCRIPTS.texts()
    styles = [td.get("style") for td in body[0].findall("td")]
    assert "right" in styles[2] and "left" in styles[0]
    assert "right" in table.findall("thead/tr/th")[2].get("style")


def test_html_escapes_what_a_notebook_passes():
    table = Table(["<b>model</b>"], [["LSTM & <GRU>"]])
    root = html_tree(table)
    assert root.find("table/thead/tr/th").text == "<b>model</b>"
    assert root.find("table/tbody/tr/td").text == "LSTM & <GRU>"


def test_a_notebook_shows_html_and_a_terminal_shows_text():
    data, _metadata = DisplayFormatter().format(SCRIPTS)
    assert data["text/html"].startswith('<table class="gatelab-table">')
    assert data["text/plain"] == str(SCRIPTS) == repr(SCRIPTS)


def test_a_row_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="2 cells in a table of 3 columns"):
        Table(["a", "b", "c"], [[1, 2]])
    with pytest.raises(ValueError, match="alignments"):
        Table(["a"], [[1]], align="c")


# --- races ----------------------------------------------------------------------------------


def test_summary_counts_the_runs_that_reached_the_target():
    assert report.reached(runs(100, 200, None), 0.95) == report.Reached(3, 2, 150, 1.5)
    assert report.reached(runs(None, None), 0.95) == report.Reached(2, 0, None, None)
    assert report.reached(runs(250), 0.95) == report.Reached(1, 1, 250, 2.5)
    assert report.reached(runs(100, 200, None), 0.4) == report.Reached(3, 3, 50, 0.5)


def test_race_of_several_runs_has_a_row_per_run_and_a_line_per_model():
    table = report.race({"GRU": runs(100, 200, 300), "LSTM": runs(None, 250, None)})
    assert [row[:2] for row in table.rows] == [["GRU", 1], ["GRU", 2], ["GRU", 3],
                                               ["LSTM", 1], ["LSTM", 2], ["LSTM", 3]]
    assert [row[4] for row in table.rows] == [100, 200, 300, None, 250, None]  # steps to 95%
    assert table.cell(3, 4) == i18n.gettext("never")
    gru, lstm = table.notes
    assert gru.startswith("GRU:") and "3 of 3" in gru and "200" in gru
    assert lstm.startswith("LSTM:") and "1 of 3" in lstm and "250" in lstm


def test_race_of_single_runs_has_no_run_column_and_no_summary():
    table = report.race({"RNN": runs(None)[0], "LSTM": runs(150)[0]})
    assert len(table.headers) == 5 and not table.notes
    assert table.rows[1] == ["LSTM", 0.97, 3.0, 150, 1.5]


def test_every_word_of_the_tables_goes_through_the_catalog(marked):
    race = report.race({"GRU": runs(100, None), "LSTM, forget bias 1": runs(None, None)})
    languages = report.accuracy_by_language({"train": 1.0, "all": 0.5, "bn": 0.5, "hi": 0.5})
    tables = [race, languages, report.checkpoints("temporal_order_rnn"),
              report.parameters(RNN=torch.nn.RNN(2, 3), GRU=torch.nn.GRU(2, 3)),
              report.step_times(RNN=0.001, LSTM=0.002),
              report.comparison(torch.zeros(2, 3), torch.ones(2, 3)),
              report.shapes(x=torch.zeros(2, 3))]
    for table in tables:
        assert all(h.startswith("«") for h in table.headers), table.headers
    words = [race.cell(i, 0) for i in range(4)] + [race.cell(i, 5) for i in (1, 2, 3)]
    words += [row[0] for row in languages.texts()]  # with the language names in them
    words += [tables[2].cell(0, 0), tables[2].cell(0, 1)]  # the model, the level
    assert all(w.startswith("«") for w in words), words
    assert "«Bengali»" in languages.texts()[2][0] and "«Hindi»" in languages.texts()[3][0]
    assert all(note.startswith("«") for note in race.notes)


@pytest.mark.parametrize("lang", ["bn", "hi"])
def test_tables_use_the_edition_catalog(lang):
    with i18n.using(lang):
        race = report.race({"RNN": runs(None)[0]})
        languages = report.accuracy_by_language({"bn": 0.5, "en": 0.5, "hi": 0.5})
    assert race.headers[0] == i18n.gettext("model", lang=lang)
    assert race.headers[3] == i18n.gettext("steps to {target:.0%}", lang=lang).format(target=0.95)
    assert race.cell(0, 3) == i18n.gettext("never", lang=lang)
    headers = [th.text for th in html_tree(race).findall("table/thead/tr/th")]
    assert headers == list(race.headers)
    # a language is named in the edition's language, not in its own script
    other = BENGALI if lang == "hi" else HINDI
    assert not any(re.search(other, row[0]) for row in languages.texts())


def test_parameter_and_time_ratios_are_numbers():
    table = report.parameters(RNN=torch.nn.RNN(7, 11), GRU=torch.nn.GRU(7, 11))
    assert [row[1:] for row in table.rows] == [[11 * 20, 1.0], [3 * 11 * 20, 3.0]]
    assert table.cell(0, 1) == "220"
    assert report.step_times(GRU=0.002, LSTM=0.001).rows[1][2] == pytest.approx(0.5)
