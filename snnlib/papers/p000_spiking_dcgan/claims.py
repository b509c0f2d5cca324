"""Every claim of chapter 000: the paper's numbers next to ours, from the artifacts.

Paper 000 states no number for its results (its inception scores, losses and samples are
figures only), so every paper value is ``None``; the claims record what we measured, so that the
book's tables and the claims file say it in one place.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from snnlib.book.artifacts import Artifact
from snnlib.book.claims import Claim
from snnlib.book.runner import RunContext
from snnlib.papers.p000_spiking_dcgan import experiments
from snnlib.papers.p000_spiking_dcgan.analysis import epochs_trained
from snnlib.papers.p000_spiking_dcgan.config import profile_settings

__all__ = ["build_claims", "claims_from"]

FIGURES = {"spiking": "Fig. 5", "analog": "Fig. 7"}


def _run_claims(runs: Mapping[str, Artifact], name: str, profile: str) -> list[Claim]:
    art = runs.get(name)
    kind = name.split("_")[0]
    source = f"paper {FIGURES[kind]} (figure only)"
    missing = "" if art else " — not run yet in this profile"
    m = art.metrics if art else {}
    epochs = None if art is None else epochs_trained(art)
    what = (f"{kind} GAN" + (" with the sigmoid output" if "sigmoid" in name else "")
            + (", DCGAN's learning rate" if "dcgan" in name else "")
            + (", the longer run" if name.endswith("_long") else ""))
    out = [Claim(f"is.{name}.best", f"{what}: best inception score over the epochs (book's MNIST classifier, "
                 f"samples of fixed noise){missing}", None, m.get("best_is"), source, profile),
           Claim(f"is.{name}.best_epoch", f"{what}: epoch of the best inception score{missing}", None,
                 m.get("best_is_epoch"), source, profile),
           Claim(f"fid.{name}.final", f"{what}: Fréchet distance to the test images at the last epoch{missing}",
                 None, m.get("fd"), "not in the paper", profile),
           Claim(f"epochs.{name}", f"{what}: epochs trained (paper: 150){missing}", 150.0, epochs,
                 "paper §3, Figs. 2-4", profile)]
    if kind == "spiking":
        out.append(Claim(f"spikes_per_image.{name}", f"{what}: spikes of the generator's neurons per image "
                         f"(30 steps, all layers) at the last epoch{missing}", None, m.get("spikes_per_image"),
                         "not in the paper", profile))
    return out


def claims_from(profile: str, runs: Mapping[str, Artifact], ceiling_is: float,
                bench: Artifact | None = None) -> list[Claim]:
    """The chapter's claims from its GAN runs (by name: :data:`~.config.RUNS` and
    :data:`~.config.LONG_RUNS`), the inception score of real test images
    and the recorded snnTorch benchmark (``bench``)."""
    claims = [Claim("is.real_test", "inception score of real test images, as many as the samples scored per "
                    "epoch, under the book's MNIST classifier (the ceiling; the paper used Inception-v3)", None,
                    ceiling_is, "not in the paper", profile)]
    for name in ("spiking", "analog", "spiking_dcgan_lr", "analog_dcgan_lr", "spiking_sigmoid_dcgan_lr",
                 "spiking_sigmoid_dcgan_lr_long", "analog_dcgan_lr_long"):
        claims += _run_claims(runs, name, profile)
    claims.append(Claim("speed.snntorch_ratio", "time of one GAN iteration of the literal snnTorch model over "
                        "snnlib's fast path (benchmarks/dcgan_vs_snntorch.py)"
                        + ("" if bench else " — not recorded yet"), None,
                        None if bench is None else bench.metrics["ratio"], "not in the paper", profile, unit="x"))
    return claims


def build_claims(ctx: RunContext) -> list[Claim]:
    """Every claim of the chapter for ``ctx.profile``, from the artifacts the protocols return
    (a context of its own is used, so ``ctx.pending`` is left as it was)."""
    ctx = dataclasses.replace(ctx, pending=[])
    settings = profile_settings(ctx.profile)
    scorer = experiments.GANScorer(experiments.test_images())
    runs = {**experiments.train_gans(ctx, settings, scorer), **experiments.long_runs(ctx, settings, scorer)}
    return claims_from(ctx.profile, runs, experiments.real_ceiling(settings, scorer).inception,
                       experiments.snntorch_benchmark(ctx))
