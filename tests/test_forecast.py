"""Forecasting made-up monsoon rainfall (gatelab.forecast): the series, what one-step forecasts
and rollouts read, errors by days ahead checked by hand, a trained network against
climatology, and the figures and tables in Bengali."""

import dataclasses
import logging

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch import nn

import gatelab
from gatelab import fonts, forecast, i18n, plots, report


class Echo(nn.Module):
    """A stand-in network: tomorrow = today + ``step``, read from the input; no state."""

    def __init__(self, step: float = 0.0):
        super().__init__()
        self.step = step

    def forward(self, x, state=None):
        return x[..., 0] + self.step, state  # (T, B)


@pytest.fixture(scope="module")
def series():
    return forecast.rainfall(years=3, seed=1)


def test_rainfall_is_dry_then_wet_never_negative_and_made_from_its_seed():
    series = forecast.rainfall(years=6, seed=3)
    assert series.values.shape == (6 * 365,) and series.held_out == 5 * 365
    assert series.values.min() >= 0
    by_day = series.values.reshape(6, 365).mean(0)  # (365,)
    june_to_september, january_to_april = by_day[151:273].mean(), by_day[:120].mean()
    assert june_to_september > 8 * january_to_april
    assert 181 <= int(torch.argmax(series.curve)) <= 242  # the peak falls in July or August
    first, last = series.wet_season()
    assert first < 210 < last
    assert torch.equal(forecast.rainfall(years=6, seed=3).values, series.values)
    assert not torch.equal(forecast.rainfall(years=6, seed=4).values, series.values)
    # beyond the season, yesterday tells something: the log-ratio to the curve is AR(1) with φ
    z = torch.log(series.values / series.curve[series.day_of_year]).numpy()
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1] - series.persistence) < 0.05
    with pytest.raises(ValueError, match="at least 2 years"):
        forecast.rainfall(years=1)


def test_climatology_is_the_smoothed_mean_of_each_day_of_the_training_years(series):
    training = series.values[:series.held_out].numpy().reshape(-1, 365).mean(0)
    by_hand = [np.mean([training[(d + k) % 365] for k in range(-2, 3)]) for d in range(365)]
    assert np.allclose(forecast.climatology(series, smooth=5).numpy(), by_hand, atol=1e-5)


def test_one_step_reads_the_true_past_and_rollout_reads_its_own_forecasts(series):
    start = series.held_out
    assert torch.allclose(forecast.one_step(Echo(1.0), series), series.values[start - 1:-1] + 1)
    origin = start + 100
    rolled = forecast.rollout(Echo(1.0), series, origin, 4)
    assert torch.allclose(rolled, series.values[origin] + torch.tensor([1.0, 2, 3, 4]))

    torch.manual_seed(0)
    model = forecast.Forecaster()
    other_future = dataclasses.replace(series, values=series.values.clone())
    other_future.values[origin + 1:] += 5.0
    same = forecast.rollout(model, other_future, origin, 30)
    assert torch.equal(same, forecast.rollout(model, series, origin, 30))
    teacher_forced = forecast.one_step(model, series, origin + 1, origin + 31)
    assert torch.allclose(teacher_forced[0], same[0])  # day 1: both read the truth up to origin
    changed = forecast.one_step(model, other_future, origin + 1, origin + 31)
    assert not torch.allclose(changed[1:], teacher_forced[1:])  # later days: truth read
    batch = forecast.rollout(model, series, torch.tensor([origin, origin + 7]), 30)
    assert batch.shape == (2, 30) and torch.allclose(batch[0], same, atol=1e-6)


def test_horizon_errors_by_hand(series):
    origins = torch.tensor([series.held_out + 10, series.held_out + 50, series.held_out + 200])
    errors = forecast.horizon_errors(Echo(0.0), series, days=3, origins=origins)
    v, normal = series.values, forecast.climatology(series)
    for h in (1, 2, 3):
        persistence = np.sqrt(np.mean([(v[o] - v[o + h]).item() ** 2 for o in origins]))
        climatology = np.sqrt(np.mean([(normal[(o + h) % 365] - v[o + h]).item() ** 2
                                       for o in origins]))
        assert errors.persistence[h - 1].item() == pytest.approx(persistence, rel=1e-5)
        assert errors.climatology[h - 1].item() == pytest.approx(climatology, rel=1e-5)
    assert torch.allclose(errors.network, errors.persistence)  # Echo(0) rolls out persistence
    assert errors.days.tolist() == [1, 2, 3] and errors.origins == 3

    every = forecast.horizon_errors(Echo(0.0), series, days=30)
    assert every.origins == 365 - 30 + 1 and every.network.shape == (30,)
    # the best forecast beats climatology most the day after, and tends to it far ahead
    assert every.best[0] < 0.8 * every.climatology[0]
    early = origins - 365  # origins in the training years, with 200 days after them
    far = forecast.best_forecast(series, early, 200)[:, -1]
    assert torch.allclose(far, series.curve[series.day_of_year[early + 200]], rtol=1e-3)


def test_mistakes_a_learner_can_make_say_what_to_do(series):
    with pytest.raises(ValueError, match="at most 365 days ahead"):
        forecast.horizon_errors(Echo(), series, days=400)
    with pytest.raises(ValueError, match="forecast fewer days or start earlier"):
        forecast.rollout(Echo(), series, len(series.values) - 5, 10)
    with pytest.raises(ValueError, match="shorter warm-up"):
        forecast.rollout(Echo(), series, 10, 5)
    with pytest.raises(ValueError, match="shorter window or more years"):
        forecast.fit(Echo(), series, window=800)
    with pytest.raises(ValueError, match="forecast.one_step"):
        forecast.one_step_errors(series, torch.zeros(30))
    with pytest.raises(ValueError, match="choose one of GRU, LSTM"):
        forecast.Forecaster(kind="RNN")


def test_a_trained_network_beats_climatology_the_day_after():
    """A real training run, small: 100 batches of the 29 training years."""
    torch.manual_seed(0)
    series = forecast.rainfall(seed=0)
    model = forecast.Forecaster()
    history = forecast.fit(model, series, steps=100, evaluate_every=50)
    assert history.steps == [50, 100] and history.loss[-1] < history.loss[0]
    errors = forecast.one_step_errors(series, forecast.one_step(model, series))
    network, climatology, best = errors["network"][0], errors["climatology"][0], errors["best"][0]
    assert network < 0.8 * climatology
    assert network < 1.25 * best


def test_fit_stops_at_its_time_budget(series):
    torch.manual_seed(0)
    history = forecast.fit(forecast.Forecaster(), series, steps=10_000, seconds=0.0, window=20)
    assert history.steps == [1] and len(history.loss) == 1 and history.seconds > 0


@pytest.mark.parametrize("lang", ["bn", "hi"])
def test_forecast_figures_and_tables_in_the_learners_language(series, lang, caplog):
    gatelab.use(lang)
    torch.manual_seed(0)
    model = forecast.Forecaster()
    origin = series.held_out + 150
    predictions = forecast.one_step(model, series)
    errors = forecast.horizon_errors(model, series, days=10)
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        with matplotlib.rc_context(fonts.style(lang)):
            year = plots.forecast(series, predictions, forecast.rollout(model, series, origin, 40),
                                  origin)
            FigureCanvasAgg(year).draw()
            fig = Figure()
            ax = fig.subplots()
            assert plots.horizon_errors(errors, ax=ax) is fig
            FigureCanvasAgg(fig).draw()
    assert not [r.getMessage() for r in caplog.records if "glyph" in r.getMessage().lower()]
    assert year.axes[0].get_xlabel() == i18n.gettext("day of the held-out year", lang=lang)
    assert ax.get_xlabel() == i18n.gettext("days ahead", lang=lang)
    table = report.horizon_errors(errors)
    assert [row[0] for row in table.rows] == [1, 2, 3, 5, 10]
    assert table.headers[0] == i18n.gettext("days ahead", lang=lang)
    one_day = report.one_step(forecast.one_step_errors(series, predictions))
    assert one_day.rows[1][0] == i18n.gettext("climatology", lang=lang)
