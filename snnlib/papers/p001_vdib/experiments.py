"""The protocols chapter 001 runs, each one experiment of the run context (resumable, with
provenance); the launcher (:mod:`snnlib.book.launch`) enumerates them through :func:`run_all`."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from snnlib.book.artifacts import Artifact
from snnlib.book.runner import Experiment, RunContext
from snnlib.papers.p001_vdib.config import predictive_settings, predictive_streams, profile_settings
from snnlib.papers.p001_vdib.predictive import DECODINGS, train_predictive_coding

__all__ = ["predictive_coding", "run_all"]


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


def run_all(ctx: RunContext) -> None:
    """Every protocol the chapter runs, in its order, with its profile's settings."""
    settings = profile_settings(ctx.profile)
    for decoding in DECODINGS:
        predictive_coding(ctx, settings, decoding)
    for decoding in DECODINGS:
        predictive_coding(ctx, settings, decoding, baseline=True)
