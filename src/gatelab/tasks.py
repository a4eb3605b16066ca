"""Sequence tasks made on the spot, reproducibly.

Every generator owns a ``numpy.random.Generator`` made from its seed; nothing touches numpy's
global random state. Each task keeps a fixed held-out test set, drawn from its own stream and
never produced again by the training stream.

* :class:`TemporalOrder` — Hochreiter & Schmidhuber (1997), experiment 6a.
* :class:`Echo` — a bit stream whose target is the input delayed by ``delay`` steps.
* :func:`batchify` and :func:`bptt_chunks` — a text stream cut into columns and into chunks
  for truncated backpropagation through time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .i18n import N_, _

# --- temporal order -------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """Ranges (inclusive) of a temporal-order difficulty level."""

    length: tuple[int, int]  # sequence length, E and B included
    t1: tuple[int, int]  # position of the first relevant symbol (0 is the start symbol E)
    t2: tuple[int, int]  # position of the second relevant symbol


#: "hard" is the paper's setting exactly (Hochreiter & Schmidhuber 1997, experiment 6a:
#: length 100-110, t1 in 10-20, t2 in 50-60); "easy" and "moderate" are the shorter levels of
#: NYU's Deep Learning course (Canziani & LeCun, 2020, notebook 08), which also swaps the start
#: and end symbols (B ... E); every level here keeps the paper's E ... B.
LEVELS: dict[str, Level] = {  # the names are marked for the catalog: tables translate them
    N_("easy"): Level(length=(7, 8), t1=(1, 2), t2=(4, 5)),
    N_("moderate"): Level(length=(60, 80), t1=(10, 20), t2=(45, 54)),
    N_("hard"): Level(length=(100, 110), t1=(10, 20), t2=(50, 60)),
}


class TemporalOrder:
    """Classify a sequence by the order of two relevant symbols hidden among distractors.

    Hochreiter & Schmidhuber (1997), experiment 6a: a sequence starts with E and ends with the
    trigger symbol B, at which the class is read out; every other position holds a random
    distractor a, b, c or d, except two positions t1 < t2 that hold X or Y. The class is the
    pair: Q = XX, R = XY, S = YX, U = YY. Only a network that remembers the first symbol until
    it sees the second can solve it. Each batch has one length (so no padding is needed).
    """

    SYMBOLS = ("a", "b", "c", "d", "B", "E", "X", "Y")
    CLASSES = ("Q", "R", "S", "U")  # XX, XY, YX, YY

    def __init__(self, level: str = "easy", seed: int = 0, test_size: int = 512,
                 gap: int | None = None):
        if level not in LEVELS:
            raise ValueError(_("Unknown level {level!r}; choose one of {levels}.")
                             .format(level=level, levels=", ".join(LEVELS)))
        self.level = LEVELS[level]
        if gap is not None:
            self.level = self._with_gap(self.level, gap)
        self.gap = gap
        train_seed, test_seed = np.random.SeedSequence(seed).spawn(2)
        self.rng = np.random.default_rng(train_seed)
        self._test_rng = np.random.default_rng(test_seed)
        tests = [self._draw(self._test_rng, 1) for _ in range(test_size)]
        self._test = [(seq[0], label[0]) for seq, label in tests]
        self._test_keys = {seq.tobytes() for seq, _label in self._test}

    @staticmethod
    def _with_gap(level: Level, gap: int) -> Level:
        """``level`` with the second relevant symbol exactly ``gap`` steps after the first
        (t2 = t1 + gap); the length and the range of t1 stay as they are."""
        longest = level.length[0] - 2 - level.t1[1]  # t2 must come before the trigger B
        if not 1 <= gap <= longest:
            raise ValueError(_("At this level the gap between the two relevant symbols can be "
                               "1 to {longest} steps; got {gap}.").format(longest=longest, gap=gap))
        return Level(length=level.length, t1=level.t1, t2=(level.t1[0] + gap, level.t1[1] + gap))

    @property
    def num_symbols(self) -> int:
        return len(self.SYMBOLS)

    @property
    def num_classes(self) -> int:
        return len(self.CLASSES)

    def _draw(self, rng: np.random.Generator, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        """Symbol indices (B, T) and class indices (B,)."""
        lv = self.level
        T = int(rng.integers(lv.length[0], lv.length[1] + 1))
        seq = rng.integers(0, 4, size=(batch_size, T))  # distractors a-d
        seq[:, 0], seq[:, -1] = self.SYMBOLS.index("E"), self.SYMBOLS.index("B")  # start, trigger
        t1 = rng.integers(lv.t1[0], lv.t1[1] + 1, size=batch_size)
        t2 = (t1 + self.gap if self.gap is not None  # a fixed distance
              else rng.integers(lv.t2[0], lv.t2[1] + 1, size=batch_size))
        first, second = rng.integers(0, 2, size=batch_size), rng.integers(0, 2, size=batch_size)
        rows = np.arange(batch_size)
        x_index = self.SYMBOLS.index("X")
        seq[rows, t1] = x_index + first  # X or Y
        seq[rows, t2] = x_index + second
        return seq, 2 * first + second

    def encode(self, seq: np.ndarray) -> Tensor:
        """One-hot encode symbol indices (B, T) -> (B, T, 8) float32."""
        return torch.nn.functional.one_hot(torch.as_tensor(seq), self.num_symbols).float()

    def batch(self, batch_size: int = 32) -> tuple[Tensor, Tensor]:
        """A training batch: x (B, T, 8) one-hot, y (B,) class indices. Never a test sequence."""
        seq, label = self._draw(self.rng, batch_size)
        for row in range(batch_size):
            while seq[row].tobytes() in self._test_keys:
                seq[row] = self._redraw_like(seq[row])
        return self.encode(seq), torch.as_tensor(label)

    def _redraw_like(self, row: np.ndarray) -> np.ndarray:
        """The same sequence with new distractors (same length, positions and class)."""
        row = row.copy()
        distractor = row < 4
        row[distractor] = self.rng.integers(0, 4, size=int(distractor.sum()))
        return row

    def test_set(self) -> list[tuple[Tensor, Tensor]]:
        """The fixed held-out set, grouped by length: a list of (x (B, T, 8), y (B,))."""
        by_length: dict[int, list[tuple[np.ndarray, int]]] = {}
        for seq, label in self._test:
            by_length.setdefault(len(seq), []).append((seq, label))
        return [(self.encode(np.stack([s for s, _l in group])),
                 torch.as_tensor([label for _s, label in group]))
                for _length, group in sorted(by_length.items())]

    def held_out_example(self, first: str = "X") -> Tensor:
        """The first held-out sequence (T, 8) whose first relevant symbol is ``first``."""
        if first not in ("X", "Y"):
            raise ValueError(_("The first relevant symbol is X or Y; got {first!r}.")
                             .format(first=first))
        wanted = (0, 1) if first == "X" else (2, 3)  # Q = XX, R = XY; S = YX, U = YY
        for x, y in self.test_set():
            for row, label in zip(x, y, strict=True):
                if int(label) in wanted:
                    return row
        raise LookupError(f"no held-out sequence starts with {first}")  # not with 512 of them

    def decode(self, seq: Tensor | np.ndarray) -> str:
        """Symbols of one sequence as text: indices (T,) or one-hot (T, 8) -> "EacXdYbB"."""
        seq = torch.as_tensor(seq)
        if seq.dim() == 2:
            seq = seq.argmax(-1)
        return "".join(self.SYMBOLS[int(i)] for i in seq)


# --- store and recall (the hand-built memory cell's input) ----------------------------------


def store_and_recall(steps: int = 24, writes: Sequence[tuple[int, float]] = ((3, 0.8), (14, -0.6)),
                     reads: Sequence[int] = (10, 20)) -> Tensor:
    """Input for :func:`gatelab.models.memory_cell`: (T, 3) channels (value, write, read).

    ``writes`` are (step, value) pairs: at that step the value channel holds the value and the
    write channel is 1. ``reads`` are the steps at which the read channel is 1.
    """
    x = torch.zeros(steps, 3)
    for step, value in writes:
        x[step, 0], x[step, 1] = value, 1.0
    for step in reads:
        x[step, 2] = 1.0
    return x


# --- echo -----------------------------------------------------------------------------------


class Echo:
    """A stream of random bits; the target at step t is the input at step t − delay.

    :meth:`stream` cuts one long stream per batch row into consecutive chunks, so a network
    that carries its hidden state from one chunk to the next can answer at a chunk's start
    too. Targets of the first ``delay`` steps of the whole stream are -1 (nothing to echo).
    """

    def __init__(self, delay: int = 3, seed: int = 0, test_length: int = 2000, test_rows: int = 8):
        if delay < 1:
            raise ValueError(_("The delay must be at least 1 step; got {delay}.").format(delay=delay))
        self.delay = delay
        train_seed, test_seed = np.random.SeedSequence(seed).spawn(2)
        self.rng = np.random.default_rng(train_seed)
        test_bits = np.random.default_rng(test_seed).integers(0, 2, size=(test_rows, test_length))
        self._test = test_bits

    def _pair(self, bits: np.ndarray, history: np.ndarray) -> tuple[Tensor, Tensor]:
        """x (B, T, 1) float and y (B, T) long from bits (B, T) and the ``delay`` bits before them
        (history, -1 where the stream had not started)."""
        both = np.concatenate([history, bits], axis=1)
        y = both[:, : bits.shape[1]]
        return torch.as_tensor(bits, dtype=torch.float32).unsqueeze(-1), torch.as_tensor(y)

    def stream(self, batch_size: int, chunk_length: int, chunks: int) -> Iterator[tuple[Tensor, Tensor]]:
        """``chunks`` consecutive pieces (x (B, L, 1), y (B, L)) of one stream per row."""
        history = np.full((batch_size, self.delay), -1)
        for _chunk in range(chunks):
            bits = self.rng.integers(0, 2, size=(batch_size, chunk_length))
            yield self._pair(bits, history)
            history = np.concatenate([history, bits], axis=1)[:, -self.delay:]

    def test_set(self) -> tuple[Tensor, Tensor]:
        """The fixed held-out stream: x (rows, L, 1), y (rows, L)."""
        history = np.full((self._test.shape[0], self.delay), -1)
        return self._pair(self._test, history)


# --- a text stream for truncated BPTT -------------------------------------------------------


SAMPLE_TEXT = N_(
    "The monsoon came late that year. Every morning the children ran to the river to see if it "
    "had risen, and every evening they told their grandmother what they had seen. The river rose "
    "slowly, then all at once, and the fields turned green again. A network that reads this "
    "story one character at a time must remember what came before to guess what comes next."
)

#: a second paragraph in the same style, never trained on: it shows what a character model
#: learned beyond the one story it read (in English it uses only the story's characters)
# TRANSLATORS: a second story, never used for training. Write it, as far as you can, with the
# letters and signs that the story above uses: a character the model never saw is one it
# cannot predict.
HELD_OUT_TEXT = N_(
    "The rain stayed for a week. At night the children heard it on the roof, and in the "
    "morning they looked at the river, which was wide and brown. Their grandmother said that "
    "the fields would be green again within a month, and every evening the children counted "
    "the new leaves on the tree beside the house."
)


def sample_text(repeat: int = 6) -> str:
    """A short story in the language in use, repeated: a small stream for a character model."""
    return " ".join([_(SAMPLE_TEXT)] * repeat)


def held_out_text() -> str:
    """A different paragraph in the language in use, to test a model trained on sample_text."""
    return _(HELD_OUT_TEXT)


def encode_text(text: str, vocab: Sequence[str] | None = None) -> tuple[Tensor, list[str]]:
    """Characters -> indices (N,) and the vocabulary (sorted distinct characters).

    Pass ``vocab`` to encode with a vocabulary made before, e.g. from the training and the
    held-out text together, so that both use the same indices.
    """
    vocab = sorted(set(text)) if vocab is None else list(vocab)
    index = {ch: i for i, ch in enumerate(vocab)}
    missing = sorted(set(text) - set(index))
    if missing:
        raise ValueError(_("These characters are not in the vocabulary: {chars}. Make the "
                           "vocabulary from every text you will encode.")
                         .format(chars=" ".join(map(repr, missing))))
    return torch.tensor([index[ch] for ch in text]), vocab


def batchify(stream: Sequence[int] | Tensor, batch_size: int) -> Tensor:
    """Cut one long stream into ``batch_size`` columns: (N,) -> (N // B, B).

    Column b holds the b-th consecutive piece of the stream, so reading down a column follows
    the text, and row t is a batch of B characters taken at once. The tail that does not fill
    a whole row is dropped.
    """
    stream = torch.as_tensor(stream)
    if batch_size < 1:
        raise ValueError(_("batch_size must be at least 1; got {b}.").format(b=batch_size))
    if len(stream) < batch_size:
        raise ValueError(_("Need at least {b} items to make {b} columns; got {n}.")
                         .format(b=batch_size, n=len(stream)))
    rows = len(stream) // batch_size
    return stream[: rows * batch_size].reshape(batch_size, rows).T.contiguous()  # (rows, B)


def bptt_chunks(columns: Tensor, length: int) -> Iterator[tuple[Tensor, Tensor]]:
    """Consecutive chunks (x, y) of ``length`` rows, y being x shifted one step ahead.

    Train on each chunk, then carry the hidden state into the next one with ``h.detach()``:
    the state keeps what it learned about the text so far, but the gradient stops at the chunk
    boundary. That is truncated backpropagation through time.
    """
    if length < 1:
        raise ValueError(_("The chunk length must be at least 1; got {length}.").format(length=length))
    for start in range(0, len(columns) - 1, length):
        end = min(start + length, len(columns) - 1)
        yield columns[start:end], columns[start + 1 : end + 1]  # (L, B), (L, B)


# --- sentences for a text classifier ----------------------------------------------------------


@dataclass
class Sentences:
    """The shipped sentence dataset (``data/sentences.tsv``), as character indices.

    Index 0 pads, 1 stands for a character never seen in training. ``x``: (N, T) padded,
    ``lengths``: (N,), ``y``: (N,) with 0 = negative, 1 = positive; the ``test`` rows are a
    fixed held-out set, never used for training.
    """

    vocab: list[str]  # index -> character ("" for padding, "?" for unknown)
    labels: tuple[str, ...]
    train: dict[str, Tensor]  # x, lengths, y
    test: dict[str, Tensor]  # x, lengths, y
    test_lang: list[str]  # the language of each test row


def read_sentences() -> list[dict[str, str]]:
    """The rows of ``data/sentences.tsv``: lang, label, split, text."""
    import csv
    from importlib import resources

    with (resources.files("gatelab.datafiles") / "sentences.tsv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def sentences(langs: Sequence[str] = ("en", "bn", "hi")) -> Sentences:
    """The sentence dataset in the given languages, encoded character by character."""
    rows = [r for r in read_sentences() if r["lang"] in langs]
    labels = ("negative", "positive")
    vocab = ["", "?", *sorted({ch for r in rows if r["split"] == "train" for ch in r["text"]})]
    index = {ch: i for i, ch in enumerate(vocab)}

    def encode(split: str) -> dict[str, Tensor]:
        chosen = [r for r in rows if r["split"] == split]
        lengths = torch.tensor([len(r["text"]) for r in chosen])
        x = torch.zeros(len(chosen), int(lengths.max()), dtype=torch.long)
        for n, r in enumerate(chosen):
            x[n, : len(r["text"])] = torch.tensor([index.get(ch, 1) for ch in r["text"]])
        return {"x": x, "lengths": lengths,
                "y": torch.tensor([labels.index(r["label"]) for r in chosen])}

    test_rows = [r for r in rows if r["split"] == "test"]
    return Sentences(vocab, labels, encode("train"), encode("test"),
                     [r["lang"] for r in test_rows])


# --- numbers in words -> digits (Chapter 6) ---------------------------------------------------


@dataclass
class Pairs:
    """A batch of sequence pairs, padded with index 0 after each row's end.

    ``source`` (B, S) token indices and ``source_lengths`` (B,); ``target`` (B, T) digit indices
    ending with the end token, and ``target_lengths`` (B,) counting that end token; ``values``
    the numbers of each row.
    """

    source: Tensor  # (B, S)
    source_lengths: Tensor  # (B,)
    target: Tensor  # (B, T)
    target_lengths: Tensor  # (B,)
    values: list[tuple[int, ...]]


class NumberWords:
    """Numbers written in words -> their digits, in English, Bengali or Hindi.

    Source: the words as tokens (:func:`gatelab.numbers.tokens`): a word is one token, so that
    an alignment shows which word each digit came from ("thousand" -> the digits before the
    last three). English splits "twenty-three" into two tokens; in Bengali and Hindi each number
    1-99 is a word of its own, so their vocabularies hold about 100 words (English: 30). A
    sequence of characters would need a smaller vocabulary but inputs 5-10 times as long.
    Target: the digits, then the end token. With ``numbers=(1, 3)`` a source lists 1 to 3
    numbers separated by ",", and the target their digits separated by "," (longer inputs).

    Held out: a fixed random share (``held_out``) of the numbers from 100 up; a test row holds
    only held-out numbers and a training row never holds one. Numbers below 100 are never held
    out: in Bengali and Hindi each is a word of its own that nothing else teaches.
    Training draws a number's digit count uniformly first, so short numbers are as common as
    long ones.
    """

    PAD, START, END, SEPARATOR = "", "<s>", "</s>", ","
    TARGETS = (PAD, START, END, *"0123456789", SEPARATOR)

    def __init__(self, lang: str = "en", max_value: int = 99_999, numbers: tuple[int, int] = (1, 1),
                 seed: int = 0, held_out: float = 0.05, test_size: int = 1000):
        from . import numbers as words

        self.lang = words.check_lang(lang)
        if not 100 < max_value <= words.MAX_VALUE:
            raise ValueError(_("max_value can be 101 to {most:,}; got {value!r}.")
                             .format(most=words.MAX_VALUE, value=max_value))
        if not 1 <= numbers[0] <= numbers[1]:
            raise ValueError(_("numbers is (fewest, most) numbers in one input, at least 1; "
                               "got {numbers}.").format(numbers=numbers))
        self.max_value, self.numbers, self.seed = max_value, tuple(numbers), seed
        self.sources = [self.PAD, self.SEPARATOR, *words.vocabulary(lang)]
        self._source_index = {w: i for i, w in enumerate(self.sources)}
        self._target_index = {w: i for i, w in enumerate(self.TARGETS)}
        split_seed, train_seed, test_seed = np.random.SeedSequence(seed).spawn(3)
        candidates = np.arange(100, max_value + 1)
        chosen = np.random.default_rng(split_seed).random(len(candidates)) < held_out
        self.held_out_values = frozenset(int(v) for v in candidates[chosen])
        self.rng = np.random.default_rng(train_seed)
        test_rng = np.random.default_rng(test_seed)
        held = np.array(sorted(self.held_out_values))
        self.test_values = [tuple(int(v) for v in test_rng.choice(held, size=self._count(test_rng)))
                            for _row in range(test_size)]

    @property
    def num_sources(self) -> int:
        return len(self.sources)

    @property
    def num_targets(self) -> int:
        return len(self.TARGETS)

    def _count(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.numbers[0], self.numbers[1] + 1))

    def _training_value(self) -> int:
        digits = int(self.rng.integers(1, len(str(self.max_value)) + 1))
        low, high = (0 if digits == 1 else 10 ** (digits - 1)), min(10 ** digits - 1, self.max_value)
        while True:
            value = int(self.rng.integers(low, high + 1))
            if value not in self.held_out_values:
                return value

    def source_tokens(self, values: Sequence[int]) -> list[str]:
        """The words of some numbers, separated by ","."""
        from . import numbers as words

        out: list[str] = []
        for k, value in enumerate(values):
            out += ([self.SEPARATOR] if k else []) + words.tokens(value, self.lang)
        return out

    def target_tokens(self, values: Sequence[int]) -> list[str]:
        """The digits of some numbers, separated by ",", then the end token."""
        return [*self.SEPARATOR.join(str(v) for v in values), self.END]

    def encode_source(self, tokens: Sequence[str]) -> Tensor:
        """Source tokens -> indices (S,)."""
        unknown = [t for t in tokens if t not in self._source_index]
        if unknown:
            raise ValueError(_("These words are not in the task's vocabulary: {words}. Write "
                               "numbers as numbers.words() does.").format(words=" ".join(unknown)))
        return torch.tensor([self._source_index[t] for t in tokens])

    def pairs(self, rows: Sequence[Sequence[int]]) -> Pairs:
        """Rows of numbers -> a padded batch."""
        sources = [self.encode_source(self.source_tokens(v)) for v in rows]
        targets = [torch.tensor([self._target_index[t] for t in self.target_tokens(v)])
                   for v in rows]
        pad = torch.nn.utils.rnn.pad_sequence
        return Pairs(pad(sources, batch_first=True), torch.tensor([len(s) for s in sources]),
                     pad(targets, batch_first=True), torch.tensor([len(t) for t in targets]),
                     [tuple(v) for v in rows])

    def batch(self, batch_size: int = 64) -> Pairs:
        """A training batch; never a held-out number."""
        rows = [tuple(self._training_value() for _k in range(self._count(self.rng)))
                for _row in range(batch_size)]
        return self.pairs(rows)

    def test_set(self) -> Pairs:
        """The fixed held-out set, every row made of held-out numbers only."""
        return self.pairs(self.test_values)

    def source_text(self, indices: Tensor | Sequence[int]) -> list[str]:
        """Source indices -> tokens, padding dropped."""
        return [self.sources[int(i)] for i in indices if int(i) != 0]

    def target_text(self, indices: Tensor | Sequence[int]) -> str:
        """Target indices -> the text before the end token ("23406")."""
        out = []
        for i in indices:
            token = self.TARGETS[int(i)]
            if token in (self.END, self.PAD):
                break
            out.append(token)
        return "".join(t for t in out if t != self.START)
