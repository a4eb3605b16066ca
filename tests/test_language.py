"""Chapter 5's character language model (gatelab.charlm): the corpus is the chapters' own prose,
cleaned and split by chapter; the model learns, samples reproducibly and is measured in bits;
and the akshara check finds each broken rule in Bengali and in Devanagari."""

import math
import unicodedata

import pytest
import torch

from gatelab import charlm


@pytest.fixture(scope="module")
def bengali():
    return charlm.corpus("bn")


# --- the corpus -----------------------------------------------------------------------------


def test_clean_strips_math_code_html_and_markup():
    text = ("## A *heading*\n\nThe state $h_t = \\tanh(W x)$ and `nn.LSTM(8, 32)` "
            "<b>bold</b> [a link](https://x.org) | cell |\n$$\\sum_t L_t$$ end\n- item")
    assert charlm.clean(text) == "A heading The state and bold a link cell end item"
    decomposed = "\u0995\u09c7\u09be"  # ক + ে + া: NFC makes it কো (U+09CB)
    assert charlm.clean(decomposed) == "\u0995\u09cb"


@pytest.mark.parametrize("lang", ["en", "bn", "hi"])
def test_chapter_texts_are_prose_of_every_chapter(lang):
    texts = charlm.chapter_texts(lang)
    assert list(texts)[:4] == ["01_rnn", "02_lstm", "03_gru", "04_long_lags"]
    for name, text in texts.items():
        assert len(text) > 5000, name
        assert not any(mark in text for mark in ("```", "$", "<div", "import torch", "+++")), name
        assert unicodedata.is_normalized("NFC", text)
    script = {"en": "LATIN", "bn": "BENGALI", "hi": "DEVANAGARI"}[lang]
    letters = [ch for ch in texts["01_rnn"] if ch.isalpha()]
    native = sum(unicodedata.name(ch, "").startswith(script) for ch in letters)
    assert native / len(letters) > 0.8  # the translation, not the English msgid


def test_corpus_holds_out_chapter_4_and_encodes_unknowns(bengali):
    assert list(charlm.chapter_texts("bn")) == list(charlm.CHAPTERS)  # not Chapter 5 or later
    assert bengali.held_out_chapter == charlm.HELD_OUT == "04_long_lags"
    assert bengali.held_out[:200] not in bengali.train
    assert bengali.vocab[0] == charlm.UNKNOWN and len(set(bengali.vocab)) == len(bengali.vocab)
    piece = bengali.train[1000:1300]
    assert bengali.decode(bengali.encode(piece)) == piece
    assert bengali.decode(bengali.encode("ক\u4e2dখ")) == "ক" + charlm.UNKNOWN + "খ"  # 中: unseen
    with pytest.raises(ValueError, match="01_rnn"):
        charlm.corpus("bn", held_out="09_nothing")


@pytest.mark.parametrize("lang", ["bn", "hi"])
def test_the_course_text_is_well_formed(lang):
    data = charlm.corpus(lang)
    check = charlm.aksharas(data.train + data.held_out)
    assert check.syllables > 20000
    assert check.share > 0.999, check.errors[:10]


# --- the model ------------------------------------------------------------------------------


def test_charlm_kinds_and_shapes():
    for kind in ("RNN", "GRU", "LSTM"):
        model = charlm.CharLM(20, hidden_size=8, embedding_size=4, kind=kind)
        scores, state = model(torch.zeros(7, 3, dtype=torch.long))
        assert scores.shape == (7, 3, 20)
    with pytest.raises(ValueError, match="RNN, GRU, LSTM"):
        charlm.CharLM(20, kind="Transformer")


def test_bits_per_char_of_a_model_that_knows_nothing_is_log2_of_the_vocabulary():
    model = charlm.CharLM(50, hidden_size=8, embedding_size=4)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()  # every score 0: a uniform guess over 50 symbols
    assert charlm.bits_per_char(model, torch.randint(0, 50, (300,))) == pytest.approx(math.log2(50))


def test_training_lowers_held_out_bits_and_samples_are_reproducible(bengali):
    torch.manual_seed(0)
    model = charlm.CharLM(len(bengali.vocab), hidden_size=64, embedding_size=16)
    seen = []
    history = charlm.fit(model, bengali, seconds=None, steps=120, batch_size=16, chunk_length=32,
                         evaluate_every=60, held_out_chars=1500, prompt="এই ", sample_length=150,
                         progress=lambda step, bits: seen.append((step, bits)))
    assert history.steps == [0, 60, 120]
    assert seen == list(zip(history.steps, history.held_out_bits, strict=True))
    # a sample at every evaluation, with its share of well-formed syllables
    assert [len(text) for text in history.samples] == [150] * 3
    assert history.well_formed == [charlm.aksharas(t).share for t in history.samples]
    assert history.well_formed[-1] > history.well_formed[0]  # untrained: marks anywhere
    assert history.held_out_bits[0] > math.log2(len(bengali.vocab)) - 0.5
    assert history.final < 4.0  # a uniform guess is log2(127) = 7 bits
    one = charlm.sample(model, bengali, "এই ", 80, 1.0, torch.Generator().manual_seed(3))
    two = charlm.sample(model, bengali, "এই ", 80, 1.0, torch.Generator().manual_seed(3))
    other = charlm.sample(model, bengali, "এই ", 80, 1.0, torch.Generator().manual_seed(4))
    assert one == two and one != other and len(one) == 80
    cold = charlm.sample(model, bengali, "এই ", 80, 0.05, torch.Generator().manual_seed(3))
    assert len(set(cold)) < len(set(charlm.sample(model, bengali, "এই ", 80, 3.0,
                                                    torch.Generator().manual_seed(3))))
    with pytest.raises(ValueError, match="above 0"):
        charlm.sample(model, bengali, "এই ", 5, 0.0)


# --- aksharas -------------------------------------------------------------------------------

GOOD = [
    "আমি বাংলায় গান গাই",      # য় = য + nukta after NFC; ি and া after consonants
    "ক্ষমা করো",                 # a conjunct: consonant, virama, consonant
    "চাঁদ দুঃখ রং",               # chandrabindu and visarga after a vowel sign, anusvara after a consonant
    "বড়ো অ্যাপ",                  # consonant + nukta + vowel sign; অ্যা, the /æ/ spelling
    "हिन्दी में लिखना",             # Devanagari: vowel signs, a conjunct, anusvara after a vowel sign
    "ज़िंदगी दुःख चाँद",             # nukta then vowel sign then anusvara; visarga; chandrabindu
    "क्षत्रिय क़लम",
]


@pytest.mark.parametrize("text", GOOD)
def test_well_formed_words_pass(text):
    check = charlm.aksharas(text)
    assert check.errors == [] and check.share == 1.0 and check.syllables > 2


# (text, the rule it breaks), one Bengali and one Devanagari string for each case
BAD = [
    ("া আম", "vowel sign without consonant"),       # rule 1: at a word's start
    ("ाम", "vowel sign without consonant"),
    ("আি", "vowel sign without consonant"),         # rule 1: after an independent vowel
    ("अि", "vowel sign without consonant"),
    ("কि", "vowel sign without consonant"),         # rule 1: a Devanagari sign after a Bengali letter
    ("কাি", "two vowel signs"),                     # rule 2
    ("कीे", "two vowel signs"),
    ("্ক", "virama at word start"),                 # rule 3
    ("्क", "virama at word start"),
    ("কা্", "virama without consonant"),            # rule 3: after a vowel sign
    ("की्", "virama without consonant"),
    ("ই্য", "virama without consonant"),            # only অ্ is allowed, not ই্
    ("কা়", "nukta without consonant"),             # rule 4
    ("अ़", "nukta without consonant"),
    ("ং", "sign without letter"),                   # rule 5: at a word's start
    ("ंक", "sign without letter"),
    ("ক্ং", "sign without letter"),                 # rule 5: after a virama
    ("क्ँ", "sign without letter"),
]


@pytest.mark.parametrize("text,rule", BAD)
def test_each_broken_rule_is_found(text, rule):
    check = charlm.aksharas(text)
    assert [r for r, _syllable in check.errors] == [rule]
    assert check.counts == {rule: 1}
    assert rule in charlm.RULES


def test_share_counts_syllables():
    check = charlm.aksharas("আমি ্ক")  # আ, মি and the orphan virama joined to ক
    assert (check.syllables, check.well_formed) == (3, 2)
    assert check.share == pytest.approx(2 / 3)
    assert check.errors == [("virama at word start", "্ক")]
    latin = charlm.aksharas("no Indic letters here")
    assert (latin.syllables, latin.share) == (0, 1.0)


def test_progress_shows_held_out_bits_in_the_learners_language():
    from gatelab import widgets
    from gatelab.i18n import using

    bar = widgets.Progress("LSTM", total=350, measure="bits")
    bar(100, 2.6182)
    assert bar.bar.value == 100 and "2.62" in bar.text.value
    with using("bn"):
        bar(200, 2.4)
        assert "ধাপ" in bar.text.value or "স্টেপ" in bar.text.value, bar.text.value
    with pytest.raises(ValueError, match="accuracy, bits"):
        widgets.Progress("LSTM", total=10, measure="loss")


# --- what Chapter 5 shows -------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained_bengali(bengali):
    torch.manual_seed(0)
    model = charlm.CharLM(len(bengali.vocab), hidden_size=48, embedding_size=16)
    charlm.fit(model, bengali, seconds=None, steps=80, batch_size=16, chunk_length=32,
               evaluate_every=80, held_out_chars=500)
    return model


def test_bits_table_has_the_reference_guesses(bengali, trained_bengali):
    from gatelab import report

    table = report.bits(bengali, {"your model": trained_bengali})
    (uniform, freq, yours) = [row[1] for row in table.rows]
    assert uniform == pytest.approx(math.log2(len(bengali.vocab)))
    assert yours < freq < uniform  # order beats frequencies, which beat a uniform guess
    assert all(row[2] == pytest.approx(2 ** row[1]) for row in table.rows)  # perplexity


def test_unigram_bits_is_the_cross_entropy_of_symbol_frequencies():
    data = charlm.Corpus("en", train="aab", held_out="ab", held_out_chapter="x",
                         vocab=[charlm.UNKNOWN, "a", "b"])
    # counts + 1: unknown 1, a 3, b 2 of 6
    assert charlm.unigram_bits(data) == pytest.approx(-(math.log2(3 / 6) + math.log2(2 / 6)) / 2)


def test_samples_table_is_reproducible_and_checks_syllables(bengali, trained_bengali):
    from gatelab import report

    one = report.samples(trained_bengali, bengali, "এই ", (0.5, 1.5), length=60, seed=1)
    two = report.samples(trained_bengali, bengali, "এই ", (0.5, 1.5), length=60, seed=1)
    assert one.rows == two.rows and [row[0] for row in one.rows] == [0.5, 1.5]
    assert all(row[1].startswith("এই ") and "\n" not in row[1] for row in one.rows)
    shares = [row[2] for row in one.rows]
    assert all(0 <= s <= 1 for s in shares)
    english = charlm.Corpus("en", "abc abc", "abc", "x", [charlm.UNKNOWN, " ", "a", "b", "c"])
    table = report.samples(charlm.CharLM(5, 8, 4), english, "a", (1.0,), length=10)
    assert table.rows[0][2] is None and "–" in str(table)  # no syllables to check


def test_code_points_name_each_symbol_and_its_kind():
    assert [kind for *_, kind in charlm.code_points("ক্ষে")] == [
        "consonant", "virama", "consonant", "vowel sign"]
    assert charlm.code_points("ি")[0][:2] == ("\u25cc\u09bf", "U+09BF")  # a mark on ◌
    assert charlm.code_points("a1")[0][3] == ""
    from gatelab import report
    from gatelab.i18n import using

    with using("hi"):
        table = report.code_points("क्ष")
    assert [row[0] for row in table.rows] == ["क्ष", "", ""]
    assert table.rows[1][4] != "virama"  # the kind in the learner's language


def test_syllables_table_names_the_rule_broken_most_often():
    from gatelab import report

    table = report.syllables({"a": "কা কা", "b": "ি কা ি ্"})
    assert table.rows[0][1:] == [2, 1.0, None]
    assert table.rows[1][1] == 4 and table.rows[1][2] == pytest.approx(0.25)
    assert table.rows[1][3].startswith("vowel sign without consonant (2): ")


@pytest.mark.parametrize("lang", ["en", "bn", "hi"])
def test_cells_table_reads_the_committed_results(lang):
    from gatelab import checkpoints, report

    table = report.char_lm_cells(lang, yours=2.5)
    recorded = checkpoints.char_lm()["cells"]["langs"][lang]["cells"]
    assert [row[2] for row in table.rows[:-1]] == [c["parameters"] for c in recorded.values()]
    lstm = recorded["LSTM"]["parameters"]
    assert all(abs(c["parameters"] - lstm) / lstm < 0.02 for c in recorded.values())
    assert table.rows[-1][3] == 2.5 and "scripts/char_lm.py" in table.caption


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_chapter_5_figures_speak_the_edition_language(lang, bengali, trained_bengali):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from gatelab import plots
    from gatelab.i18n import using

    history = charlm.Fit(steps=[0, 50], seconds=[0, 1.0], held_out_bits=[7.0, 3.0],
                         samples=["ি কা", "কা কা"], well_formed=[0.5, 1.0])
    with using(lang):
        fig = plots.char_lm_training(history, len(bengali.vocab))
        assert len(fig.axes) == 2  # the samples have syllables: their check is drawn
        fig2 = plots.temperature(trained_bengali, bengali, "এই ", top=6)
        assert len(fig2.axes) == 3 and len(fig2.axes[0].patches) == 7
        for figure in (fig, fig2):
            FigureCanvasAgg(figure).draw()
        labels = [t.get_text() for t in fig.axes[0].get_xticklabels()] + [fig.axes[0].get_xlabel()]
    assert (fig.axes[0].get_xlabel() == "training steps") == (lang == "en"), labels
    no_syllables = charlm.Fit(steps=[0], seconds=[0], held_out_bits=[7.0], samples=["ab"],
                              well_formed=[1.0])
    assert len(plots.char_lm_training(no_syllables, 80).axes) == 1


def test_syllable_survey_compares_untrained_yours_and_shipped(trained_bengali, bengali):
    from gatelab import report

    state = torch.random.get_rng_state()
    table = report.syllable_survey(yours=(trained_bengali, bengali), length=200)
    assert torch.equal(state, torch.random.get_rng_state())  # the reader's random state is kept
    labels = [row[0] for row in table.rows]
    assert labels == ["Bengali: untrained model", "Bengali: your model", "Bengali: shipped model",
                      "Hindi: untrained model", "Hindi: shipped model"]
    untrained, shipped = table.rows[0][2], table.rows[2][2]
    assert untrained < 0.95 and shipped > 0.97 and shipped > untrained
    assert report.syllable_survey(length=200).rows == [r for r in table.rows if "your" not in r[0]]
