"""Profiles and experiment settings of chapter 000.

The paper trains 150 epochs of 60 000 MNIST images; one epoch of the spiking GAN costs about
10 to 15 minutes of one CPU core here (30 steps of four transposed convolutions, forward and
backward, for 469 batches of 128; chapter 000 shows each run's cost from its provenance).  The
**full** profile therefore trains fewer epochs, stated beside every number: the paper's settings,
and budget-matched runs at DCGAN's larger learning rate so that the spiking-vs-analog claim is
tested where both have learned.  The
**quick** profile trains from scratch on 1 024 images for a couple of epochs: it
checks that the code works, not the paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from snnlib.book.runner import select_profile
from snnlib.papers.p000_spiking_dcgan.gan import OptimiserConfig
from snnlib.papers.p000_spiking_dcgan.models import GeneratorConfig

__all__ = ["PROFILES", "profile_settings", "PAPER_OPTIMISER", "DCGAN_OPTIMISER", "GANRun", "RUNS", "PILOTS", "LONG_RUNS",
           "LOG_COLUMNS"]

PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"n_train": 1024, "batch": 32, "epochs": 2, "n_eval": 500,
              "checkpoint_every": 8, "pilot_epochs": 1, "long_epochs": 1},
    "full": {"n_train": 60000, "batch": 128, "epochs": 12, "n_eval": 1000,
             "checkpoint_every": 25, "pilot_epochs": 2, "long_epochs": 24},
}
"""``n_train`` training images (the first ones of the 60 000-set), ``batch`` images per step,
``epochs`` passes, ``n_eval`` samples from fixed noise scored after every epoch (the paper's 1 000),
``checkpoint_every`` steps between checkpoints, ``pilot_epochs`` for each pilot of the paper's
ambiguities, ``long_epochs`` for the longer pair of :data:`LONG_RUNS` (the quick profile's is
smaller than its ``epochs`` only to keep the tests short)."""


def profile_settings(profile: str) -> dict[str, Any]:
    """A copy of the settings of ``profile`` (``"quick"`` or ``"full"``)."""
    return select_profile(PROFILES, profile)


PAPER_OPTIMISER = OptimiserConfig()
"""AdamW, lr 1e-5, betas (0.9, 0.999), weight decay 1e-3 (paper §2), for G and D."""
DCGAN_OPTIMISER = OptimiserConfig(lr=2e-4, betas=(0.5, 0.999), weight_decay=1e-3)
"""The budget-matched setting: the PyTorch DCGAN example's learning rate and betas (20 times the
paper's step), the paper's weight decay."""



@dataclass(frozen=True)
class GANRun:
    """One GAN training: generator kind (``"spiking"`` or ``"analog"``), generator settings,
    optimiser (the same for G and D) and batch size (``None``: the profile's)."""

    kind: str
    generator: GeneratorConfig = GeneratorConfig()
    optimiser: OptimiserConfig = PAPER_OPTIMISER
    batch: int | None = None


RUNS: dict[str, GANRun] = {
    "spiking": GANRun("spiking"),
    "analog": GANRun("analog"),
    "spiking_dcgan_lr": GANRun("spiking", optimiser=DCGAN_OPTIMISER),
    "analog_dcgan_lr": GANRun("analog", optimiser=DCGAN_OPTIMISER),
    "spiking_sigmoid_dcgan_lr": GANRun("spiking", GeneratorConfig(output="sigmoid"), DCGAN_OPTIMISER),
    "analog_nonorm_dcgan_lr": GANRun("analog_nonorm", optimiser=DCGAN_OPTIMISER),
}
"""The chapter's GAN trainings, by experiment name: the paper's settings for both generators, both
again at the budget-matched learning rate, and at that rate the spiking generator with the other
reading of its output (a sigmoid of the last layer's mean current, as the analog generator ends,
instead of neurons whose silence traps the run; the ``pilot_output_sigmoid`` pilot's setting); and,
as an ablation for that comparison, the analog generator without BatchNorm (the spiking one has no
normalisation)."""

PILOTS: dict[str, GANRun] = {
    "pilot_output_sigmoid": GANRun("spiking", GeneratorConfig(output="sigmoid"), DCGAN_OPTIMISER),
    "pilot_noise_fresh": GANRun("spiking", GeneratorConfig(noise="fresh"), DCGAN_OPTIMISER),
    "pilot_batch_64": GANRun("spiking", optimiser=DCGAN_OPTIMISER, batch=64),
}
"""The pilots of the paper's ambiguities, each one change to ``spiking_dcgan_lr`` (whose first
``pilot_epochs`` are the pilots' baseline): a sigmoid of the mean current instead of neurons after
the last layer, fresh noise at every step instead of one draw injected at every step, and batches of
64 instead of 128."""

LONG_RUNS: dict[str, GANRun] = {
    "spiking_sigmoid_dcgan_lr_long": RUNS["spiking_sigmoid_dcgan_lr"],
    "analog_dcgan_lr_long": RUNS["analog_dcgan_lr"],
}
"""The comparison at DCGAN's learning rate with the spiking generator's sigmoid output, again for
``long_epochs`` (both runs were still improving after ``epochs``): the paper's claim tested nearer
convergence."""

LOG_COLUMNS = ["epoch", "IS", "IS sd", "FD", "spread", "largest class share", "spikes per image",
               "D loss", "G loss"]
"""The columns of a GAN artifact's ``log`` (one row per epoch, row 0 before training)."""
