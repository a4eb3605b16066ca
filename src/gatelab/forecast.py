"""Forecasting a seasonal time series with a small recurrent network (Chapter 5).

* :func:`rainfall` — a monsoon-like daily rainfall in mm per day, made on the spot from a seed:
  dry most of the year, a wet season peaking in late July, and day-to-day persistence (a wet
  spell tends to go on), so that yesterday says something the calendar does not.
* :class:`Forecaster`, :func:`fit` — a 32-unit LSTM that reads today's rainfall and tomorrow's
  date and predicts tomorrow's rainfall, trained with the true past as input at every step
  (teacher forcing: Williams and Zipser, 1989, "A learning algorithm for continually running
  fully recurrent neural networks") on random windows of the training years.
* :func:`one_step`, :func:`rollout` — predictions on the held-out last year: one day ahead from
  the true past, or many days ahead with the network feeding on its own forecasts.
* :func:`horizon_errors` — the root-mean-square error against the number of days ahead, for the
  rollout and for three references: climatology (the seasonal mean of that day of the year),
  persistence (every future day = the last day seen), and the best forecast possible, which
  knows how the series was made.

Tensors are time-major like :mod:`gatelab.models`: the network maps (T, B, 3) inputs to (T, B)
forecasts.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from . import train
from .i18n import _

#: days in a year of the made-up series (no leap years)
YEAR = 365
#: inputs per day: today's rainfall (mm), sine and cosine of tomorrow's day of the year
INPUTS = 3


# --- the series -----------------------------------------------------------------------------


@dataclass
class Series:
    """Daily rainfall over whole years; the last year is held out from training."""

    values: Tensor        # (N,) rainfall, mm per day, never negative
    day_of_year: Tensor   # (N,) 0 … 364, day 0 = 1 January
    curve: Tensor         # (365,) the seasonal mean the series was made from, mm per day
    anomaly: Tensor       # (N,) the hidden AR(1) weather state z_t (mean 0, variance 1)
    persistence: float    # φ: how much of z_{t-1} carries over to z_t
    spread: float         # σ: rainfall = curve · exp(σ z − σ²/2)

    @property
    def years(self) -> int:
        return len(self.values) // YEAR

    @property
    def held_out(self) -> int:
        """Index of the first day of the held-out (last) year."""
        return len(self.values) - YEAR

    def wet_season(self, share: float = 0.25) -> tuple[int, int]:
        """First and last day of the year whose seasonal mean is at least ``share`` of its peak."""
        days = torch.nonzero(self.curve >= share * self.curve.max()).flatten()
        return int(days.min()), int(days.max())


def seasonal_curve(dry: float = 0.4, wet: float = 12.0, peak_day: int = 210,
                   width: float = 28.0) -> Tensor:
    """The mean rainfall of each day of the year (365,), mm per day: ``dry`` all year plus a
    bell of height ``wet`` centred on ``peak_day`` (day 210 = 29 July), ``width`` days wide
    (standard deviation), measured round the year's circle."""
    day = torch.arange(YEAR, dtype=torch.float64)
    distance = (day - peak_day + YEAR / 2) % YEAR - YEAR / 2  # days from the peak, −182 … 182
    return (dry + wet * torch.exp(-0.5 * (distance / width) ** 2)).float()


def rainfall(years: int = 30, seed: int = 0, persistence: float = 0.8,
             spread: float = 0.7) -> Series:
    """Made-up daily rainfall for ``years`` years (the last one is held out).

    A hidden weather state follows an AR(1) process, z_t = φ z_{t-1} + √(1−φ²) ε_t with ε_t
    standard normal, so a wet day tends to be followed by another. Rainfall is the seasonal
    mean times a log-normal factor, curve(day) · exp(σ z_t − σ²/2), whose average is 1: never
    negative, skewed like real rain, and on average exactly the seasonal curve.
    """
    if years < 2:
        raise ValueError(_("Make at least 2 years of rainfall: the last one is held out, the "
                           "others are for training."))
    if not 0 <= persistence < 1:
        raise ValueError(_("persistence must be at least 0 and below 1; got {value}.")
                         .format(value=persistence))
    rng = np.random.default_rng(seed)
    n = years * YEAR
    noise = rng.standard_normal(n)
    z = np.empty(n)
    z[0] = noise[0]
    for t in range(1, n):
        z[t] = persistence * z[t - 1] + math.sqrt(1 - persistence**2) * noise[t]
    curve = seasonal_curve()
    day = torch.arange(n) % YEAR
    factor = torch.from_numpy(np.exp(spread * z - spread**2 / 2)).float()
    return Series(curve[day] * factor, day, curve, torch.from_numpy(z).float(), persistence,
                  spread)


# --- the network ----------------------------------------------------------------------------


def inputs(series: Series, start: int, stop: int) -> Tensor:
    """What the network reads at days start … stop−1 (T, 3): that day's rainfall (mm) and the
    sine and cosine of the next day's place in the year: the calendar is known in advance."""
    if not 0 <= start < stop <= len(series.values):
        raise ValueError(_("Days {start} to {stop} are outside the series of {n} days; choose "
                           "days from 0 to {n}.")
                         .format(start=start, stop=stop, n=len(series.values)))
    angle = 2 * math.pi * ((series.day_of_year[start:stop] + 1) % YEAR).float() / YEAR  # (T,)
    return torch.stack([series.values[start:stop], torch.sin(angle), torch.cos(angle)], -1)


class Forecaster(nn.Module):
    """Tomorrow's rainfall from today's rainfall and tomorrow's date: nn.LSTM (or nn.GRU) -> linear ->
    softplus, so that a forecast is never negative.

    Time-major: x (T, B, 3) -> forecasts (T, B) in mm per day and the new state. Rainfall is
    divided by ``scale`` on the way in and multiplied by it on the way out, so that the network
    works with numbers near 1.
    """

    KINDS = {"GRU": nn.GRU, "LSTM": nn.LSTM}

    def __init__(self, hidden_size: int = 32, kind: str = "LSTM", scale: float = 10.0):
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(_("Unknown kind {kind!r}; choose one of {kinds}.")
                             .format(kind=kind, kinds=", ".join(self.KINDS)))
        self.kind, self.scale = kind, scale
        self.rnn = self.KINDS[kind](INPUTS, hidden_size)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: Tensor, state=None):
        x = torch.cat([x[..., :1] / self.scale, x[..., 1:]], -1)  # (T, B, 3)
        out, state = self.rnn(x, state)  # (T, B, H)
        return nn.functional.softplus(self.head(out)).squeeze(-1) * self.scale, state  # (T, B)


@dataclass
class Fit:
    """What :func:`fit` did: the training loss (mean squared error, (mm/day)²) every
    ``evaluate_every`` steps, averaged over those steps, and the seconds spent."""

    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    seconds: float = 0.0


def fit(model: nn.Module, series: Series, steps: int = 300, seconds: float | None = None,
        window: int = 60, batch_size: int = 32, lr: float = 0.01, evaluate_every: int = 50,
        seed: int = 0) -> Fit:
    """Train ``model`` for one-step prediction with teacher forcing: random windows of
    ``window`` days from the training years (never the held-out last year), the true rainfall
    as input at every step, the next day's as target; mean squared error, Adam, gradients
    clipped to norm 1. Stops after ``steps`` batches or ``seconds``, whichever comes first."""
    last_start = series.held_out - window - 1  # a window's target may not reach the held-out year
    if last_start < 0:
        raise ValueError(_("A window of {window} days does not fit in the training years; use "
                           "a shorter window or more years.").format(window=window))
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history, losses, spent = Fit(), [], 0.0
    for step in range(1, steps + 1):
        started = time.perf_counter()
        starts = torch.randint(0, last_start + 1, (batch_size,), generator=generator).tolist()
        x = torch.stack([inputs(series, s, s + window) for s in starts], 1)  # (T, B, 3)
        y = torch.stack([series.values[s + 1:s + window + 1] for s in starts], 1)  # (T, B)
        forecast, _state = model(x)  # (T, B)
        loss = nn.functional.mse_loss(forecast, y)
        train.update(model, optimizer, loss)
        losses.append(loss.item())
        spent += time.perf_counter() - started
        done = step == steps or (seconds is not None and spent >= seconds)
        if done or step % evaluate_every == 0:
            history.steps.append(step)
            history.loss.append(sum(losses) / len(losses))
            losses = []
        if done:
            break
    history.seconds = spent
    return history


# --- forecasts ------------------------------------------------------------------------------


def _check_origins(series: Series, origins: Tensor, days: int, warmup: int) -> None:
    if days < 1:
        raise ValueError(_("Forecast at least 1 day ahead; got {days}.").format(days=days))
    if int(origins.min()) < warmup:
        raise ValueError(_("A forecast from day {origin} has fewer than {warmup} days before it "
                           "to warm up on; start later or use a shorter warm-up.")
                         .format(origin=int(origins.min()), warmup=warmup))
    if int(origins.max()) + days >= len(series.values):
        raise ValueError(_("A forecast {days} days ahead from day {origin} runs past the end of "
                           "the series (day {last}); forecast fewer days or start earlier.")
                         .format(days=days, origin=int(origins.max()),
                                 last=len(series.values) - 1))


@torch.no_grad()
def one_step(model: nn.Module, series: Series, start: int | None = None,
             stop: int | None = None, warmup: int = 60) -> Tensor:
    """Forecasts of days start … stop−1 (T,), each from the true rainfall of every day before
    it (teacher forcing, as in training). The network first reads the ``warmup`` days before
    ``start - 1``. Default: the held-out year."""
    start = series.held_out if start is None else start
    stop = len(series.values) if stop is None else stop
    _check_origins(series, torch.tensor([start - 1]), stop - start, warmup)
    x = inputs(series, start - 1 - warmup, stop - 1).unsqueeze(1)  # (W + T, 1, 3)
    forecast, _state = model(x)  # (W + T, 1)
    return forecast[warmup:, 0]  # (T,)


@torch.no_grad()
def rollout(model: nn.Module, series: Series, origins: int | Tensor, days: int,
            warmup: int = 60) -> Tensor:
    """Forecasts of the ``days`` days after each origin (B, days) — or (days,) for one origin —
    the network feeding on its own output: it reads the true rainfall up to and including the
    origin (after a warm-up of ``warmup`` days), then, for each later day, its own forecast of
    that day. Nothing after the origin is read, except the calendar."""
    single = isinstance(origins, int)
    origins = torch.as_tensor([origins] if single else origins).long()  # (B,)
    _check_origins(series, origins, days, warmup)
    x = torch.stack([inputs(series, o - warmup, o + days) for o in origins.tolist()], 1)
    forecast, state = model(x[:warmup + 1])  # true past up to the origin, (W + 1, B)
    forecasts = [forecast[-1]]  # (B,): the day after the origin
    for step in range(warmup + 1, warmup + days):
        today = torch.cat([forecasts[-1][:, None], x[step, :, 1:]], -1)[None]  # (1, B, 3)
        forecast, state = model(today, state)
        forecasts.append(forecast[-1])
    out = torch.stack(forecasts, 1)  # (B, days)
    return out[0] if single else out


def climatology(series: Series, smooth: int = 31) -> Tensor:
    """The seasonal mean estimated from the training years (365,), mm per day: the mean of each
    day of the year, then a circular moving average over ``smooth`` days (the years are few)."""
    training = series.values[:series.held_out].reshape(-1, YEAR).mean(0)  # (365,)
    padded = torch.cat([training[-(smooth // 2):], training, training[:smooth // 2]])
    return padded.unfold(0, smooth, 1).mean(-1)  # (365,)


def best_forecast(series: Series, origins: Tensor, days: int) -> Tensor:
    """The mean of the rainfall 1 … ``days`` days after each origin (B, days), given everything
    the series' generator knows at the origin (the curve, φ, σ, and today's hidden z): the
    lowest root-mean-square error any forecaster can reach on average. With
    E[exp(σ z_{t+h}) | z_t] = exp(σ φ^h z_t + σ²(1 − φ^{2h})/2), it tends to the curve as h
    grows."""
    _check_origins(series, origins, days, 0)
    h = torch.arange(1, days + 1, dtype=torch.float32)  # (days,)
    phi, sigma = series.persistence, series.spread
    z = series.anomaly[origins][:, None]  # (B, 1)
    factor = torch.exp(sigma * phi**h * z - sigma**2 * phi ** (2 * h) / 2)  # (B, days)
    target_days = series.day_of_year[origins[:, None] + h.long()]  # (B, days)
    return series.curve[target_days] * factor


@dataclass
class HorizonErrors:
    """Root-mean-square error (mm per day) of forecasts 1 … H days ahead, over many origins."""

    days: Tensor          # (H,) 1 … H
    network: Tensor       # (H,) the network's rollout
    climatology: Tensor   # (H,) the seasonal mean of the forecast day
    persistence: Tensor   # (H,) the rainfall of the origin, for every day ahead
    best: Tensor          # (H,) the best forecast possible (knows how the series was made)
    origins: int          # how many forecasts each error averages over


def rmse(forecasts: Tensor, truth: Tensor) -> Tensor:
    """Root-mean-square error of each column: forecasts and truth (B, H) -> (H,)."""
    return ((forecasts - truth) ** 2).mean(0).sqrt()


def horizon_errors(model: nn.Module, series: Series, days: int = 30,
                   origins: Tensor | None = None, warmup: int = 60) -> HorizonErrors:
    """How forecast error grows with the days ahead. Default origins: every day of the held-out
    year from which ``days`` days ahead still fall inside it (and the day before it, so that
    day 1 of the year is forecast too)."""
    if origins is None:
        last = len(series.values) - 1 - days
        if last < series.held_out - 1:
            raise ValueError(_("The held-out year has {n} days: forecast at most {n} days "
                               "ahead.").format(n=YEAR))
        origins = torch.arange(series.held_out - 1, last + 1)
    origins = torch.as_tensor(origins).long()  # (B,)
    h = torch.arange(1, days + 1)  # (H,)
    _check_origins(series, origins, days, warmup)
    truth = series.values[origins[:, None] + h]  # (B, H)
    normal = climatology(series)[series.day_of_year[origins[:, None] + h]]  # (B, H)
    last_seen = series.values[origins][:, None].expand(-1, days)  # (B, H)
    return HorizonErrors(h, rmse(rollout(model, series, origins, days, warmup), truth),
                         rmse(normal, truth), rmse(last_seen, truth),
                         rmse(best_forecast(series, origins, days), truth), len(origins))


def one_step_errors(series: Series, forecasts: Tensor) -> dict[str, tuple[float, float]]:
    """Root-mean-square error (mm per day) of next-day forecasts over the held-out year and over
    its wet season, for the network's ``forecasts`` (365,) (what :func:`one_step` returns) and
    for the references: climatology, persistence (tomorrow = today) and the best possible."""
    if forecasts.shape != (YEAR,):
        raise ValueError(_("Give one forecast for each day of the held-out year (365); got shape "
                           "{shape}. Use forecast.one_step(model, series).")
                         .format(shape=tuple(forecasts.shape)))
    days = torch.arange(series.held_out, len(series.values))  # (365,)
    truth = series.values[days]
    first, last = series.wet_season()
    wet = (series.day_of_year[days] >= first) & (series.day_of_year[days] <= last)  # (365,)
    candidates = {"network": forecasts,
                  "climatology": climatology(series)[series.day_of_year[days]],
                  "persistence": series.values[days - 1],
                  "best": best_forecast(series, days - 1, 1)[:, 0]}
    return {name: (rmse(f[:, None], truth[:, None]).item(),
                   rmse(f[wet, None], truth[wet, None]).item())
            for name, f in candidates.items()}
