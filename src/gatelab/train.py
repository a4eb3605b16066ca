"""Training loops the chapters share: short, seeded, and reporting what they reached."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from . import tasks
from .i18n import _


@dataclass
class History:
    """What one training run reached."""

    steps: list[int] = field(default_factory=list)  # the step of each evaluation
    accuracy: list[float] = field(default_factory=list)  # held-out accuracy at that step
    seconds: list[float] = field(default_factory=list)  # wall time at that step

    @property
    def final(self) -> float:
        return self.accuracy[-1] if self.accuracy else 0.0

    def time_to(self, target: float) -> float | None:
        """Seconds until the held-out accuracy first reached ``target``; None if it never did."""
        for acc, sec in zip(self.accuracy, self.seconds, strict=True):
            if acc >= target:
                return sec
        return None

    def record(self, step: int, accuracy: float, started: float,
               progress: Callable[[int, float], None] | None, until: float | None) -> bool:
        """Note one evaluation (wall time since ``started``), report it; True: stop training."""
        self.steps.append(step)
        self.accuracy.append(accuracy)
        self.seconds.append(time.perf_counter() - started)
        if progress:
            progress(step, accuracy)
        return until is not None and accuracy >= until

    def steps_to(self, target: float) -> int | None:
        """Training steps until the held-out accuracy first reached ``target``; None if never."""
        for acc, step in zip(self.accuracy, self.steps, strict=True):
            if acc >= target:
                return step
        return None


def update(model: nn.Module, optimizer: torch.optim.Optimizer, loss: torch.Tensor,
           max_norm: float = 1.0) -> None:
    """One training step: the gradient of ``loss``, clipped to ``max_norm``, then the update."""
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()


@torch.no_grad()
def text_loss(model: nn.Module, stream: torch.Tensor) -> float:
    """A character model's mean loss (cross-entropy of each next character, in nats) over one
    stream of indices (N,), read as a single sequence from h0 = 0; e^loss is the perplexity.

    ``model`` maps (T, B) indices to scores (T, B, V) and a state, as
    :class:`gatelab.models.CharRNN` does. Nothing is trained.
    """
    was_training = model.training
    model.eval()
    scores, _state = model(stream[:-1].unsqueeze(1))  # (N-1, 1, V): the whole text at once
    model.train(was_training)
    return F.cross_entropy(scores[:, 0], stream[1:]).item()


@torch.no_grad()
def accuracy(model: nn.Module, task: tasks.TemporalOrder) -> float:
    """Accuracy of a sequence classifier on the task's fixed held-out set."""
    model.eval()
    right = total = 0
    for x, y in task.test_set():
        right += (model(x).argmax(-1) == y).sum().item()
        total += len(y)
    model.train()
    return right / total


def fit(model: nn.Module, task: tasks.TemporalOrder, steps: int = 500, batch_size: int = 32,
        lr: float = 1e-2, evaluate_every: int = 25, max_norm: float = 1.0,
        progress: Callable[[int, float], None] | None = None,
        until: float | None = None, optimizer: torch.optim.Optimizer | None = None,
        history: History | None = None) -> History:
    """Train a sequence classifier with Adam and gradient clipping; evaluate on the held-out
    set every ``evaluate_every`` steps. ``progress(step, accuracy)`` is called at each
    evaluation (a progress bar, a print). With ``until``, stop at the first evaluation whose
    accuracy reaches it.

    To go on from an earlier run (:func:`curriculum` does, level after level), pass its
    ``optimizer`` and ``history``: the steps and the clock then continue from where it stopped,
    and ``steps`` more steps are taken at most."""
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    history = History() if history is None else history
    done = history.steps[-1] if history.steps else 0  # a run always ends with an evaluation
    started = time.perf_counter() - (history.seconds[-1] if history.seconds else 0.0)
    for step in range(done + 1, done + steps + 1):
        x, y = task.batch(batch_size)
        update(model, optimizer, F.cross_entropy(model(x), y), max_norm)
        if (step - done) % evaluate_every == 0 or step == done + steps:
            if history.record(step, accuracy(model, task), started, progress, until):
                break
    return history


# --- a curriculum: the temporal-order task from short sequences to the paper's ---------------


@dataclass
class CurriculumHistory(History):
    """A :class:`History` of a curriculum: which level each evaluation measured, and the size
    of the batches (so that steps can be counted in sequences)."""

    batch_size: int = 32
    levels: list[str] = field(default_factory=list)  # the level of each evaluation
    target: float = 0.99  # the held-out accuracy on the last level that ends training

    @property
    def sequences(self) -> list[int]:
        """Training sequences seen at each evaluation."""
        return [step * self.batch_size for step in self.steps]

    @property
    def reached(self) -> bool:
        """Whether the last level's held-out accuracy reached the target."""
        return any(level == self.last_level and acc >= self.target
                   for level, acc in zip(self.levels, self.accuracy, strict=True))

    @property
    def last_level(self) -> str:
        return self.levels[-1] if self.levels else ""

    def sequences_to_target(self) -> int | None:
        """Sequences seen when the last level first reached the target; None if it never did."""
        for level, acc, seen in zip(self.levels, self.accuracy, self.sequences, strict=True):
            if level == self.last_level and acc >= self.target:
                return seen
        return None

    def seconds_to_target(self) -> float | None:
        """Seconds until the last level first reached the target; None if it never did."""
        for level, acc, sec in zip(self.levels, self.accuracy, self.seconds, strict=True):
            if level == self.last_level and acc >= self.target:
                return sec
        return None


#: the curriculum of Chapter 4 (see :func:`curriculum` and scripts/long_lags.py for why)
CURRICULUM = ("easy", "moderate", "hard")


def curriculum(model: nn.Module, levels: tuple[str, ...] = CURRICULUM, seed: int = 0,
               budget: int = 128_000, batch_size: int = 32, lr: float = 3e-3,
               advance: float = 0.95, target: float = 0.99, evaluate_every: int = 25,
               test_size: int = 256, max_norm: float = 1.0,
               progress: Callable[[int, float], None] | None = None) -> CurriculumHistory:
    """Train a temporal-order classifier level by level: on each level until its held-out
    accuracy reaches ``advance``, then on the next; on the last level until ``target``, or until
    ``budget`` training sequences have been seen in all. One optimizer (Adam, ``lr``) and
    gradient clipping to ``max_norm`` throughout, so the step count and the clock run on from
    level to level. ``levels=("hard",)`` is direct training, without a curriculum.

    ``progress(step, accuracy)`` is called at each evaluation (a progress bar): the step counts
    from the start, the accuracy is the held-out accuracy of the level being trained. The
    history records, per evaluation, the level, the step (``sequences`` = step × batch size),
    the accuracy and the seconds since the start. Each level's task is made from ``seed``
    with ``test_size`` held-out sequences before the clock starts.
    """
    if not levels:
        raise ValueError(_("Give at least one level, e.g. levels=('easy', 'moderate', 'hard')."))
    steps_left = budget // batch_size
    if steps_left < 1:
        raise ValueError(_("A budget of {budget} sequences is less than one batch of {batch}.")
                         .format(budget=budget, batch=batch_size))
    made = [tasks.TemporalOrder(level, seed=seed, test_size=test_size) for level in levels]
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = CurriculumHistory(batch_size=batch_size, target=target)
    for number, (level, task) in enumerate(zip(levels, made, strict=True)):
        last = number == len(levels) - 1
        done = history.steps[-1] if history.steps else 0
        fit(model, task, steps=steps_left - done, batch_size=batch_size,
            evaluate_every=evaluate_every, max_norm=max_norm, progress=progress,
            until=target if last else advance, optimizer=optimizer, history=history)
        history.levels.extend([level] * (len(history.steps) - len(history.levels)))
        if history.steps[-1] >= steps_left or (not last and history.final < advance):
            break  # the budget is spent
    return history


@torch.no_grad()
def echo_accuracy(model: nn.Module, task: tasks.Echo) -> float:
    """Share of the held-out stream's steps where a tagger answers the bit from ``delay`` steps
    before (the first ``delay`` steps, with nothing to echo, are not counted)."""
    model.eval()
    x, y = task.test_set()
    guess = model(x)[0].argmax(-1)
    model.train()
    counted = y >= 0
    return (guess[counted] == y[counted]).float().mean().item()


def fit_echo(model: nn.Module, task: tasks.Echo, steps: int = 300, batch_size: int = 32,
             chunk_length: int = 20, lr: float = 1e-2, evaluate_every: int = 25,
             max_norm: float = 1.0, progress: Callable[[int, float], None] | None = None,
             until: float | None = None) -> History:
    """Train a tagger on the echo task with truncated BPTT: each step is the next chunk of the
    same streams, and the hidden state is carried over, detached, so the gradient stops at the
    chunk's start while the memory does not. Evaluated, reported and stopped like :func:`fit`."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history, started, state = History(), time.perf_counter(), None
    for step, (x, y) in enumerate(task.stream(batch_size, chunk_length, steps), start=1):
        scores, state = model(x, state)
        state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        loss = F.cross_entropy(scores.reshape(-1, scores.shape[-1]), y.reshape(-1),
                               ignore_index=-1)  # the first steps have nothing to echo
        update(model, optimizer, loss, max_norm)
        if step % evaluate_every == 0 or step == steps:
            if history.record(step, echo_accuracy(model, task), started, progress, until):
                break
    return history


def step_times(modules: dict[str, nn.Module], x: torch.Tensor,
               repeats: int = 10) -> dict[str, float]:
    """For each recurrent module, the median seconds of one forward and backward pass over
    ``x`` (after one untimed warm-up pass): what a training step costs on this machine,
    without the optimizer."""
    medians = {}
    for name, module in modules.items():
        times = []
        for attempt in range(repeats + 1):
            module.zero_grad()
            started = time.perf_counter()
            out, _state = module(x)
            out.sum().backward()
            if attempt:
                times.append(time.perf_counter() - started)
        medians[name] = sorted(times)[len(times) // 2]
    return medians


def fit_text(model: nn.Module, data: tasks.Sentences, epochs: int = 30, batch_size: int = 16,
             lr: float = 5e-3, seed: int = 0,
             progress: Callable[[int, float], None] | None = None) -> dict[str, float]:
    """Train a text classifier on ``data.train``; return the accuracy on the training rows
    ("train") and on the held-out rows: overall ("all") and per language. ``progress(epoch, training loss)`` is called after each epoch."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    x, lengths, y = data.train["x"], data.train["lengths"], data.train["y"]
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(y), generator=generator)
        total = 0.0
        for start in range(0, len(y), batch_size):
            batch = order[start : start + batch_size]
            loss = F.cross_entropy(model(x[batch], lengths[batch]), y[batch])
            update(model, optimizer, loss)
            total += loss.item() * len(batch)
        if progress:
            progress(epoch, total / len(y))
    model.eval()
    with torch.no_grad():
        right = model(data.test["x"], data.test["lengths"]).argmax(-1) == data.test["y"]
        seen = model(x, lengths).argmax(-1) == y
    scores = {"train": seen.float().mean().item(), "all": right.float().mean().item()}
    for lang in sorted(set(data.test_lang)):
        mask = torch.tensor([code == lang for code in data.test_lang])
        scores[lang] = right[mask].float().mean().item()
    return scores


@torch.no_grad()
def memory_unit(model: nn.Module, task: tasks.TemporalOrder) -> tuple[int, float]:
    """The unit whose memory best holds the first relevant symbol (X or Y): the cell state of
    an LSTM, the hidden state of a GRU or RNN.

    For every held-out sequence, that state of each unit is averaged over the steps between
    the two relevant symbols; the unit whose average differs most (in standard deviations)
    between sequences starting with X and with Y is the memory. Returns the unit and that
    separation.
    """
    from . import cells

    gaps, first_is_x = [], []
    for x, y in task.test_set():
        trace = cells.run(model.rnn, x)  # (B, T, H) batch-first
        memory = trace.h if trace.c is None else trace.c
        symbols = x.argmax(-1)  # (B, T)
        relevant = symbols >= task.SYMBOLS.index("X")
        for b in range(len(y)):
            t1, t2 = torch.nonzero(relevant[b]).flatten().tolist()
            gaps.append(memory[b, t1:t2].mean(0))
            first_is_x.append(bool(y[b] < 2))  # Q, R start with X
    gaps, first_is_x = torch.stack(gaps), torch.tensor(first_is_x)
    difference = gaps[first_is_x].mean(0) - gaps[~first_is_x].mean(0)
    separation = difference.abs() / (gaps.std(0) + 1e-6)
    unit = int(separation.argmax())
    return unit, float(separation[unit])


@torch.no_grad()
def holding_gates(model: nn.Module, task: tasks.TemporalOrder, unit: int) -> dict[str, dict[str, float]]:
    """How ``unit`` of a trained temporal-order network holds its memory: each gate's mean
    value (and the candidate's) in that unit between the two relevant symbols, averaged over
    the held-out sequences whose first relevant symbol is X, and over those where it is Y.

    Returns {"X": {"i": ..., "f": ..., "g": ..., "o": ...}, "Y": {...}} (r, z, n for a GRU).
    """
    from . import cells

    sums: dict[str, dict[str, float]] = {"X": {}, "Y": {}}
    counts = {"X": 0, "Y": 0}
    for x, y in task.test_set():
        trace = cells.run(model.rnn, x)  # (B, T, H) batch-first
        relevant = x.argmax(-1) >= task.SYMBOLS.index("X")
        for b in range(len(y)):
            t1, t2 = torch.nonzero(relevant[b]).flatten().tolist()
            first = "X" if int(y[b]) < 2 else "Y"  # Q, R start with X
            counts[first] += 1
            for name, gate in trace.gates.items():
                value = gate[b, t1 + 1 : t2, unit].mean().item()  # after the first, before the second
                sums[first][name] = sums[first].get(name, 0.0) + value
    return {first: {name: total / counts[first] for name, total in gates.items()}
            for first, gates in sums.items()}


def gap_accuracy(model: nn.Module, gaps: tuple[int, ...] = (5, 10, 20, 30, 40, 50, 60, 70, 78),
                 seed: int = 1000, test_size: int = 256, level: str = "hard") -> dict[int, float]:
    """A trained temporal-order classifier's held-out accuracy on sequences of ``level`` whose
    two relevant symbols are exactly ``gap`` steps apart, for each gap: how far apart it can
    still tell them (hard trains on distances 30-50)."""
    return {gap: accuracy(model, tasks.TemporalOrder(level, seed=seed, test_size=test_size,
                                                     gap=gap))
            for gap in gaps}


# --- echo: the carried state and the BPTT chunk ---------------------------------------------


@torch.no_grad()
def chunk_errors(model: nn.Module, task: tasks.Echo, chunk_length: int) -> dict[str, list[float]]:
    """Error rate of an echo tagger at each position of a chunk, over the held-out stream cut
    into chunks of ``chunk_length``: "fresh", each chunk read from a zero state; "carried", the
    state of the chunk before carried in (as in training). From a fresh state the first
    ``delay`` positions ask for bits the network never saw: it can only guess them.

    Returns {"fresh": [error at position 0, 1, ...], "carried": [...]}, each of length
    ``chunk_length``; the steps at the very start of the stream (nothing to echo) are left out.
    """
    if chunk_length < 1:
        raise ValueError(_("The chunk length must be at least 1; got {length}.")
                         .format(length=chunk_length))
    was_training = model.training
    model.eval()
    x, y = task.test_set()  # (rows, L, 1), (rows, L)
    chunks = x.shape[1] // chunk_length
    result = {}
    for mode in ("fresh", "carried"):
        wrong = torch.zeros(chunk_length)
        counted = torch.zeros(chunk_length)
        state = None
        for k in range(chunks):
            piece = slice(k * chunk_length, (k + 1) * chunk_length)
            scores, new_state = model(x[:, piece], None if mode == "fresh" else state)
            state = new_state
            target = y[:, piece]  # (rows, chunk)
            valid = target >= 0
            wrong += ((scores.argmax(-1) != target) & valid).sum(0).float()
            counted += valid.sum(0).float()
        result[mode] = (wrong / counted.clamp(min=1)).tolist()
    model.train(was_training)
    return result


def echo_chunk_lengths(kind: str = "LSTM", delay: int = 8,
                       chunk_lengths: tuple[int, ...] = (4, 8, 10, 12, 16, 24),
                       hidden_size: int = 32, time_steps: int = 8000, seed: int = 0,
                       batch_size: int = 32, lr: float = 1e-2,
                       progress: Callable[[int, float], None] | None = None) -> dict[int, float]:
    """Train one echo tagger per chunk length (truncated BPTT, state carried over) on the same
    number of time steps per stream row, and return the held-out accuracy each reached.

    With a chunk no longer than the delay, the bit to echo always lies in an earlier chunk: the
    state can carry it forward, but the gradient stops at the chunk's start, so nothing teaches
    the network to keep it. ``progress(chunk_length, accuracy)`` is called after each one.
    """
    from . import models

    reached = {}
    for length in chunk_lengths:
        torch.manual_seed(seed)
        model = models.Tagger(kind, input_size=1, hidden_size=hidden_size, num_classes=2)
        task = tasks.Echo(delay=delay, seed=seed)
        steps = max(time_steps // length, 1)
        history = fit_echo(model, task, steps=steps, batch_size=batch_size, chunk_length=length,
                           lr=lr, evaluate_every=steps)
        reached[length] = history.final
        if progress:
            progress(length, history.final)
    return reached
