r"""Profiles and experiment settings of chapter 001 (VDIB).

Section 6.1 (efficient predictive coding) follows the authors' script's defaults
(``predictive_coding_softmax.py``; the paper's own text of the section is elided in our copy):
20 inputs, 10 readout neurons with 8 feed-forward and 1 feedback raised-cosine filters over 10
steps, a decoding window of :math:`\tau_d = 5` steps, a linear softmax decoder over the 210
pairs, learning rate 0.01 for both parts, prior rate :math:`r = 0.2`, 100-step training
sequences each preceded by 11 zero steps, a 1 000-step test sequence every 2 000 training
sequences, 5 trials (``raster_steps`` of the last test are kept for a figure).  The authors train 50 000 sequences; the **full** profile trains
``pc_sequences`` of them and tests every ``pc_test_period`` (stated beside every number).  The **quick** profile trains a few hundred
sequences: it checks that the code runs, not the paper.
"""

from __future__ import annotations

from typing import Any

from snnlib.book.runner import select_profile
from snnlib.papers.p001_vdib.predictive import Stream

__all__ = ["PREDICTIVE", "PROFILES", "profile_settings", "predictive_settings", "predictive_streams"]

PREDICTIVE: dict[str, Any] = {"n_inputs": 20, "n_readout": 10, "tau_d": 5, "ff_length": 10, "fb_length": 10,
                              "n_ff_basis": 8, "n_fb_basis": 1, "mu": 0.5, "lr": 0.01, "r": 0.2, "T": 100,
                              "warmup": 11, "raster_steps": 100}
"""The authors' settings of section 6.1 that no profile changes (module docstring)."""

PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"pc_horizons": (0, 2), "pc_betas": (1.0,), "pc_trials": 2, "pc_sequences": 300,
              "pc_test_period": 100, "pc_T_test": 300, "pc_checkpoint_every": 100, "pc_baseline_horizons": (0,)},
    "full": {"pc_horizons": (0, 1, 2, 3, 5), "pc_betas": (0.01, 0.1, 1.0, 10.0), "pc_trials": 5,
             "pc_sequences": 20000, "pc_test_period": 1000, "pc_T_test": 1000, "pc_checkpoint_every": 250,
             "pc_baseline_horizons": (0, 1, 2)},
}
r"""Section 6.1: prediction ``pc_horizons`` :math:`\delta` (at :math:`\beta = 1`) and ``pc_betas``
(at :math:`\delta = 0`), ``pc_trials`` independent trials of each, ``pc_sequences`` training
sequences with a ``pc_T_test``-step test sequence every ``pc_test_period``; the ablation with
SNNSGD's baseline trains ``pc_baseline_horizons`` at :math:`\beta = 1`."""


def profile_settings(profile: str) -> dict[str, Any]:
    """A copy of the settings of ``profile`` (``"quick"`` or ``"full"``)."""
    return select_profile(PROFILES, profile)


def predictive_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings :func:`~.predictive.train_predictive_coding` reads, for a profile's ``settings``."""
    return {**PREDICTIVE, "n_sequences": settings["pc_sequences"], "test_period": settings["pc_test_period"],
            "T_test": settings["pc_T_test"], "checkpoint_every": settings["pc_checkpoint_every"]}


def predictive_streams(settings: dict[str, Any], baseline: bool = False) -> list[Stream]:
    """Every stream of section 6.1: each horizon at beta 1, then each other beta at horizon 0, every
    setting ``pc_trials`` times; for the baseline ablation, each of ``pc_baseline_horizons`` at
    beta 1."""
    if baseline:
        return [Stream(h, 1.0, k) for h in settings["pc_baseline_horizons"] for k in range(settings["pc_trials"])]
    pairs = [(h, 1.0) for h in settings["pc_horizons"]] + [(0, b) for b in settings["pc_betas"] if b != 1.0]
    return [Stream(h, b, k) for h, b in pairs for k in range(settings["pc_trials"])]
