"""The claims of chapter 002: every Table 2 number (best voting and linear readout, ours next to
the paper's) and the training speed against BindsNET."""

from __future__ import annotations

from typing import Mapping, Optional

from snnlib.book.artifacts import Artifact
from snnlib.book.claims import Claim
from snnlib.book.runner import RunContext

from . import experiments
from .analysis import network_name, speed_ratio
from .config import profile_settings
from .reference import TABLE2

__all__ = ["build_claims", "chapter_claims"]


def chapter_claims(profile: str, results: Mapping[int, Artifact], bench: Optional[Artifact],
                   replicas: int) -> list[Claim]:
    """The claims from Table 2's artifacts ``{row: artifact}`` (a row without one is "not run
    yet") and the benchmark record ``bench``."""
    claims = []
    for row, entry in TABLE2.items():
        for readout, label in (("best_voting", "voting"), ("linear", "linear")):
            paper = entry.paper_value(readout)
            what = f"{network_name(row)}: " + ("best voting readout" if readout == "best_voting" else "linear readout")
            ours = ours_sd = n = None
            if row in results:
                m = results[row].metrics
                ours, ours_sd, n = 100 * m[f"{readout}_mean"], 100 * m[f"{readout}_sd"], replicas
            else:
                what += " — not run yet in this profile"
            claims.append(Claim(f"table2.row{row}.{label}", what, paper=paper.mean, paper_sd=paper.sd,
                                ours=ours, ours_sd=ours_sd, n=n, unit="%", profile=profile, source="Table 2"))
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
    results = experiments.table2(ctx, experiments.MnistSplits(), settings)
    return chapter_claims(ctx.profile, results, experiments.bindsnet_benchmark(ctx), settings["replicas"])
