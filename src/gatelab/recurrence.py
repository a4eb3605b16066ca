"""Why Transformers replaced recurrence, and where recurrence still wins: counted, and measured
on this computer.

Vaswani et al. (2017, "Attention is all you need", Table 1) compare layers by three numbers: the
work per layer, the operations that must run one after another (sequential operations), and
the longest path a signal travels between two positions. A recurrent layer over ``T`` positions
needs ``T`` sequential steps and a path of ``T - 1`` steps from the first position to the last; a
self-attention layer needs one step and a path of one, but compares all ``T * T`` pairs of
positions. :func:`counts` gives these numbers for the course's sizes, from the shapes alone.

:func:`measure` times a forward pass, and a training step (forward and backward), of an LSTM and a
self-attention layer with about the same number of parameters, on one torch thread. The LSTM runs
twice: as PyTorch's fused ``nn.LSTM``, and as a Python loop over ``nn.LSTMCell`` with the same
weights, where each step is a separate call that must wait for the one before. Timings depend on
the machine and on its load; ``benchmarks/recurrence_vs_attention.py`` records a fuller run in
``data/recurrence_timing.json`` (:func:`committed`).

:func:`generation_memory` generates one token at a time and reads off what each network keeps
between tokens: an LSTM carries ``h`` and ``c`` (a fixed size), self-attention keeps a key and a
value for every earlier token (the key/value cache, which grows with every token). The sizes are
the ``numel()`` of the tensors a real generation loop holds; :func:`state_floats` and
:func:`cache_floats` give the same numbers from the shapes.
"""

from __future__ import annotations

import contextlib
import json
import math
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import torch
from torch import nn

from .i18n import N_, _

#: the networks timed, in the order the tables and figures show them
KINDS: tuple[str, ...] = ("lstm", "lstm_loop", "attention")
#: how the tables and figures name them (translated where they are shown)
LABELS: dict[str, str] = {"lstm": N_("LSTM (nn.LSTM)"),
                          "lstm_loop": N_("LSTM, a Python loop over nn.LSTMCell"),
                          "attention": N_("self-attention (nn.TransformerEncoderLayer)")}
#: what is timed: a forward pass alone, or a training step (forward and backward)
STEPS: dict[str, str] = {"forward": N_("forward pass"),
                         "training": N_("training step (forward and backward)")}
#: the committed run of benchmarks/recurrence_vs_attention.py
RESULTS = "recurrence_timing.json"


class RecurrenceError(ValueError):
    """A length, repeat count or network name that cannot be measured."""


@dataclass(frozen=True)
class Sizes:
    """The sizes of the two layers compared: the same width, and about the same parameters."""

    width: int = 64  # d: the LSTM's inputs and hidden units; the attention layer's model width
    heads: int = 4  # attention heads (each looks at width / heads numbers of every position)
    feedforward: int = 128  # the attention layer's feed-forward units: 2 * width gives it
    #                         33,472 parameters, the LSTM has 33,280


def _check_sizes(width: int, heads: int) -> None:
    if width < 1 or heads < 1 or width % heads:
        raise RecurrenceError(_("The width ({width}) must be a positive multiple of the number of "
                                "heads ({heads}).").format(width=width, heads=heads))


# --- the networks -----------------------------------------------------------------------------


class FusedLSTM(nn.Module):
    """``nn.LSTM`` returning only its output at every position: x (B, T, d) -> (B, T, d)."""

    def __init__(self, lstm: nn.LSTM):
        super().__init__()
        self.lstm = lstm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lstm(x)[0]


class LoopLSTM(nn.Module):
    """The same LSTM one step at a time in Python, with ``nn.LSTMCell`` and the weights of
    ``lstm``: step t cannot start before step t - 1 has given it h[t-1] and c[t-1]."""

    def __init__(self, lstm: nn.LSTM):
        super().__init__()
        self.cell = nn.LSTMCell(lstm.input_size, lstm.hidden_size)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(self.cell, name).copy_(getattr(lstm, f"{name}_l0"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (B, T, d)
        h = x.new_zeros(x.shape[0], self.cell.hidden_size)  # (B, d)
        c = torch.zeros_like(h)
        outputs = []
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
            outputs.append(h)
        return torch.stack(outputs, dim=1)  # (B, T, d)


def layers(sizes: Sizes = Sizes(), seed: int = 0) -> dict[str, nn.Module]:
    """The networks of :data:`KINDS`, made from ``seed`` (the global random state is left as it
    was): an LSTM with ``width`` inputs and hidden units, fused and as a loop with the same
    weights, and a Transformer encoder layer (self-attention and a feed-forward block) of the same
    width. Each maps x (B, T, width) to (B, T, width)."""
    _check_sizes(sizes.width, sizes.heads)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        lstm = nn.LSTM(sizes.width, sizes.width, batch_first=True)
        attention = nn.TransformerEncoderLayer(sizes.width, sizes.heads, sizes.feedforward,
                                               dropout=0.0, batch_first=True)
        loop = LoopLSTM(lstm)  # nn.LSTMCell draws weights too, before they are overwritten
    return {"lstm": FusedLSTM(lstm), "lstm_loop": loop, "attention": attention}


def parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# --- counting: independent of the machine ----------------------------------------------------


@dataclass(frozen=True)
class Count:
    """What one layer does with a sequence of ``length`` positions, from its shapes alone."""

    kind: str  # "lstm" or "attention"
    length: int  # T
    sequential_steps: int  # operations that must wait for the one before
    path: int  # steps a signal travels from position 1 to position T
    pairs: int | None  # pairs of positions compared directly (None: the LSTM compares none)
    multiply_adds: int  # in the layer's matrix products, for one sequence


def sequential_steps(kind: str, length: int) -> int:
    """An LSTM computes h[t] from h[t-1]: T steps, each waiting for the last. Self-attention
    computes every position from the layer's input at once: 1 step."""
    return {"lstm": length, "attention": 1}[_counted(kind)]


def path_length(kind: str, length: int) -> int:
    """Steps from position 1 to position T: through T - 1 recurrent steps in an LSTM, one
    attention weight in self-attention (0 when T = 1)."""
    return {"lstm": length - 1, "attention": min(length - 1, 1)}[_counted(kind)]


def multiply_adds(kind: str, length: int, sizes: Sizes = Sizes()) -> int:
    """Multiply-adds in the matrix products of one layer over one sequence of ``length``
    positions (the element-wise gates, softmax and normalisation left out).

    LSTM: at each step its four gate blocks multiply x[t] (d numbers) and h[t-1] (d numbers) by
    d-row matrices: 4 (d + d) d = 8 d^2 per step. Transformer encoder layer: queries, keys,
    values and the output projection, 4 d^2 per position; every query against every key, and
    the weighted sum of the values, T d each per position; the feed-forward block, 2 d f per
    position."""
    d, f, t = sizes.width, sizes.feedforward, length
    if _counted(kind) == "lstm":
        return 8 * d * d * t
    return 4 * t * d * d + 2 * t * t * d + 2 * t * d * f


def counts(length: int, sizes: Sizes = Sizes()) -> list[Count]:
    """:class:`Count` of the LSTM and of the self-attention layer for ``length`` positions."""
    _check_lengths([length])
    return [Count(kind, length, sequential_steps(kind, length), path_length(kind, length),
                  length * length if kind == "attention" else None,
                  multiply_adds(kind, length, sizes))
            for kind in ("lstm", "attention")]


def _counted(kind: str) -> str:
    kind = "lstm" if kind == "lstm_loop" else kind
    if kind not in ("lstm", "attention"):
        raise RecurrenceError(_("Unknown network {kind!r}; choose from {kinds}.")
                              .format(kind=kind, kinds=", ".join(KINDS)))
    return kind


# --- timing: depends on the machine and on its load --------------------------------------------


@dataclass
class Timing:
    """Median seconds per pass of each network at each sequence length."""

    lengths: list[int]  # T, the sequence lengths measured
    batch: int  # sequences per pass
    repeats: int  # timed passes per median (after one untimed warm-up pass)
    sizes: Sizes
    threads: int  # torch threads during the measurement
    forward: dict[str, list[float]] = field(default_factory=dict)  # kind -> s at each length
    training: dict[str, list[float]] = field(default_factory=dict)  # forward + backward
    seconds: float = 0.0  # wall-clock time of the whole measurement
    parameters: dict[str, int] = field(default_factory=dict)  # kind -> parameter count

    def times(self, step: str = "training") -> dict[str, list[float]]:
        """kind -> median seconds at each length, for ``step`` ("forward" or "training")."""
        if step not in STEPS:
            raise RecurrenceError(_("Unknown step {step!r}; choose from {steps}.")
                                  .format(step=step, steps=", ".join(STEPS)))
        return getattr(self, step)

    def to_json(self) -> dict[str, Any]:
        return {"lengths": self.lengths, "batch": self.batch, "repeats": self.repeats,
                "sizes": vars(self.sizes), "threads": self.threads,
                "forward": self.forward, "training": self.training,
                "seconds": round(self.seconds, 2), "parameters": self.parameters}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Timing:
        return cls(lengths=list(data["lengths"]), batch=data["batch"], repeats=data["repeats"],
                   sizes=Sizes(**data["sizes"]), threads=data["threads"],
                   forward=data["forward"], training=data["training"],
                   seconds=data.get("seconds", 0.0), parameters=data.get("parameters", {}))


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread inside the block, as many as before after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _check_lengths(lengths: Sequence[int]) -> None:
    bad = [t for t in lengths if isinstance(t, bool) or not isinstance(t, int) or t < 1]
    if bad or not lengths:
        raise RecurrenceError(_("Sequence lengths must be whole numbers of at least 1, for "
                                "example (16, 64, 256); got {lengths!r}.")
                              .format(lengths=list(lengths)))


def _time_once(module: nn.Module, x: torch.Tensor, step: str) -> float:
    """Seconds of one pass: a forward pass as at inference (eval mode, no gradients; PyTorch
    may then take a faster fused path), or a training step (forward, then backward)."""
    if step == "forward":
        module.eval()
        with torch.no_grad():
            started = time.perf_counter()
            module(x)
            return time.perf_counter() - started
    module.train()
    module.zero_grad(set_to_none=True)
    started = time.perf_counter()
    module(x).sum().backward()
    return time.perf_counter() - started


def measure(lengths: Sequence[int] = (16, 64, 256), batch: int = 8, repeats: int = 3,
            kinds: Sequence[str] = KINDS, sizes: Sizes = Sizes(), steps: Sequence[str] = tuple(STEPS),
            seed: int = 0) -> Timing:
    """Time each network of ``kinds`` at each length: the median of ``repeats`` passes after
    one untimed warm-up pass, on one torch thread, over a batch of ``batch`` random sequences.

    The networks take turns pass by pass, so a burst of other work on the machine slows all of
    them alike rather than one. The numbers depend on the CPU, the PyTorch build and the load.
    """
    _check_lengths(lengths)
    if repeats < 1 or batch < 1:
        raise RecurrenceError(_("Use at least 1 repeat and a batch of at least 1 sequence."))
    for kind in kinds:
        if kind not in KINDS:
            raise RecurrenceError(_("Unknown network {kind!r}; choose from {kinds}.")
                                  .format(kind=kind, kinds=", ".join(KINDS)))
    started = time.perf_counter()
    modules = layers(sizes, seed)
    generator = torch.Generator().manual_seed(seed)
    result = Timing(list(lengths), batch, repeats, sizes, threads=1,
                    parameters={kind: parameters(modules[kind]) for kind in kinds})
    with one_thread():
        for step in steps:
            medians = result.times(step)
            for length in lengths:
                x = torch.randn(batch, length, sizes.width, generator=generator)  # (B, T, d)
                samples: dict[str, list[float]] = {kind: [] for kind in kinds}
                for attempt in range(repeats + 1):  # attempt 0 warms up and is not kept
                    for kind in kinds:
                        seconds = _time_once(modules[kind], x, step)
                        if attempt:
                            samples[kind].append(seconds)
                for kind in kinds:
                    medians.setdefault(kind, []).append(statistics.median(samples[kind]))
    result.seconds = time.perf_counter() - started
    return result


def committed() -> dict[str, Any]:
    """What ``benchmarks/recurrence_vs_attention.py`` recorded (data/recurrence_timing.json):
    the run's rounds, the median over rounds ("timing", a :meth:`Timing.to_json`), and its
    provenance, machine and load."""
    with (resources.files("gatelab.datafiles") / RESULTS).open("r", encoding="utf-8") as f:
        return json.load(f)


def committed_timing() -> Timing:
    """The committed run's median over its rounds, as a :class:`Timing`."""
    return Timing.from_json(committed()["timing"])


def median_of_rounds(rounds: Sequence[Timing]) -> Timing:
    """One :class:`Timing` whose every time is the median of the same time over ``rounds``
    (measured with the same lengths and networks)."""
    first = rounds[0]

    def middle(step: str) -> dict[str, list[float]]:
        return {kind: [statistics.median(r.times(step)[kind][i] for r in rounds)
                       for i in range(len(first.lengths))]
                for kind in first.times(step)}

    return Timing(first.lengths, first.batch, first.repeats, first.sizes, first.threads,
                  forward=middle("forward"), training=middle("training"),
                  seconds=sum(r.seconds for r in rounds), parameters=first.parameters)


def growth(timing: Timing, kind: str, step: str = "training") -> float:
    """How time grows with length between the two longest lengths measured: the exponent k in
    time ∝ T^k (1: in proportion to T; 2: to T squared)."""
    times, lengths = timing.times(step)[kind], timing.lengths
    if len(lengths) < 2:
        raise RecurrenceError(_("Measure at least two lengths to see how time grows."))
    return math.log(times[-1] / times[-2]) / math.log(lengths[-1] / lengths[-2])


# --- memory when generating one token at a time -----------------------------------------------


def state_floats(layers: int, hidden: int) -> int:
    """Numbers an LSTM carries from one token to the next, per sequence: h and c of every
    layer. The same after 1 token or 10,000."""
    return 2 * layers * hidden


def cache_floats(layers: int, width: int, tokens: int) -> int:
    """Numbers a Transformer keeps after ``tokens`` tokens, per sequence: in every layer, a key
    and a value of ``width`` numbers for each token (its key/value cache). Grows with every token."""
    return 2 * layers * width * tokens


class CachedSelfAttention:
    """Causal self-attention one token at a time with the weights of an
    ``nn.MultiheadAttention`` (batch_first), keeping the keys and values of every token so far.

    Each new token's query is compared with all keys so far; nothing is recomputed for the
    earlier tokens. The outputs equal a full pass with a causal mask (each position attends to
    itself and the positions before it)."""

    def __init__(self, attention: nn.MultiheadAttention):
        self.attention = attention
        self.keys: torch.Tensor | None = None  # (B, heads, t, d / heads)
        self.values: torch.Tensor | None = None  # (B, heads, t, d / heads)

    def _heads(self, z: torch.Tensor) -> torch.Tensor:  # (B, d) -> (B, heads, 1, d / heads)
        heads = self.attention.num_heads
        return z.reshape(z.shape[0], heads, 1, z.shape[1] // heads)

    def step(self, x: torch.Tensor) -> torch.Tensor:
        """The output for one new token x (B, d); its key and value join the cache."""
        a = self.attention
        q, k, v = nn.functional.linear(x, a.in_proj_weight, a.in_proj_bias).chunk(3, dim=-1)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)  # (B, heads, 1, dh) each
        self.keys = k if self.keys is None else torch.cat([self.keys, k], dim=2)
        self.values = v if self.values is None else torch.cat([self.values, v], dim=2)
        scores = q @ self.keys.transpose(2, 3) / math.sqrt(q.shape[-1])  # (B, heads, 1, t)
        mixed = scores.softmax(dim=-1) @ self.values  # (B, heads, 1, dh)
        return a.out_proj(mixed.reshape(x.shape[0], -1))  # (B, d)

    def floats(self) -> int:
        """Numbers held in the cache now."""
        return 0 if self.keys is None else self.keys.numel() + self.values.numel()


@dataclass(frozen=True)
class Memory:
    """What each network holds between tokens after ``tokens`` tokens, read from its tensors."""

    tokens: int
    lstm: int  # numel of the LSTM's (h, c), every layer
    attention: int  # numel of every layer's key/value cache


def generation_memory(tokens: Sequence[int] = (1, 10, 100, 1000), layers: int = 1,
                      sizes: Sizes = Sizes(), seed: int = 0) -> list[Memory]:
    """Generate ``max(tokens)`` tokens one at a time, for one sequence, with an LSTM of
    ``layers`` layers and a stack of ``layers`` causal self-attention layers (``sizes.width``
    wide), and read what each holds after each count in ``tokens``. The inputs are random: what
    a network keeps depends on the shapes, not on the values."""
    _check_lengths(tokens)
    _check_sizes(sizes.width, sizes.heads)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        lstm = nn.LSTM(sizes.width, sizes.width, num_layers=layers)
        stack = [CachedSelfAttention(nn.MultiheadAttention(sizes.width, sizes.heads,
                                                           batch_first=True))
                 for _layer in range(layers)]
        inputs = torch.randn(max(tokens), 1, sizes.width)  # (T, B=1, d)
    wanted, found = set(tokens), []
    state = None
    with torch.no_grad():
        for t, x in enumerate(inputs, start=1):  # x (1, d)
            _out, state = lstm(x[None], state)  # state: h, c (layers, 1, d) each
            z = x
            for layer in stack:
                z = layer.step(z)
            if t in wanted:
                found.append(Memory(t, sum(s.numel() for s in state),
                                    sum(layer.floats() for layer in stack)))
    return found


# --- what recurrent networks are used for: a map of the course --------------------------------

#: the shapes of Chapter 1 (vec: one input or output, seq: a sequence), "seq -> seq" split by
#: whether there is one output per input (aligned) or the lengths differ (unaligned)
SHAPES: dict[str, str] = {"vec_seq": N_("vec → seq"), "seq_vec": N_("seq → vec"),
                          "aligned": N_("seq → seq, aligned (one output per input)"),
                          "unaligned": N_("seq → seq, unaligned (lengths differ)")}
#: what each chapter of the course is about
CHAPTERS: dict[int, str] = {1: N_("RNN, BPTT"), 2: N_("LSTM"), 3: N_("GRU"), 4: N_("long lags"),
                            5: N_("generation, bidirectional, forecasting"),
                            6: N_("encoder–decoder, attention")}


@dataclass(frozen=True)
class Application:
    """One use of recurrent networks, the course's ideas it uses, and a landmark paper."""

    name: str  # marked with N_, translated where shown
    example: str  # what goes in and what comes out
    shape: str  # a key of SHAPES
    ideas: tuple[tuple[int | None, str], ...]  # (chapter, the idea it takes from it); None:
    #                                            an idea from beyond the course
    paper: str  # authors (year). Title. Venue. -- checked against the paper

    @property
    def chapters(self) -> tuple[int, ...]:
        return tuple(n for n, _idea in self.ideas if n is not None)


# TRANSLATORS: in the "paper" strings below keep the authors' names, the year, the title and the
# venue as they are (the title is the paper's own).
APPLICATIONS: tuple[Application, ...] = (
    Application(N_("speech recognition"), N_("sound, frame by frame → the words spoken"),
                "unaligned",
                ((2, N_("LSTM")), (5, N_("deep and bidirectional networks")),
                 (None, N_("CTC, a loss that finds the alignment itself"))),
                N_("Graves, Mohamed & Hinton (2013). Speech recognition with deep recurrent "
                   "neural networks. ICASSP 2013.")),
    Application(N_("machine translation"), N_("a Bengali sentence → the same in Hindi"),
                "unaligned",
                ((2, N_("LSTM")), (3, N_("GRU, first proposed for translation")),
                 (6, N_("encoder–decoder, teacher forcing, attention"))),
                N_("Sutskever, Vinyals & Le (2014). Sequence to sequence learning with neural "
                   "networks. NIPS 2014.")),
    Application(N_("image captioning"), N_("a photo → a sentence that describes it"),
                "vec_seq",
                ((2, N_("LSTM")), (5, N_("generating word by word")),
                 (6, N_("a decoder that starts from the image's features"))),
                N_("Vinyals, Toshev, Bengio & Erhan (2015). Show and tell: a neural image "
                   "caption generator. CVPR 2015.")),
    Application(N_("tagging words"), N_("each word of a sentence → its part of speech or "
                                        "whether it is a name"),
                "aligned", ((2, N_("LSTM")), (5, N_("bidirectional networks"))),
                N_("Huang, Xu & Yu (2015). Bidirectional LSTM-CRF models for sequence "
                   "tagging. arXiv:1508.01991.")),
    Application(N_("text classification"), N_("a review → positive or negative"),
                "seq_vec",
                ((2, N_("an LSTM text classifier")),
                 (5, N_("a language model, trained first on plain text"))),
                N_("Howard & Ruder (2018). Universal language model fine-tuning for text "
                   "classification. ACL 2018.")),
    Application(N_("forecasting a time series"), N_("sales or rainfall so far → the next days"),
                "aligned",
                ((1, N_("BPTT over windows cut from one long series")), (2, N_("LSTM")),
                 (5, N_("one-step forecasts rolled out on their own output"))),
                N_("Salinas, Flunkert, Gasthaus & Januschowski (2020). DeepAR: probabilistic "
                   "forecasting with autoregressive recurrent networks. International Journal "
                   "of Forecasting 36(3).")),
    Application(N_("anomaly detection"), N_("sensor readings → how unusual each moment is"),
                "aligned",
                ((2, N_("LSTM")), (5, N_("forecasting: a large forecast error raises the alarm"))),
                N_("Malhotra, Vig, Shroff & Agarwal (2015). Long short term memory networks "
                   "for anomaly detection in time series. ESANN 2015.")),
    Application(N_("music"), N_("the notes so far → the next note"),
                "aligned",
                ((2, N_("LSTM")), (4, N_("long lags: the 12-bar blues form spans many bars")),
                 (5, N_("generating note by note"))),
                N_("Eck & Schmidhuber (2002). Finding temporal structure in music: blues "
                   "improvisation with LSTM recurrent networks. IEEE Workshop on Neural "
                   "Networks for Signal Processing.")),
    Application(N_("handwriting recognition"), N_("pen strokes or a scanned line → its text"),
                "unaligned",
                ((2, N_("LSTM")), (5, N_("bidirectional networks")),
                 (None, N_("CTC, as in speech recognition"))),
                N_("Graves, Liwicki, Fernández, Bertolami, Bunke & Schmidhuber (2009). A novel "
                   "connectionist system for unconstrained handwriting recognition. IEEE "
                   "Transactions on Pattern Analysis and Machine Intelligence 31(5).")),
    Application(N_("handwriting generation"), N_("a text → pen strokes that write it"),
                "unaligned",
                ((2, N_("LSTM")), (5, N_("sampling one pen movement at a time")),
                 (6, N_("a soft window that reads the text letter by letter, an early form of "
                        "attention"))),
                N_("Graves (2013). Generating sequences with recurrent neural networks. "
                   "arXiv:1308.0850.")),
    Application(N_("generating text"), N_("the characters so far → the next character"),
                "aligned",
                ((1, N_("BPTT on a text stream")),
                 (5, N_("a character language model, sampled with a temperature"))),
                N_("Sutskever, Martens & Hinton (2011). Generating text with recurrent neural "
                   "networks. ICML 2011.")),
)
