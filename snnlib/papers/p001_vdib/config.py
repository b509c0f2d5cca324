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

Section 6.2 (naturalising MNIST) follows ``image_reconstruction.py``'s defaults (``RECONSTRUCTION``):
600 hidden LIF neurons, 256 readouts with the same filters, :math:`T = \tau_d = 30` steps per
image after 11 zero steps, learning rate 0.001 for both parts, :math:`\beta = 0.001`, prior rate
0.3, a test on 1 000 random test images every 500 examples.  The authors train 200 000 examples
one at a time, 5 trials; the **full** profile trains ``mnist_examples`` examples
(``mnist_mlp_examples`` for the MLP decoder, whose per-image Adam step is the costliest),
``mnist_batch`` at a time (1, as the authors: ``mnist_check_*`` set the comparison with 16 side by
side, :mod:`.reconstruction`, which changed how far the weights move and saved a quarter of the time), ``mnist_trials``
trial(s), and tests every ``mnist_test_period``.

Section 6.3 (naturalising MNIST-DVS) follows ``mnistdvs_reconstruction.py`` (``EVENTS``): 800
hidden neurons, 256 readouts, the same rates and prior, the target of each example the first MNIST
training image of its class, the convolutional decoder (the authors' default MLP would have
:math:`256T \times 128T` weights, 1.3 billion at their :math:`T = 200`).  We bin 2-s samples
into 80 steps of 25 ms (the authors' later ``eprop-fixed`` branch; the paper version used 200 steps
of 10 ms) and, offline, record synthesised streams (``dvs_source``; :mod:`.dvs`).  The authors
train 10 000 epochs of 500 examples, 5 trials; the **full** profile trains ``dvs_examples``.
"""

from __future__ import annotations

from typing import Any

from snnlib.book.runner import select_profile
from snnlib.papers.p001_vdib.predictive import Stream

__all__ = ["PREDICTIVE", "RECONSTRUCTION", "EVENTS", "PROFILES", "profile_settings", "predictive_settings", "predictive_streams",
           "reconstruction_settings", "event_settings"]

PREDICTIVE: dict[str, Any] = {"n_inputs": 20, "n_readout": 10, "tau_d": 5, "ff_length": 10, "fb_length": 10,
                              "n_ff_basis": 8, "n_fb_basis": 1, "mu": 0.5, "lr": 0.01, "r": 0.2, "T": 100,
                              "warmup": 11, "raster_steps": 100}
"""The authors' settings of section 6.1 that no profile changes (module docstring)."""

RECONSTRUCTION: dict[str, Any] = {"n_hidden": 600, "n_readout": 256, "T": 30, "ff_length": 10, "fb_length": 10,
                                  "n_ff_basis": 8, "n_fb_basis": 1, "mu": 0.5, "lr": 1e-3, "beta": 1e-3, "r": 0.3,
                                  "warmup": 11, "n_shown": 16}
"""The authors' settings of section 6.2 that no profile changes (module docstring)."""

EVENTS: dict[str, Any] = {**RECONSTRUCTION, "n_hidden": 800, "T": 80, "n_shown": 10, "dvs_dt_us": 25_000,
                          "dvs_train_per_class": 900, "dvs_test_per_class": 100, "dvs_amplitude": 1.5,
                          "dvs_cycles": 4.0, "dvs_threshold": 0.2}
"""Section 6.3's settings that no profile changes (module docstring); the simulated sensor's
``dvs_amplitude`` (pixels), ``dvs_cycles`` (per sample) and ``dvs_threshold`` (log-intensity) are
ours."""

PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"pc_horizons": (0, 2), "pc_betas": (1.0,), "pc_trials": 2, "pc_sequences": 300,
              "pc_test_period": 100, "pc_T_test": 300, "pc_checkpoint_every": 100, "pc_baseline_horizons": (0,)},
    "full": {"pc_horizons": (0, 1, 2, 3, 5), "pc_betas": (0.01, 0.1, 1.0, 10.0), "pc_trials": 5,
             "pc_sequences": 20000, "pc_test_period": 1000, "pc_T_test": 1000, "pc_checkpoint_every": 250,
             "pc_baseline_horizons": (0, 1, 2)},
}
PROFILES["quick"].update(mnist_encodings=("rate", "time"), mnist_decoders=("conv",), mnist_examples=480,
                         mnist_mlp_examples=480, mnist_batch=1,
                         mnist_test_period=240, mnist_n_test=200, mnist_trials=1, mnist_checkpoint_examples=160,
                         mnist_check_examples=96, mnist_check_batches=(1, 16), mnist_check_trials=2)
PROFILES["full"].update(mnist_encodings=("rate", "time"), mnist_decoders=("linear", "mlp", "conv"), mnist_examples=20000,
                        mnist_mlp_examples=5000,
                        mnist_batch=1, mnist_test_period=1000, mnist_n_test=1000, mnist_trials=1,
                        mnist_checkpoint_examples=400, mnist_check_examples=2000, mnist_check_batches=(1, 16),
                        mnist_check_trials=3)
PROFILES["quick"].update(dvs_source="synthetic", dvs_examples=160, dvs_test_period=80, dvs_n_test=100, dvs_codes=50,
                         dvs_checkpoint_examples=80)
PROFILES["full"].update(dvs_source="synthetic", dvs_examples=10000, dvs_test_period=1000, dvs_n_test=500, dvs_codes=500,
                        dvs_checkpoint_examples=250)
r"""Section 6.1: prediction ``pc_horizons`` :math:`\delta` (at :math:`\beta = 1`) and ``pc_betas``
(at :math:`\delta = 0`), ``pc_trials`` independent trials of each, ``pc_sequences`` training
sequences with a ``pc_T_test``-step test sequence every ``pc_test_period``; the ablation with
SNNSGD's baseline trains ``pc_baseline_horizons`` at :math:`\beta = 1`.  Section 6.2: every
``mnist_encodings`` with every ``mnist_decoders``, VDIB and rate decoding (module docstring)."""


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


def reconstruction_settings(settings: dict[str, Any], check: int | None = None, decoder: str | None = None
                            ) -> dict[str, Any]:
    """The settings :func:`~.reconstruction.train_reconstruction` reads, for a profile's
    ``settings`` and the ``decoder`` type (the MLP trains ``mnist_mlp_examples``: its Adam step over
    33 million weights per image makes it ~8x slower than the CNN); with ``check``, those of the
    batch comparison at batch size ``check``."""
    batch = settings["mnist_batch"] if check is None else check
    examples = settings["mnist_mlp_examples"] if decoder == "mlp" else settings["mnist_examples"]
    out = {**RECONSTRUCTION, "n_examples": examples, "batch": batch,
           "test_period": settings["mnist_test_period"], "n_test": settings["mnist_n_test"],
           "checkpoint_every": max(1, settings["mnist_checkpoint_examples"] // batch)}
    if check is not None:
        out.update(n_examples=settings["mnist_check_examples"], test_period=settings["mnist_check_examples"])
    return out


def event_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings of section 6.3's training (:func:`~.reconstruction.train_reconstruction` and
    :func:`~.dvs.dvs_data`), for a profile's ``settings``: one example at a time."""
    return {**EVENTS, "dvs_source": settings["dvs_source"], "n_examples": settings["dvs_examples"], "batch": 1,
            "test_period": settings["dvs_test_period"], "n_test": settings["dvs_n_test"], "n_codes": settings["dvs_codes"],
            "checkpoint_every": settings["dvs_checkpoint_examples"]}
