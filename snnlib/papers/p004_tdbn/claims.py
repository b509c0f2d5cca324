"""Every claim of chapter 004: the paper's numbers next to ours, from the artifacts.

Paper 004 gives numbers only for CIFAR-10 and ImageNet, at a scale not trained here; the
depth x normalisation grid on Fashion-MNIST tests its central claim (tdBN lets STBP train deep
networks) where the paper has no number, so those claims' paper values are ``None``.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from snnlib.book.artifacts import Artifact
from snnlib.book.claims import Claim
from snnlib.book.runner import RunContext
from snnlib.papers.p004_tdbn import analysis, experiments
from snnlib.papers.p004_tdbn.config import NORM_LABELS, profile_settings
from snnlib.papers.p004_tdbn.models import NORMS

__all__ = ["build_claims", "claims_from", "spikingjelly_benchmark"]


def claims_from(profile: str, depths, runs: Mapping[tuple[int, str, int], Artifact],
                cost: Artifact | None, cifar: Artifact | None, bench: Artifact | None) -> list[Claim]:
    """The chapter's claims from the grid's runs (by cell), the CIFAR-10 cost measurement, the
    CIFAR-10 run (``None`` unless it ran) and the recorded SpikingJelly benchmark."""
    summary = analysis.summarise_grid(runs)
    claims = []
    for depth in depths:
        for norm in NORMS:
            cell = summary.get((depth, norm))
            claims.append(Claim(
                f"depth{depth}.{norm}.acc", f"Fashion-MNIST test accuracy, spiking ResNet of depth {depth}, "
                f"{NORM_LABELS[norm]}, T = 4, mean over seeds" + ("" if cell else " — not run yet"),
                None, None if cell is None else cell.mean, "not in the paper (its claim, at a trainable scale)",
                profile, unit="%", ours_sd=None if cell is None else cell.sd, n=None if cell is None else cell.n))
    ours = None if cifar is None else 100 * cifar.metrics["test_acc"]
    ran = "" if cifar else " — not run here (no GPU)"
    claims += [
        Claim("cifar10.resnet19.t4.acc", "CIFAR-10 test accuracy, ResNet-19 with tdBN, T = 4, as the original "
              f"reports it{ran}", 92.92, ours, "Zheng et al. 2021 (tdBN), via notes §5.2", profile, unit="%"),
        Claim("cifar10.resnet19.t4.acc_as_printed", "the same, as paper 004 prints it" + ran, 91.89, ours,
              "paper 004, table", profile, unit="%"),
        Claim("cifar10.cpu_epoch_seconds", "one CIFAR-10 training epoch of ResNet-19 at T = 4 (batch 64) on one "
              "CPU core of this machine, extrapolated from timed batches" + ("" if cost else " — not measured in this "
              "profile" if profile == "quick" else " — not measured yet"),
              None, None if cost is None else cost.metrics["epoch_s"], "not in the paper", profile, unit="s"),
        Claim("speed.spikingjelly_ratio", "time of one training step of a tdBN ResNet in SpikingJelly over snnlib "
              "(benchmarks/tdbn_vs_spikingjelly.py)" + ("" if bench else " — not recorded yet"), None,
              None if bench is None else bench.metrics["ratio"], "not in the paper", profile, unit="x"),
    ]
    return claims


def spikingjelly_benchmark(ctx: RunContext) -> Artifact | None:
    """The recorded run of ``benchmarks/tdbn_vs_spikingjelly.py`` (full profile; ``None`` if it has
    not been recorded)."""
    return ctx.recorded("spikingjelly_benchmark", profile="full")


def build_claims(ctx: RunContext) -> list[Claim]:
    """Every claim of the chapter for ``ctx.profile``, from the artifacts the protocols return
    (a context of its own that trains nothing, so ``ctx.pending`` is left as it was)."""
    ctx = dataclasses.replace(ctx, pending=[], train=False)
    settings = profile_settings(ctx.profile)
    return claims_from(ctx.profile, settings["depths"], experiments.train_grid(ctx, settings),
                       experiments.cifar10_cpu_cost(ctx, settings),
                       experiments.cifar10_resnet19(ctx) if ctx.profile == "full" else None,
                       spikingjelly_benchmark(ctx))
