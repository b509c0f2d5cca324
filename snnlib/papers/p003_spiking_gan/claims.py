"""Every claim of chapter 003: the paper's numbers next to ours, from the artifacts.

:func:`build_claims` obtains the artifacts through the chapter's protocols (with
``ctx.train == False`` nothing trains; an experiment without an artifact gives a "not run yet"
claim) and :func:`claims_from` turns them into claims.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

from snnlib.book import classifier as digit_classifier
from snnlib.book.artifacts import Artifact
from snnlib.book.claims import Claim
from snnlib.book.runner import RunContext
from snnlib.papers.p003_spiking_gan import analysis, experiments
from snnlib.papers.p003_spiking_gan.config import profile_settings
from snnlib.papers.p003_spiking_gan.reference import PAPER_CLF, PAPER_COST

__all__ = ["build_claims", "claims_from", "is_per_digit_gan"]


def _classifier_claim(classifiers: Mapping[str, Artifact], profile: str, cid: str, name: str,
                      key: str, paper_value: float | None, what: str, unit: str,
                      scale: float = 1.0) -> Claim:
    art = classifiers.get(name)
    ours = None if art is None else scale * art.metrics[key]
    return Claim(cid, what + ("" if art else " — not run yet in this profile"), paper=paper_value,
                 ours=ours, unit=unit, profile=profile, source="section 3.1")


def _test_selected_claim(art: Artifact | None, profile: str, paper_value: float) -> Claim:
    chosen = None if art is None else analysis.test_selected(art)
    why = (" — not run yet in this profile" if art is None else
           " — this run did not score the test set after every epoch" if chosen is None else "")
    return Claim("clf400.s4nn.acc_testselected", "784-400-10, S4NN loss, S4NN's own protocol: the S4NN "
                 "code's lenient scoring of the epoch with the highest test score (the test set chooses)" + why,
                 paper=paper_value, ours=None if chosen is None else 100 * chosen.accuracy, unit="%",
                 profile=profile, source="section 3.1")


def _published_claim(art: Artifact | None, profile: str, cid: str, key: str, paper_value: float,
                     what: str) -> Claim:
    return Claim(cid, what + ("" if art else " — not scored in this profile"), paper=paper_value,
                 ours=None if art is None else 100 * art.metrics[key], unit="%", profile=profile,
                 source="section 3.1 (weights: SRKH/S4NN)")


def claims_from(profile: str, classifiers: Mapping[str, Artifact], cost: analysis.InputCodeCost,
                spiking_gans: Mapping[int, Artifact], ann_gans: Mapping[int, Artifact],
                digit_classifier_accuracy: float, bench: Artifact | None = None,
                published: Artifact | None = None, fixed_gans: Mapping[int, Artifact] | None = None
                ) -> list[Claim]:
    """The chapter's claims from its classifier and GAN artifacts (by name and by digit), the
    input-code cost, the test accuracy of the book's digit classifier (a fraction), the recorded
    S4NN benchmark (``bench``), the score of the published weights (``published``) and the
    Spiking-GANs trained with the fix chosen against G's collapse (``fixed_gans``, by digit)."""
    def clf(cid, name, key, paper_value, what, unit, scale=1.0):
        return _classifier_claim(classifiers, profile, cid, name, key, paper_value, what, unit, scale)

    agg, rel, large = PAPER_CLF["clf400_aggressive"], PAPER_CLF["clf400_s4nn"], PAPER_CLF["clf1000_aggressive"]
    claims = [
        Claim("classifier.test_acc", "digit classifier used for the GAN numbers (LeNet-style CNN, trained "
              "in this project), MNIST test accuracy", paper=None, ours=100 * digit_classifier_accuracy,
              unit="%", profile=profile, source="not in the paper (our tool)"),
        clf("clf400.aggressive.acc", "clf400_aggressive", "test_strict", agg.accuracy,
            "784-400-10, Aggressive TTFS, test accuracy (ours strict)", "%", 100),
        clf("clf400.s4nn.acc", "clf400_s4nn", "test_strict", rel.accuracy,
            "784-400-10, S4NN loss, test accuracy (ours strict)", "%", 100),
        clf("clf400.s4nn.acc_lenient", "clf400_s4nn", "test_s4nn", rel.accuracy,
            "784-400-10, S4NN loss, test accuracy with the S4NN code's lenient scoring (ties that include "
            "the label count, a silent output is read from its potentials), validation-chosen epoch", "%", 100),
        _test_selected_claim(classifiers.get("clf400_s4nn"), profile, rel.accuracy),
        _published_claim(published, profile, "clf400.published.acc", "test_strict", rel.accuracy,
                         "the S4NN authors' published 784-400-10 weights scored by our code, strict"),
        _published_claim(published, profile, "clf400.published.acc_lenient", "test_s4nn", rel.accuracy,
                         "the S4NN authors' published 784-400-10 weights scored by our code, the S4NN "
                         "code's lenient scoring"),
        clf("clf1000.aggressive.acc", "clf1000_aggressive", "test_strict", large.accuracy,
            "784-1000-10, Aggressive TTFS, test accuracy (ours strict)", "%", 100),
        clf("clf400.aggressive.steps", "clf400_aggressive", "decision_time", agg.decision_steps,
            "784-400-10, Aggressive TTFS, mean decision step", "steps"),
        clf("clf400.s4nn.steps", "clf400_s4nn", "decision_time", rel.decision_steps,
            "784-400-10, S4NN loss, mean decision step", "steps"),
        clf("clf400.aggressive.spikes", "clf400_aggressive", "spikes_to_decision", agg.spikes,
            "784-400-10, Aggressive TTFS, spikes to decision (inputs included)", "spikes"),
        clf("clf400.s4nn.spikes", "clf400_s4nn", "spikes_to_decision", rel.spikes,
            "784-400-10, S4NN loss, spikes to decision (inputs included)", "spikes"),
        Claim("input.count_code.spikes", "lossless count code per MNIST image; the paper's number matches "
              "the image with a white background, Σ(255 − x), which is what we give",
              paper=float(PAPER_COST.count), ours=cost.inverted, unit="spikes",
              profile=profile, source="section 3.2"),
        Claim("input.inverted_count_code.spikes", "count code of the inverted image; ours: MNIST as "
              "stored, Σx", paper=float(PAPER_COST.inverted), ours=cost.stored,
              unit="spikes", profile=profile, source="section 3.2"),
        Claim("input.ttfs.spikes", "TTFS spikes per image; the paper counts one per pixel, ours counts the "
              "spikes that occur (black pixels never spike)", paper=float(PAPER_COST.ttfs),
              ours=cost.ttfs, unit="spikes", profile=profile, source="section 3.2"),
    ]
    pooled_is = analysis.pooled_inception_scores(spiking_gans, ann_gans)
    for kind, store in (("spiking", spiking_gans), ("ann", ann_gans)):
        label = "Spiking-GAN" if kind == "spiking" else "ANN GAN"
        for digit in range(10):
            art = store.get(digit)
            pending = "" if art else " — not run yet in this profile"
            claims.append(Claim(f"gan.{kind}.digit{digit}.target_acc",
                                f"{label}, digit {digit}: share of samples the digit classifier reads as {digit}{pending}",
                                paper=None, ours=None if art is None else 100 * art.metrics["target_acc"],
                                unit="%", profile=profile, source="not in the paper (samples only, Fig. 8)"))
            claims.append(Claim(f"gan.{kind}.digit{digit}.fid",
                                f"{label}, digit {digit}: Fréchet distance to the digit's test images "
                                f"(digit-classifier features){pending}",
                                paper=None, ours=None if art is None else art.metrics["fid"],
                                profile=profile, source="not in the paper"))
        score = pooled_is.get(kind)
        claims.append(Claim(f"gan.{kind}.pooled_is", f"{label}, ten per-digit generators pooled: inception "
                            f"score with the digit classifier" + ("" if score else " — needs all ten digits"),
                            paper=None, ours=None if score is None else score.mean,
                            ours_sd=None if score is None else score.std, profile=profile,
                            source="not in the paper"))
    fixed_gans = fixed_gans or {}
    for digit in range(10):
        art = fixed_gans.get(digit)
        for key, what, unit, scale in (("target_acc", "share of samples the digit classifier reads as the digit", "%", 100),
                                       ("fid", "Fréchet distance to the digit's test images", "", 1),
                                       ("spread", "spread of 64 samples (grey levels)", "", 1)):
            claims.append(Claim(f"gan.spiking.fixed.digit{digit}.{key}",
                                f"Spiking-GAN with the chosen fix, digit {digit}, last epoch: {what}"
                                + ("" if art else " — not run yet in this profile"), paper=None,
                                ours=None if art is None else scale * art.metrics[key], unit=unit,
                                profile=profile, source="not in the paper"))
    fixed_is = analysis.pooled_inception_scores(fixed_gans, {}).get("spiking")
    claims.append(Claim("gan.spiking.fixed.pooled_is", "Spiking-GAN with the chosen fix, ten per-digit generators "
                        "pooled: inception score with the digit classifier" + ("" if fixed_is else " — needs all ten digits"),
                        paper=None, ours=None if fixed_is is None else fixed_is.mean,
                        ours_sd=None if fixed_is is None else fixed_is.std, profile=profile, source="not in the paper"))
    spk_counts = [art.metrics["spikes_per_sample"] for art in spiking_gans.values()]
    claims.append(Claim("gan.spiking.spikes_per_sample", "Spiking-GAN generator: spikes per sample (noise "
                        "inputs, hidden and output neurons; at most 1 284), mean over the trained digits "
                        f"({len(spk_counts)} of 10)", paper=None,
                        ours=float(np.mean(spk_counts)) if spk_counts else None, unit="spikes",
                        profile=profile, source="not in the paper (it gives the maximum, 2 470 for G and D)"))
    claims.append(Claim("speed.s4nn_ratio",
                        "training time per image of a numpy port of S4NN.py over snnlib's, 784-400-10, float64, "
                        "bit-identical weights, same machine (benchmarks/s4nn_vs_numpy_port.py)"
                        + ("" if bench else " — not recorded"),
                        paper=None, ours=analysis.s4nn_speed_ratio(bench), unit="×", profile=profile,
                        source="benchmark (not in the paper)"))
    return claims


def is_per_digit_gan(claim: Claim) -> bool:
    """Whether ``claim`` is one of the per-digit GAN numbers (``gan.<kind>[.fixed].digit<d>.<metric>``),
    which the chapter shows in its GAN tables rather than in its claims table."""
    parts = claim.id.split(".")
    return parts[0] == "gan" and len(parts) >= 4 and parts[-2].startswith("digit")


def build_claims(ctx: RunContext) -> list[Claim]:
    """Every claim of the chapter for ``ctx.profile``, from the artifacts the protocols return
    (a context of its own is used, so ``ctx.pending`` is left as it was)."""
    ctx = dataclasses.replace(ctx, pending=[])
    settings = profile_settings(ctx.profile)
    data = experiments.load_data()
    classifiers = experiments.train_classifiers(ctx, settings, data)
    published = experiments.score_published(ctx, settings, data)
    config = experiments.gan_config(experiments.gan_lr_pilot(ctx, settings, data))
    spiking_gans, ann_gans = experiments.train_gans(ctx, config, settings, data)
    fix_pilots = experiments.gan_fix_pilots(ctx, settings, data, config)
    fixed_gans = experiments.train_fixed_gans(ctx, fix_pilots, config, settings, data)
    return claims_from(ctx.profile, classifiers, analysis.input_code_cost(data.full_x),
                       spiking_gans, ann_gans, digit_classifier.load_mnist_classifier().test_accuracy,
                       experiments.s4nn_benchmark(ctx), published, fixed_gans)
