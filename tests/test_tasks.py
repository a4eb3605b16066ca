"""Data made on the spot: correct, reproducible, never from numpy's global state, and with
held-out test sets kept apart from the training stream."""

import numpy as np
import pytest
import torch

from gatelab import tasks


@pytest.mark.parametrize("level", ["easy", "moderate", "hard"])
def test_temporal_order_sequences_follow_the_paper(level):
    task = tasks.TemporalOrder(level, seed=1, test_size=64)
    lv = tasks.LEVELS[level]
    for _ in range(5):
        x, y = task.batch(16)
        assert x.shape[0] == 16 and x.shape[2] == 8 and y.shape == (16,)
        assert lv.length[0] <= x.shape[1] <= lv.length[1]
        for row, label in zip(x, y, strict=True):
            text = task.decode(row)
            assert text[0] == "E" and text[-1] == "B"  # start symbol, trigger symbol
            positions = [i for i, ch in enumerate(text) if ch in "XY"]
            assert len(positions) == 2
            t1, t2 = positions
            assert lv.t1[0] <= t1 <= lv.t1[1] and lv.t2[0] <= t2 <= lv.t2[1]
            assert set(text[1:-1]) - {"X", "Y"} <= set("abcd")
            assert task.CLASSES[int(label)] == {"XX": "Q", "XY": "R", "YX": "S", "YY": "U"}[
                text[t1] + text[t2]]


def test_hard_level_is_the_papers_setting():
    """Hochreiter & Schmidhuber (1997), experiment 6a: length 100-110, t1 in 10-20, t2 in
    50-60, every value of each range drawn."""
    assert tasks.LEVELS["hard"] == tasks.Level(length=(100, 110), t1=(10, 20), t2=(50, 60))
    task = tasks.TemporalOrder("hard", seed=0, test_size=8)
    lengths, firsts, seconds = set(), set(), set()
    for _ in range(60):
        x, _y = task.batch(32)
        lengths.add(x.shape[1])
        symbols = x.argmax(-1)
        for row in symbols:
            t1, t2 = torch.nonzero(row >= task.SYMBOLS.index("X")).flatten().tolist()
            firsts.add(t1)
            seconds.add(t2)
    assert lengths == set(range(100, 111))
    assert firsts == set(range(10, 21)) and seconds == set(range(50, 61))


def test_temporal_order_reproducible_and_seeded():
    a, b, c = (tasks.TemporalOrder("moderate", seed=s, test_size=8) for s in (3, 3, 4))
    xa, ya = a.batch(8)
    xb, yb = b.batch(8)
    xc, _ = c.batch(8)
    assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert xa.shape != xc.shape or not torch.equal(xa, xc)


def test_no_global_random_state_touched():
    np.random.seed(123)  # noqa: NPY002 (the test is about the global state)
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    tasks.TemporalOrder("easy", seed=0, test_size=16).batch(8)
    list(tasks.Echo(delay=2, seed=0).stream(2, 5, 3))
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_test_set_fixed_and_never_in_training():
    task = tasks.TemporalOrder("easy", seed=0, test_size=256)
    again = tasks.TemporalOrder("easy", seed=0, test_size=256)
    test = task.test_set()
    assert sum(len(y) for _, y in test) == 256
    for (xa, ya), (xb, yb) in zip(test, again.test_set(), strict=True):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    held_out = {task.decode(row) for x, _ in test for row in x}
    for _ in range(40):  # the easy level has few distinct sequences: collisions would happen
        x, _ = task.batch(64)
        assert not {task.decode(row) for row in x} & held_out
    assert len({len(x[0]) for x, _ in test}) == 2  # both lengths of the easy level


def test_unknown_level_says_which_exist():
    with pytest.raises(ValueError, match="easy, moderate, hard"):
        tasks.TemporalOrder("nightmare")


def test_echo_targets_are_delayed_inputs_across_chunks():
    echo = tasks.Echo(delay=3, seed=0)
    chunks = list(echo.stream(batch_size=2, chunk_length=5, chunks=4))
    x = torch.cat([c[0] for c in chunks], dim=1).squeeze(-1).long()  # (B, 20)
    y = torch.cat([c[1] for c in chunks], dim=1)
    assert (y[:, :3] == -1).all()
    assert torch.equal(y[:, 3:], x[:, :-3])
    tx, ty = echo.test_set()
    assert torch.equal(ty[:, 3:], tx.squeeze(-1).long()[:, :-3])
    tx2, _ = tasks.Echo(delay=3, seed=0).test_set()
    assert torch.equal(tx, tx2)
    with pytest.raises(ValueError, match="at least 1"):
        tasks.Echo(delay=0)


def test_batchify_makes_columns_that_follow_the_stream():
    stream = torch.arange(23)
    columns = tasks.batchify(stream, batch_size=4)  # 5 rows, 3 dropped
    assert columns.shape == (5, 4)
    assert torch.equal(columns[:, 1], torch.arange(5, 10))
    chunks = list(tasks.bptt_chunks(columns, length=2))
    assert [x.shape[0] for x, _ in chunks] == [2, 2]
    for x, y in chunks:
        assert torch.equal(y, x + 1)  # the target is the next item of each column
    with pytest.raises(ValueError):
        tasks.batchify(torch.arange(3), batch_size=4)


def test_text_encoding_round_trip():
    ids, vocab = tasks.encode_text("abracadabra")
    assert "".join(vocab[i] for i in ids) == "abracadabra" and vocab == sorted(set("abracadabra"))
