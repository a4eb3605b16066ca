"""Chapter 3's machinery: the hand-built GRU memory, the GRU examples of the gate explorer, the
trained GRU, the echo task's training loop and the LSTM-vs-GRU measurements."""

import math

import pytest
import torch

import gatelab
from gatelab import cells, checkpoints, models, report, tasks, train, widgets


@pytest.fixture(scope="module")
def memory(example):
    return example("gru-memory")


def test_gru_memory_adds_on_write_and_keeps_between(memory):
    h = memory.learned.h[:, 0].tolist()
    assert h[:3] == pytest.approx([0.5] * 3, abs=1e-3)  # kept from the start
    assert h[3] == pytest.approx(math.tanh(1.6 + 0.5), abs=0.01)  # 0.8 added
    assert h[3:14] == pytest.approx([h[3]] * 11, abs=0.01)  # kept until the next write
    assert h[14] == pytest.approx(math.tanh(-1.2 + h[13]), abs=0.01)  # -0.6 added
    assert memory.input_names == ["value", "write"] and memory.x.shape == (24, 2)


def test_gru_presets_do_what_the_chapter_says(memory):
    runs = {name: memory.run(force) for name, force in widgets.GRU_PRESETS.items()}
    assert torch.equal(runs["freeze"].h, torch.full_like(runs["freeze"].h, 0.5))
    overwrite = runs["overwrite"]
    assert torch.allclose(overwrite.h, overwrite.gates["n"])
    assert overwrite.h[2, 0] < overwrite.h[1, 0] < overwrite.h[0, 0] < 0.5  # fades, step by step
    ignore = runs["ignore the past"].h[:, 0].tolist()
    assert ignore[3] == pytest.approx(math.tanh(1.6), abs=0.01)  # replaced, not added
    assert ignore[14] == pytest.approx(math.tanh(-1.2), abs=0.01)


def test_trained_gru_example_opens_on_its_memory_unit(example):
    model, task = checkpoints.temporal_order("GRU")
    record = checkpoints.index()["temporal_order_gru"]
    assert train.accuracy(model, task) == pytest.approx(record["accuracy"]) and record["accuracy"] > 0.95
    assert record["history"]["steps"][-1] == record["training"]["steps"]
    unit, separation = train.memory_unit(model, task)  # on the hidden state: a GRU has no c
    assert separation > 1.0
    explorer = example("gru-temporal-order")
    assert explorer.kind == "GRU" and explorer.first_unit == unit
    assert widgets.GateExplorer("gru-temporal-order").unit == unit  # the page opens on it
    symbols = "".join(explorer.input_names[i] for i in explorer.x.argmax(-1))
    assert symbols.replace("Y", "").index("X") == symbols.index("X")  # X comes first
    h = explorer.learned.h[:, unit]
    t_x = symbols.index("X")
    assert (h[t_x + 5:] - h[t_x - 1]).abs().min() > 1.0  # the state switched at the X and held


def test_gru_explorer_has_every_preset_in_the_learners_language():
    gatelab.use("hi")
    explorer = widgets.GateExplorer("gru-memory")
    names = [name for name, _force in explorer.presets]
    assert len(names) == len(widgets.GRU_PRESETS) and "जस का तस रखना" in names
    assert [force for _name, force in explorer.presets] == list(widgets.GRU_PRESETS.values())


def test_unknown_example_names_the_examples():
    with pytest.raises(ValueError, match='"gru-memory".*"gru-temporal-order"'):
        widgets.GateExplorer("gru")


def test_fit_stops_when_it_reaches_the_target():
    torch.manual_seed(0)
    model = models.SequenceClassifier("GRU", 8, 16, 4)
    history = train.fit(model, tasks.TemporalOrder("easy", seed=1), steps=400,
                        evaluate_every=25, until=0.9)
    assert history.final >= 0.9 and history.steps[-1] < 400
    assert history.steps_to(0.9) == history.steps[-1]
    assert history.time_to(0.9) == history.seconds[-1]
    assert history.steps_to(1.01) is None


def test_echo_training_carries_the_state_and_learns_a_short_delay():
    torch.manual_seed(0)
    task = tasks.Echo(delay=2, seed=0)
    model = models.Tagger("RNN", input_size=1, hidden_size=8, num_classes=2)
    before = train.echo_accuracy(model, task)
    history = train.fit_echo(model, task, steps=300, until=0.99)
    assert before < 0.8 and history.final >= 0.99
    scores, state = model(task.test_set()[0])
    assert scores.shape == (8, 2000, 2) and state.shape == (1, 8, 8)


def test_echo_accuracy_skips_steps_with_nothing_to_echo():
    task = tasks.Echo(delay=3, seed=0)
    x, y = task.test_set()

    class Oracle(torch.nn.Module):  # answers the true target; anything where it is -1
        def forward(self, x, state=None):
            scores = torch.nn.functional.one_hot(y.clamp(min=0), 2).float()
            scores[:, :3] = torch.tensor([0.0, 1.0])
            return scores, state

    assert train.echo_accuracy(Oracle(), task) == 1.0


def test_parameter_counts_are_one_three_four():
    modules = {kind: getattr(torch.nn, kind)(7, 11) for kind in ("RNN", "GRU", "LSTM")}
    rows = report.parameters(**modules).rows
    assert [row[-1] for row in rows] == [1.0, 3.0, 4.0]
    assert rows[0][1] == 11 * (7 + 11 + 2)


def test_step_time_is_a_median_of_real_passes():
    gru = torch.nn.GRU(4, 8, batch_first=True)
    times = train.step_times({"GRU": gru}, torch.randn(2, 5, 4), repeats=3)
    assert list(times) == ["GRU"] and 0 < times["GRU"] < 5
    assert gru.weight_hh_l0.grad is not None  # the backward pass ran


def test_race_reports_steps_and_never():
    table = report.race({"GRU 0": train.History([50, 100], [0.6, 0.97], [1.0, 2.0]),
                         "LSTM 0": train.History([50], [0.3], [1.5])})
    assert table.rows[0] == ["GRU 0", 0.97, 2.0, 100, 2.0]
    assert table.texts()[1][-2:] == ["never", "never"]


def test_chos_form_only_for_a_gru():
    with pytest.raises(ValueError, match="no reset gate"):
        cells.run(torch.nn.RNN(2, 3), torch.randn(4, 2), reset_after=False)
