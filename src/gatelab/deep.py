"""Deep (stacked) and bidirectional recurrent networks as ideas, not only shapes (Chapter 5).

* :func:`reads` — which inputs each layer and each direction of a stacked, bidirectional
  network has read when it gives its output at one step, measured with gradients;
  :func:`final_states` — which row of ``h_n`` is which layer and direction
  (``h_n.view(num_layers, num_directions, B, H)``), and which slice of ``out`` it equals, with
  or without packing.
* :class:`BiCharLM`, :func:`peeking` — a bidirectional character model "predicts" the next
  character after its backward direction has read it; at generation time there is no future
  to read, and :func:`bits_without_future` measures what is left.
* :func:`padded_batch`, :func:`last_position` — padding, ``pack_padded_sequence`` and
  ``pad_packed_sequence``, and why ``out[:, -1]`` is not the final state of every sequence;
  :class:`StartTask`, :class:`Reader`, :func:`train_reader` — the consequence on a task whose
  answer is at the start of the sequence.
* :func:`dropout_between_layers`, :func:`results` — stacked LSTMs (``charlm.CharLM`` with
  ``num_layers`` and ``dropout``) with dropout between layers (what ``nn.LSTM(dropout=p)`` does and does not do), and what
  ``scripts/deep_lm.py`` measured on the course's prose (data/deep_lm.json).

Schuster & Paliwal (1997), "Bidirectional recurrent neural networks"; Graves, Mohamed & Hinton
(2013), "Speech recognition with deep recurrent neural networks"; Zaremba, Sutskever & Vinyals
(2014), "Recurrent neural network regularization" (dropout on the connections between layers,
never on the recurrent ones).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from . import charlm, train
from .i18n import N_, _

#: the file scripts/deep_lm.py writes, read through :func:`results`
RESULTS = "deep_lm.json"
#: the direction names the tables show (translated there)
DIRECTIONS = (N_("forward"), N_("backward"))


# --- what each layer and each direction reads ------------------------------------------------


def _check_time_major(rnn: nn.RNNBase) -> None:
    if rnn.batch_first:
        raise ValueError(_("These functions take time-major input (T, B, I); build the network "
                           "without batch_first=True."))


def _layers(rnn: nn.RNNBase) -> list[nn.RNNBase]:
    """A stacked ``rnn`` as one single-layer network per layer, with the same weights, so that
    each layer's output can be read (``nn.LSTM`` returns only the last layer's)."""
    layers = []
    for layer in range(rnn.num_layers):
        size = rnn.input_size if layer == 0 else rnn.hidden_size * (1 + rnn.bidirectional)
        one = type(rnn)(size, rnn.hidden_size, bidirectional=rnn.bidirectional)
        with torch.no_grad():
            for name, _p in one.named_parameters():
                getattr(one, name).copy_(getattr(rnn, name.replace("_l0", f"_l{layer}")))
        layers.append(one)
    return layers


@dataclass(frozen=True)
class Reads:
    """What one layer and direction has read when it gives its output at ``step``."""

    layer: int            # 1 = the layer that reads x
    direction: str        # "forward" or "backward"
    step: int             # the step whose output is examined, counted from 1
    inputs: list[int]     # the steps s (from 1) whose x_s changes that output


def reads(rnn: nn.RNNBase, steps: int = 7, step: int = 3, seed: int = 0) -> list[Reads]:
    """For each layer and direction of ``rnn``, the inputs x_1 … x_T (T = ``steps``) that change
    its output at ``step`` (counted from 1): those with a non-zero gradient. Layer 2 reads
    layer 1's outputs, both directions of them, so each of its directions has read every x."""
    _check_time_major(rnn)
    if not 1 <= step <= steps:
        raise ValueError(_("Choose a step between 1 and {steps}; got {step}.")
                         .format(steps=steps, step=step))
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(steps, 1, rnn.input_size, generator=generator, requires_grad=True)  # (T, 1, I)
    H, found, below = rnn.hidden_size, [], x
    for number, layer in enumerate(_layers(rnn), start=1):
        out, _state = layer(below)  # (T, 1, D*H)
        for d in range(1 + rnn.bidirectional):
            (grad,) = torch.autograd.grad(out[step - 1, 0, d * H:(d + 1) * H].sum(), x,
                                          retain_graph=True)  # (T, 1, I)
            touched = grad.abs().sum(dim=(1, 2)) > 0  # (T,)
            found.append(Reads(number, DIRECTIONS[d], step,
                               [int(s) + 1 for s in torch.nonzero(touched).flatten()]))
        below = out
    return found


def run(rnn: nn.RNNBase, x: Tensor, lengths: Tensor | Sequence[int] | None = None,
        state=None) -> tuple[Tensor, Tensor]:
    """``out`` (T, B, D*H) and ``h_n`` (L*D, B, H) of ``rnn`` on ``x`` (T, B, I). With
    ``lengths`` (B,), the batch is packed first and ``out`` unpacked after, so that each
    sequence stops at its own length: ``out`` is zero after it."""
    _check_time_major(rnn)
    if lengths is None:
        out, state = rnn(x, state)
    else:
        packed = pack_padded_sequence(x, torch.as_tensor(lengths).cpu(), enforce_sorted=False)
        out, state = rnn(packed, state)
        out, _lengths = pad_packed_sequence(out, total_length=x.shape[0])  # (T, B, D*H)
    h_n = state[0] if isinstance(state, tuple) else state  # an LSTM's (h_n, c_n)
    return out, h_n


@dataclass(frozen=True)
class FinalState:
    """One row of ``h_n``: which layer and direction it is, and the slice of ``out`` it equals."""

    index: int                 # k of h_n[k]
    layer: int                 # from 1
    direction: str             # "forward" or "backward"
    same_as: str | None        # the slice of out that holds the same numbers; None: not in out
    difference: float | None   # largest |h_n[k] - that slice|


def final_states(rnn: nn.RNNBase, x: Tensor,
                 lengths: Tensor | Sequence[int] | None = None) -> list[FinalState]:
    """Every row of ``h_n`` (L*D, B, H) read through ``h_n.view(L, D, B, H)[layer, direction]``,
    and compared with ``out`` (T, B, D*H): the last layer's forward state is the output at each
    sequence's last step, ``out[length-1, b, :H]``; its backward state is the output at the
    first step, ``out[0, b, H:]``, where the backward direction finished. Lower layers' states
    are not in ``out``. With ``lengths`` the batch is packed (see :func:`run`)."""
    out, h_n = run(rnn, x, lengths)
    T, B = x.shape[:2]
    L, D, H = rnn.num_layers, 1 + rnn.bidirectional, rnn.hidden_size
    ends = (torch.full((B,), T) if lengths is None else torch.as_tensor(lengths)) - 1  # (B,)
    by_layer = h_n.view(L, D, B, H)  # the rule: layer first, then direction
    rows = []
    for layer in range(L):
        for d in range(D):
            state = by_layer[layer, d]  # (B, H), the same numbers as h_n[layer * D + d]
            if layer < L - 1:
                rows.append(FinalState(layer * D + d, layer + 1, DIRECTIONS[d], None, None))
                continue
            if d == 0:
                name = "out[T-1, :, :H]" if lengths is None else "out[length-1, b, :H]"
                slice_ = out[ends, torch.arange(B), :H]  # (B, H)
            else:
                name, slice_ = "out[0, :, H:]", out[0, :, H:]  # (B, H)
            rows.append(FinalState(layer * D + d, layer + 1, DIRECTIONS[d], name,
                                   (state - slice_).abs().max().item()))
    return rows


# --- padding and packing ---------------------------------------------------------------------


def padded_batch(lengths: Sequence[int] = (6, 4, 2), input_size: int = 3,
                 seed: int = 0) -> tuple[Tensor, Tensor]:
    """A batch of random sequences of the given ``lengths``, padded with zeros to the longest:
    x (T, B, I) and lengths (B,)."""
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.as_tensor(lengths)
    x = torch.randn(int(lengths.max()), len(lengths), input_size, generator=generator)
    steps = torch.arange(x.shape[0]).unsqueeze(1)  # (T, 1)
    return x * (steps < lengths).unsqueeze(-1), lengths  # zeros after each length


@dataclass(frozen=True)
class LastPosition:
    """How far ``out[:, -1]`` (the last padded position) is from one sequence's final states."""

    length: int
    packed_forward: float     # |out[-1, b, :H] - h_n[-2, b]| with packing
    packed_zero: bool         # out[-1, b] is all zeros with packing (the sequence had ended)
    padded_forward: float     # the same without packing: the state has read the padding
    padded_backward: float    # |out[-1, b, H:] - h_n[-1, b]| without packing: it read one input


def last_position(rnn: nn.RNNBase, x: Tensor, lengths: Tensor | Sequence[int]) -> list[LastPosition]:
    """For each sequence of a padded batch, compare ``out[-1]`` (what ``out[:, -1]`` picks in a
    batch-first network) with the true final states of a bidirectional ``rnn``: the forward
    one after the sequence's own last input, the backward one after its first. With packing,
    ``out[-1]`` is zero for every sequence shorter than the longest; without packing, the
    forward half has read the padding, and the backward half has read one input only."""
    if not rnn.bidirectional or rnn.num_layers != 1:
        raise ValueError(_("Give a bidirectional network of one layer, e.g. "
                           "nn.GRU(3, 4, bidirectional=True)."))
    H, lengths = rnn.hidden_size, torch.as_tensor(lengths)
    with torch.no_grad():
        packed_out, h_n = run(rnn, x, lengths)  # the true final states are this h_n
        padded_out, _h = run(rnn, x)
    rows = []
    for b, length in enumerate(lengths.tolist()):
        rows.append(LastPosition(
            length,
            (packed_out[-1, b, :H] - h_n[-2, b]).abs().max().item(),
            bool((packed_out[-1, b] == 0).all()),
            (padded_out[-1, b, :H] - h_n[-2, b]).abs().max().item(),
            (padded_out[-1, b, H:] - h_n[-1, b]).abs().max().item()))
    return rows


@dataclass
class StartTask:
    """Sequences of symbols whose class is given by the FIRST symbol (1 or 2, class 0 or 1),
    followed by random symbols 3 … ``symbols``-1 up to a random length in [``shortest``,
    ``longest``], padded with 0 to the longest. Time-major: x (T, B) indices, lengths (B,),
    y (B,)."""

    shortest: int = 5
    longest: int = 30
    symbols: int = 10
    seed: int = 0
    test_size: int = 512

    def __post_init__(self):
        self.generator = torch.Generator().manual_seed(self.seed)
        self.test = self.batch(self.test_size)

    def batch(self, size: int) -> tuple[Tensor, Tensor, Tensor]:
        g = self.generator
        lengths = torch.randint(self.shortest, self.longest + 1, (size,), generator=g)  # (B,)
        y = torch.randint(0, 2, (size,), generator=g)  # (B,)
        x = torch.randint(3, self.symbols, (self.longest, size), generator=g)  # (T, B)
        x[0] = y + 1
        x[torch.arange(self.longest).unsqueeze(1) >= lengths] = 0  # padding
        return x, lengths, y


#: how a :class:`Reader` reads a bidirectional network's outputs
READINGS = {"h_n": N_("h_n of both directions (packed)"),
            "last": N_("out[:, -1] (packed)"),
            "last, not packed": N_("out[:, -1] (padded, not packed)")}


class Reader(nn.Module):
    """embedding -> bidirectional GRU -> linear, classifying a padded batch (x (T, B), lengths
    (B,)) from ``reading``: "h_n" (the final states of both directions, packed: the correct
    way), "last" (``out[-1]`` after packing) or "last, not packed" (``out[-1]`` of the padded
    batch). In a batch-first network ``out[-1]`` is written ``out[:, -1]``."""

    def __init__(self, reading: str = "h_n", symbols: int = 10, embedding_size: int = 8,
                 hidden_size: int = 16, classes: int = 2):
        super().__init__()
        if reading not in READINGS:
            raise ValueError(_("Unknown reading {reading!r}; choose one of {readings}.")
                             .format(reading=reading, readings=", ".join(READINGS)))
        self.reading = reading
        self.embed = nn.Embedding(symbols, embedding_size)
        self.rnn = nn.GRU(embedding_size, hidden_size, bidirectional=True)
        self.head = nn.Linear(2 * hidden_size, classes)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        packed = self.reading != "last, not packed"
        out, h_n = run(self.rnn, self.embed(x), lengths if packed else None)  # (T, B, 2H)
        if self.reading == "h_n":
            return self.head(torch.cat([h_n[-2], h_n[-1]], dim=-1))  # (B, C)
        return self.head(out[-1])  # (B, C)


def reader_accuracy(model: Reader, task: StartTask) -> float:
    """Accuracy on the task's fixed held-out batch."""
    x, lengths, y = task.test
    with torch.no_grad():
        return (model(x, lengths).argmax(-1) == y).float().mean().item()


def train_reader(reading: str, task: StartTask, steps: int = 150, batch_size: int = 64,
                 lr: float = 0.01, seed: int = 0) -> float:
    """Train a :class:`Reader` with ``reading`` on ``task`` for ``steps`` batches (Adam, clipped
    gradients) from ``seed``; return its held-out accuracy."""
    torch.manual_seed(seed)
    model = Reader(reading, task.symbols)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _step in range(steps):
        x, lengths, y = task.batch(batch_size)
        train.update(model, optimizer, nn.functional.cross_entropy(model(x, lengths), y))
    return reader_accuracy(model, task)


# --- a bidirectional character model ---------------------------------------------------------


class BiCharLM(nn.Module):
    """A character model with a backward direction: embedding -> bidirectional LSTM -> linear
    on both directions' outputs. Time-major like :class:`gatelab.charlm.CharLM`: x (T, B) ->
    scores (T, B, V) and a state.

    The state carried from one chunk to the next (and by :func:`gatelab.charlm.sample` from one
    character to the next) is the forward direction's (h, c), each (1, B, H); the backward
    direction starts from zeros at the end of every chunk, since there is nothing after it yet.
    Trained on whole chunks, the backward output at step t has read x_T … x_{t+1}, x_t: the
    very character it is asked to predict, x_{t+1}.
    """

    def __init__(self, vocab_size: int, hidden_size: int = 86, embedding_size: int = 32):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_size)
        self.rnn = nn.LSTM(embedding_size, hidden_size, bidirectional=True)
        self.head = nn.Linear(2 * hidden_size, vocab_size)

    def forward(self, x: Tensor, state=None):
        if state is not None:  # forward (h, c) carried in; backward from zeros
            state = tuple(torch.cat([s, torch.zeros_like(s)]) for s in state)  # (2, B, H)
        out, (h, c) = self.rnn(self.embed(x), state)  # (T, B, 2H)
        return self.head(out), (h[:1], c[:1])  # (T, B, V)


@torch.no_grad()
def bits_without_future(model: BiCharLM, stream: Tensor) -> float:
    """Bits per character of ``model`` on ``stream`` (N,) as it is when generating: the
    forward direction has read everything before, the backward direction only the current
    character (each character read as a sequence of its own, from zeros) — exactly what
    :func:`gatelab.charlm.sample` feeds it."""
    was_training = model.training
    model.eval()
    H = model.rnn.hidden_size
    x = model.embed(stream[:-1])  # (N-1, E)
    whole, _state = model.rnn(x.unsqueeze(1))  # (N-1, 1, 2H): read as one sequence
    alone, _state = model.rnn(x.unsqueeze(0))  # (1, N-1, 2H): each character alone
    scores = model.head(torch.cat([whole[:, 0, :H], alone[0, :, H:]], dim=-1))  # (N-1, V)
    model.train(was_training)
    return nn.functional.cross_entropy(scores, stream[1:]).item() / math.log(2)


def matching_hidden(target: int, build: Callable[[int], nn.Module],
                    sizes: range = range(8, 400)) -> int:
    """The hidden size whose model ``build(hidden)`` has the parameter count closest to
    ``target``: a binary search, since the count grows with the hidden size."""
    def gap(h: int) -> int:
        return charlm.parameters(build(h)) - target

    lo, hi = sizes.start, sizes.stop - 1
    while lo < hi:  # the first size whose count reaches the target
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if gap(mid) < 0 else (lo, mid)
    return min((h for h in (lo - 1, lo) if h in sizes), key=lambda h: abs(gap(h)))


@dataclass(frozen=True)
class Peeking:
    """Held-out bits per character of a one-direction and a bidirectional character model."""

    parameters: dict[str, int]   # "one direction", "bidirectional" -> parameter count
    steps: int                   # training steps of each
    seconds: dict[str, float]    # training seconds of each
    one_direction: float         # bits, reading the text forward
    bidirectional: float         # bits, reading the whole text: the backward half has read the answer
    without_future: float        # the bidirectional model's bits as when it generates
    guessing: float              # log2(V): every character equally likely


def peeking(data: charlm.Corpus, steps: int = 120, held_out_chars: int = 4000,
            seed: int = 0) -> tuple[Peeking, nn.Module, BiCharLM]:
    """Train a one-direction LSTM character model (128 units, :class:`gatelab.charlm.CharLM`)
    and a :class:`BiCharLM` with about as many parameters, ``steps`` chunks each as
    :func:`gatelab.charlm.fit` trains, from ``seed``; measure both on the first
    ``held_out_chars`` of the held-out chapter, the bidirectional one also without its future.
    Returns the measurements and the two models."""
    V = len(data.vocab)
    torch.manual_seed(seed)
    uni = charlm.CharLM(V)
    hidden = matching_hidden(charlm.parameters(uni), lambda h: BiCharLM(V, h))
    torch.manual_seed(seed)
    bi = BiCharLM(V, hidden)
    seconds = {}
    for name, model in (("one direction", uni), ("bidirectional", bi)):
        started = time.perf_counter()
        charlm.fit(model, data, seconds=None, steps=steps, evaluate_every=steps + 1,
                   held_out_chars=1000)
        seconds[name] = time.perf_counter() - started
    stream = data.encode(data.held_out[:held_out_chars])
    return Peeking({"one direction": charlm.parameters(uni), "bidirectional": charlm.parameters(bi)},
                   steps, seconds, charlm.bits_per_char(uni, stream),
                   charlm.bits_per_char(bi, stream), bits_without_future(bi, stream),
                   math.log2(V)), uni, bi


# --- stacked layers and dropout between them -------------------------------------------------


@dataclass(frozen=True)
class DropoutEffect:
    """How two calls of the same stacked LSTM on the same input differ, per layer."""

    layer: int
    training: float      # largest difference of this layer's final h between two calls, training mode
    evaluation: float    # the same in evaluation mode
    out_zeros: float     # share of exact zeros in ``out`` in training mode (only for the last layer)


def dropout_between_layers(p: float = 0.5, num_layers: int = 2, hidden_size: int = 8,
                           steps: int = 10, seed: int = 0) -> list[DropoutEffect]:
    """Run an ``nn.LSTM(num_layers=num_layers, dropout=p)`` twice on the same input, in training
    mode and in evaluation mode, and compare each layer's final state ``h_n``: layer 1 never
    differs (nothing is dropped inside it or on its recurrent connections); the layers above
    read a randomly dropped copy of the layer below's output and do differ, in training mode
    only; ``out``, the last layer's output, has no dropped (zero) entries."""
    torch.manual_seed(seed)
    rnn = nn.LSTM(4, hidden_size, num_layers=num_layers, dropout=p)
    x = torch.randn(steps, 3, 4)  # (T, B, I)
    found = {}
    with torch.no_grad():
        for mode in ("training", "evaluation"):
            rnn.train(mode == "training")
            (out, (h1, _c1)), (_out, (h2, _c2)) = rnn(x), rnn(x)  # h: (L, B, H)
            found[mode] = ((h1 - h2).abs().amax(dim=(1, 2)), (out == 0).float().mean().item())
    return [DropoutEffect(layer + 1, found["training"][0][layer].item(),
                          found["evaluation"][0][layer].item(),
                          found["training"][1] if layer == num_layers - 1 else None)
            for layer in range(num_layers)]


def configuration_label(options: dict[str, Any]) -> str:
    """A stacked model's options -> "1 layer", "2 layers", "2 layers, dropout 0.3"."""
    layers, p = options["num_layers"], options.get("dropout", 0.0)
    if layers == 1:
        return _("1 layer")
    if p:
        return _("{layers} layers, dropout {p:g}").format(layers=layers, p=p)
    return _("{layers} layers").format(layers=layers)


def results() -> dict[str, Any]:
    """What ``scripts/deep_lm.py`` measured (data/deep_lm.json): for each language and each
    configuration (1 layer; 2 layers; 2 layers with dropout between them, all with about the
    same parameter count), every seed's held-out bits per character after each evaluation, at
    the end and at best, a summary, and the provenance."""
    with (resources.files("gatelab.datafiles") / RESULTS).open("r", encoding="utf-8") as f:
        return json.load(f)
