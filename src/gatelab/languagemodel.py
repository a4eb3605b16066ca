"""The larger character models shipped with the course, and looking inside one (Chapter 5).

* :class:`RegularisedLM` — :class:`gatelab.charlm.CharLM` with dropout on the embedding and
  before the output layer (Srivastava et al. (2014), "Dropout: a simple way to prevent neural
  networks from overfitting"; applied to the non-recurrent connections of an LSTM as in
  Zaremba, Sutskever & Vinyals (2014), "Recurrent neural network regularization"). Its state
  dict has the same keys as a ``CharLM``'s.
* :func:`load` — the model ``scripts/char_lm_shipped.py`` trained for a language, checked
  against its sha256 in data/checkpoints.json, with the vocabulary it was trained with.
* :func:`states`, :data:`FEATURES`, :func:`features`, :func:`best_units` — run a model over a
  text, record every unit's hidden state h and cell state c at every character, and find the
  unit whose value follows a feature a reader can name (inside brackets, inside quotes, position
  in a word, …) most closely: Karpathy, Johnson & Fei-Fei (2015), "Visualizing and
  understanding recurrent networks", found such units in character LSTMs.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from . import charlm, checkpoints
from .i18n import N_, _

#: the name of the shipped model of each language in data/checkpoints.json
NAME = "char_lm_{lang}"


class RegularisedLM(charlm.CharLM):
    """A :class:`gatelab.charlm.CharLM` with dropout on the embedding and on the recurrent
    layer's output, before the linear scores. In ``eval()`` mode it computes exactly what a
    ``CharLM`` with the same weights computes."""

    def __init__(self, vocab_size: int, hidden_size: int = 256, embedding_size: int = 64,
                 kind: str = "LSTM", dropout: float = 0.3):
        super().__init__(vocab_size, hidden_size, embedding_size, kind)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, state=None):
        out, state = self.rnn(self.drop(self.embed(x)), state)  # (T, B, H)
        return self.head(self.drop(out)), state  # (T, B, V)


# --- the shipped models ---------------------------------------------------------------------


def record(lang: str) -> dict:
    """What data/checkpoints.json says about the shipped model of ``lang``."""
    records = checkpoints.index()
    name = NAME.format(lang=lang)
    if name not in records:
        shipped = sorted(k.removeprefix("char_lm_") for k in records if k.startswith("char_lm_"))
        raise checkpoints.CheckpointError(
            _("No shipped language model for {lang!r}; the shipped ones are: {langs}.")
            .format(lang=lang, langs=", ".join(shipped)))
    return records[name]


def vocabulary(lang: str, text: charlm.Corpus | None = None) -> charlm.Corpus:
    """A :class:`gatelab.charlm.Corpus` with the vocabulary the shipped model of ``lang`` was
    trained with, and the text of ``text`` (default: ``charlm.corpus(lang)`` built now).

    If the course's text has changed since training, the vocabulary built now may differ; the
    model's indices only mean anything with the stored one, so that is the one used.
    """
    stored = record(lang)["vocab"]
    text = text if text is not None else charlm.corpus(lang)
    return charlm.Corpus(lang, text.train, text.held_out, text.held_out_chapter, list(stored))


def load(lang: str) -> tuple[RegularisedLM, charlm.Corpus]:
    """The shipped model of ``lang`` in eval mode (checksum checked, ``weights_only`` loading)
    and a Corpus with its vocabulary, ready for ``charlm.sample`` and ``charlm.bits_per_char``."""
    name = NAME.format(lang=lang)
    record(lang)  # an unknown language: say which ones are shipped
    try:
        state, rec = checkpoints.load_state(name)
    except checkpoints.CheckpointError as error:
        raise checkpoints.CheckpointError(
            _("{problem} (This model is made by `python scripts/char_lm_shipped.py --langs "
              "{lang}`, not by train_checkpoints.py.)").format(problem=error, lang=lang)) from error
    model = RegularisedLM(len(rec["vocab"]), **rec["architecture"])
    model.load_state_dict(state)
    model.eval()
    return model, vocabulary(lang)


# --- what the units do ----------------------------------------------------------------------


@dataclass
class States:
    """Every unit's hidden state ``h`` and (LSTM) cell state ``c`` after each character of
    ``text``, both (T, H) numpy arrays; ``c`` is None for an RNN or a GRU."""

    text: str
    h: np.ndarray
    c: np.ndarray | None


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + e^-x), without overflow


@torch.no_grad()
def states(model: charlm.CharLM, data: charlm.Corpus, text: str) -> States:
    """Run ``model`` over ``text`` from a zero state, one character at a time, and record h and
    c after each character (PyTorch's equations for nn.RNN, nn.GRU and nn.LSTM, gates in its
    order). The input weights are applied to the whole text at once; only the recurrent part
    runs step by step, in NumPy, whose small operations cost less than PyTorch's."""
    rnn = model.rnn
    H = rnn.hidden_size
    x = data.encode(text)  # (T,)
    inputs = nn.functional.linear(model.embed(x), rnn.weight_ih_l0, rnn.bias_ih_l0)  # (T, G*H)
    inputs = inputs.numpy().astype(np.float32)
    w_hh = rnn.weight_hh_l0.numpy().astype(np.float32)  # (G*H, H)
    b_hh = rnn.bias_hh_l0.numpy().astype(np.float32)  # (G*H,)
    if model.kind != "GRU":  # the GRU's b_hn sits inside the reset gate's product
        inputs, b_hh = inputs + b_hh, np.zeros_like(b_hh)
    h, c = np.zeros(H, np.float32), np.zeros(H, np.float32)
    hs = np.empty((len(x), H), np.float32)
    cs = np.empty((len(x), H), np.float32) if model.kind == "LSTM" else None
    for t in range(len(x)):
        z = inputs[t]
        if model.kind == "LSTM":
            z = z + w_hh @ h
            gates = _sigmoid(z)  # i, f, (g), o
            c = gates[H : 2 * H] * c + gates[:H] * np.tanh(z[2 * H : 3 * H])
            h = gates[3 * H :] * np.tanh(c)
            cs[t] = c
        elif model.kind == "GRU":
            hr = w_hh @ h + b_hh  # (3H,)
            r = _sigmoid(z[:H] + hr[:H])
            u = _sigmoid(z[H : 2 * H] + hr[H : 2 * H])
            h = (1 - u) * np.tanh(z[2 * H :] + r * hr[2 * H :]) + u * h
        else:
            h = np.tanh(z + w_hh @ h)
        hs[t] = h
    return States(text, hs, cs)


def _is_letter(ch: str) -> bool:
    """A letter or a combining mark (a vowel sign, a virama): part of a word."""
    return unicodedata.category(ch)[0] in "LM"


def inside_brackets(text: str) -> np.ndarray:
    """1.0 at each character after which the reader is inside round brackets: from an opening
    "(" (included) up to its closing ")" (excluded); nested brackets count, and a ")" without
    an opening one is ignored. Like every feature here, the value at t describes the text read
    so far, ``text[: t + 1]``, which is what the model's state after character t can know."""
    depth, out = 0, np.zeros(len(text))
    for t, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        out[t] = float(depth > 0)
    return out


def _quote(text: str, t: int) -> str | None:
    """"open", "close" or "toggle" if ``text[t]`` is a quotation mark, else None. A ’ or ‘
    between two letters is an apostrophe, not a quote."""
    ch = text[t]
    if ch in "‘’":
        before = text[t - 1] if t else " "
        after = text[t + 1] if t + 1 < len(text) else " "
        if _is_letter(before) and _is_letter(after):
            return None
    return {"“": "open", "‘": "open", "”": "close", "’": "close", '"': "toggle"}.get(ch)


def inside_quotes(text: str) -> np.ndarray:
    """1.0 at each character after which the reader is inside quotation marks: from an opening
    quote (included) to its closing one (excluded). Curly quotes “ ” ‘ ’ open and close;
    straight double quotes alternate."""
    inside, out = False, np.zeros(len(text))
    for t in range(len(text)):
        mark = _quote(text, t)
        if mark == "open":
            inside = True
        elif mark == "close":
            inside = False
        elif mark == "toggle":
            inside = not inside
        out[t] = float(inside)
    return out


def in_word(text: str) -> np.ndarray:
    """1.0 at each letter or combining mark (a character inside a word), 0.0 elsewhere. The
    current character alone decides it: a trap, not a memory (see :func:`best_units`)."""
    return np.array([float(_is_letter(ch)) for ch in text])


def position_in_word(text: str) -> np.ndarray:
    """How many characters of the current word have been read (1 at a word's first letter or
    mark), 0 outside words."""
    out, n = np.zeros(len(text)), 0
    for t, ch in enumerate(text):
        n = n + 1 if _is_letter(ch) else 0
        out[t] = n
    return out


SENTENCE_ENDS = ".?!।"


def position_in_sentence(text: str) -> np.ndarray:
    """How many characters have been read since the last sentence end (".", "?", "!", the
    danda "।") or line break: 0 at the end mark itself."""
    out, n = np.zeros(len(text)), 0
    for t, ch in enumerate(text):
        n = 0 if ch in SENTENCE_ENDS or ch == "\n" else n + 1
        out[t] = n
    return out


def spaces_and_punctuation(text: str) -> np.ndarray:
    """True at spaces and punctuation other than brackets and quotes: there the current
    character says nothing about being inside brackets or quotes (in Bengali and Hindi, a
    Latin letter nearly always is), so a unit that follows the feature there remembers it."""
    return np.array([unicodedata.category(ch)[0] in "ZP" and ch not in "()\"“”‘’"
                     for ch in text])


def letters(text: str) -> np.ndarray:
    """True at letters and combining marks: inside words, where the letter read does not say
    how far into its word it is."""
    return np.array([_is_letter(ch) for ch in text])


def everywhere(text: str) -> np.ndarray:
    """True at every character: for a feature no single character decides."""
    return np.ones(len(text), dtype=bool)


@dataclass(frozen=True)
class Feature:
    """Something a reader can name about the text read so far: one value per character
    (``values``), and the positions where the current character does not decide it
    (``memory``; None: it decides it everywhere, so no unit needs memory to follow it)."""

    values: Callable[[str], np.ndarray]
    memory: Callable[[str], np.ndarray] | None


#: the features the chapter looks for, by name. Quotes are rare in the held-out chapter (a few
#: in 15 000 characters), so :func:`inside_quotes` is not among them
FEATURES: dict[str, Feature] = {
    N_("inside brackets"): Feature(inside_brackets, spaces_and_punctuation),
    N_("inside a word"): Feature(in_word, None),
    N_("position in the word"): Feature(position_in_word, letters),
    N_("position in the sentence"): Feature(position_in_sentence, everywhere),
}


def features(text: str) -> dict[str, np.ndarray]:
    """Every feature of :data:`FEATURES` over ``text``: name -> (T,) array."""
    return {name: feature.values(text) for name, feature in FEATURES.items()}


def correlations(values: np.ndarray, feature: np.ndarray,
                 where: np.ndarray | None = None) -> np.ndarray:
    """Pearson correlation of each unit's values (T, H) with ``feature`` (T,), over the
    positions where ``where`` (T,) is True (default: all): (H,). A unit or feature that does
    not vary there gets 0."""
    if where is not None:
        values, feature = values[where], feature[where]
    v = values - values.mean(0)
    f = feature - feature.mean()
    scale = np.sqrt((v ** 2).sum(0) * (f ** 2).sum())
    return np.divide(v.T @ f, scale, out=np.zeros(values.shape[1]), where=scale > 0)


@dataclass
class Unit:
    """The unit whose state follows a feature most closely."""

    feature: str
    state: str                 # "h" or "c"
    unit: int
    correlation: float         # signed, over every character
    memory: float | None       # the same unit where the current character does not decide the
    #                            feature (None: it decides it everywhere)
    share: float               # the share of characters where the feature is not 0


def best_units(found: States, names: list[str] | None = None) -> list[Unit]:
    """For each feature (default: all of :data:`FEATURES`), the unit of h or c with the largest
    absolute correlation with it over ``found.text``, and that unit's correlation where the
    current character does not decide the feature."""
    out = []
    for name in names or list(FEATURES):
        feature = FEATURES[name]
        target = feature.values(found.text)  # (T,)
        best = None
        for state, values in (("h", found.h), ("c", found.c)):
            if values is None:
                continue
            r = correlations(values, target)  # (H,)
            unit = int(np.abs(r).argmax())
            if best is None or abs(r[unit]) > abs(best[2]):
                best = (state, unit, float(r[unit]), values[:, unit : unit + 1])
        state, unit, r, column = best
        memory = None
        if feature.memory is not None:
            memory = float(correlations(column, target, feature.memory(found.text))[0])
        out.append(Unit(name, state, unit, r, memory, float((target != 0).mean())))
    return out


def untrained_like(model: charlm.CharLM, seed: int = 0) -> charlm.CharLM:
    """A model of the same shape as ``model``, freshly initialised from ``seed``: the control
    that shows whether a unit's link to a feature was learned."""
    with torch.random.fork_rng():  # the reader's own random state is left as it was
        torch.manual_seed(seed)
        return charlm.CharLM(model.head.out_features, model.rnn.hidden_size,
                             model.embed.embedding_dim, model.kind).eval()


def look_inside(model: charlm.CharLM, data: charlm.Corpus, text: str,
                seed: int = 0) -> tuple[States, list[Unit], list[Unit]]:
    """The states of ``model`` over ``text``, its best unit for each feature, and the same for
    an untrained model of its shape (the control)."""
    found = states(model, data, text)
    control = states(untrained_like(model, seed), data, text)
    return found, best_units(found), best_units(control)


def clearest(found: list[Unit], control: list[Unit]) -> Unit:
    """Of the units that need memory to follow their feature (``memory`` is not None), the one
    whose correlation there is furthest above the untrained control's."""
    gains = [(abs(u.memory) - abs(c.memory), u) for u, c in zip(found, control, strict=True)
             if u.memory is not None and c.memory is not None]
    if not gains:
        raise ValueError(_("No feature here needs memory; give features with memory positions."))
    return max(gains, key=lambda pair: pair[0])[1]


def passage(text: str, length: int = 192, mark: str = "(", skip: int = 0) -> slice:
    """Where to look: at most ``length`` characters of ``text`` around its ``skip``-th
    ``mark`` (default: the first opening bracket), from a word's start to a word's end."""
    at = -1
    for _time in range(skip + 1):
        at = text.find(mark, at + 1)
        if at < 0:
            raise ValueError(_("The text has no {n}th {mark!r}; it has {count}.")
                             .format(n=skip + 1, mark=mark, count=text.count(mark)))
    start = max(text.rfind(" ", 0, max(at - length // 3, 0)) + 1, 0)
    end = min(start + length, len(text))
    if end < len(text) and text.rfind(" ", start, end) > at:  # end at a word's end
        end = text.rfind(" ", start, end)
    return slice(start, end)
