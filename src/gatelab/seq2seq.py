"""An encoder-decoder, with and without attention, for :class:`gatelab.tasks.NumberWords`.

* The **encoder** reads the source tokens with a GRU (or LSTM) and keeps every hidden state.
* The **decoder**, a second network of the same kind, writes the target one token at a time,
  starting from the encoder's final state. Without attention that final state is all it ever
  learns of the source: the whole input squeezed into one vector (Sutskever, Vinyals & Le 2014,
  "Sequence to sequence learning with neural networks"; Cho et al. 2014, "Learning phrase
  representations using RNN encoder-decoder for statistical machine translation"). That vector
  is the *bottleneck*.
* With **attention** the decoder may look back at every encoder state. Attention was introduced
  by Bahdanau, Cho & Bengio (2015, "Neural machine translation by jointly learning to align and
  translate", ICLR). This module follows the simpler "global attention" of Luong, Pham &
  Manning (2015, "Effective approaches to attention-based neural machine translation", EMNLP):
  at output step t the decoder's state ``s_t`` scores every encoder state ``h_j`` (``"general"``:
  ``e_tj = s_t · W h_j``; or Bahdanau's ``"additive"``: ``e_tj = v · tanh(W_s s_t + W_h h_j)``),
  a softmax over the source positions (padding masked out) turns the scores into weights
  ``a_tj``, and the output reads ``s_t`` together with the context ``c_t = Σ_j a_tj h_j``.
  The weights are the *alignment*: which input words each output digit looked at. (Bahdanau
  et al. score the previous state and feed the context into the recurrence; Luong et al.'s
  order lets the decoder run over the whole target at once, which is faster to train. Luong
  et al. also put a tanh layer between [s_t; c_t] and the output and may feed it back as the
  next input ("input feeding"); here one linear layer reads [s_t; c_t], nothing is fed back.)

Training uses **teacher forcing**: the decoder's input at step t is the true token t − 1, not its
own guess. :func:`greedy` decodes as a user would: each step's most likely token is the next
step's input, until the end token. Both directions read left to right and the two models
differ only by the attention layer.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from .i18n import N_, _
from .tasks import NumberWords, Pairs

#: the models that scripts/seq2seq.py compares, by the labels the chapter prints (translated)
LABELS = (N_("no attention"), N_("attention"), N_("no attention, as many parameters"))
RESULTS = "seq2seq.json"


def results() -> dict:
    """What ``scripts/seq2seq.py`` measured (data/seq2seq.json): per section ("bottleneck": 1 to
    3 numbers per input; "live": the chapter's live setting) its setting, its runs (language,
    model, seed, parameters, held-out exact match overall, by numbers in the input and by
    source tokens) and the provenance of each language's runs."""
    import json
    from importlib import resources

    with (resources.files("gatelab.datafiles") / RESULTS).open("r", encoding="utf-8") as f:
        return json.load(f)


def recorded(section: str = "bottleneck", lang: str = "en", by: str = "by_numbers"
             ) -> dict[str, dict[int, list[float]]]:
    """The recorded accuracies of ``lang`` in ``section``: {model: {length: [one per seed]}}."""
    runs = [r for r in results()[section]["runs"] if r["lang"] == lang]
    if not runs:
        raise KeyError(_("No recorded runs in {lang!r}; run scripts/seq2seq.py --langs {lang}.")
                       .format(lang=lang))
    out: dict[str, dict[int, list[float]]] = {}
    for run in runs:
        for length, value in run[by].items():
            out.setdefault(run["model"], {}).setdefault(int(length), []).append(value)
    return {model: dict(sorted(lengths.items())) for model, lengths in out.items()}


class Attention(nn.Module):
    """Weights over the source positions for every decoder state, and the context they read.

    ``score="general"``: ``e = s · W h`` (Luong et al. 2015); ``"additive"``:
    ``e = v · tanh(W_s s + W_h h)`` (Bahdanau et al. 2015, what Luong et al. call "concat").
    """

    def __init__(self, hidden_size: int, score: str = "general"):
        super().__init__()
        if score not in ("general", "additive"):
            raise ValueError(_("score is \"general\" or \"additive\"; got {score!r}.")
                             .format(score=score))
        self.score = score
        if score == "general":
            self.W = nn.Linear(hidden_size, hidden_size, bias=False)
        else:
            self.W_s = nn.Linear(hidden_size, hidden_size, bias=False)
            self.W_h = nn.Linear(hidden_size, hidden_size)
            self.v = nn.Linear(hidden_size, 1, bias=False)

    def scores(self, s: Tensor, encoded: Tensor) -> Tensor:
        """s (B, T, H) decoder states, encoded (B, S, H) encoder states -> scores (B, T, S)."""
        if self.score == "general":
            return s @ self.W(encoded).transpose(1, 2)
        return self.v(torch.tanh(self.W_s(s).unsqueeze(2) + self.W_h(encoded).unsqueeze(1))).squeeze(-1)

    def forward(self, s: Tensor, encoded: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """mask (B, S) is True at real tokens -> context (B, T, H), weights (B, T, S) that sum
        to 1 over the source positions, 0 at padding."""
        weights = self.scores(s, encoded).masked_fill(~mask.unsqueeze(1), float("-inf")).softmax(-1)
        return weights @ encoded, weights


class Seq2Seq(nn.Module):
    """Encoder and decoder of the same kind ("GRU" or "LSTM"); ``attention`` is a score
    ("general" or "additive") or None for the plain encoder-decoder."""

    def __init__(self, num_sources: int, num_targets: int, hidden_size: int = 64,
                 embedding_size: int = 32, kind: str = "GRU", attention: str | None = "general"):
        super().__init__()
        if kind not in ("GRU", "LSTM"):
            raise ValueError(_("kind is \"GRU\" or \"LSTM\"; got {kind!r}.").format(kind=kind))
        self.kind, self.hidden_size = kind, hidden_size
        self.source_embedding = nn.Embedding(num_sources, embedding_size, padding_idx=0)
        self.encoder = getattr(nn, kind)(embedding_size, hidden_size, batch_first=True)
        self.target_embedding = nn.Embedding(num_targets, embedding_size, padding_idx=0)
        self.decoder = getattr(nn, kind)(embedding_size, hidden_size, batch_first=True)
        self.attend = Attention(hidden_size, attention) if attention else None
        self.out = nn.Linear(hidden_size * (2 if attention else 1), num_targets)

    @property
    def attention(self) -> str | None:
        return self.attend.score if self.attend is not None else None

    def encode(self, source: Tensor, lengths: Tensor):
        """source (B, S), lengths (B,) -> every state (B, S, H) (zeros at padding) and the final
        state at each row's true length, as ``nn.GRU`` / ``nn.LSTM`` return it ((1, B, H))."""
        packed = nn.utils.rnn.pack_padded_sequence(self.source_embedding(source), lengths.cpu(),
                                                   batch_first=True, enforce_sorted=False)
        out, final = self.encoder(packed)
        encoded, _lengths = nn.utils.rnn.pad_packed_sequence(out, batch_first=True,
                                                             total_length=source.shape[1])
        return encoded, final

    def decode(self, inputs: Tensor, state, encoded: Tensor, mask: Tensor):
        """Decoder inputs (B, T) from ``state`` -> logits (B, T, V), the new state and the
        attention weights (B, T, S) (None without attention). The decoder's state s_t reads
        the context c_t (Luong et al. 2015's global attention), then s_t and c_t the output."""
        s, state = self.decoder(self.target_embedding(inputs), state)  # (B, T, H)
        if self.attend is None:
            return self.out(s), state, None
        context, weights = self.attend(s, encoded, mask)  # (B, T, H), (B, T, S)
        return self.out(torch.cat([s, context], -1)), state, weights

    @staticmethod
    def mask(source: Tensor, lengths: Tensor) -> Tensor:
        """(B, S) True at real tokens, False at padding."""
        return torch.arange(source.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)

    def forward(self, source: Tensor, lengths: Tensor, target: Tensor) -> tuple[Tensor, Tensor | None]:
        """Teacher forcing: the decoder reads <s> then the true target shifted by one.
        -> logits (B, T, V) and attention weights (B, T, S) (None without attention)."""
        encoded, state = self.encode(source, lengths)
        start = torch.full_like(target[:, :1], NumberWords.TARGETS.index(NumberWords.START))
        inputs = torch.cat([start, target[:, :-1]], 1)  # (B, T)
        logits, _state, weights = self.decode(inputs, state, encoded, self.mask(source, lengths))
        return logits, weights

    @torch.no_grad()
    def generate(self, source: Tensor, lengths: Tensor, max_length: int) -> tuple[Tensor, Tensor | None]:
        """Greedy decoding: each step's most likely token is the next step's input.
        -> tokens (B, T <= max_length) (after a row's end token: padding), weights (B, T, S)."""
        encoded, state = self.encode(source, lengths)
        mask = self.mask(source, lengths)
        token = torch.full((source.shape[0], 1), NumberWords.TARGETS.index(NumberWords.START))
        end = NumberWords.TARGETS.index(NumberWords.END)
        done = torch.zeros(source.shape[0], dtype=torch.bool)
        tokens, weights = [], []
        for _t in range(max_length):
            logits, state, w = self.decode(token, state, encoded, mask)  # (B, 1, V)
            token = logits.argmax(-1)  # (B, 1)
            tokens.append(token[:, 0].masked_fill(done, 0))
            weights.append(w)
            done = done | (token[:, 0] == end)
            if done.all():
                break
        return torch.stack(tokens, 1), (torch.cat(weights, 1) if self.attend is not None else None)


def parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def model_for(task: NumberWords, hidden_size: int = 64, attention: str | None = "general",
              kind: str = "GRU", embedding_size: int = 32) -> Seq2Seq:
    """A :class:`Seq2Seq` sized for ``task``'s vocabularies."""
    return Seq2Seq(task.num_sources, task.num_targets, hidden_size, embedding_size, kind, attention)


def same_parameters(task: NumberWords, like: Seq2Seq, kind: str = "GRU") -> Seq2Seq:
    """A model without attention whose parameter count is closest to ``like``'s (a wider one)."""
    target = parameters(like)
    hidden = min(range(8, 4 * like.hidden_size), key=lambda h: abs(
        parameters(model_for(task, h, attention=None, kind=kind)) - target))
    return model_for(task, hidden, attention=None, kind=kind)


def loss(model: Seq2Seq, pairs: Pairs) -> Tensor:
    """Mean cross-entropy per target token under teacher forcing (padding ignored)."""
    logits, _w = model(pairs.source, pairs.source_lengths, pairs.target)
    return nn.functional.cross_entropy(logits.flatten(0, 1), pairs.target.flatten(), ignore_index=0)


@dataclass
class History:
    """What :func:`fit` saw: loss at every step, held-out exact match at each evaluation."""

    losses: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)  # when the held-out set was measured
    accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0


def fit(model: Seq2Seq, task: NumberWords, steps: int = 600, batch_size: int = 64, lr: float = 0.005,
        max_norm: float = 1.0, evaluate_every: int = 0, seconds: float | None = None) -> History:
    """Adam with teacher forcing and gradient clipping for ``steps`` batches (or until ``seconds``
    have passed, whichever comes first); held-out exact match every ``evaluate_every`` steps
    (0: only at the end)."""
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    history, start = History(), time.perf_counter()
    for step in range(1, steps + 1):
        model.train()
        value = loss(model, task.batch(batch_size))
        optimiser.zero_grad()
        value.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimiser.step()
        history.losses.append(value.item())
        out_of_time = seconds is not None and time.perf_counter() - start > seconds
        if (evaluate_every and step % evaluate_every == 0) or step == steps or out_of_time:
            history.steps.append(step)
            history.accuracy.append(exact_match(model, task))
        if out_of_time:
            break
    history.seconds = time.perf_counter() - start
    return history


def predict(model: Seq2Seq, pairs: Pairs) -> tuple[Tensor, Tensor | None]:
    """Greedy answers for a batch: tokens (B, T) and weights (B, T, S) or None."""
    model.eval()
    return model.generate(pairs.source, pairs.source_lengths, int(pairs.target_lengths.max()) + 2)


def correct(model: Seq2Seq, pairs: Pairs) -> Tensor:
    """Exact match of each row (B,) bool: every digit right and the end token in its place."""
    tokens, _w = predict(model, pairs)
    width = max(tokens.shape[1], pairs.target.shape[1])
    padded = [nn.functional.pad(t, (0, width - t.shape[1])) for t in (tokens, pairs.target)]
    return (padded[0] == padded[1]).all(1)


def exact_match(model: Seq2Seq, task: NumberWords) -> float:
    """Share of the held-out set answered exactly."""
    return correct(model, task.test_set()).float().mean().item()


def accuracy_by_length(model: Seq2Seq, task: NumberWords, by: str = "tokens",
                       width: int = 1) -> dict[int, float]:
    """Held-out exact match by input length: ``by="tokens"`` (source tokens, in groups of
    ``width``: {first length of the group: accuracy}, width 4 makes 1-4, 5-8, ...) or
    ``by="numbers"`` (how many numbers the input lists)."""
    if by not in ("tokens", "numbers"):
        raise ValueError(_("by is \"tokens\" or \"numbers\"; got {by!r}.").format(by=by))
    pairs = task.test_set()
    right = correct(model, pairs)
    if by == "numbers":
        group = torch.tensor([len(v) for v in pairs.values])  # (B,)
    else:
        group = (pairs.source_lengths - 1) // width * width + 1  # (B,) first length of each group
    return {int(g): right[group == g].float().mean().item() for g in group.unique().sort().values}


def greedy(model: Seq2Seq, task: NumberWords, source: Sequence[str] | int
           ) -> tuple[list[str], Tensor | None]:
    """One answer: ``source`` is a number or its tokens -> output tokens (the end token last,
    if the model wrote it) and attention weights (T_out, T_in) (None without attention)."""
    tokens = task.source_tokens([source]) if isinstance(source, int) else list(source)
    x = task.encode_source(tokens).unsqueeze(0)  # (1, S)
    model.eval()
    out, weights = model.generate(x, torch.tensor([x.shape[1]]), max_length=4 * len(tokens) + 8)
    answer = []
    for i in out[0].tolist():
        answer.append(task.TARGETS[i])
        if i in (0, task.TARGETS.index(task.END)):
            break
    answer = [t for t in answer if t != task.PAD]
    return answer, (weights[0, : len(answer)] if weights is not None else None)


def examples(model: Seq2Seq, task: NumberWords, count: int = 8) -> list[dict]:
    """The first ``count`` held-out rows: source tokens, target, the model's answer, right?"""
    pairs = task.pairs(task.test_values[:count])
    tokens, _w = predict(model, pairs)
    right = correct(model, pairs)
    return [{"source": task.source_text(pairs.source[r]), "target": task.target_text(pairs.target[r]),
             "answer": task.target_text(tokens[r]), "right": bool(right[r])} for r in range(count)]


def alignments(model: Seq2Seq, task: NumberWords, count: int = 8) -> list[dict]:
    """The first ``count`` held-out inputs as :func:`gatelab.widgets.AttentionExplorer` reads
    them: source tokens, the correct output tokens, the model's greedy answer and its attention
    weights (T_out, T_in), one row per token it wrote."""
    if model.attention is None:
        raise ValueError(_("This model has no attention, so there are no weights to show; "
                           "make it with seq2seq.model_for(task, attention=\"general\")."))
    found = []
    for values in task.test_values[:count]:
        source = task.source_tokens(values)
        answer, weights = greedy(model, task, source)
        found.append({"source": source, "target": task.target_tokens(values), "output": answer,
                      "weights": weights})
    return found
