"""Every claim of chapter 001: the paper's numbers next to ours, from the artifacts.

Our copy of the paper elides its experimental sections (3-6), so no headline number of VDIB is
available to us: every claim's paper value is ``None`` ("not in our text"), and the chapter
compares VDIB with the rate-decoding baseline, trained here on the same data.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from snnlib.book.artifacts import Artifact
from snnlib.book.claims import Claim
from snnlib.book.tables import count
from snnlib.book.runner import RunContext
from snnlib.papers.p001_vdib import analysis, experiments
from snnlib.papers.p001_vdib.config import profile_settings

__all__ = ["build_claims", "claims_from", "reference_benchmark", "mnist_runs"]

SOURCE = "not in our text (paper sections 3-6 elided)"


def claims_from(profile: str, horizons, pc: dict[str, Artifact | None], bench: Artifact | None = None,
                mnist: Mapping[tuple[str, str, str], Artifact | None] | None = None,
                dvs: Mapping[str, Artifact | None] | None = None) -> list[Claim]:
    """``pc.h<H>.<decoding>.acc`` for every horizon (beta 1): mean over trials of each trial's
    best test accuracy (the authors' protocol), from the ``pc_vdib`` and ``pc_rate`` artifacts;
    ``mnist.<encoding>.<decoder>.<decoding>.acc`` for every section 6.2 run: the book's classifier's
    best test accuracy on the reconstructions; ``dvs.<decoding>.acc`` the same for section 6.3;
    ``speed.reference_ratio`` from the recorded benchmark."""
    claims = []
    labels = {"vdib": "VDIB (decoder reads the 5-step window)", "rate": "rate decoding (window summed)"}
    for decoding, label in labels.items():
        art = pc.get(decoding)
        summary = analysis.summarise_predictive(art) if art is not None else {}
        for h in horizons:
            cell = summary.get((h, 1.0))
            n_seq = None if art is None else count(art.metrics["sequences"])
            sequences = "" if art is None else f", {n_seq} training sequences"
            claims.append(Claim(
                f"pc.h{h}.{decoding}.acc", f"drifting blobs, 210-way prediction at horizon δ = {h}, {label}, β = 1, "
                f"best test accuracy per trial{sequences}" + ("" if cell else " — not run yet"),
                None, None if cell is None else cell.best, SOURCE, profile, unit="%",
                ours_sd=None if cell is None else cell.best_sd, n=None if cell is None else cell.n))
    window = {"vdib": "VDIB (decoder reads the 30-step window)", "rate": "rate decoding (window summed)"}
    for (enc, dec, decoding), art in (mnist or {}).items():
        examples = "" if art is None else f", {format(art.metrics['examples'], ',').replace(',', ' ')} training examples"
        claims.append(Claim(
            f"mnist.{enc}.{dec}.{decoding}.acc", f"MNIST reconstructions from {enc}-coded input, {dec} decoder, "
            f"{window[decoding]}: the book's classifier's accuracy, best test{examples}, one trial"
            + ("" if art else " — not run yet"), None, None if art is None else 100 * art.metrics["best_acc"], SOURCE,
            profile, unit="%", n=None if art is None else 1))
    for decoding, art in (dvs or {}).items():
        examples = "" if art is None else f", {format(art.metrics['examples'], ',').replace(',', ' ')} training examples"
        recorded = art is not None and art.provenance["config"]["settings"]["dvs_source"] == "recorded"
        source = "MNIST-DVS recordings" if recorded else "event streams synthesised from MNIST, not MNIST-DVS"
        claims.append(Claim(
            f"dvs.{decoding}.acc", f"{source}, to the class's "
            f"template image, CNN decoder, {window[decoding].replace('30-step', '80-step')}: the book's classifier's "
            f"accuracy, best test{examples}, one trial" + ("" if art else " — not run yet"), None,
            None if art is None else 100 * art.metrics["best_acc"], SOURCE, profile, unit="%",
            n=None if art is None else 1))
    claims.append(Claim(
        "speed.reference_ratio", "time of the authors' loop (one model at a time, autograd) over snnlib's side-by-side "
        "streams for the full profile's 40 models (benchmarks/vdib_vs_reference_loop.py)"
        + ("" if bench else " — not recorded yet"), None, None if bench is None else bench.metrics["ratio"],
        "not in the paper", profile, unit="x"))
    return claims


def reference_benchmark(ctx: RunContext) -> Artifact | None:
    """The recorded run of ``benchmarks/vdib_vs_reference_loop.py`` (full profile; ``None`` if it
    has not been recorded)."""
    return ctx.recorded("reference_benchmark", profile="full")


def build_claims(ctx: RunContext) -> list[Claim]:
    """Every claim of the chapter for ``ctx.profile``, from the artifacts the protocols return
    (a context of its own that trains nothing, so ``ctx.pending`` is left as it was)."""
    ctx = dataclasses.replace(ctx, pending=[], train=False)
    settings = profile_settings(ctx.profile)
    pc = {d: experiments.predictive_coding(ctx, settings, d) for d in ("vdib", "rate")}
    dvs = {d: experiments.dvs_reconstruction(ctx, settings, d) for d in ("vdib", "rate")}
    return claims_from(ctx.profile, settings["pc_horizons"], pc, reference_benchmark(ctx), mnist_runs(ctx, settings), dvs)


def mnist_runs(ctx: RunContext, settings: Mapping) -> dict[tuple[str, str, str], Artifact | None]:
    """Section 6.2's artifacts of the first trial by ``(encoding, decoder, decoding)``, in the
    profile's order (``None`` where not run)."""
    return {(e, d, k): experiments.mnist_reconstruction(ctx, settings, e, d, k) for e in settings["mnist_encodings"]
            for d in settings["mnist_decoders"] for k in ("vdib", "rate")}
