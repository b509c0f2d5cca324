"""Profiles and experiment settings of chapter 004.

The paper's central claim is that tdBN lets STBP train deep spiking networks directly.  Its
evidence is CIFAR-10 and ImageNet at a scale no 2-core CPU reaches (one CIFAR-10 epoch of
ResNet-19 at T = 4 is measured in the chapter), so the **full** profile tests the claim on
Fashion-MNIST with a family of narrow spiking ResNets (depth 8, 14 and 20; 16, 32 and 64
channels) without normalisation, with per-step BN and with tdBN, three seeds each, on a subset of
the training images for a few epochs -- the budget, about 12 CPU-hours, sets these numbers, and
the chapter states them beside every result.  The **quick** profile trains two depths for one
pass over 1 024 images: it checks that the code works, not the paper.
"""

from __future__ import annotations

from typing import Any

from snnlib.book.runner import select_profile
from snnlib.papers.p004_tdbn.models import NORMS, RESNET19

__all__ = ["PROFILES", "profile_settings", "grid_name", "grid", "CIFAR10", "NORM_LABELS"]

PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"depths": (8, 14), "seeds": (0,), "n_train": 1024, "epochs": 1, "batch": 64,
              "lr": 1e-3, "n_eval": 250, "n_test": 500, "checkpoint_every": 8,
              "balance_depths": (8, 20), "balance_batch": 32},
    "full": {"depths": (8, 14, 20), "seeds": (0, 1, 2), "n_train": 20000, "epochs": 5, "batch": 64,
             "lr": 1e-3, "n_eval": 2000, "n_test": 10000, "checkpoint_every": 25,
             "balance_depths": (8, 14, 20, 32, 44), "balance_batch": 128},
}
"""``depths`` of the grid (:func:`~.models.fashion_resnet`), ``seeds`` per cell, ``n_train``
training images (a fixed random subset of the 60 000, the same for every run), ``epochs`` passes
in batches of ``batch`` with Adam at ``lr`` (cosine-annealed to 0 over the run), ``n_eval`` test
images scored after every epoch, ``n_test`` after the last (the full profile: all 10 000),
``checkpoint_every`` steps between
checkpoints; ``balance_depths`` and ``balance_batch`` of the norm-balance measurement at
initialisation."""

NORM_LABELS = {"none": "no normalisation", "bn": "BN (per step)", "tdbn": "tdBN"}


def profile_settings(profile: str) -> dict[str, Any]:
    """A copy of the settings of ``profile`` (``"quick"`` or ``"full"``)."""
    return select_profile(PROFILES, profile)


def grid_name(depth: int, norm: str, seed: int) -> str:
    """The experiment name of one grid cell and seed, e.g. ``depth20_tdbn_seed1``."""
    return f"depth{depth}_{norm}_seed{seed}"


def grid(settings: dict[str, Any]) -> list[tuple[int, str, int]]:
    """``(depth, norm, seed)`` of every run of the grid, seed-major (a partial grid has every
    cell at its first seeds), then depth, then norm."""
    return [(d, n, s) for s in settings["seeds"] for d in settings["depths"] for n in NORMS]


CIFAR10: dict[str, Any] = {"network": RESNET19, "epochs": 200, "batch": 64, "lr": 1e-3,
                           "augment": "random crop 32 (padding 4) and horizontal flip",
                           "timing_batches": 3}
"""The paper-scale recipe (run through the launcher on a GPU machine or a cluster): ResNet-19 at
T = 4 with tdBN, Adam (the unofficial reference code's optimiser; the paper's own optimiser and
schedule are not in our text), cosine-annealed, for ``epochs``; ``timing_batches`` batches
measure one epoch's CPU cost here."""
