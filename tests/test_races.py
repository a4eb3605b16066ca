"""The LSTM as practitioners train it, the races over seeds that the chapters quote, and what the
chapters say about the shipped temporal-order networks."""

from __future__ import annotations

import importlib.util
import json
import statistics
from pathlib import Path

import pytest
import torch

from gatelab import cells, checkpoints, models, report, tasks, train, widgets

ROOT = Path(__file__).resolve().parents[1]


def _race_script():
    spec = importlib.util.spec_from_file_location("race_seeds", ROOT / "scripts" / "race_seeds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_forget_bias_opens_only_the_forget_gates():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 5, num_layers=2)
    before = {name: p.detach().clone() for name, p in lstm.named_parameters()}
    models.set_forget_bias(lstm, 1.0)
    for name, p in lstm.named_parameters():
        if name.startswith("bias_ih"):
            assert torch.all(p[5:10] == 1.0)
        elif name.startswith("bias_hh"):
            assert torch.all(p[5:10] == 0.0)
        if name.startswith("bias_"):
            blocks = torch.cat([p[:5], p[10:]])
            assert torch.equal(blocks, torch.cat([before[name][:5], before[name][10:]]))
        else:
            assert torch.equal(p, before[name])  # the weights are untouched
    one_layer = models.SequenceClassifier("LSTM", 3, 5, 2, forget_bias=1.0).rnn
    f = cells.run(one_layer, torch.zeros(1, 3)).gates["f"]  # (B=1, T=1, H) batch-first
    assert torch.allclose(f, torch.sigmoid(torch.tensor(1.0)).expand_as(f))


def test_forget_bias_only_for_an_lstm():
    with pytest.raises(ValueError, match="forget"):
        models.SequenceClassifier("GRU", 8, 16, 4, forget_bias=1.0)
    with pytest.raises(ValueError, match="RNN, LSTM, GRU"):
        models.SequenceClassifier("LSMT", 8, 16, 4)


def test_recorded_races_match_the_script_and_are_consistent():
    """data/races.json is what scripts/race_seeds.py makes: every race and contender of the
    script, at least five seeds each, summaries that agree with the runs, and its provenance."""
    results, script = checkpoints.races(), _race_script()
    assert set(results["races"]) == set(script.RACES)
    about = results["provenance"]
    for key in ("script", "command", "date", "git_commit", "torch", "cpu", "threads"):
        assert about[key] not in (None, ""), key
    assert about["threads"] == 1
    for name, race in script.RACES.items():
        recorded = results["races"][name]
        assert recorded["task"] == race["task"] and recorded["training"] == race["training"]
        assert set(recorded["contenders"]) == set(race["contenders"])
        for label, contender in recorded["contenders"].items():
            assert contender["options"] == race["contenders"][label]
            runs = contender["runs"]
            assert len(runs) >= 5 and len({r["seed"] for r in runs}) == len(runs)
            assert contender["summary"] == script.summary(runs)
            for r in runs:
                assert 0.0 <= r["final_accuracy"] <= 1.0
                if r["steps_to_target"] is not None:  # reached: training stopped right there
                    assert r["steps_to_target"] == r["steps"] and r["final_accuracy"] >= 0.95


def test_committed_race_table():
    results = checkpoints.races()["races"]["temporal order, moderate"]["contenders"]
    table = report.committed_race("temporal order, moderate", "GRU", "LSTM")
    assert [row[0] for row in table.rows] == ["GRU", "LSTM"]
    for row, name in zip(table.rows, ("GRU", "LSTM"), strict=True):
        summary = results[name]["summary"]
        assert row[3] == summary["median_steps"]
        assert str(summary["reached"]) in row[2] and str(summary["runs"]) in row[2]
    assert "<table" in table._repr_html_()
    with pytest.raises(KeyError, match="recorded"):
        report.committed_race("temporal order, impossible")


def test_race_script_summary():
    script = _race_script()
    runs = [{"steps_to_target": s} for s in (300, None, 100, 200)]
    assert script.summary(runs) == {"runs": 4, "reached": 3, "median_steps": 200,
                                    "min_steps": 100, "max_steps": 300}


def _first_relevant(task: tasks.TemporalOrder, sequence: torch.Tensor) -> tuple[int, int]:
    relevant = sequence.argmax(-1) >= task.SYMBOLS.index("X")
    t1, t2 = torch.nonzero(relevant).flatten().tolist()
    return t1, t2


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_memory_unit_switches_on_the_opening_sequence(kind):
    """The explorer and the heat map open on a sequence where the memory unit visibly switches:
    between the two relevant symbols its state is far from where it was before the first."""
    model, task = checkpoints.temporal_order(kind)
    unit, _separation = train.memory_unit(model, task)
    sequence = task.held_out_example(first="X")
    assert task.decode(sequence)[_first_relevant(task, sequence)[0]] == "X"
    trace = cells.run(model.rnn, sequence)
    memory = (trace.h if trace.c is None else trace.c)[:, unit]  # (T,)
    t1, t2 = _first_relevant(task, sequence)
    before, holding = memory[:t1], memory[t1 + 3 : t2]
    jump = (holding.mean() - before[1:].mean()).abs()
    assert jump > 1.0 and jump > 5 * before[1:].std()
    # and the explorer opens on exactly this unit and sequence
    network, shown, _labels, _state, opened = widgets.EXAMPLES[
        "temporal-order" if kind == "LSTM" else "gru-temporal-order"]()
    assert opened == unit and torch.equal(shown, sequence)


def test_gates_while_the_lstm_holds_as_the_chapter_says():
    """Chapter 2: the forget gate is high but below 1, higher after a Y than after an X, and the
    candidate has the sign of the memory the unit moves to (negative after X, positive after Y)."""
    model, task = checkpoints.temporal_order("LSTM")
    unit, _separation = train.memory_unit(model, task)
    gates = train.holding_gates(model, task, unit)
    assert set(gates) == {"X", "Y"} and set(gates["X"]) == {"i", "f", "g", "o"}
    for first in "XY":
        assert 0.5 < gates[first]["f"] < 0.95
        assert 0.2 < gates[first]["i"] < 0.8
    assert gates["Y"]["f"] > gates["X"]["f"]
    assert gates["X"]["g"] < 0 < gates["Y"]["g"]
    # the forcing the chapter suggests: input shut, nothing is written; forget shut, the X is lost
    sequence = task.held_out_example(first="X")
    t1, t2 = _first_relevant(task, sequence)
    c = cells.run(model.rnn, sequence).c[:, unit]
    shut_input = cells.run(model.rnn, sequence, force={"i": 0.0}).c[:, unit]
    shut_forget = cells.run(model.rnn, sequence, force={"f": 0.0}).c[:, unit]
    assert torch.all(shut_input == 0)
    assert c[t1 + 3 : t2].mean() < -0.5 and shut_forget[t1 + 3 : t2].mean() > -0.2


def test_holding_gates_averages_between_the_symbols():
    model, task = checkpoints.temporal_order("GRU")
    gates = train.holding_gates(model, task, 0)
    manual = {"X": [], "Y": []}
    for x, y in task.test_set():
        z = cells.run(model.rnn, x).gates["z"][..., 0]  # (B, T)
        for b in range(len(y)):
            t1, t2 = _first_relevant(task, x[b])
            manual["X" if int(y[b]) < 2 else "Y"].append(z[b, t1 + 1 : t2].mean().item())
    for first in "XY":
        assert gates[first]["z"] == pytest.approx(statistics.fmean(manual[first]), abs=1e-6)


def test_provenance_record_names_code_machine_and_torch():
    """gatelab.provenance.record: what the scripts write beside their results."""
    import datetime

    from gatelab import provenance

    here = provenance.record("scripts/x.py", "python scripts/x.py", ROOT,
                             depends_on=("scripts/race_seeds.py",), target_accuracy=0.95)
    assert here["git_commit"] and len(here["git_commit"]) == 40
    assert here["threads"] == torch.get_num_threads() and here["torch"] == torch.__version__
    assert here["target_accuracy"] == 0.95 and here["note"] == provenance.NOTE
    import os

    assert here["niceness"] == os.nice(0) and 0 <= here["load_average"] == round(here["load_average"], 2)
    assert datetime.datetime.fromisoformat(here["date"]).tzinfo is not None  # UTC, to the second
    day = provenance.record("scripts/x.py", "python scripts/x.py", ROOT, date_only=True)["date"]
    assert datetime.date.fromisoformat(day)


def test_provenance_save_writes_readable_utf8(tmp_path):
    from gatelab import provenance

    path = tmp_path / "results.json"
    provenance.save(path, {"text": "ক্ষেত্র", "bits": [2.5]})
    assert "ক্ষেত্র" in path.read_text(encoding="utf-8")  # not \u escapes
    assert json.loads(path.read_text(encoding="utf-8")) == {"text": "ক্ষেত্র", "bits": [2.5]}
