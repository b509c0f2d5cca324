"""The protocols chapter 001 runs, each one experiment of the run context (resumable, with
provenance); the launcher (:mod:`snnlib.book.launch`) enumerates them through :func:`run_all`."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from snnlib.book.artifacts import Artifact
from snnlib.book.runner import Experiment, RunContext
from snnlib.papers.p001_vdib.config import (event_settings, predictive_settings, predictive_streams, profile_settings,
                                            reconstruction_settings)
from snnlib.papers.p001_vdib.dvs import dvs_data
from snnlib.papers.p001_vdib.predictive import DECODINGS, train_predictive_coding
from snnlib.papers.p001_vdib.reconstruction import ReconstructionData, train_reconstruction

__all__ = ["predictive_coding", "mnist_reconstruction", "mnist_batch_check", "dvs_reconstruction", "run_all"]


def predictive_coding(ctx: RunContext, settings: Mapping[str, Any], decoding: str, baseline: bool = False
                      ) -> Artifact | None:
    """Experiment ``pc_<decoding>``: section 6.1, every stream of
    :func:`~.config.predictive_streams` trained side by side by
    :func:`~.predictive.train_predictive_coding` with VDIB's window decoder (``"vdib"``) or the
    rate-decoding baseline (``"rate"``).  Arrays: the streams' ``horizon``, ``beta`` and
    ``trial``, and the training run's ``test_sequences``, ``test_acc``, ``test_rate``,
    ``train_acc``.  Metrics: ``tests`` and ``sequences``.  With ``baseline``: experiment
    ``pc_<decoding>_baseline``, the ablation with SNNSGD's baseline on the streams of
    ``pc_baseline_horizons`` (the authors' script trains without it)."""
    if decoding not in DECODINGS:
        raise ValueError(f"decoding must be one of {DECODINGS}, got {decoding!r}")
    streams = predictive_streams(dict(settings), baseline)
    pc = {**predictive_settings(dict(settings)), **({"baseline": True} if baseline else {})}
    keys = {"settings": pc, "streams": [list(s) for s in streams], "decoding": decoding}

    def body(exp: Experiment) -> Artifact:
        out = train_predictive_coding(exp, streams, pc, decoding, ctx.seed)
        arrays = {"horizon": np.array([s.horizon for s in streams]), "beta": np.array([s.beta for s in streams]),
                  "trial": np.array([s.trial for s in streams]), **out}
        return exp.finish({"tests": len(out["test_sequences"]), "sequences": pc["n_sequences"]}, arrays)

    return ctx.experiment(f"pc_{decoding}" + ("_baseline" if baseline else ""), keys, body,
                          code=(train_predictive_coding.__module__,))


def _reconstruction(ctx: RunContext, name: str, rec: Mapping[str, Any], encoding: str, decoder: str, decoding: str,
                    trial: int) -> Artifact | None:
    keys = {"settings": rec, "encoding": encoding, "decoder": decoder, "decoding": decoding, "trial": trial}

    def body(exp: Experiment) -> Artifact:
        data = dvs_data(rec) if encoding == "events" else ReconstructionData.mnist(encoding)
        out = train_reconstruction(exp, data, rec, decoder, decoding, ctx.seed, trial)
        best = int(np.argmax(out["test_acc"]))
        return exp.finish({"examples": rec["n_examples"], "tests": len(out["test_acc"]),
                           "best_acc": float(out["test_acc"][best]), "best_at": int(out["test_examples"][best]),
                           "final_acc": float(out["test_acc"][-1]), "final_bce": float(out["test_bce"][-1])}, out)

    code = (train_reconstruction.__module__,) + ((dvs_data.__module__,) if encoding == "events" else ())
    return ctx.experiment(name, keys, body, code=code)


def mnist_reconstruction(ctx: RunContext, settings: Mapping[str, Any], encoding: str, decoder: str, decoding: str,
                         trial: int = 0) -> Artifact | None:
    """Experiment ``mnist_<encoding>_<decoder>_<decoding>`` (``_t<trial>`` after the first trial):
    section 6.2, :func:`~.reconstruction.train_reconstruction` on MNIST with ``encoding`` of the
    pixels, the ``decoder`` type and VDIB's full window (``"vdib"``) or rate decoding.  Arrays:
    the training run's; metrics: the best (chosen on the test images, the authors' protocol) and
    final test accuracy of the book's classifier on the reconstructions."""
    name = f"mnist_{encoding}_{decoder}_{decoding}" + (f"_t{trial}" if trial else "")
    return _reconstruction(ctx, name, reconstruction_settings(dict(settings), decoder=decoder), encoding, decoder, decoding, trial)


def mnist_batch_check(ctx: RunContext, settings: Mapping[str, Any], batch: int, trial: int, reset: bool = False
                      ) -> Artifact | None:
    """Experiment ``mnist_check_b<batch>_t<trial>``: a short section 6.2 run (rate encoding,
    convolutional decoder, VDIB) at batch size ``batch``, for the comparison of the authors'
    one-example-at-a-time training with the batched one (same data and noise per example); with
    ``reset`` (``..._reset``), every image starts from a neuron state at rest."""
    rec = {**reconstruction_settings(dict(settings), check=batch), **({"reset_state": True} if reset else {})}
    name = f"mnist_check_b{batch}_t{trial}" + ("_reset" if reset else "")
    return _reconstruction(ctx, name, rec, "rate", "conv", "vdib", trial)


def dvs_reconstruction(ctx: RunContext, settings: Mapping[str, Any], decoding: str, trial: int = 0
                       ) -> Artifact | None:
    """Experiment ``dvs_<decoding>`` (``_t<trial>`` after the first trial): section 6.3,
    :func:`~.reconstruction.train_reconstruction` on event streams (:func:`~.dvs.dvs_data`) with
    the convolutional decoder, VDIB's full window or rate decoding; the target of each example is
    its class's template image."""
    name = f"dvs_{decoding}" + (f"_t{trial}" if trial else "")
    return _reconstruction(ctx, name, event_settings(dict(settings)), "events", "conv", decoding, trial)


def run_all(ctx: RunContext) -> None:
    """Every protocol the chapter runs, in its order, with its profile's settings."""
    settings = profile_settings(ctx.profile)
    for decoding in DECODINGS:
        predictive_coding(ctx, settings, decoding)
    for decoding in DECODINGS:
        predictive_coding(ctx, settings, decoding, baseline=True)
    for reset in (False, True):
        for trial in range(settings["mnist_check_trials"]):
            for batch in settings["mnist_check_batches"]:
                mnist_batch_check(ctx, settings, batch, trial, reset)
    for trial in range(settings["mnist_trials"]):
        for encoding in settings["mnist_encodings"]:
            for decoder in settings["mnist_decoders"]:
                for decoding in DECODINGS:
                    mnist_reconstruction(ctx, settings, encoding, decoder, decoding, trial)
    for decoding in DECODINGS:
        dvs_reconstruction(ctx, settings, decoding)
