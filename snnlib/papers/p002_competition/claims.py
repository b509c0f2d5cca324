"""The claims of chapter 002: every Table 2 number (best voting and linear readout, ours next to
the paper's), the paired variants and the reference calibration beside them, and the training speed
against BindsNET."""

from __future__ import annotations

from typing import Mapping, Optional

from snnlib.book.artifacts import Artifact
from snnlib.book.claims import Claim
from snnlib.book.runner import RunContext

from . import experiments
from .analysis import network_name, speed_ratio, variants_of
from .config import experiment_name, profile_settings
from .reference import TABLE2

__all__ = ["build_claims", "chapter_claims"]

READOUTS = (("best_voting", "voting"), ("linear", "linear"))
NAMES = {"best_voting": "best voting readout", "linear": "linear readout"}


def _readout_claim(claim_id: str, what: str, row: int, readout: str, art: Optional[Artifact], key: str,
                   profile: str) -> Claim:
    paper = TABLE2[row].paper_value(readout)
    ours = ours_sd = n = None
    if art is not None:
        m = art.metrics
        ours, ours_sd, n = 100 * m[f"{key}_mean"], 100 * m[f"{key}_sd"], len(m["per_replica"])
    else:
        what += " — not run yet in this profile"
    return Claim(claim_id, what, paper=paper.mean, paper_sd=paper.sd, ours=ours, ours_sd=ours_sd, n=n, unit="%",
                 profile=profile, source="paper Table 2")


def chapter_claims(profile: str, runs: Mapping[str, Artifact], bench: Optional[Artifact]) -> list[Claim]:
    """The claims from Table 2's artifacts ``{experiment name: artifact}`` (a row without one is
    "not run yet"): every row's two cells (``table2.row<N>.voting`` / ``.linear``), each paired
    variant's (``table2.row<N>.<variant>.voting`` / ``.linear``, against the same paper cell), the
    linear readout with the reference's default calibration (``table2.row<N>.cal5000.linear``),
    and the benchmark record ``bench``."""
    claims = []
    variants = variants_of(runs)
    for row in TABLE2:
        base = runs.get(experiment_name(row))
        for readout, label in READOUTS:
            claims.append(_readout_claim(f"table2.row{row}.{label}", f"{network_name(row)}: {NAMES[readout]}",
                                         row, readout, base, readout, profile))
        for variant, art in sorted(variants.get(row, {}).items()):
            for readout, label in READOUTS:
                claims.append(_readout_claim(f"table2.row{row}.{variant}.{label}",
                                             f"{network_name(row)}, variant {variant}: {NAMES[readout]}",
                                             row, readout, art, readout, profile))
        if base is not None and "linear_cal5000_mean" in base.metrics:
            claims.append(_readout_claim(f"table2.row{row}.cal5000.linear",
                                         f"{network_name(row)}: linear readout calibrated on 5000 draws with "
                                         "replacement (the reference's default)", row, "linear", base,
                                         "linear_cal5000", profile))
    claims.append(Claim("speed.bindsnet_ratio",
                        "training throughput of snnlib (5 replicas batched) over BindsNET 0.3.4, "
                        "25-channel kernel-12 LCSNN, same machine (benchmarks/competition_vs_bindsnet.py)",
                        paper=None, ours=speed_ratio(bench), unit="×", profile=profile,
                        source="benchmark (not in the paper)"))
    return claims


def build_claims(ctx: RunContext) -> list[Claim]:
    """Every claim of the chapter for ``ctx.profile`` from the artifacts ``ctx`` finds (with
    ``ctx.train`` false nothing trains and missing rows read "not run yet")."""
    settings = profile_settings(ctx.profile)
    runs = experiments.table2(ctx, experiments.MnistSplits(), settings)
    return chapter_claims(ctx.profile, runs, experiments.bindsnet_benchmark(ctx))
