"""Small recurrent networks for the lessons, built from a seed (never numpy's global state)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .i18n import _


def spectral_radius(weight: torch.Tensor) -> float:
    """The largest absolute eigenvalue of a square matrix."""
    return torch.linalg.eigvals(weight.detach().double()).abs().max().item()


def random_rnn(input_size: int, hidden_size: int, radius: float = 0.9, seed: int = 0,
               bias: bool = False, nonlinearity: str = "tanh") -> nn.RNN:
    """An untrained ``nn.RNN`` whose recurrent weight W_hh has spectral radius ``radius``.

    W_hh is a random Gaussian matrix rescaled to the radius, so that, for small inputs,
    ‖W_hh^k‖ grows or shrinks roughly like radius^k: below 1 memory and gradients fade, above
    1 the dynamics become chaotic and gradients explode. ``nonlinearity``: "tanh" or "relu".
    """
    generator = torch.Generator().manual_seed(seed)
    rnn = nn.RNN(input_size, hidden_size, bias=bias, nonlinearity=nonlinearity)
    with torch.no_grad():
        w_hh = torch.randn(hidden_size, hidden_size, generator=generator) / hidden_size**0.5
        rnn.weight_hh_l0.copy_(w_hh * (radius / spectral_radius(w_hh)))
        rnn.weight_ih_l0.copy_(torch.randn(hidden_size, input_size, generator=generator))
    return rnn


@dataclass
class RadiusResult:
    """What a recurrent weight of a given spectral radius does to memory and to gradients."""

    radius: float  # spectral radius of W_hh
    h: torch.Tensor  # (T, H) hidden states for the first sequence of the batch
    norms: torch.Tensor  # (T,) ‖∂h_T/∂h_t‖, averaged over the batch
    weight_grad_norm: float  # ‖∂L/∂W_hh‖ for L = sum of h_T: the gradient that is clipped
    max_norm: float  # the clipping threshold
    clip_factor: float  # min(1, max_norm / weight_grad_norm): what gradient clipping multiplies by

    @property
    def clipped(self) -> bool:
        """True when clipping scales this gradient down (its norm is above the threshold)."""
        return self.clip_factor < 1.0


def _weight_grad_norm(rnn: nn.RNN, x: torch.Tensor) -> float:
    """‖∂L/∂W_hh‖ for the loss L = sum of the last hidden state (a loss that needs no target)."""
    rnn.zero_grad()
    out, _h_n = rnn(x)  # (T, B, H)
    out[-1].sum().backward()
    return rnn.weight_hh_l0.grad.norm().item()


def radius_experiment(radius: float, steps: int = 60, hidden_size: int = 32, batch_size: int = 4,
                      input_scale: float = 0.1, max_norm: float | None = None,
                      seed: int = 0) -> RadiusResult:
    """Run a random tanh RNN of the given spectral radius over small random inputs and measure
    how the gradient flows back through time, with and without clipping to ``max_norm``.

    Only the gradient of W_hh is clipped (``clip_grad_norm_`` takes one norm over every
    parameter's gradient). ``max_norm=None`` sets the threshold to the norm that the same
    network with radius 1 has: then clipping changes nothing for radius ≤ 1 and acts only
    where the gradient explodes.
    """
    from . import cells  # a late import: models stays usable without the explainer

    generator = torch.Generator().manual_seed(seed + 1)
    x = input_scale * torch.randn(steps, batch_size, 1, generator=generator)  # (T, B, 1)
    rnn = random_rnn(1, hidden_size, radius, seed)
    trace = cells.run(rnn, x)
    norms = cells.gradient_norms(rnn, x)
    weight_grad_norm = _weight_grad_norm(rnn, x)
    if max_norm is None:
        max_norm = weight_grad_norm if radius == 1 else \
            _weight_grad_norm(random_rnn(1, hidden_size, 1.0, seed), x)
    return RadiusResult(radius=radius, h=trace.h[:, 0].detach(), norms=norms,
                        weight_grad_norm=weight_grad_norm, max_norm=max_norm,
                        clip_factor=min(1.0, max_norm / max(weight_grad_norm, 1e-30)))


class CharRNN(nn.Module):
    """Predict the next character: embedding -> nn.RNN (tanh) -> linear scores over the vocabulary.

    Time-major like ``nn.RNN``'s default: x (T, B) indices -> scores (T, B, V) and the new state.
    """

    def __init__(self, vocab_size: int, hidden_size: int = 64, embedding_size: int = 16):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_size)
        self.rnn = nn.RNN(embedding_size, hidden_size)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None):
        out, h = self.rnn(self.embed(x), h)  # (T, B, H), (1, B, H)
        return self.head(out), h  # (T, B, V), (1, B, H)


def memory_cell(sharpness: float = 16.0) -> nn.LSTM:
    """A hand-built LSTM with one unit that stores a value when told to write and shows it
    when told to read. Its input has three channels, x = (value, write, read):

        i = σ(s·write − s/2)    open only while writing
        f = σ(−s·write + s/2)   keep the memory, except while writing (then forget the old)
        g = tanh(2·value)       the candidate: the value to store
        o = σ(s·read − s/2)     show the memory only when asked

    so c[t] carries the last written value (squashed by tanh) and h[t] is near 0 except at a
    read. Every weight is set by hand; nothing is trained.
    """
    lstm = nn.LSTM(3, 1)
    s = sharpness
    with torch.no_grad():
        for p in lstm.parameters():
            p.zero_()
        # rows in PyTorch's order: i, f, g, o; columns: value, write, read
        lstm.weight_ih_l0.copy_(torch.tensor([[0.0, s, 0.0], [0.0, -s, 0.0],
                                              [2.0, 0.0, 0.0], [0.0, 0.0, s]]))
        lstm.bias_ih_l0.copy_(torch.tensor([-s / 2, s / 2, 0.0, -s / 2]))
    return lstm


def gru_memory_cell(sharpness: float = 16.0) -> nn.GRU:
    """A hand-built GRU with one unit that adds each written value to what it holds. Its input
    has two channels, x = (value, write):

        r = σ(s/2)                     the reset gate stays open: the candidate sees the past
        z = σ(−s·write + s/2)          keep h, except while writing
        n = tanh(2·value + r ⊙ h)      the candidate: the value added to the old state
        h' = (1 − z) ⊙ n + z ⊙ h

    so h[t] holds, squashed by tanh, the sum of what was written. A GRU has no output gate:
    h[t] is its memory and its output at once. Every weight is set by hand; nothing is trained.
    """
    gru = nn.GRU(2, 1)
    s = sharpness
    with torch.no_grad():
        for p in gru.parameters():
            p.zero_()
        # rows in PyTorch's order: r, z, n; columns: value, write
        gru.weight_ih_l0.copy_(torch.tensor([[0.0, 0.0], [0.0, -s], [2.0, 0.0]]))
        gru.bias_ih_l0.copy_(torch.tensor([s / 2, s / 2, 0.0]))
        gru.weight_hh_l0.copy_(torch.tensor([[0.0], [0.0], [1.0]]))
    return gru


@torch.no_grad()
def set_forget_bias(lstm: nn.LSTM, value: float = 1.0) -> nn.LSTM:
    """Start every forget gate of ``lstm`` at sigma(value): b_if = value, b_hf = 0 in each layer.

    PyTorch draws all LSTM biases around 0, so its forget gates start near sigma(0) = 0.5 and
    halve the memory at every step. Gers, Schmidhuber & Cummins (2000) started them open
    instead; Jozefowicz, Zaremba & Sutskever (2015) found a bias of 1 closes most of the gap
    to the GRU. It is the recipe practitioners use (Keras's ``unit_forget_bias``, on by default).
    """
    H = lstm.hidden_size
    for name, bias in lstm.named_parameters():
        if name.startswith("bias_"):
            bias[H : 2 * H] = value if name.startswith("bias_ih") else 0.0  # blocks i, f, g, o
    return lstm


class _RecurrentHead(nn.Module):
    """An RNN, LSTM or GRU (batch-first) with a linear layer on its hidden states.

    ``forget_bias`` (LSTM only): start the forget gates at sigma(forget_bias), see
    :func:`set_forget_bias`; None keeps PyTorch's default initialisation.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_classes: int,
                 forget_bias: float | None = None):
        super().__init__()
        layers = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
        if kind not in layers:
            raise ValueError(_("Unknown kind {kind!r}; choose one of {kinds}.")
                             .format(kind=kind, kinds=", ".join(layers)))
        if forget_bias is not None and kind != "LSTM":
            raise ValueError(_("Only an LSTM has a forget gate; leave forget_bias out for a "
                               "{kind}.").format(kind=kind))
        self.kind = kind
        self.rnn = layers[kind](input_size, hidden_size, batch_first=True)
        if forget_bias is not None:
            set_forget_bias(self.rnn, forget_bias)
        self.head = nn.Linear(hidden_size, num_classes)


class SequenceClassifier(_RecurrentHead):
    """Read a sequence with an RNN, LSTM or GRU and classify it from the last hidden state.

    x (B, T, I) batch-first -> class scores (B, C).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _state = self.rnn(x)  # (B, T, H)
        return self.head(out[:, -1])  # (B, C)


class Tagger(_RecurrentHead):
    """Read a stream with an RNN, LSTM or GRU and classify every step (the echo task).

    x (B, T, I) batch-first and an optional state -> scores (B, T, C) and the new state, so that
    the state can be carried from one chunk of a long stream to the next.
    """

    def forward(self, x: torch.Tensor, state=None):
        out, state = self.rnn(x, state)  # (B, T, H)
        return self.head(out), state  # (B, T, C)


class TextClassifier(nn.Module):
    """Characters -> embedding -> bidirectional LSTM -> linear scores per class.

    x (B, T) character indices, padded with 0 -> scores (B, C). The forward and backward
    final states are joined, so the classifier sees the sentence read both ways.
    """

    def __init__(self, vocab_size: int, num_classes: int, embedding_size: int = 24,
                 hidden_size: int = 32):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_size, padding_idx=0)
        self.lstm = nn.LSTM(embedding_size, hidden_size, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(x), lengths.cpu(),
                                                   batch_first=True, enforce_sorted=False)
        _out, (h_n, _c_n) = self.lstm(packed)  # h_n: (2, B, H), forward and backward
        return self.head(torch.cat([h_n[0], h_n[1]], dim=-1))  # (B, C)
