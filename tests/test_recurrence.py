"""gatelab.recurrence: the counts that do not depend on the machine (checked against the real
networks), the key/value cache and the LSTM state read from real tensors, the timing function
(positive times on one thread; the numbers themselves are the benchmark's), the committed run,
and the tables and figure in Bengali and Hindi."""

import logging
import re

import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

import gatelab
from gatelab import plots, recurrence, report


@pytest.mark.parametrize("length", [1, 2, 10, 1000])
def test_steps_paths_and_pairs(length):
    lstm, attention = recurrence.counts(length)
    assert (lstm.sequential_steps, lstm.path, lstm.pairs) == (length, length - 1, None)
    assert (attention.sequential_steps, attention.pairs) == (1, length * length)
    assert attention.path == (0 if length == 1 else 1)


def test_the_loop_makes_one_dependent_step_per_position():
    """The LSTM's sequential steps are the calls the loop makes, one per position."""
    loop = recurrence.layers()["lstm_loop"]
    calls = []
    loop.cell.register_forward_hook(lambda module, args, out: calls.append(args[1][0]))
    loop(torch.randn(2, 13, 64))
    assert len(calls) == recurrence.sequential_steps("lstm", 13)
    # each step reads the h the step before it produced: the steps cannot run side by side
    assert torch.count_nonzero(calls[0]) == 0 and torch.count_nonzero(calls[1]) > 0


@pytest.mark.parametrize("length", [5, 17])
def test_multiply_adds_are_what_the_networks_compute(length):
    """The formula against PyTorch's FLOP counter (2 FLOPs per multiply-add): the loop over
    nn.LSTMCell for the LSTM, the encoder layer with the plain-math attention kernel (the fused
    CPU kernel is not counted by FlopCounterMode)."""
    modules = recurrence.layers()
    x = torch.randn(1, length, 64)
    with FlopCounterMode(display=False) as counter:
        modules["lstm_loop"](x)
    assert counter.get_total_flops() == 2 * recurrence.multiply_adds("lstm", length)
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        modules["attention"](x)
    assert counter.get_total_flops() == 2 * recurrence.multiply_adds("attention", length)


def test_the_loop_is_the_fused_lstm_and_the_sizes_match():
    modules = recurrence.layers(seed=3)
    x = torch.randn(3, 20, 64)
    assert torch.allclose(modules["lstm_loop"](x), modules["lstm"](x), atol=1e-6)
    sizes = {kind: recurrence.parameters(m) for kind, m in modules.items()}
    assert sizes["lstm"] == sizes["lstm_loop"] == 4 * (64 * 64 * 2 + 2 * 64)
    assert abs(sizes["attention"] - sizes["lstm"]) / sizes["lstm"] < 0.01


def test_layers_leave_the_global_random_state_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    recurrence.layers(seed=1)
    assert torch.equal(torch.rand(3), expected)


def test_cached_attention_equals_a_causal_full_pass():
    torch.manual_seed(0)
    attention = nn.MultiheadAttention(64, 4, batch_first=True)
    x = torch.randn(2, 9, 64)  # (B, T, d)
    causal = torch.triu(torch.ones(9, 9, dtype=torch.bool), diagonal=1)  # True: not allowed
    full, _weights = attention(x, x, x, attn_mask=causal)
    cached = recurrence.CachedSelfAttention(attention)
    with torch.no_grad():
        steps = torch.stack([cached.step(x[:, t]) for t in range(9)], dim=1)
    assert torch.allclose(steps, full, atol=1e-5)
    assert cached.keys.shape == (2, 4, 9, 16) and cached.floats() == 2 * 2 * 64 * 9


@pytest.mark.parametrize("layers", [1, 3])
def test_generation_memory_is_read_from_real_tensors(layers):
    found = recurrence.generation_memory((1, 7, 30), layers=layers)
    assert [m.tokens for m in found] == [1, 7, 30]
    for m in found:
        assert m.lstm == recurrence.state_floats(layers, 64) == 2 * layers * 64
        assert m.attention == recurrence.cache_floats(layers, 64, m.tokens)
    assert found[0].lstm == found[-1].lstm and found[-1].attention == 30 * found[0].attention


def test_measure_times_every_length_on_one_thread(monkeypatch):
    threads_seen = []
    time_once = recurrence._time_once

    def watched(module, x, step):
        threads_seen.append(torch.get_num_threads())
        return time_once(module, x, step)

    monkeypatch.setattr(recurrence, "_time_once", watched)
    torch.set_num_threads(2)
    try:
        timing = recurrence.measure((3, 8), batch=2, repeats=2)
        assert torch.get_num_threads() == 2  # given back
    finally:
        torch.set_num_threads(1)
    assert set(threads_seen) == {1} and timing.threads == 1
    # per step, length, network: a warm-up pass and 2 timed ones
    assert len(threads_seen) == 2 * 2 * 3 * 3
    for step in recurrence.STEPS:
        times = timing.times(step)
        assert list(times) == list(recurrence.KINDS)
        assert all(len(t) == 2 and all(s > 0 for s in t) for t in times.values())
    assert recurrence.Timing.from_json(timing.to_json()).training == timing.training


def test_bad_requests_say_what_to_do():
    with pytest.raises(recurrence.RecurrenceError, match="at least 1"):
        recurrence.measure((16, 0))
    with pytest.raises(recurrence.RecurrenceError, match="'gru'"):
        recurrence.measure((16,), kinds=("gru",))
    with pytest.raises(recurrence.RecurrenceError, match="multiple"):
        recurrence.layers(recurrence.Sizes(width=30, heads=4))
    with pytest.raises(recurrence.RecurrenceError, match="'backward'"):
        recurrence.measure((4,), repeats=1).times("backward")


def _timing(lengths, training):
    return recurrence.Timing(list(lengths), 1, 1, recurrence.Sizes(), 1,
                             forward={k: list(v) for k, v in training.items()},
                             training={k: list(v) for k, v in training.items()})


def test_median_of_rounds_and_growth():
    rounds = [_timing((10, 20), {"lstm": [a, 2 * a], "attention": [a, 4 * a]})
              for a in (1.0, 3.0, 2.0)]
    middle = recurrence.median_of_rounds(rounds)
    assert middle.training == {"lstm": [2.0, 4.0], "attention": [2.0, 8.0]}
    assert recurrence.growth(middle, "lstm") == pytest.approx(1.0)
    assert recurrence.growth(middle, "attention") == pytest.approx(2.0)


def test_committed_run_has_its_provenance_and_the_chapters_lengths():
    recorded = recurrence.committed()
    about = recorded["provenance"]
    assert about["script"] == "benchmarks/recurrence_vs_attention.py"
    assert "shared" in about["note"] and "load" in about["note"]
    assert len(about["load_average"]) == 3 and recorded["rounds"] >= 5
    timing = recurrence.committed_timing()
    assert set((16, 64, 256)) <= set(timing.lengths)  # what the chapter measures live
    for step in recurrence.STEPS:
        for kind, seconds in timing.times(step).items():
            low_high = recorded["spread"][step][kind]
            assert all(lo <= s <= hi for s, (lo, hi) in zip(seconds, low_high, strict=True))


def test_applications_map_uses_the_course_and_translates_every_cell(monkeypatch):
    for a in recurrence.APPLICATIONS:
        assert a.shape in recurrence.SHAPES and set(a.chapters) <= set(recurrence.CHAPTERS)
        assert re.search(r"\((19|20)\d\d\)\. ", a.paper), a.paper
    assert {n for a in recurrence.APPLICATIONS for n in a.chapters} == set(recurrence.CHAPTERS)
    assert set(recurrence.SHAPES) == {a.shape for a in recurrence.APPLICATIONS}
    monkeypatch.setattr(report, "_", lambda message: f"«{message}»")
    table = report.applications()
    assert len(table.rows) == len(recurrence.APPLICATIONS)
    assert all("«" in text for text in table.headers)
    assert all("«" in text for row in table.texts() for text in row)


@pytest.mark.parametrize("lang", ["bn", "hi"])
def test_tables_and_figure_in_bengali_and_hindi(lang, caplog):
    gatelab.use(lang)
    timing = recurrence.measure((16, 64), batch=2, repeats=1)
    tables = [report.recurrence_counts((10, 100)), report.generation_memory((1, 10)),
              report.applications(), report.recurrence_timing(timing),
              report.recurrence_timing(timing, "forward", committed=False)]
    for table in tables:
        assert str(table) and table._repr_html_().startswith("<table")
    counts = tables[0]
    assert counts.rows[0][2:4] == [10, 9] and counts.rows[1][2:5] == [1, 1, 100]
    compared = tables[3]
    assert len(compared.rows) == 6 and all(v is None or v > 0 for r in compared.rows for v in r[2:])
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        fig = plots.recurrence_timing(timing)
        FigureCanvasAgg(fig).draw()
    assert not [r for r in caplog.records if "glyph" in r.getMessage().lower()]
    assert len(fig.axes) == 2 and fig.axes[0].get_xscale() == "log"
    given = Figure()
    axes = given.subplots(1, 2)
    assert plots.recurrence_timing(timing, committed=False, axes=axes) is given
