"""Chapter 1's claims, checked on the code behind them: the BPTT formulas, the clipping
explorer (clipping acts only where the gradient explodes), held-out text for the character
model, and time axes that count t = 1 … T."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gatelab
from gatelab import cells, i18n, models, plots, report, tasks, train

# every 0.1 of the slider's range, and two values in between
RADII = [round(r, 2) for r in np.arange(0.5, 1.51, 0.1)] + [0.95, 1.05]


@pytest.fixture(scope="module")
def experiments() -> dict[float, models.RadiusResult]:
    return {r: models.radius_experiment(r) for r in RADII}


def test_clipping_changes_nothing_up_to_radius_one(experiments):
    threshold = experiments[1.0].weight_grad_norm
    for radius, result in experiments.items():
        assert result.max_norm == pytest.approx(threshold)  # the norm at ρ = 1, for every ρ
        if radius <= 1:
            assert result.clip_factor == 1 and not result.clipped, radius


def test_above_radius_one_the_clipped_norm_is_the_threshold(experiments):
    for radius, result in experiments.items():
        if radius > 1:
            assert result.clipped, radius
            assert result.weight_grad_norm * result.clip_factor == pytest.approx(result.max_norm)
    large = experiments[1.5]
    assert large.weight_grad_norm > 10 * large.max_norm  # ρ = 1.5 explodes well past it


def test_a_fixed_threshold_can_be_given():
    result = models.radius_experiment(0.5, max_norm=1.0)
    assert result.max_norm == 1.0 and result.clipped  # practice question 5: it clips at ρ = 0.5
    assert result.weight_grad_norm * result.clip_factor == pytest.approx(1.0)


def test_the_figure_says_the_norm_and_whether_it_clipped(experiments):
    """plots.vanishing, the static figure of the explorer's setting (the in-page explorer
    says the same: tests/test_explorer_chapter1.py)."""
    small, large = experiments[0.5], experiments[1.5]

    def figure(radius, clip):
        return plots.vanishing(experiments[radius], clip)

    _, ax = figure(0.5, True).axes
    assert "not clipped" in ax.get_title() and f"{small.weight_grad_norm:.3g}" in ax.get_title()
    raw, clipped = (line.get_ydata() for line in ax.get_lines())
    np.testing.assert_allclose(clipped, raw)  # the vanishing curve is left alone
    low, high = ax.get_ylim()
    assert low <= raw.min() and raw.max() <= high  # nothing cut off, even at ρ = 0.5

    _, ax = figure(1.5, True).axes
    assert "clipped to" in ax.get_title() and f"{large.weight_grad_norm:,.0f}" in ax.get_title()
    raw, clipped = (line.get_ydata() for line in ax.get_lines())
    np.testing.assert_allclose(clipped, raw * large.clip_factor, rtol=1e-6)
    assert ax.get_ylim()[1] >= raw.max()

    _, ax = figure(1.5, False).axes
    assert len(ax.get_lines()) == 1 and "clipped" not in ax.get_title()

    gatelab.use("hi")  # the titles are in the catalog, so they translate
    title = figure(0.5, True).axes[1].get_title()
    expected = i18n.gettext("‖∂L/∂W_hh‖ = {raw} ≤ threshold {threshold}: not clipped", lang="hi")
    assert title == expected.format(raw=f"{small.weight_grad_norm:.3g}",
                                    threshold=f"{small.max_norm:.3g}")


def test_bptt_formulas_of_the_chapter_match_autograd():
    """∂L/∂h_t = Σ_{s≥t} ∂L_s/∂h_s ∂h_s/∂h_{s−1} ⋯ ∂h_{t+1}/∂h_t with ∂h_k/∂h_{k−1} =
    diag(1 − h_k²) W_hh, and ∂L/∂W_hh = Σ_t diag(1 − h_t²) (∂L/∂h_t)ᵀ h_{t−1}ᵀ."""
    torch.manual_seed(0)
    rnn = torch.nn.RNN(3, 5).double()
    x = torch.randn(7, 1, 3, dtype=torch.double)
    readout = torch.randn(7, 5, dtype=torch.double)  # L_t = readout[t] · h_t, a loss at each step
    out, _h = rnn(x)
    (out[:, 0] * readout).sum().backward()

    h = out[:, 0].detach()  # (T, H)
    w_hh = rnn.weight_hh_l0.detach()
    T, H = h.shape

    def jacobian(k):  # ∂h_k/∂h_{k−1}
        return torch.diag(1 - h[k] ** 2) @ w_hh

    grads = []
    for t in range(T):  # the sum form, each product ordered with k = s leftmost
        total = torch.zeros(H, dtype=torch.double)
        for s in range(t, T):
            row = readout[s]  # ∂L_s/∂h_s
            for k in range(s, t, -1):
                row = row @ jacobian(k)
            total += row
        grads.append(total)
    previous = torch.cat([torch.zeros(1, H, dtype=torch.double), h[:-1]])  # h_0 = 0
    weight_grad = sum(torch.outer((1 - h[t] ** 2) * grads[t], previous[t]) for t in range(T))
    torch.testing.assert_close(weight_grad, rnn.weight_hh_l0.grad)


def test_held_out_text_is_another_paragraph_in_the_storys_characters():
    story, held_out = tasks.sample_text(repeat=1), tasks.held_out_text()
    assert held_out not in tasks.sample_text() and len(held_out) > 200
    assert set(held_out) <= set(story)  # in English nothing is new to the model
    vocab = sorted(set(story + held_out))
    ids, same = tasks.encode_text(held_out, vocab)
    assert same == vocab and "".join(vocab[i] for i in ids) == held_out
    with pytest.raises(ValueError, match="vocabulary"):
        tasks.encode_text("Zebra", vocab)


def test_text_loss_is_the_mean_next_character_loss_and_trains_nothing():
    torch.manual_seed(0)
    stream, vocab = tasks.encode_text("abracadabra " * 3)
    model = models.CharRNN(len(vocab), hidden_size=8)
    before = [p.detach().clone() for p in model.parameters()]
    loss = train.text_loss(model, stream)
    with torch.no_grad():
        scores, _ = model(stream[:-1, None])
    assert loss == pytest.approx(F.cross_entropy(scores[:, 0], stream[1:]).item())
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert model.training


def test_losses_are_reported_with_perplexities(capsys):
    table = report.text_losses(training=0.2, held_out=3.0, vocab_size=28)
    assert table.rows[1][2] == pytest.approx(math.exp(3.0))
    assert "28" in table.notes[0] and f"{math.log(28):.2f}" in table.notes[0]
    report.epoch(2, [1.0, 2.0], held_out=2.5)
    assert capsys.readouterr().out.strip() == "epoch 2: training loss 1.50, held-out loss 2.50"


def test_relu_rnn_for_the_practice_question():
    rnn = models.random_rnn(1, 16, radius=0.5, nonlinearity="relu")
    assert rnn.nonlinearity == "relu"
    assert models.spectral_radius(rnn.weight_hh_l0) == pytest.approx(0.5, abs=1e-5)
    norms = cells.gradient_norms(rnn, 0.1 * torch.randn(40, 2, 1))
    assert norms[0] < 1e-6 * norms[-1]  # ReLU does not cure the vanishing gradient


def test_every_time_axis_counts_from_one():
    task = tasks.TemporalOrder("easy", test_size=8)
    x, _y = task.test_set()[0]
    lstm = torch.nn.LSTM(task.num_symbols, 4, batch_first=True)
    symbols = [task.decode(s) for s in x]
    with torch.no_grad():
        trace = cells.run(lstm, x)  # (B, T, H)
        single = cells.run(lstm, x[0])  # (T, H)
    fig = plots.memory_unit_traces(trace.c, symbols, unit=0)
    assert fig.axes[0].get_lines()[0].get_xdata()[0] == 1
    fig = plots.state_heatmap(single, symbols[0], unit=0)
    ticks = fig.axes[1].get_xticks()
    assert ticks[0] == 1 and ticks[-1] == len(symbols[0])
    left, right, _bottom, _top = fig.axes[1].get_images()[0].get_extent()
    assert (left, right) == (0.5, len(symbols[0]) + 0.5)
