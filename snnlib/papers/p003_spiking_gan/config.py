"""Profiles and experiment settings of chapter 003.

The **full** profile trains the classifiers on 50 000 MNIST training images (the other 10 000
are the validation set) to convergence: up to the S4NN script's 100 epochs, stopping once the
strict validation accuracy has not reached a new best for ``patience`` = 10 epochs
(:func:`.experiments.train_classifier`); it scores the S4NN authors' published weights
(``published``); the GANs train for the paper's 50 epochs on all of a digit's 60 000-set images.  The **quick** profile only checks that the code works (no early
stopping; it runs offline, so it does not score the published weights).  Every setting that
enters an experiment's identity is built here, so the committed full-profile artifacts stay
valid as long as these values do.
"""

from __future__ import annotations

from typing import Any

from snnlib.book.runner import select_profile
from snnlib.papers.p003_spiking_gan.s4nn import S4NNClassifierConfig
from snnlib.papers.p003_spiking_gan.spiking_gan import GANVariant, SpikingGANConfig

__all__ = ["PROFILES", "profile_settings", "CLASSIFIERS", "LABEL", "GAN_BASE", "G_LR_CANDIDATES",
           "PILOT_COLUMNS", "ANN_GAN_BATCH", "ANN_GAN_LR", "ANN_GAN_BETAS", "GAN_FIX_CANDIDATES", "FIX_MIN_SPREAD_SHARE",
           "FIX_PILOT_COLUMNS"]

PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"n_train": 2000, "n_val": 1000, "n_test": 1000, "epochs": 2, "patience": None,
              "gan_epochs": 1, "gan_images": 150, "gan_checkpoint_every": 1000,
              "ann_epochs": 3, "n_samples": 200, "gan_watch": 200, "gan_pilot_steps": 300, "gan_pilot_every": 100,
              "pilot_images": 1000, "pilot_val": 500, "pilot_d_steps": 100, "published": False,
              "fix_epochs": 1, "readings_epochs": 1},
    "full": {"n_train": 50000, "n_val": 10000, "n_test": 10000, "epochs": 100, "patience": 10,
             "gan_epochs": 50, "gan_images": None, "gan_checkpoint_every": 2000,
             "ann_epochs": 50, "n_samples": 1000, "gan_watch": 200, "gan_pilot_steps": 9000, "gan_pilot_every": 250,
             "pilot_images": 10000, "pilot_val": 2000, "pilot_d_steps": 300, "published": True,
             "fix_epochs": 5, "readings_epochs": 5},
}


def profile_settings(profile: str) -> dict[str, Any]:
    """A copy of the settings of ``profile`` (``"quick"`` or ``"full"``)."""
    return select_profile(PROFILES, profile)


CLASSIFIERS: dict[str, S4NNClassifierConfig] = {
    "clf400_aggressive": S4NNClassifierConfig(hidden=400, loss="aggressive"),
    "clf400_s4nn": S4NNClassifierConfig(hidden=400, loss="s4nn"),
    "clf1000_aggressive": S4NNClassifierConfig(hidden=1000, loss="aggressive"),
}
"""The three classifiers of the paper's section 3.1, by experiment name."""

LABEL: dict[str, str] = {
    "clf400_aggressive": "784-400-10, Aggressive TTFS",
    "clf400_s4nn": "784-400-10, S4NN loss",
    "clf1000_aggressive": "784-1000-10, Aggressive TTFS",
}
"""How the book names each classifier."""

GAN_BASE = SpikingGANConfig()
"""The paper's sizes, S4NN's constants, L2 normalisation, silent pairs counted."""

G_LR_CANDIDATES: list[tuple[float, float]] = [(0.2, 0.2), (0.2, 2.0), (0.02, 2.0)]
"""G's per-layer learning rates (hidden, output) tried in the ``gan_lr_pilot``; S4NN's first."""

PILOT_COLUMNS = ["step", "pixels that spike", "mean grey level", "spread between samples",
                 "mean sample vs mean digit", "pixel error vs mean digit", "G hidden weights moved",
                 "G output weights moved", "Fréchet distance to training images"]
"""The columns of each ``lr<k>`` array of the ``gan_lr_pilot`` artifact."""

ANN_GAN_BATCH = 64
ANN_GAN_LR = 2e-4
ANN_GAN_BETAS = (0.5, 0.999)
"""The ANN GAN's batch size and Adam settings (DCGAN's; the paper gives none)."""

GAN_FIX_CANDIDATES: dict[str, tuple[str, GANVariant]] = {
    "base": ("l2", GANVariant()),
    "signed": ("l2", GANVariant(g_init="signed")),
    "decay": ("l2", GANVariant(g_decay_epochs=1.0)),
    "dbound": ("l2", GANVariant(d_bound=0.75)),
    "l1": ("l1", GANVariant()),
    "signed_decay_dbound": ("l2", GANVariant(g_init="signed", g_decay_epochs=1.0, d_bound=0.75)),
    "signed_decay_dbound_l1": ("l1", GANVariant(g_init="signed", g_decay_epochs=1.0, d_bound=0.75)),
}
"""The candidates of the pilot against G's collapse (experiments ``gan_fix_<name>``), each the
GAN of the learning-rate pilot's choice with one change or several: the error norm (``"l1"``: the
paper's L1 with the rates rescaled by :func:`~snnlib.papers.p003_spiking_gan.spiking_gan.l1_equivalent_rates`)
and a :class:`~snnlib.papers.p003_spiking_gan.spiking_gan.GANVariant` (signed zero-mean G, G's step
decaying to half after one epoch, D updated only while its running accuracy is below 0.75).
The settings are stated choices, not searched."""

FIX_MIN_SPREAD_SHARE = 0.5
"""The share of the digit's training images' spread a pilot candidate's samples need to be chosen
for the ten digits (issue 16's bar asks the fixed GANs for half the test images' spread)."""

FIX_PILOT_COLUMNS = ["epoch", "D right on real", "D right on fresh samples", "G fools D (fresh samples)",
                     "steps with a D update", "pixels that spike", "spread between samples",
                     "Fréchet distance to training images"]
"""The columns of each ``gan_fix_<name>`` artifact's ``log`` (one row per epoch; the first four
measured before the step's updates, averaged over the epoch's steps)."""
