"""Chapter 4: the curriculum, the fixed gap of the temporal-order task, what scripts/long_lags.py
recorded, the hard-level checkpoints, and the tables and figure that show them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch

from gatelab import checkpoints, models, plots, report, tasks, train

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lstm(seed: int = 0, hidden: int = 32) -> models.SequenceClassifier:
    torch.manual_seed(seed)
    return models.SequenceClassifier("LSTM", 8, hidden, 4)


# --- the curriculum ------------------------------------------------------------------------


def test_curriculum_advances_and_spends_its_budget():
    calls = []
    history = train.curriculum(_lstm(), levels=("easy", "moderate"), budget=3200, test_size=64,
                               progress=lambda step, acc: calls.append((step, acc)))
    assert history.levels[0] == "easy" and history.last_level == "moderate"
    assert history.levels == sorted(history.levels, key=("easy", "moderate").index)
    last_easy = max(i for i, lv in enumerate(history.levels) if lv == "easy")
    assert history.accuracy[last_easy] >= 0.95  # it moved on only after passing the threshold
    assert all(a < 0.95 for a in history.accuracy[:last_easy])
    assert history.sequences[-1] == 3200 and history.steps[-1] == 100  # budget: 100 batches
    assert not history.reached and history.sequences_to_target() is None
    assert calls == list(zip(history.steps, history.accuracy, strict=True))
    assert history.steps == sorted(set(history.steps))  # one clock across levels
    assert history.seconds == sorted(history.seconds)


def test_curriculum_stops_at_the_target():
    history = train.curriculum(_lstm(), levels=("easy",), budget=32_000, target=0.9,
                               test_size=64)
    assert history.reached and history.final >= 0.9
    assert all(a < 0.9 for a in history.accuracy[:-1])  # stopped at the first evaluation past it
    assert history.sequences_to_target() == history.sequences[-1] < 32_000
    assert history.seconds_to_target() == history.seconds[-1]


def test_curriculum_is_reproducible():
    first = train.curriculum(_lstm(3), levels=("easy", "moderate"), seed=3, budget=1600,
                             test_size=64)
    second = train.curriculum(_lstm(3), levels=("easy", "moderate"), seed=3, budget=1600,
                              test_size=64)
    assert first.accuracy == second.accuracy and first.levels == second.levels


def test_curriculum_refuses_nonsense():
    with pytest.raises(ValueError, match="level"):
        train.curriculum(_lstm(), levels=())
    with pytest.raises(ValueError, match="budget"):
        train.curriculum(_lstm(), budget=10)
    with pytest.raises(ValueError, match="Unknown level"):
        train.curriculum(_lstm(), levels=("easy", "impossible"))


def test_fit_goes_on_from_an_earlier_run():
    model = _lstm()
    task = tasks.TemporalOrder("easy", test_size=32)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    history = train.fit(model, task, steps=30, evaluate_every=10, optimizer=optimizer)
    train.fit(model, task, steps=20, evaluate_every=10, optimizer=optimizer, history=history)
    assert history.steps == [10, 20, 30, 40, 50]
    assert history.seconds == sorted(history.seconds)


# --- the gap option ------------------------------------------------------------------------


def _positions(task: tasks.TemporalOrder, x: torch.Tensor) -> list[tuple[int, int]]:
    relevant = x.argmax(-1) >= task.SYMBOLS.index("X")  # (B, T)
    return [tuple(torch.nonzero(row).flatten().tolist()) for row in relevant]


@pytest.mark.parametrize("gap", [1, 40, 78])
def test_gap_fixes_the_distance_between_the_relevant_symbols(gap):
    task = tasks.TemporalOrder("hard", seed=5, test_size=32, gap=gap)
    x, _y = task.batch(64)
    held_out = torch.cat([xb for xb, _yb in task.test_set()[:1]])
    for t1, t2 in _positions(task, x) + _positions(task, held_out):
        assert t2 - t1 == gap and 10 <= t1 <= 20
    assert 100 <= x.shape[1] <= 110


def test_gap_accuracy_of_the_hard_lstm_as_recorded(recorded):
    """The shipped hard LSTM is long_lags.json's LSTM seed 0 (same run): same gap accuracies."""
    model, _task = checkpoints.temporal_order("LSTM", level="hard")
    measured = train.gap_accuracy(model, (10, 40, 78), seed=1000)
    run = recorded["curriculum"]["cells"]["LSTM"]["runs"][0]
    assert {str(g): round(a, 4) for g, a in measured.items()} == {
        g: run["gap_accuracy"][g] for g in ("10", "40", "78")}
    assert measured[40] > 0.95 > measured[10]  # the distances it trained on, not shorter ones


def test_gap_out_of_range_says_what_fits():
    with pytest.raises(ValueError, match="1 to 78"):
        tasks.TemporalOrder("hard", gap=79)
    with pytest.raises(ValueError, match="1 to 3"):
        tasks.TemporalOrder("easy", gap=0)


def test_without_a_gap_the_task_is_unchanged():
    """No gap: the second symbol ranges over the level's t2 (the shipped checkpoints' tasks)."""
    task = tasks.TemporalOrder("hard", seed=0, test_size=16)
    gaps = {t2 - t1 for t1, t2 in _positions(task, task.batch(256)[0])}
    assert min(gaps) < 35 and max(gaps) > 45


# --- data/long_lags.json --------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded():
    return checkpoints.long_lags()


def test_long_lags_provenance(recorded):
    for section in ("curriculum", "direct", "echo", "echo_state"):
        about = recorded["provenance"][section]
        for key in ("script", "command", "date", "git_commit", "torch", "cpu", "threads"):
            assert about[key] not in (None, ""), (section, key)
        assert about["threads"] == 1 and len(about["git_commit"]) == 40
        assert isinstance(about["uncommitted_changes"], bool)


def test_long_lags_match_the_script(recorded):
    script = _script("long_lags")
    curriculum, direct = recorded["curriculum"], recorded["direct"]
    assert curriculum["training"] == script.CURRICULUM and direct["training"] == script.DIRECT
    assert set(curriculum["cells"]) == set(direct["cells"]) == set(script.CELLS)
    for label, cell in curriculum["cells"].items():
        assert cell["options"] == script.CELLS[label]
        assert cell["parameters"] == script.parameters(cell["options"])
        runs = cell["runs"]
        assert len(runs) >= 5 and [r["seed"] for r in runs] == list(range(len(runs)))
        assert cell["summary"] == script.summary(runs)
        assert cell["gap_summary"] == script.gap_summary(runs)
        for r in runs:
            assert set(r["gap_accuracy"]) == {str(g) for g in script.GAPS}
            if r["reached"]:  # stopped at the first evaluation past 99 % on hard
                assert r["final_level"] == "hard" and r["final_accuracy"] >= 0.99
                assert r["sequences_to_target"] == r["sequences"] <= 128_000
            else:
                assert r["sequences"] == 128_000 and r["sequences_to_target"] is None
    for cell in direct["cells"].values():
        for r in cell["runs"]:
            assert r["history"]["levels"] == ["hard"] * len(r["history"]["levels"])
            assert r["reached"] or r["sequences"] == 192_000
    # the equal-parameter cells are within 3 % of the LSTM's parameter count
    lstm = curriculum["cells"]["LSTM"]["parameters"]
    for label in script.SAME_PARAMETERS:
        assert abs(curriculum["cells"][label]["parameters"] - lstm) / lstm < 0.03


def test_echo_state_as_recorded(recorded):
    """From a fresh state a trained echo network guesses the first `delay` bits of a chunk and
    knows the rest; with the state carried in, it knows them all."""
    state = recorded["echo_state"]
    delay = state["training"]["delay"]
    for run in state["first_steps"]:
        assert min(run["fresh"][:delay]) > 0.3
        assert max(run["fresh"][delay + 1 :]) < 0.1 and max(run["carried"]) < 0.1
    for run in state["chunk_lengths"]:
        assert run["accuracy"][str(delay)] < 0.6  # a chunk no longer than the delay: no learning


def test_chunk_errors_from_a_fresh_and_a_carried_state():
    torch.manual_seed(0)
    model = models.Tagger("LSTM", input_size=1, hidden_size=4, num_classes=2)
    task = tasks.Echo(delay=3, seed=0, test_length=40, test_rows=2)
    errors = train.chunk_errors(model, task, 10)
    assert set(errors) == {"fresh", "carried"} and len(errors["fresh"]) == 10
    x, y = task.test_set()  # (2, 40, 1), (2, 40)
    with torch.no_grad():
        whole = model(x)[0].argmax(-1)  # carried: the same as reading the stream in one go
        fresh = torch.cat([model(x[:, k : k + 10])[0].argmax(-1) for k in range(0, 40, 10)], 1)
    for mode, guess in (("carried", whole), ("fresh", fresh)):
        wrong = ((guess != y) & (y >= 0)).float().reshape(2, 4, 10)  # (rows, chunk, position)
        counted = (y >= 0).float().reshape(2, 4, 10).sum((0, 1))
        expected = wrong.sum((0, 1)) / counted
        assert errors[mode] == pytest.approx(expected.tolist(), abs=1e-6)
    with pytest.raises(ValueError, match="at least 1"):
        train.chunk_errors(model, task, 0)


# --- the hard checkpoints --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_hard_checkpoints_load_and_reach_what_was_recorded(kind):
    model, task = checkpoints.temporal_order(kind, level="hard")
    record = checkpoints.index()[f"temporal_order_hard_{kind.lower()}"]
    assert model.kind == kind and task.level == tasks.LEVELS["hard"]
    assert record["architecture"]["hidden_size"] == model.rnn.hidden_size == 32
    assert train.accuracy(model, task) == pytest.approx(record["accuracy"], abs=1e-4)
    assert record["history"]["levels"][-1] == "hard"
    data = (ROOT / "data" / record["file"]).read_bytes()
    assert checkpoints.sha256(data) == record["sha256"]


def test_hard_checkpoint_refused_when_altered(monkeypatch):
    records = checkpoints.index()
    altered = json.loads(json.dumps(records))
    altered["temporal_order_hard_lstm"]["sha256"] = "0" * 64
    monkeypatch.setattr(checkpoints, "index", lambda: altered)
    with pytest.raises(checkpoints.CheckpointError, match="altered"):
        checkpoints.temporal_order("LSTM", level="hard")
    with pytest.raises(checkpoints.CheckpointError, match="hard"):
        checkpoints.temporal_order("LSTM", level="easy")


def test_moderate_checkpoints_still_the_default():
    model, task = checkpoints.temporal_order("LSTM")
    assert task.level == tasks.LEVELS["moderate"] and model.rnn.hidden_size == 16


# --- tables and the figure -------------------------------------------------------------------


def test_long_lags_table(recorded):
    cells = recorded["curriculum"]["cells"]
    table = report.long_lags("curriculum", "LSTM", "GRU")
    assert [row[0] for row in table.rows] == ["LSTM", "GRU"]
    for row, name in zip(table.rows, ("LSTM", "GRU"), strict=True):
        summary = cells[name]["summary"]
        assert row[1] == cells[name]["parameters"] and row[3] == summary["median_sequences"]
        assert str(summary["reached"]) in row[2]
    assert len(report.long_lags("direct").rows) == len(recorded["direct"]["cells"])
    with pytest.raises(KeyError, match="recorded"):
        report.long_lags("sideways")


def test_curriculum_table():
    history = train.CurriculumHistory(batch_size=32, target=0.99)
    history.steps, history.accuracy = [25, 50, 75, 100], [0.6, 0.97, 0.5, 0.995]
    history.seconds, history.levels = [0.1, 0.2, 0.5, 0.9], ["easy", "easy", "hard", "hard"]
    table = report.curriculum(history)
    assert table.rows == [["easy", 1600, 0.2, 0.97], ["hard", 3200, 0.9, 0.995]]
    assert "3,200" in table.notes[0] and "99%" in table.notes[0]


def test_memory_span_figure(recorded):
    fig = plots.memory_span()
    left, right = fig.axes
    assert len(left.get_lines()) == len(recorded["curriculum"]["cells"]) + 1  # and chance
    assert len(right.get_lines()) == len(recorded["echo"]["cells"]) + 1
    styles = {line.get_label(): line.get_linestyle() for line in left.get_lines()}
    for label, cell in recorded["curriculum"]["cells"].items():  # dashed: no seed solved hard
        assert styles[label] == ("--" if cell["summary"]["reached"] == 0 else "-")
    assert all(line.get_linestyle() == "-" for line in right.get_lines()[:-1])
    xs = left.get_lines()[0].get_xdata()
    assert list(xs) == sorted(int(g) for g in _script("long_lags").GAPS)
    live = plots.memory_span(gaps={"LSTM": {10: 1.0, 40: 0.5}}, delays={"LSTM": {2: 1.0}})
    assert [line.get_label() for line in live.axes[0].get_lines()][0] == "LSTM"


# --- what Chapter 4 says of the hard-task LSTM, and its other figures ------------------------


def test_the_hard_lstm_holds_its_symbol_as_chapter_4_says():
    """Section 6 and practice 6: forcing the gates of the shipped hard LSTM on its held-out
    X-first sequence (every unit, as the explorer forces them)."""
    from gatelab import cells

    classifier, hard = checkpoints.temporal_order("LSTM", level="hard")
    unit, _separation = train.memory_unit(classifier, hard)
    x = hard.held_out_example(first="X")
    t_x = hard.decode(x).index("X")

    def c(force):
        with torch.no_grad():
            return cells.run(classifier.rnn, x, force=force or None).c[:, unit]

    learned = c({})
    assert learned[t_x + 10:].abs().min() > 1.0  # holds well away from 0 after the X
    means = train.holding_gates(classifier, hard, unit)
    assert all(0.6 < means[s]["f"] < 0.9 for s in "XY")  # well below 1: not a carousel
    assert all(means[s]["i"] > 0.7 for s in "XY")  # writing all the while
    assert means["X"]["g"] > 0 > means["Y"]["g"]  # the candidate has the symbol's sign
    assert c({"o": 0.0})[-1].abs() < 0.3  # h = 0: the candidate loses the memory, c fades
    assert c({"f": 0.0})[t_x + 2:].abs().max() < 0.6  # gone within a step
    assert c({"f": 1.0})[-1].abs() > 10 * learned.abs().max()  # every step adds to it
    assert c({"i": 0.0}).abs().max() == 0  # nothing is ever written
    with torch.no_grad():  # ... and the answer no longer depends on the sequence
        answers = {int(classifier.head(cells.run(classifier.rnn, hard.held_out_example(first),
                                                 force={"i": 0.0}).h[-1]).argmax())
                   for first in "XY"}
    assert len(answers) == 1
    # the Y-first sequence: negative before any relevant symbol, and kept there by the Y
    y_first = hard.held_out_example(first="Y")
    t_y = hard.decode(y_first).index("Y")
    with torch.no_grad():
        c_y = cells.run(classifier.rnn, y_first).c[:, unit]
    assert c_y[6:t_y].max() < -1.0 and c_y[t_y:].max() < -1.0
    assert learned[6:t_x].max() < -1.0  # the X-first one too, until the X


def test_chapter_4_tables_and_figures_in_the_edition_language():
    import gatelab
    from gatelab import i18n

    gatelab.use("bn")
    table = report.gap_accuracy({5: 0.5, 40: 1.0})
    assert table.headers[0] == i18n.gettext("steps between the two relevant symbols", lang="bn")
    chunks = report.echo_chunk_lengths()
    recorded = checkpoints.long_lags()["echo_state"]
    assert [row[0] for row in chunks.rows] == recorded["training"]["chunk_lengths"]
    assert len(chunks.headers) == 1 + len(recorded["chunk_lengths"])
    assert "one seed" not in report.long_lags("direct").caption  # said in Bengali
    figure = plots.chunk_errors({"fresh": [0.5, 0.5, 0.0], "carried": [0.0, 0.0, 0.0]}, delay=2)
    labels = figure.axes[0].get_legend_handles_labels()[1]
    assert i18n.gettext("state carried in", lang="bn") in labels
    history = train.CurriculumHistory(steps=[1, 2, 3], accuracy=[0.5, 0.99, 0.3],
                                      seconds=[0.1, 0.2, 0.3], levels=["easy", "easy", "hard"])
    figure = plots.curriculum({"curriculum": history})
    assert figure.axes[0].get_legend_handles_labels()[1][0] == \
        i18n.gettext("curriculum", lang="bn")
