"""Chapter 2's machinery: the hand-built memory cell, the gate explorer and its presets, the
shipped checkpoints, the sentence data and the training helpers."""

import io
import json

import pytest
import torch

import gatelab
from gatelab import cells, checkpoints, i18n, models, plots, tasks, train, widgets


@pytest.fixture(scope="module")
def memory(example):
    return example("memory")


def test_memory_cell_stores_on_write_and_shows_on_read():
    trace = cells.run(models.memory_cell(), tasks.store_and_recall())
    c, h = trace.c[:, 0], trace.h[:, 0]
    assert abs(c[3] - torch.tanh(torch.tensor(1.6))) < 0.01  # wrote 0.8 at step 3
    assert torch.allclose(c[3:14], c[3].expand(11), atol=0.01)  # kept until the next write
    assert c[14] < -0.8 and h[10] > 0.7 and h[20] < -0.6  # overwritten; shown at the reads
    assert h[[5, 12, 17]].abs().max() < 0.01  # hidden between reads


def test_presets_do_what_the_lecture_says(memory):
    c0 = memory.state[1][0, 0]
    run = {name: memory.run(force) for name, force in widgets.LSTM_PRESETS.items()}
    assert torch.allclose(run["keep memory"].c, c0.expand_as(run["keep memory"].c))
    assert run["reset memory"].c.abs().max() == 0
    write = run["write memory"]
    assert torch.allclose(write.c, write.gates["g"])  # the memory follows the candidate
    assert run["output off"].h.abs().max() == 0
    assert torch.allclose(run["output off"].c, memory.learned.c)  # hidden, not lost
    assert torch.allclose(run["output on"].h, torch.tanh(run["output on"].c))
    assert torch.equal(run["all learned"].h, memory.learned.h)


def test_explorer_labels_and_equations_follow_the_language():
    gatelab.use("hi")
    explorer = widgets.GateExplorer("memory")
    assert explorer.labels["forced_shut"] == i18n.gettext("forced shut (0)", lang="hi")
    assert explorer.labels["gates"]["f"] == i18n.gettext("forget gate f", lang="hi")
    assert explorer.labels["equations"]["i"] == plots.CELL_VIEWS["LSTM"].equations["i"]
    assert [name for name, _force in explorer.presets] == \
        [i18n.gettext(name, lang="hi") for name in widgets.LSTM_PRESETS]


def test_explorer_refuses_what_it_cannot_explain():
    with pytest.raises(ValueError, match="input sequence"):
        widgets.GateExplorer(torch.nn.LSTM(2, 3))
    with pytest.raises(ValueError, match="num_layers=1"):
        widgets.GateExplorer(torch.nn.LSTM(2, 3, num_layers=2), torch.randn(5, 2))
    with pytest.raises(ValueError, match="memory"):
        widgets.GateExplorer("nonsense")


def test_own_lstm_goes_into_the_page_too():
    """The learner's own network is exported like the examples: the HTML lesson shows it."""
    own = widgets.GateExplorer(torch.nn.LSTM(2, 3), torch.randn(5, 2))
    data, _metadata = own._repr_mimebundle_()
    state = data[widgets.SPEC_MIMETYPE]
    assert state["kind"] == "gates" and state["state"]["spec"]["hidden_size"] == 3
    assert "application/vnd.jupyter.widget-view+json" in data


def test_static_figure_redrawn_in_place_matches_a_full_drawing(memory):
    """plots.GatePanel's fast path (background reused) shows the same picture as drawing from
    scratch: what plots.gates draws for a code cell."""
    from PIL import Image, ImageChops

    force = {"o": 0.0}
    reused = plots.GatePanel(len(memory.x), memory.input_names)
    reused.update(memory.x, memory.run({}), memory.learned, {})
    reused.render_png()
    reused.update(memory.x, memory.run(force), memory.learned, force)
    fast = reused.render_png()
    panel = plots.GatePanel(len(memory.x), memory.input_names)
    panel.update(memory.x, memory.run(force), memory.learned, force)
    slow = panel.render_png()
    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in (fast, slow)]
    assert images[0].size == images[1].size
    assert ImageChops.difference(*images).getbbox() is None


def test_checkpoint_loads_and_solves_its_task():
    model, task = checkpoints.temporal_order("LSTM")
    record = checkpoints.index()["temporal_order_lstm"]
    assert train.accuracy(model, task) == pytest.approx(record["accuracy"])
    unit, separation = train.memory_unit(model, task)
    assert 0 <= unit < 16 and separation > 1.0


@pytest.fixture
def copied_data(tmp_path, monkeypatch):
    for name in ("checkpoints.json", "temporal_order_lstm.pt"):
        (tmp_path / name).write_bytes((checkpoints._files() / name).read_bytes())
    monkeypatch.setattr(checkpoints, "_files", lambda: tmp_path)
    return tmp_path


def test_altered_checkpoint_is_refused_with_what_to_do(copied_data):
    path = copied_data / "temporal_order_lstm.pt"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte changed
    path.write_bytes(bytes(data))
    with pytest.raises(checkpoints.CheckpointError, match="altered.*git checkout"):
        checkpoints.temporal_order("LSTM")


def test_missing_checkpoint_says_how_to_restore_it(copied_data):
    (copied_data / "temporal_order_lstm.pt").unlink()
    with pytest.raises(checkpoints.CheckpointError, match="missing.*train_checkpoints.py"):
        checkpoints.temporal_order("LSTM")
    with pytest.raises(checkpoints.CheckpointError, match="temporal_order_lstm"):
        checkpoints.load_state("no_such_model")


def test_checkpoint_records_are_complete():
    # a classifier records its task and accuracy; a character model (Chapter 5) its corpus,
    # vocabulary and bits per character, with the provenance of scripts/char_lm_shipped.py
    common = {"file", "sha256", "architecture", "training", "seconds", "history"}
    for name, record in checkpoints.index().items():
        if name.startswith("char_lm_"):
            assert set(record) >= common | {"corpus", "vocab", "held_out_bits", "validation_bits",
                                             "provenance"}, name
            assert record["provenance"]["script"] == "scripts/char_lm_shipped.py", name
        else:
            assert set(record) >= common | {"task", "accuracy", "script"}, name
    assert checkpoints.index()["temporal_order_lstm"]["accuracy"] >= 0.95


def test_sentences_are_complete_and_held_out():
    rows = tasks.read_sentences()
    assert len(rows) == 180
    for lang in ("en", "bn", "hi"):
        for label in ("positive", "negative"):
            chosen = [r for r in rows if r["lang"] == lang and r["label"] == label]
            assert sum(r["split"] == "test" for r in chosen) == 6 and len(chosen) == 30
    texts = [r["text"] for r in rows]
    assert len(set(texts)) == len(texts)
    data = tasks.sentences()
    assert data.train["x"].shape[0] == 144 and data.test["x"].shape[0] == 36
    assert (data.train["x"][:, 0] > 1).all()  # every training character is in the vocabulary


def test_text_classifier_and_sequence_classifier_shapes():
    data = tasks.sentences(["en"])
    model = models.TextClassifier(len(data.vocab), 2)
    assert model(data.test["x"], data.test["lengths"]).shape == (12, 2)
    assert models.SequenceClassifier("GRU", 8, 5, 4)(torch.zeros(3, 7, 8)).shape == (3, 4)


def test_training_solves_the_easy_temporal_order_task():
    torch.manual_seed(0)
    model = models.SequenceClassifier("LSTM", 8, 16, 4)
    history = train.fit(model, tasks.TemporalOrder("easy", seed=1), steps=150)
    assert history.final > 0.9 and history.time_to(0.9) is not None
    assert history.steps[-1] == 150


def test_checkpoint_index_is_json_with_sha256_of_the_file():
    record = checkpoints.index()["temporal_order_lstm"]
    data = (checkpoints._files() / record["file"]).read_bytes()
    assert checkpoints.sha256(data) == record["sha256"]
    json.dumps(record)


def test_the_same_explorer_knows_the_gru():
    torch.manual_seed(3)
    gru, x = torch.nn.GRU(3, 4), torch.randn(12, 3)
    explorer = widgets.GateExplorer(gru, x)
    assert explorer.gates == ["r", "z"]
    assert [name for name, _force in explorer.presets] == list(widgets.GRU_PRESETS)
    runs = {name: cells.run(gru, x, force=force or None)
            for name, force in widgets.GRU_PRESETS.items()}
    assert runs["freeze"].h.abs().max() == 0  # z = 1 keeps h0 = 0 for ever
    assert torch.allclose(runs["overwrite"].h, runs["overwrite"].gates["n"])
    ignore = runs["ignore the past"]
    expected = torch.tanh(x @ gru.weight_ih_l0[8:].T + gru.bias_ih_l0[8:])
    assert torch.allclose(ignore.gates["n"], expected, atol=1e-6)
    explorer.force = {"z": 0.0}  # what the page reports when the learner shuts z
    assert explorer.force == {"z": 0.0}
    assert explorer.labels["states"][0][1] == i18n.gettext("candidate n[t]")


def test_a_plain_rnn_has_no_gates_to_explore():
    with pytest.raises(ValueError, match="no gates"):
        widgets.GateExplorer(torch.nn.RNN(2, 3), torch.randn(5, 2))
