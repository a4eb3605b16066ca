"""A character language model on the course's own text, and what a "character" is in Bengali
and Devanagari (Chapter 5).

* :func:`chapter_texts` and :func:`corpus` — the prose of the chapters in one language (the
  English notebooks' markdown, the Bengali and Hindi catalogs' translations), cleaned, one
  chapter held out; a vocabulary of Unicode code points with an "unknown" symbol.
* :class:`CharLM`, :func:`fit`, :func:`bits_per_char`, :func:`sample` — embedding -> RNN, GRU
  or LSTM -> linear, trained with truncated BPTT on the stream (``tasks.batchify``,
  ``tasks.bptt_chunks``), measured in bits per character, and sampled at a temperature.
* :func:`aksharas` — how many orthographic syllables of a text are well formed, and which rules
  the others break. The model reads code points, so a vowel sign (কার / मात्रा) or a virama
  (হসন্ত / हलंत) is a symbol of its own that must learn to follow a consonant.

Karpathy (2015), "The unreasonable effectiveness of recurrent neural networks"; the Unicode
Standard, chapter 12 (South and Central Asia-I) for the structure of the two scripts.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import torch
from babel.messages.pofile import read_po
from torch import Tensor, nn

from . import tasks, train
from .i18n import N_, _

ROOT = Path(__file__).resolve().parents[2]
#: the symbol that stands for every code point too rare to get its own
UNKNOWN = "\ufffd"
#: the chapters the corpus is made of: the ones before Chapter 5, so that writing Chapter 5 (or
#: a later one) does not change what the shipped models and data/char_lm.json were trained on
CHAPTERS = ("01_rnn", "02_lstm", "03_gru", "04_long_lags")
#: the chapter held out from training: every model is measured on it
HELD_OUT = "04_long_lags"

# --- the corpus -----------------------------------------------------------------------------

_FENCE = re.compile(r"^(```|~~~)")
_CLEAN = [
    (re.compile(r"<!--.*?-->", re.S), " "),              # HTML comments
    (re.compile(r"\$\$.*?\$\$", re.S), " "),             # display math
    (re.compile(r"\$[^$\n]+\$"), " "),                    # inline math
    (re.compile(r"`[^`\n]*`"), " "),                      # code spans
    (re.compile(r"<[^>\n]+>"), " "),                      # HTML tags
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), " "),           # images
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),        # links -> their text
    (re.compile(r"\{[a-z-]+\}"), " "),                    # MyST roles such as {ref}
    (re.compile(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+", re.M), ""),  # headings, quotes, lists
    (re.compile(r"^\s*\|?[-:| ]+\|[-:| ]*$", re.M), " "),  # table rules
    (re.compile(r"[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}"), ""),  # emphasis marks
    (re.compile(r"\|"), " "),                             # table cells
]


def clean(text: str) -> str:
    """Markdown prose -> plain text: math ($…$), code spans, HTML, links' targets, headings,
    list and emphasis marks removed; whitespace runs -> one space; Unicode NFC."""
    for pattern, replacement in _CLEAN:
        text = pattern.sub(replacement, text)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _markdown_prose(source: str) -> list[str]:
    """The markdown cells' paragraphs of a Jupytext (MyST) notebook: no front matter, no code
    cells, no cell markers."""
    lines = source.splitlines()
    if lines and lines[0].strip() == "---":  # front matter
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), 0)
        lines = lines[end + 1 :]
    prose, fenced = [], False
    for line in lines:
        if _FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced and not line.startswith("+++"):
            prose.append(line)
    return "\n".join(prose).split("\n\n")


def _catalog_prose(path: Path, lang: str) -> list[str]:
    """The translated paragraphs (msgstr) of one chapter's catalog."""
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    return [m.string for m in catalog if m.id and isinstance(m.string, str) and m.string]


def chapter_texts(lang: str, root: Path = ROOT) -> dict[str, str]:
    """Chapter name ("01_rnn", …) -> its cleaned prose in ``lang``, paragraphs one per line,
    for the chapters in :data:`CHAPTERS`.

    English: the markdown cells of notebooks/en/*.md; Bengali and Hindi: the msgstr of
    locales/{lang}/LC_MESSAGES/0*.po, the chapters' translated paragraphs.
    """
    if lang == "en":
        sources = {p.stem: _markdown_prose(p.read_text(encoding="utf-8"))
                   for p in sorted((root / "notebooks" / "en").glob("[0-9][0-9]_*.md"))}
    else:
        folder = resources.files("gatelab.locales") / lang / "LC_MESSAGES"
        sources = {Path(p.name).stem: _catalog_prose(Path(str(p)), lang)
                   for p in sorted(folder.iterdir(), key=lambda p: p.name)
                   if re.match(r"\d\d_.*\.po$", p.name)}
    if not sources:
        raise ValueError(_("No chapter text found for the language {lang!r}.").format(lang=lang))
    return {name: "\n".join(c for c in map(clean, paragraphs) if c)
            for name, paragraphs in sources.items() if name in CHAPTERS}


@dataclass
class Corpus:
    """Training and held-out text in one language, and their vocabulary of code points."""

    lang: str
    train: str                 # every chapter but the held-out one
    held_out: str              # one chapter's text, never trained on
    held_out_chapter: str      # its name, e.g. "04_long_lags"
    vocab: list[str]           # UNKNOWN first, then the code points seen often enough, sorted
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self):
        self.index = {ch: i for i, ch in enumerate(self.vocab)}

    def encode(self, text: str) -> Tensor:
        """Text -> indices (N,); a code point not in the vocabulary becomes UNKNOWN (0)."""
        text = unicodedata.normalize("NFC", text)
        return torch.tensor([self.index.get(ch, 0) for ch in text], dtype=torch.long)

    def decode(self, indices: Tensor | list[int]) -> str:
        """Indices (N,) -> text."""
        return "".join(self.vocab[int(i)] for i in indices)


def corpus(lang: str, held_out: str = HELD_OUT, min_count: int = 3,
           root: Path = ROOT) -> Corpus:
    """The prose of :data:`CHAPTERS` in ``lang``, one of them held out.

    The vocabulary has every code point seen at least ``min_count`` times in the training text;
    the rarer ones (and any the held-out chapter adds) are read as UNKNOWN.
    """
    texts = chapter_texts(lang, root)
    if held_out not in texts:
        raise ValueError(_("No chapter {name!r} in {lang!r}; choose one of {names}.")
                         .format(name=held_out, lang=lang, names=", ".join(texts)))
    training = "\n".join(t for name, t in texts.items() if name != held_out)
    counts = Counter(training)
    vocab = [UNKNOWN, *sorted(ch for ch, n in counts.items() if n >= min_count and ch != UNKNOWN)]
    return Corpus(lang, training, texts[held_out], held_out, vocab)


# --- the model ------------------------------------------------------------------------------


class CharLM(nn.Module):
    """Predict the next code point: embedding -> nn.RNN / nn.GRU / nn.LSTM -> linear scores.

    Time-major like :class:`gatelab.models.CharRNN`: x (T, B) indices -> scores (T, B, V) and
    the new state (h, or (h, c) for an LSTM).

    ``num_layers`` stacks recurrent layers (layer l+1 reads layer l's outputs). ``dropout``
    is ``nn.RNN``/``nn.LSTM``'s: it drops each of layer l's outputs with probability p (scaling
    the others by 1/(1-p)) before layer l+1 reads them, in training mode only — not the last
    layer's output, not the recurrent connections (h[t-1] -> h[t]), not the cell state: the
    place Zaremba, Sutskever & Vinyals (2014) showed dropout helps an LSTM. With one layer it
    would do nothing, so it is refused.
    """

    KINDS = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}

    def __init__(self, vocab_size: int, hidden_size: int = 128, embedding_size: int = 32,
                 kind: str = "LSTM", num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(_("Unknown kind {kind!r}; choose one of {kinds}.")
                             .format(kind=kind, kinds=", ".join(self.KINDS)))
        if dropout and num_layers < 2:
            raise ValueError(_("nn.LSTM applies dropout between layers only: with one layer it "
                               "does nothing. Use num_layers=2 or more, or dropout=0."))
        self.kind = kind
        self.embed = nn.Embedding(vocab_size, embedding_size)
        self.rnn = self.KINDS[kind](embedding_size, hidden_size, num_layers=num_layers,
                                    dropout=dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: Tensor, state=None):
        out, state = self.rnn(self.embed(x), state)  # (T, B, H), the last layer's output
        return self.head(out), state  # (T, B, V)


def parameters(model: nn.Module) -> int:
    """The number of trained numbers in ``model``."""
    return sum(p.numel() for p in model.parameters())


def _detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def bits_per_char(model: nn.Module, stream: Tensor) -> float:
    """Mean cross-entropy of each next code point of ``stream`` (N,), in bits (nats / ln 2),
    the stream read as one sequence from a zero state. Perplexity = 2 ** bits."""
    return train.text_loss(model, stream) / math.log(2)


@dataclass
class Fit:
    """What :func:`fit` did: at each evaluation, the step, the training seconds so far and the
    held-out bits per character; with a ``prompt``, also a sample at temperature 1 and the
    share of its syllables that are well formed (:func:`aksharas`)."""

    steps: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    held_out_bits: list[float] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    well_formed: list[float] = field(default_factory=list)

    @property
    def final(self) -> float:
        return self.held_out_bits[-1]


def fit(model: nn.Module, data: Corpus, seconds: float | None = 15.0, steps: int | None = None,
        batch_size: int = 32, chunk_length: int = 64, lr: float = 0.01,
        evaluate_every: int = 100, held_out_chars: int | None = 4000,
        prompt: str | None = None, sample_length: int = 300,
        progress: Callable[[int, float], None] | None = None) -> Fit:
    """Train ``model`` on ``data.train`` with truncated BPTT (Adam, clipped gradients) until
    ``steps`` chunks or ``seconds`` have passed, whichever comes first; measure held-out bits
    per character on the first ``held_out_chars`` of ``data.held_out`` (None: all of it) every
    ``evaluate_every`` steps and at the end. Evaluation time is not counted in ``seconds``.

    With a ``prompt``, each evaluation also continues it by ``sample_length`` code points at
    temperature 1 (the same seed every time, so that only the model changes) and records how
    many of the sample's syllables are well formed. ``progress(step, held-out bits)`` is called
    at each evaluation (a progress bar, a print)."""
    if seconds is None and steps is None:
        raise ValueError(_("Give a time budget (seconds) or a number of steps, or both."))
    columns = tasks.batchify(data.encode(data.train), batch_size)  # (N // B, B)
    held_out = data.encode(data.held_out[:held_out_chars] if held_out_chars else data.held_out)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history, step, spent = Fit(), 0, 0.0

    def evaluate():
        history.steps.append(step)
        history.seconds.append(round(spent, 2))
        history.held_out_bits.append(bits_per_char(model, held_out))
        if prompt is not None:
            text = sample(model, data, prompt, sample_length,
                          generator=torch.Generator().manual_seed(0))
            history.samples.append(text)
            history.well_formed.append(aksharas(text).share)
        if progress:
            progress(step, history.held_out_bits[-1])

    evaluate()
    while True:
        state = None
        for x, y in tasks.bptt_chunks(columns, chunk_length):  # (L, B), (L, B)
            started = time.perf_counter()
            scores, state = model(x, state)
            state = _detach(state)
            loss = nn.functional.cross_entropy(scores.flatten(0, 1), y.flatten())
            train.update(model, optimizer, loss)
            step += 1
            spent += time.perf_counter() - started
            done = (steps is not None and step >= steps) or (seconds is not None and spent >= seconds)
            if done or step % evaluate_every == 0:
                evaluate()
            if done:
                return history


@torch.no_grad()
def sample(model: nn.Module, data: Corpus, prompt: str, length: int = 200,
           temperature: float = 1.0, generator: torch.Generator | None = None) -> str:
    """Continue ``prompt`` by ``length`` code points, each drawn from softmax(scores / T).

    T < 1 sharpens the distribution (safer, more repetitive), T > 1 flattens it (more
    surprising, more mistakes). Pass a seeded ``torch.Generator`` to get the same text again.
    Returns the continuation only, without the prompt.
    """
    if temperature <= 0:
        raise ValueError(_("The temperature must be above 0; got {t}.").format(t=temperature))
    if not prompt:
        raise ValueError(_("Give a prompt of at least one character."))
    was_training = model.training
    model.eval()
    scores, state = model(data.encode(prompt).unsqueeze(1))  # (P, 1, V)
    out = []
    for _step in range(length):
        probs = torch.softmax(scores[-1, 0] / temperature, dim=-1)  # (V,)
        nxt = torch.multinomial(probs, 1, generator=generator)  # (1,)
        out.append(int(nxt))
        scores, state = model(nxt.view(1, 1), state)  # (1, 1, V)
    model.train(was_training)
    return data.decode(out)


def prompt_from(data: Corpus, chars: int = 20) -> str:
    """The held-out chapter's first words (at most ``chars`` code points, cut after a space):
    a prompt the model has never been trained on."""
    return data.held_out[:chars].rsplit(" ", 1)[0] + " "


@torch.no_grad()
def next_symbol(model: nn.Module, data: Corpus, prompt: str, temperature: float = 1.0) -> Tensor:
    """The model's probabilities for the code point after ``prompt``, softmax(scores / T): (V,)."""
    if temperature <= 0:
        raise ValueError(_("The temperature must be above 0; got {t}.").format(t=temperature))
    was_training = model.training
    model.eval()
    scores, _state = model(data.encode(prompt).unsqueeze(1))  # (P, 1, V)
    model.train(was_training)
    return torch.softmax(scores[-1, 0] / temperature, dim=-1)


def unigram_bits(data: Corpus) -> float:
    """Bits per character of the held-out text for a guesser that knows only how often each
    symbol occurs in the training text (add-one smoothing, so no symbol has probability 0):
    what a model must beat to have learned anything about order."""
    counts = torch.bincount(data.encode(data.train), minlength=len(data.vocab)).double() + 1
    log_probs = torch.log2(counts / counts.sum())
    return float(-log_probs[data.encode(data.held_out)].mean())


def code_points(text: str) -> list[tuple[str, str, str, str]]:
    """Each code point of ``text`` (NFC): the character (a mark shown on a dotted circle ◌ as
    Unicode charts draw it), "U+…", its Unicode name and its kind (:data:`KINDS`, "" for
    others)."""
    rows = []
    for ch in unicodedata.normalize("NFC", text):
        shown = "\u25cc" + ch if unicodedata.category(ch) in ("Mn", "Mc") else ch
        found = kind(ch)
        rows.append((shown, f"U+{ord(ch):04X}", unicodedata.name(ch, ""),
                     KINDS[found[1]] if found else ""))
    return rows


# --- what a character is: aksharas in Bengali and Devanagari --------------------------------

_VOWEL_NAME = re.compile(r"LETTER (SHORT |CANDRA |VOCALIC )?(A|AA|I|II|U|UU|R|RR|L|LL|E|EE|AI|O|OO"
                         r"|AU|OE|OOE|AW|UE|UUE)$")
SCRIPTS = ("BENGALI", "DEVANAGARI")

#: the rules :func:`aksharas` checks, named as it reports them (translated where shown)
RULES = (N_("vowel sign without consonant"), N_("two vowel signs"), N_("virama at word start"),
         N_("virama without consonant"), N_("nukta without consonant"), N_("sign without letter"))
#: what :func:`kind` calls a code point, as a table names it (translated where shown)
KINDS = {"consonant": N_("consonant"), "vowel": N_("vowel"), "vowel_sign": N_("vowel sign"),
         "virama": N_("virama"), "nukta": N_("nukta"), "sign": N_("sign")}


def kind(ch: str) -> tuple[str, str] | None:
    """(script, kind) of a Bengali or Devanagari code point, None for anything else (spaces,
    Latin, digits, dandas). Kinds: "consonant", "vowel" (independent), "vowel_sign",
    "virama", "nukta", "sign" (chandrabindu, anusvara, visarga and other marks)."""
    name = unicodedata.name(ch, "")
    script = name.split(" ", 1)[0]
    if script not in SCRIPTS:
        return None
    category = unicodedata.category(ch)
    if category in ("Mn", "Mc"):
        if "VOWEL SIGN" in name or "LENGTH MARK" in name:
            return script, "vowel_sign"
        for mark in ("VIRAMA", "NUKTA"):
            if mark in name:
                return script, mark.lower()
        return script, "sign"
    if category == "Lo" and " LETTER " in name:
        return script, "vowel" if _VOWEL_NAME.search(name) else "consonant"
    return None


_JOINERS = {"\u200c", "\u200d"}  # ZWNJ, ZWJ: choose a conjunct's shape, not a letter


@dataclass
class Aksharas:
    """How many orthographic syllables a text has, how many are well formed, and the errors."""

    syllables: int
    well_formed: int
    errors: list[tuple[str, str]]  # (rule, the syllable that breaks it), in text order

    @property
    def share(self) -> float:
        """Well-formed syllables / all syllables (1.0 for a text with none)."""
        return self.well_formed / self.syllables if self.syllables else 1.0

    @property
    def counts(self) -> dict[str, int]:
        """Rule -> how many times it was broken."""
        return dict(Counter(rule for rule, _syllable in self.errors))


def _broken(this: str, before: str | None, last: str = "") -> str | None:
    """The rule a mark of kind ``this`` breaks after a code point of kind ``before`` (None:
    a word's start, or a code point of another script; ``last``: that code point), or None."""
    if this == "virama" and last == "\u0985":  # অ্যা, Bengali's spelling of English /æ/
        return None
    if this == "vowel_sign" and before not in ("consonant", "nukta"):
        return "two vowel signs" if before == "vowel_sign" else "vowel sign without consonant"
    if this == "virama" and before not in ("consonant", "nukta"):
        return "virama at word start" if before is None else "virama without consonant"
    if this == "nukta" and before != "consonant":
        return "nukta without consonant"
    if this == "sign" and before not in ("consonant", "nukta", "vowel_sign", "vowel"):
        return "sign without letter"
    return None


def aksharas(text: str) -> Aksharas:
    """Cut the Bengali and Devanagari in ``text`` into orthographic syllables (aksharas) and
    check each one. The text is NFC-normalised first (so ো is one code point, not ে + া).

    A syllable starts at a consonant or an independent vowel, unless a virama comes just
    before (then the consonant joins a conjunct: ক্ষ, क्ष). Marks attach to the syllable before
    them; a mark with nothing to attach to (at a word's start, after a space or another
    script) is a syllable of its own. Zero-width (non-)joiners are skipped. The rules, each
    tested in tests/test_language.py:

    1. a vowel sign (কার / मात्रा: া ি ী … ৌ, ा ि ी … ौ) follows a consonant or a consonant
       + nukta — "vowel sign without consonant";
    2. never a vowel sign after a vowel sign — "two vowel signs";
    3. a virama (হসন্ত ্ / हलंत ्) follows a consonant or consonant + nukta: never at a word's
       start — "virama at word start", nor after a vowel, a vowel sign or a sign —
       "virama without consonant" (except অ্ in অ্যা, how Bengali writes the vowel of
       "access", অ্যাক্সেস);
    4. a nukta (়, ़) follows a consonant — "nukta without consonant";
    5. chandrabindu, anusvara, visarga (ঁ ং ঃ, ँ ं ः) follow a letter (consonant, independent
       vowel) or a vowel sign or nukta, never a virama, a space or another of them — "sign
       without letter".

    A syllable is well formed if none of its marks breaks a rule. Returns an
    :class:`Aksharas`.
    """
    syllables, errors, current, bad = 0, [], "", False
    before: tuple[str, str] | None = None  # (script, kind) of the last code point
    last = ""
    for ch in unicodedata.normalize("NFC", text):
        if ch in _JOINERS:
            current += ch
            continue
        this = kind(ch)
        if this is None:
            before, last = None, ""
            continue
        script, k = this
        prev = before[1] if before and before[0] == script else None
        starts = (k in ("consonant", "vowel") and prev != "virama") or prev is None
        if starts:
            if current and bad:
                errors.append((bad, current))
            syllables += current != ""
            current, bad = "", False
        current += ch
        bad = bad or _broken(k, prev, last) or False
        before, last = this, ch
    if current:
        syllables += 1
        if bad:
            errors.append((bad, current))
    return Aksharas(syllables, syllables - len(errors), errors)
