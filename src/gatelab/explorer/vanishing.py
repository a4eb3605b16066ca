"""Chapter 1's spectral-radius explorer, computed in the page: an anywidget over ``vanishing.js``.

The network is :func:`gatelab.models.radius_experiment`'s: a random tanh RNN (1 input, 32 hidden
units, no bias) whose W_hh = w · (ρ / ρ(w)) for a Gaussian w, run over a batch of small random
inputs. :class:`VanishingWidget` sends w, ρ(w), W_ih and the inputs once; the page then computes,
for any ρ the slider sets, the hidden states, the gradient norms ‖∂h_T/∂h_t‖ (as
:func:`gatelab.cells.gradient_norms`) and ‖∂L/∂W_hh‖ with the clipping factor, with no kernel.
``tests/test_explorer_vanishing.py`` checks the page's numbers against ``radius_experiment``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import anywidget
import torch
import traitlets

from .. import models
from ..i18n import N_, _
from .export import shortest
from .page import PageExplorer, module

HIDDEN_SIZE, BATCH_SIZE, INPUT_SCALE = 32, 4, 0.1  # radius_experiment's defaults
RADIUS_RANGE = (0.5, 1.5)  # the slider's range; the notebook's widget had the same

#: every word the page shows (English msgids shared with widgets.py and plots.py where they fit)
LABELS = {
    "radius": N_("spectral radius ρ"),
    "clip": N_("gradient clipping"),
    "reset": N_("reset: ρ = 1, no clipping"),
    "size": N_("text size"),
    "time": N_("time step t"),
    "hidden": N_("hidden state h[t] (8 units)"),
    "title": N_("spectral radius ρ = {radius:.2f}"),
    "norm": N_("gradient norm ‖∂h_T/∂h_t‖"),
    "raw": N_("without clipping"),
    "clipped": N_("with clipping"),
    "title_raw": N_("‖∂L/∂W_hh‖ = {raw}"),
    "title_clipped": N_("‖∂L/∂W_hh‖ = {raw} > threshold {threshold}: clipped to {threshold}"),
    "title_kept": N_("‖∂L/∂W_hh‖ = {raw} ≤ threshold {threshold}: not clipped"),
    "hidden_alt": N_("Hidden states of 8 units over {steps} steps at spectral radius "
                     "ρ = {radius:.2f}; at the last step they lie between {low} and {high}."),
    "norm_alt": N_("Gradient norm ‖∂h_T/∂h_t‖ on a log scale, from {first} at step 1 to {last} "
                   "at step {steps}."),
}


def network(steps: int = 60, seed: int = 0) -> dict[str, Any]:
    """What the page needs to rebuild ``radius_experiment(ρ, steps, seed=seed)`` for every ρ.

    ``w`` is the Gaussian matrix before scaling (its float32 values), ``spectral_radius`` its
    largest absolute eigenvalue (float64): W_hh = fl32(w · fl32(ρ / spectral_radius)), as
    :func:`gatelab.models.random_rnn` computes it in float32.
    """
    generator = torch.Generator().manual_seed(seed)  # random_rnn's draws, in its order
    w = torch.randn(HIDDEN_SIZE, HIDDEN_SIZE, generator=generator) / HIDDEN_SIZE**0.5  # (H, H)
    weight_ih = torch.randn(HIDDEN_SIZE, 1, generator=generator)  # (H, 1)
    generator = torch.Generator().manual_seed(seed + 1)  # radius_experiment's input
    x = INPUT_SCALE * torch.randn(steps, BATCH_SIZE, 1, generator=generator)  # (T, B, 1)
    return {"w": shortest(w), "spectral_radius": models.spectral_radius(w),
            "weight_ih": shortest(weight_ih), "x": shortest(x[..., 0])}  # x: (T, B)


class VanishingWidget(PageExplorer, anywidget.AnyWidget):
    """Set the spectral radius ρ of a random tanh RNN's W_hh and watch its hidden states and the
    gradient through time; the clipping toggle scales the gradient down to the norm it has at
    ρ = 1. Computed in the browser from the network's own weights."""

    _esm = module("vanishing")
    #: what gatelab.explorer.page_state puts in a page, and which explorer draws it
    explorer_kind: ClassVar[str] = "vanishing"
    page_traits: ClassVar[tuple[str, ...]] = ("network", "threshold", "radius", "clip", "labels")
    network = traitlets.Dict().tag(sync=True)  # see network()
    #: ‖∂L/∂W_hh‖ of the ρ = 1 network: the clipping threshold (the page recomputes it too)
    threshold = traitlets.Float().tag(sync=True)
    radius = traitlets.Float(1.0).tag(sync=True)  # set by the slider or from Python
    clip = traitlets.Bool(False).tag(sync=True)
    labels = traitlets.Dict().tag(sync=True)  # every word the page shows, translated

    def __init__(self, steps: int = 60, seed: int = 0, radius: float = 1.0, clip: bool = False,
                 **kwargs: Any):
        if steps < 2:
            raise ValueError(_("Give the explorer at least 2 steps; got {steps}.")
                             .format(steps=steps))
        threshold = models.radius_experiment(1.0, steps=steps, seed=seed).weight_grad_norm
        super().__init__(network=network(steps, seed), threshold=threshold, radius=radius,
                         clip=clip, labels={key: _(text) for key, text in LABELS.items()},
                         **kwargs)

    @traitlets.validate("radius")
    def _valid_radius(self, proposal) -> float:
        low, high = RADIUS_RANGE
        radius = float(proposal["value"])
        if not low <= radius <= high:
            raise traitlets.TraitError(_("Choose a spectral radius between {low} and {high}; "
                                         "got {radius}.").format(low=low, high=high,
                                                                 radius=radius))
        return radius
