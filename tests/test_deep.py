"""Deep and bidirectional networks (gatelab.deep, Chapter 5): what each layer and direction
reads, h_n against out with and without packing, the out[:, -1] bug, a bidirectional character
model that reads the answer, dropout between layers, and the committed results of
scripts/deep_lm.py."""

from __future__ import annotations

import importlib.util
import logging
import math
from pathlib import Path

import matplotlib
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from torch import nn

import gatelab
from gatelab import charlm, deep, fonts, plots, report

ROOT = Path(__file__).resolve().parents[1]


def script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- what each layer and direction reads -----------------------------------------------------


def test_each_layer_and_direction_reads_what_its_position_allows():
    torch.manual_seed(0)
    found = {(r.layer, r.direction): r.inputs
             for r in deep.reads(nn.LSTM(4, 3, num_layers=2, bidirectional=True), steps=7, step=3)}
    assert found[(1, "forward")] == [1, 2, 3]
    assert found[(1, "backward")] == [3, 4, 5, 6, 7]
    # layer 2 reads both directions of layer 1: each of its directions has read everything
    assert found[(2, "forward")] == found[(2, "backward")] == list(range(1, 8))
    one_way = deep.reads(nn.GRU(4, 3, num_layers=2), steps=7, step=3)
    assert [r.inputs for r in one_way] == [[1, 2, 3], [1, 2, 3]]
    with pytest.raises(ValueError, match="between 1 and 7"):
        deep.reads(nn.GRU(4, 3), steps=7, step=8)


def test_h_n_rows_are_layers_then_directions_and_match_out_slices():
    torch.manual_seed(0)
    T, B, H = 7, 2, 3
    lstm = nn.LSTM(4, H, num_layers=2, bidirectional=True)
    x = torch.randn(T, B, 4)
    out, (h_n, c_n) = lstm(x)
    table = report.shapes(x=x, out=out, h_n=h_n, c_n=c_n)
    assert [row[1] for row in table.rows] == ["(7, 2, 4)", "(7, 2, 6)", "(4, 2, 3)", "(4, 2, 3)"]
    rows = deep.final_states(lstm, x)
    assert [(r.index, r.layer, r.direction) for r in rows] == [
        (0, 1, "forward"), (1, 1, "backward"), (2, 2, "forward"), (3, 2, "backward")]
    assert rows[0].same_as is None and rows[1].same_as is None  # layer 1's are not in out
    assert rows[2].same_as == "out[T-1, :, :H]" and rows[2].difference == 0
    assert rows[3].same_as == "out[0, :, H:]" and rows[3].difference == 0
    assert torch.equal(h_n.view(2, 2, B, H)[1, 1], h_n[-1])
    with pytest.raises(ValueError, match="batch_first"):
        deep.final_states(nn.GRU(4, 3, batch_first=True), x)


def test_packed_final_states_are_out_at_each_length_and_at_the_start():
    torch.manual_seed(0)
    gru = nn.GRU(3, 4, bidirectional=True)
    x, lengths = deep.padded_batch((6, 4, 2))
    assert (x[4:, 1] == 0).all() and (x[2:, 2] == 0).all() and (x[:2, 2] != 0).all()
    forward, backward = deep.final_states(gru, x, lengths)
    assert forward.same_as == "out[length-1, b, :H]" and forward.difference < 1e-6
    assert backward.same_as == "out[0, :, H:]" and backward.difference < 1e-6


def test_out_last_is_not_the_final_state_of_the_shorter_sequences():
    torch.manual_seed(0)
    gru = nn.GRU(3, 4, bidirectional=True)
    x, lengths = deep.padded_batch((6, 4, 2))
    longest, *shorter = deep.last_position(gru, x, lengths)
    assert longest.packed_forward < 1e-6 and not longest.packed_zero
    for r in shorter:
        assert r.packed_zero and r.packed_forward > 1e-3  # zeros, not the state
        assert r.padded_forward > 1e-3  # the state went on reading the padding
    # the backward half at the last position has read one input, not the sequence
    assert all(r.padded_backward > 1e-3 for r in (longest, *shorter))
    with pytest.raises(ValueError, match="bidirectional"):
        deep.last_position(nn.GRU(3, 4), x, lengths)


def test_out_last_loses_the_start_of_a_shorter_sequence():
    """Two sequences that differ only in their first symbol, shorter than the batch's longest:
    read from out[:, -1] after packing they look the same; read from h_n they do not."""
    task = deep.StartTask(shortest=5, longest=12, seed=1, test_size=4)
    x = torch.full((12, 3), 5)
    x[0] = torch.tensor([1, 2, 1])  # the first symbol: class 0, class 1, class 0
    lengths = torch.tensor([7, 7, 12])
    x[torch.arange(12).unsqueeze(1) >= lengths] = 0
    torch.manual_seed(0)
    for reading, tell_apart in (("h_n", True), ("last", False), ("last, not packed", True)):
        scores = deep.Reader(reading, task.symbols)(x, lengths)  # (3, 2)
        assert bool((scores[0] - scores[1]).abs().max() > 1e-6) is tell_apart, reading


def test_start_task_labels_come_from_the_first_symbol():
    task = deep.StartTask(shortest=3, longest=9, seed=0, test_size=64)
    x, lengths, y = task.test
    assert x.shape == (9, 64) and torch.equal(x[0], y + 1)
    assert ((lengths >= 3) & (lengths <= 9)).all()
    steps = torch.arange(9).unsqueeze(1)
    assert (x[steps >= lengths] == 0).all() and (x[(steps < lengths) & (steps > 0)] >= 3).all()
    again = deep.StartTask(shortest=3, longest=9, seed=0, test_size=64)
    assert torch.equal(again.test[0], x)
    with pytest.raises(ValueError, match="Unknown reading"):
        deep.Reader("out[-1]")


def test_reading_h_n_learns_the_start_and_out_last_does_not():
    task = deep.StartTask(seed=0, test_size=256)
    right = deep.train_reader("h_n", task, steps=20, batch_size=32)
    wrong = deep.train_reader("last", task, steps=20, batch_size=32)
    assert right > 0.95 and wrong < 0.7


# --- the bidirectional character model -------------------------------------------------------


@pytest.fixture(scope="module")
def english():
    return charlm.corpus("en")


def test_bits_without_future_is_what_sampling_feeds_the_model(english):
    torch.manual_seed(0)
    bi = deep.BiCharLM(len(english.vocab), 16, 8)
    stream = english.encode(english.held_out[:40])
    scores, state = bi(stream[:1].unsqueeze(1))  # as charlm.sample: one character at a time
    steps = [scores[-1, 0]]
    for i in range(1, len(stream) - 1):
        scores, state = bi(stream[i].view(1, 1), state)
        steps.append(scores[-1, 0])
    one_by_one = nn.functional.cross_entropy(torch.stack(steps), stream[1:]).item() / math.log(2)
    assert deep.bits_without_future(bi, stream) == pytest.approx(one_by_one, rel=1e-5)


def test_a_bidirectional_model_reads_the_answer_and_fails_without_it(english):
    torch.manual_seed(0)
    bi = deep.BiCharLM(len(english.vocab), 32, 16)
    charlm.fit(bi, english, seconds=None, steps=80, evaluate_every=1000, held_out_chars=500)
    stream = english.encode(english.held_out[:1500])
    with_future = charlm.bits_per_char(bi, stream)
    without = deep.bits_without_future(bi, stream)
    assert with_future < 1.5 < without  # it copies the next character from the backward half
    state = bi(stream[:5].unsqueeze(1))[1]
    assert [tuple(s.shape) for s in state] == [(1, 1, 32), (1, 1, 32)]  # forward only


def test_matching_hidden_gives_about_the_same_parameter_count():
    V = 80
    target = charlm.parameters(charlm.CharLM(V))
    hidden = deep.matching_hidden(target, lambda h: deep.BiCharLM(V, h))
    assert abs(charlm.parameters(deep.BiCharLM(V, hidden)) - target) / target < 0.01


# --- dropout between layers ------------------------------------------------------------------


def test_dropout_acts_between_layers_in_training_mode_only():
    first, second = deep.dropout_between_layers(p=0.5)
    assert first.training == 0 and first.evaluation == 0 and first.out_zeros is None
    assert second.training > 1e-3 and second.evaluation == 0
    assert second.out_zeros == 0  # the last layer's output is not dropped
    with pytest.raises(ValueError, match="between layers"):
        charlm.CharLM(80, num_layers=1, dropout=0.3)
    model = charlm.CharLM(80, 16, 8, num_layers=2, dropout=0.3)
    scores, (h, c) = model(torch.zeros(5, 2, dtype=torch.long))
    assert scores.shape == (5, 2, 80) and h.shape == (2, 2, 16)
    assert deep.configuration_label({"num_layers": 2, "dropout": 0.3}) == "2 layers, dropout 0.3"


# --- the committed results -------------------------------------------------------------------


def test_committed_summary_matches_its_runs():
    deep_lm = script("deep_lm")
    recorded = deep.results()
    assert set(recorded["langs"]) == set(recorded["provenance"]) == {"en", "bn", "hi"}
    for about in recorded["provenance"].values():
        assert about["script"] == "scripts/deep_lm.py" and about["threads"] == 1
    steps = recorded["training"]["steps"]
    for lang, entry in recorded["langs"].items():
        configurations = entry["configurations"]
        assert len(configurations) == 3, lang
        counts = [c["parameters"] for c in configurations.values()]
        assert max(counts) / min(counts) < 1.02  # about the same number of parameters
        for c in configurations.values():
            runs = c["runs"]
            assert [r["seed"] for r in runs] == list(range(len(runs))) and len(runs) >= 5
            for r in runs:
                bits = r["history"]["held_out_bits"]
                assert r["steps"] == steps and r["final_bits"] == bits[-1]
                assert r["best_bits"] == min(bits)
                assert r["history"]["steps"][bits.index(min(bits))] == r["best_step"]
            assert c["summary"] == deep_lm.summary(runs)


# --- tables and figures, in English and Bengali ----------------------------------------------


def _draw(fig) -> None:
    FigureCanvasAgg(fig).draw()


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_tables_and_figures_render(lang, caplog):
    gatelab.use(lang)
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 3, num_layers=2, bidirectional=True)
    found = deep.reads(lstm, steps=6, step=2)
    gru = nn.GRU(3, 4, bidirectional=True)
    x, lengths = deep.padded_batch()
    peek = deep.Peeking({"one direction": 100, "bidirectional": 99}, 10, {}, 2.5, 0.1, 3.4, 6.3)
    tables = [report.layer_reads(found), report.final_states(deep.final_states(lstm, torch.randn(5, 2, 4))),
              report.last_position(deep.last_position(gru, x, lengths)),
              report.readers({"h_n": 1.0, "last": 0.5, "last, not packed": 0.52}),
              report.peeking(peek), report.dropout_layers(deep.dropout_between_layers()),
              report.deep_lm(), report.deep_lm("bn")]
    for table in tables:
        assert "<table" in table._repr_html_()
    assert report.layer_reads(found).rows[0][2] == "x1–x2"
    assert report.final_states(deep.final_states(lstm, torch.randn(5, 2, 4))).cell(0, 4) != ""
    assert len(report.deep_lm("hi").rows) == 3 and "scripts/deep_lm.py" in report.deep_lm().caption
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        with matplotlib.rc_context(fonts.style(lang)):
            for fig in (plots.layer_reads(found, 6), plots.deep_lm("bn")):
                _draw(fig)
    assert not [r for r in caplog.records if "glyph" in r.getMessage().lower()]
    with pytest.raises(KeyError):
        plots.deep_lm("fr")
