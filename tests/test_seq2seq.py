"""Chapter 6's task and encoder-decoder: held-out numbers stay held out, shapes, teacher forcing
agrees with greedy decoding, attention weights are a distribution over the real source tokens,
a small model learns a small setting, and the figures draw Bengali and Devanagari."""

import numpy as np
import pytest
import torch

import gatelab
from gatelab import numbers, plots, report, seq2seq, tasks


@pytest.mark.parametrize("lang", numbers.LANGS)
def test_held_out_numbers_never_in_training(lang):
    task = tasks.NumberWords(lang, max_value=2000, numbers=(1, 3), seed=1, held_out=0.1, test_size=200)
    assert task.held_out_values and min(task.held_out_values) >= 100
    for values in task.test_values:
        assert set(values) <= task.held_out_values
    seen = set()
    for _ in range(40):
        batch = task.batch(64)
        seen |= {v for row in batch.values for v in row}
    assert not seen & task.held_out_values
    assert set(range(100)) <= seen  # every irregular word below 100 is trained


def test_pairs_are_padded_and_decode_back():
    task = tasks.NumberWords("hi", numbers=(1, 2), seed=0)
    batch = task.pairs([(23406,), (7, 1000)])
    assert batch.source.shape == (2, 5) and batch.target.shape == (2, 7)
    assert batch.source_lengths.tolist() == [5, 4] and batch.target_lengths.tolist() == [6, 7]
    assert batch.source[1, 4:].eq(0).all()  # padding after the shorter row
    assert task.source_text(batch.source[0]) == numbers.tokens(23406, "hi")
    assert task.source_text(batch.source[1]) == ["सात", ",", "एक", "हज़ार"]
    assert task.target_text(batch.target[0]) == "23406"
    assert task.target_text(batch.target[1]) == "7,1000"
    end = task.TARGETS.index(task.END)
    assert batch.target[0, 5] == end and batch.target[1, 6] == end


def test_task_is_seeded_and_draws_every_digit_count():
    a, b = tasks.NumberWords("bn", seed=4), tasks.NumberWords("bn", seed=4)
    assert a.test_values == b.test_values and a.batch(16).values == b.batch(16).values
    assert tasks.NumberWords("bn", seed=5).test_values != a.test_values
    digits = {len(str(v)) for row in a.batch(400).values for v in row}
    assert digits == {1, 2, 3, 4, 5}


def test_task_errors_say_what_to_do():
    with pytest.raises(ValueError, match="max_value"):
        tasks.NumberWords("en", max_value=200_000)
    with pytest.raises(ValueError, match="en, bn, hi"):
        tasks.NumberWords("fr")
    with pytest.raises(ValueError, match="not in the task's vocabulary"):
        tasks.NumberWords("en").encode_source(["twenty", "tree"])


@pytest.fixture(scope="module")
def task():
    return tasks.NumberWords("en", max_value=999, numbers=(1, 2), seed=0, test_size=64)


@pytest.mark.parametrize("attention", [None, "general", "additive"])
@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_shapes_and_attention_is_a_distribution_over_real_tokens(task, attention, kind):
    torch.manual_seed(0)
    model = seq2seq.model_for(task, hidden_size=16, attention=attention, kind=kind)
    batch = task.pairs([(123,), (5, 900), (40,)])
    logits, weights = model(batch.source, batch.source_lengths, batch.target)
    B, S = batch.source.shape
    T = batch.target.shape[1]
    assert logits.shape == (B, T, task.num_targets)
    if attention is None:
        assert weights is None
        return
    assert weights.shape == (B, T, S)
    assert torch.allclose(weights.sum(-1), torch.ones(B, T), atol=1e-6)
    mask = seq2seq.Seq2Seq.mask(batch.source, batch.source_lengths)  # (B, S)
    assert weights.masked_select(~mask.unsqueeze(1).expand(B, T, S)).eq(0).all()


@pytest.mark.parametrize("attention", [None, "general"])
def test_padding_changes_nothing(task, attention):
    """A row's outputs are the same alone and beside a longer row (which pads it)."""
    torch.manual_seed(1)
    model = seq2seq.model_for(task, hidden_size=16, attention=attention).eval()
    alone = task.pairs([(7,)])
    together = task.pairs([(7,), (777, 888)])
    a, wa = model(alone.source, alone.source_lengths, alone.target)
    b, wb = model(together.source, together.source_lengths, together.target[:, : alone.target.shape[1]])
    assert torch.allclose(a[0], b[0], atol=1e-6)
    if attention:
        assert torch.allclose(wa[0], wb[0, :, : alone.source.shape[1]], atol=1e-6)


@pytest.mark.parametrize("attention", [None, "general"])
def test_greedy_agrees_with_teacher_forcing_on_its_own_answers(task, attention):
    """Fed its own greedy answer as the 'true' target, teacher forcing predicts that same answer
    at every step, with the same attention weights: both paths run one decoder."""
    torch.manual_seed(2)
    model = seq2seq.model_for(task, hidden_size=16, attention=attention).eval()
    batch = task.pairs([(123,), (45, 6)])
    tokens, weights = model.generate(batch.source, batch.source_lengths, max_length=6)
    logits, forced = model(batch.source, batch.source_lengths, tokens)
    end = task.TARGETS.index(task.END)
    for row in range(2):
        row_tokens = tokens[row].tolist()
        stop = row_tokens.index(end) + 1 if end in row_tokens else len(row_tokens)
        assert logits[row, :stop].argmax(-1).tolist() == row_tokens[:stop]
        if attention:
            assert torch.allclose(forced[row, :stop], weights[row, :stop], atol=1e-6)


def test_greedy_returns_the_alignment_of_one_answer(task):
    torch.manual_seed(3)
    model = seq2seq.model_for(task, hidden_size=16)
    answer, weights = seq2seq.greedy(model, task, 405)
    assert weights.shape == (len(answer), len(numbers.tokens(405, "en")))
    assert torch.allclose(weights.sum(-1), torch.ones(len(answer)))
    plain = seq2seq.model_for(task, hidden_size=16, attention=None)
    assert seq2seq.greedy(plain, task, ["four", "hundred", "five"])[1] is None


def test_same_parameters_is_close():
    task = tasks.NumberWords("bn", seed=0, test_size=8)
    with_attention = seq2seq.model_for(task, 64)
    wider = seq2seq.same_parameters(task, with_attention)
    assert wider.attend is None and wider.hidden_size > 64
    assert abs(seq2seq.parameters(wider) - seq2seq.parameters(with_attention)) \
        < 0.02 * seq2seq.parameters(with_attention)


def test_a_small_model_learns_numbers_below_a_thousand():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    task = tasks.NumberWords("en", max_value=999, numbers=(1, 1), seed=0, held_out=0.1,
                             test_size=100)
    model = seq2seq.model_for(task, hidden_size=48)
    history = seq2seq.fit(model, task, steps=200, batch_size=64, lr=0.01)
    assert history.accuracy[-1] >= 0.9, history.accuracy
    rows = seq2seq.examples(model, task, 5)
    assert [r["target"] for r in rows] == [str(v[0]) for v in task.test_values[:5]]
    assert np.mean([r["right"] for r in rows]) == np.mean(
        [r["answer"] == r["target"] for r in rows])


@pytest.mark.parametrize("lang", ["bn", "hi"])
def test_alignment_figure_and_examples_table_in_bn_and_hi(lang):
    gatelab.use(lang)
    task = tasks.NumberWords(lang, seed=0, test_size=8)
    torch.manual_seed(0)
    model = seq2seq.model_for(task, hidden_size=16)
    source = numbers.tokens(23406, lang)
    answer, weights = seq2seq.greedy(model, task, 23406)
    fig = plots.alignment(source, answer, weights)
    fig.canvas.draw()  # warnings are errors: a missing glyph fails here
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == source
    table = report.seq2seq_examples(seq2seq.examples(model, task, 3))
    assert len(table.rows) == 3 and "<table" in table._repr_html_()


# --- data/seq2seq.json ----------------------------------------------------------------------


def _script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "seq2seq.py"
    spec = importlib.util.spec_from_file_location("seq2seq_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def recorded():
    return seq2seq.results()


def test_recorded_runs_match_the_script(recorded):
    script = _script()
    for section, setting in script.SETTINGS.items():
        stored = recorded[section]
        assert stored["setting"] == setting
        for lang in numbers.LANGS:
            about = stored["provenance"][lang]
            assert about["threads"] == 1 and len(about["git_commit"]) == 40
            runs = [r for r in stored["runs"] if r["lang"] == lang]
            seeds = sorted({r["seed"] for r in runs})
            assert len(seeds) >= 3 and seeds == list(range(len(seeds))) == about["seeds"]
            assert len(runs) == len(seeds) * len(script.MODELS[section])
            task = script.task_for(setting, lang, 0)
            for r in runs:
                assert r["parameters"] == seq2seq.parameters(script.model(r["model"], setting, task))
                assert set(r["by_numbers"]) == {str(k) for k in range(setting["numbers"][0],
                                                                      setting["numbers"][1] + 1)}


def test_recorded_bottleneck_as_the_chapter_says(recorded):
    """Chapter 6's prose: without attention, exact match falls with the number of numbers in
    the input, to near nothing at three, wider or not; with attention it stays far above."""
    for lang in numbers.LANGS:
        accuracy = seq2seq.recorded("bottleneck", lang)
        plain, wide, attentive = (accuracy[m] for m in ("no attention",
                                                        "no attention, as many parameters",
                                                        "attention"))
        for model in (plain, wide):
            assert np.mean(model[1]) > np.mean(model[2]) > np.mean(model[3])
            assert max(model[2]) < 0.15 and max(model[3]) < 0.01
        assert min(attentive[3]) > 0.4 and min(attentive[1]) > max(plain[1])
        live = seq2seq.recorded("live", lang)
        assert max(live["no attention"][2]) < 0.01 < min(live["attention"][2])


@pytest.mark.parametrize("lang", ["en", "bn", "hi"])
def test_committed_tables_and_figure(lang):
    gatelab.use(lang)
    table = report.seq2seq()
    assert len(table.rows) == 3 and "scripts/seq2seq.py" in table.caption
    yours = {"no attention": {1: 0.5, 2: 0.1}, "attention": {1: 0.9, 2: 0.8}}
    fig = plots.seq2seq_lengths(section="live", yours=yours)
    fig.canvas.draw()
    assert len(fig.axes[0].get_lines()) == 4  # two recorded models, two of yours
    assert len(report.seq2seq_lengths(yours).rows) == 2
    assert len(report.number_words(0, 29, 99_999).rows) == 3


def test_alignments_feed_the_attention_explorer():
    from gatelab import widgets

    task = tasks.NumberWords("hi", numbers=(1, 2), seed=0)
    torch.manual_seed(0)
    model = seq2seq.model_for(task, hidden_size=16, attention="general")
    found = seq2seq.alignments(model, task, 3)
    assert [f["source"] for f in found] == [task.source_tokens(v) for v in task.test_values[:3]]
    for f in found:
        assert f["weights"].shape == (len(f["output"]), len(f["source"]))
        assert torch.allclose(f["weights"].sum(1), torch.ones(len(f["output"])))
    assert widgets.AttentionExplorer(found) is not None
    with pytest.raises(ValueError, match="no attention"):
        seq2seq.alignments(seq2seq.model_for(task, hidden_size=16, attention=None), task)
