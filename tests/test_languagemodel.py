"""The shipped character models (checked, loaded with their own vocabulary, measured as
recorded) and the tools that look inside them: features of a text, the states of every unit,
the unit that follows a feature, and the figure and table that show it."""

import logging

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import gatelab
from gatelab import charlm, checkpoints, fonts, languagemodel, plots, report
from gatelab.tables import Table

LANGS = ("en", "bn", "hi")


# --- features on hand-made strings ------------------------------------------------------------


def test_inside_brackets_counts_nesting_and_ignores_a_stray_closing_one():
    text = "a (b (c) d) e) f"
    expected = [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert languagemodel.inside_brackets(text).tolist() == expected


def test_inside_brackets_in_bengali_with_an_english_term():
    text = "ব্যবধান (long lags) সামলানো"
    inside = languagemodel.inside_brackets(text)
    assert inside[text.index("(")] == 1 and inside[text.index(" lags")] == 1
    assert inside[text.index(")")] == 0 and inside[:text.index("(")].sum() == 0


def test_inside_quotes_curly_straight_and_apostrophes():
    text = "say “hi” don’t \"x\" ‘y’ z"
    inside = languagemodel.inside_quotes(text)
    on = "".join(ch for ch, v in zip(text, inside, strict=True) if v)
    # the opening quote is read (inside from there), the closing one ends it; don’t is no quote
    assert on == "“hi\"x‘y"


def test_positions_in_the_word_and_the_sentence():
    text = "Ab cd. Ef।গা"
    assert languagemodel.position_in_word(text).tolist() == [1, 2, 0, 1, 2, 0, 0, 1, 2, 0, 1, 2]
    assert languagemodel.position_in_sentence(text).tolist() == [1, 2, 3, 4, 5, 0, 1, 2, 3, 0, 1, 2]
    # a vowel sign is part of its word
    assert languagemodel.in_word("কি ক").tolist() == [1, 1, 0, 1]


def test_memory_positions_leave_out_what_the_input_decides():
    text = "x (a, b) y"
    where = languagemodel.spaces_and_punctuation(text)
    assert [ch for ch, w in zip(text, where, strict=True) if w] == [" ", ",", " ", " "]


# --- finding a unit ---------------------------------------------------------------------------


def test_correlations_find_the_unit_that_equals_the_feature():
    rng = np.random.default_rng(0)
    text = "one (two three) four (five) six seven (eight nine ten) eleven " * 5
    feature = languagemodel.inside_brackets(text)
    h = rng.normal(size=(len(text), 12))
    c = rng.normal(size=(len(text), 12))
    c[:, 7] = -2.0 * feature + 0.5  # a unit that is the feature, upside down and shifted
    found = languagemodel.States(text, h, c)
    best = languagemodel.best_units(found, ["inside brackets"])[0]
    assert (best.state, best.unit) == ("c", 7)
    assert best.correlation == pytest.approx(-1.0) and best.memory == pytest.approx(-1.0)
    assert best.share == pytest.approx(feature.mean())


def test_a_unit_that_copies_the_input_has_no_memory_correlation():
    text = "ab (cd ef) gh (ij) kl mn (op qr st) uv " * 4
    is_space = np.array([ch == " " for ch in text], dtype=float)
    h = np.random.default_rng(1).normal(size=(len(text), 4)) * 0.01
    h[:, 2] = is_space
    correlation = languagemodel.correlations(h, languagemodel.inside_brackets(text),
                                             languagemodel.spaces_and_punctuation(text))
    assert abs(correlation[2]) < 1e-9  # at spaces it is constant: it says nothing there


def test_states_match_the_module_step_by_step():
    data = charlm.corpus("en")
    for kind in ("LSTM", "GRU", "RNN"):
        torch.manual_seed(0)
        model = charlm.CharLM(len(data.vocab), 16, 8, kind).eval()
        text = data.held_out[:40]
        found = languagemodel.states(model, data, text)
        with torch.no_grad():
            out, state = model.rnn(model.embed(data.encode(text)).unsqueeze(1))  # (T, 1, H)
        np.testing.assert_allclose(found.h, out[:, 0].numpy(), atol=1e-5)
        if kind == "LSTM":
            np.testing.assert_allclose(found.c[-1], state[1][0, 0].numpy(), atol=1e-5)
        else:
            assert found.c is None


def test_units_table_has_the_control_and_a_dash_for_input_decided_features():
    text = "ab (cd. ef) gh. (ij kl) mn" * 6
    rng = np.random.default_rng(2)
    found = languagemodel.best_units(languagemodel.States(text, rng.normal(size=(len(text), 5)),
                                                          rng.normal(size=(len(text), 5))))
    table = report.units(found, found)
    assert isinstance(table, Table) and len(table.rows) == len(languagemodel.FEATURES)
    word = list(languagemodel.FEATURES).index("inside a word")
    assert table.rows[word][4] is None and "—" in str(table)


# --- the shipped models -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_shipped_model_measures_what_was_recorded(lang):
    torch.set_num_threads(1)
    model, data = languagemodel.load(lang)
    record = languagemodel.record(lang)
    assert data.vocab == record["vocab"] and not model.training
    bits = charlm.bits_per_char(model, data.encode(data.held_out))
    assert bits == pytest.approx(record["held_out_bits"], abs=0.01)
    text = charlm.sample(model, data, data.held_out[:12], 60, 0.8, torch.Generator().manual_seed(0))
    assert len(text) == 60 and charlm.UNKNOWN not in text


def test_stored_vocabulary_wins_over_a_changed_corpus():
    built = charlm.corpus("bn")
    changed = charlm.Corpus("bn", built.train + " ☃☃☃", built.held_out, built.held_out_chapter,
                            [*built.vocab, "☃"])  # as if the course's text had a new symbol
    data = languagemodel.vocabulary("bn", changed)
    assert data.vocab == languagemodel.record("bn")["vocab"] != changed.vocab
    assert data.train == changed.train and data.held_out == built.held_out
    assert data.encode("☃").tolist() == [0]  # the model has never seen it: UNKNOWN


def test_shipped_files_are_small_and_recorded_with_provenance():
    for lang in LANGS:
        record = languagemodel.record(lang)
        size = len((checkpoints._files() / record["file"]).read_bytes())
        assert 100_000 < size < 2_500_000
        assert record["provenance"]["script"] == "scripts/char_lm_shipped.py"
        assert record["validation_bits"] < 3 and record["steps"] > 0


@pytest.fixture
def copied_data(tmp_path, monkeypatch):
    for name in ("checkpoints.json", "char_lm_hi.pt"):
        (tmp_path / name).write_bytes((checkpoints._files() / name).read_bytes())
    monkeypatch.setattr(checkpoints, "_files", lambda: tmp_path)
    return tmp_path


def test_altered_shipped_model_is_refused(copied_data):
    path = copied_data / "char_lm_hi.pt"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(checkpoints.CheckpointError, match="altered.*char_lm_shipped.py"):
        languagemodel.load("hi")


def test_unknown_language_lists_the_shipped_ones():
    with pytest.raises(checkpoints.CheckpointError, match="en, hi|bn, en, hi"):
        languagemodel.load("fr")


# --- the figure -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_unit_over_text_draws_every_script_without_missing_glyphs(lang, caplog):
    gatelab.use(lang)
    text = {"en": "Hochreiter and Schmidhuber (1997) tested it.",
            "bn": "দীর্ঘ সময়ের ব্যবধান (long time lags) সামলানোর জন্য।",
            "hi": "LSTM बनाया ही लंबे टाइम लैग (long time lags) के लिए गया था।"}[lang]
    values = languagemodel.inside_brackets(text) - 0.5
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        fig = plots.unit_over_text(text, values, lang, title="unit 3", width=20)
        FigureCanvasAgg(fig).draw()
    assert isinstance(fig, Figure)
    assert not [r for r in caplog.records if "glyph" in r.getMessage().lower()]
    drawn = "".join(t.get_text() for t in fig.axes[0].texts)
    assert drawn == text.replace(" ", "")  # every written unit, in order, shaped whole


def test_unit_over_text_keeps_conjuncts_whole_and_checks_lengths():
    assert plots._clusters("ক্ষি ক") == [(0, 4), (4, 5), (5, 6)]
    with pytest.raises(ValueError, match="one value per character"):
        plots.unit_over_text("abc", np.zeros(2), "en")


def test_unit_over_text_draws_on_given_axes():
    with matplotlib.rc_context(fonts.style("en")):
        fig = Figure()
        ax = fig.subplots()
    assert plots.unit_over_text("ab cd", np.arange(5.0), "en", ax=ax) is fig


def test_inside_unit_titles_the_feature_in_the_learners_language():
    gatelab.use("en")
    text = "ab (cd ef) gh (ij) kl"
    c = np.zeros((len(text), 3))
    c[:, 1] = languagemodel.inside_brackets(text)
    found = languagemodel.States(text, np.zeros((len(text), 3)), c)
    unit = languagemodel.best_units(found, ["inside brackets"])[0]
    fig = plots.inside_unit(found, unit, "en", slice(3, 12))
    assert "unit 1 of c" in fig.axes[0].get_title() and "+1.00" in fig.axes[0].get_title()
    assert "".join(t.get_text() for t in fig.axes[0].texts) == text[3:12].replace(" ", "")
    assert " ".join(fig.axes[-1].get_ylabel().split()) == "the unit's value minus its mean"


def test_shipped_table_and_samples_show_both_models():
    torch.set_num_threads(1)
    gatelab.use("en")
    shipped = languagemodel.load("en")
    data = charlm.corpus("en")
    torch.manual_seed(0)
    yours = charlm.CharLM(len(data.vocab), 16, 8)
    table = report.shipped_lm(shipped, yours=(yours, data))
    assert [row[0] for row in table.rows] == ["your model", "shipped model"]
    assert table.rows[1][4] == languagemodel.record("en")["held_out_bits"]
    measured = report.shipped_lm(shipped, measure=True).rows[0][4]
    assert measured == pytest.approx(table.rows[1][4], abs=0.01)
    assert table.rows[0][4] > table.rows[1][4]  # an untrained model is far worse
    assert "char_lm_shipped.py" in table.caption
    samples = report.shipped_samples(shipped, (yours, data), length=40)
    prompt = charlm.prompt_from(data)
    assert all(row[1].startswith(prompt) and len(row[1]) >= len(prompt) + 30
               for row in samples.rows)


def test_the_control_leaves_the_readers_random_state_alone():
    model = charlm.CharLM(10, 8, 4)
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    first = languagemodel.untrained_like(model, seed=1)
    assert torch.equal(torch.rand(3), expected)
    second = languagemodel.untrained_like(model, seed=1)
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(),
                                                  second.state_dict().values(), strict=True))


def test_clearest_is_the_largest_gain_over_the_control_where_memory_is_needed():
    def unit(feature, memory):
        return languagemodel.Unit(feature, "c", 0, 0.9, memory, 0.5)

    found = [unit("a", 0.5), unit("b", None), unit("c", -0.6), unit("d", 0.3)]
    control = [unit("a", 0.1), unit("b", None), unit("c", 0.5), unit("d", 0.0)]
    assert languagemodel.clearest(found, control).feature == "a"  # gains 0.4, 0.1 and 0.3
    with pytest.raises(ValueError, match="memory"):
        languagemodel.clearest(found[1:2], control[1:2])


def test_passage_holds_the_mark_and_whole_words():
    text = "one two three four (five six) seven eight nine ten eleven twelve (x)"
    where = languagemodel.passage(text, length=40)
    assert text[where] == "two three four (five six) seven eight"
    assert languagemodel.passage(text, length=30, skip=1).start > text.index("(")
    with pytest.raises(ValueError, match="has 2"):
        languagemodel.passage(text, skip=2)


def test_look_inside_works_on_a_live_sized_model_and_names_every_feature():
    data = charlm.corpus("hi")
    torch.manual_seed(0)
    model = charlm.CharLM(len(data.vocab), 32, 8)
    found, units, control = languagemodel.look_inside(model, data, data.held_out[:600])
    assert found.h.shape == found.c.shape == (600, 32)
    assert [u.feature for u in units] == [u.feature for u in control] == list(languagemodel.FEATURES)
    assert all(-1 <= u.correlation <= 1 and 0 <= u.unit < 32 for u in units + control)
