"""The protocols of chapter 000, each a function of a :class:`~snnlib.book.runner.RunContext`.

* :func:`train_gan` -- one GAN (spiking or analog generator, the analog discriminator) trained
  for the profile's epochs, scored after every epoch on ``n_eval`` samples of fixed noise
  (:class:`GANScorer`: inception score, Fréchet distance, spread, largest class share, spikes per
  image), with the epoch's mean losses and sample snapshots; resumable.
* :func:`train_gans`, :func:`pilots`, :func:`long_runs` -- the chapter's runs
  (:data:`~.config.RUNS`), the pilots of the paper's ambiguities (:data:`~.config.PILOTS`) and
  the longer pair (:data:`~.config.LONG_RUNS`).
* :func:`real_ceiling` -- the scores of real test images (the inception score's ceiling here).
* :func:`run_all` -- everything the chapter runs, for the launcher.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping, NamedTuple

import numpy as np
import torch
from torch import Tensor

from snnlib.book import classifier as digit_classifier
from snnlib.book.artifacts import Artifact
from snnlib.book.data import load_mnist
from snnlib.book.runner import Experiment, RunContext
from snnlib.core.metrics import frechet_distance, inception_score, sample_spread
from snnlib.papers.p000_spiking_dcgan import models
from snnlib.papers.p000_spiking_dcgan.config import LONG_RUNS, PILOTS, RUNS, GANRun, profile_settings
from snnlib.papers.p000_spiking_dcgan.gan import gan_step, make_optimiser

__all__ = ["EVAL_SEED", "GANScore", "GANScorer", "make_generator", "train_gan", "train_gans", "pilots", "long_runs",
           "real_ceiling", "snntorch_benchmark", "run_all"]

EVAL_SEED = 2023
"""Seed of the fixed noise every epoch's samples are drawn from (the same for every run)."""


class GANScore(NamedTuple):
    """The numbers of one set of samples (one row of a GAN's ``log``, less epoch and losses)."""

    inception: float
    inception_sd: float
    fd: float
    spread: float
    largest_class: float
    spikes_per_image: float


class GANScorer:
    """Scores images with the book's MNIST classifier (:mod:`snnlib.book.classifier`): inception
    score over 10 splits (eq-000-is; the classifier stands in for Inception-v3, whose weights
    cannot be obtained offline), Fréchet distance of its features to the test images, spread
    between images and the share of the most frequent class (a collapse shows as a small spread
    or one class taking most samples)."""

    def __init__(self, test_images: Tensor) -> None:
        self.model = digit_classifier.load_mnist_classifier().model
        self.test_features = digit_classifier.features(self.model, test_images)

    def score(self, images01: Tensor, spikes_per_image: float = float("nan")) -> GANScore:
        probs = digit_classifier.predict_proba(self.model, images01)
        scores = inception_score(probs, splits=10)
        share = float(np.bincount(probs.argmax(1).numpy(), minlength=10).max() / len(probs))
        return GANScore(scores.mean, scores.std,
                        frechet_distance(digit_classifier.features(self.model, images01), self.test_features),
                        sample_spread(images01), share, spikes_per_image)


def make_generator(kind: str, config: models.GeneratorConfig) -> torch.nn.Module:
    """The fast-path spiking generator (``"spiking"``), its analog twin (``"analog"``) or that twin
    without BatchNorm (``"analog_nonorm"``)."""
    if kind == "spiking":
        return models.SpikingGenerator(config)
    if kind in ("analog", "analog_nonorm"):
        return models.AnalogGenerator(config, norm=kind == "analog")
    raise ValueError(f"unknown generator kind {kind!r}")


@torch.no_grad()
def generate(g: torch.nn.Module, z: Tensor, batch: int = 250) -> tuple[Tensor, float]:
    """``g``'s images for noise ``z`` (eval mode, in batches) and its mean spikes per image (all
    neuron layers, all steps; NaN for the analog generator)."""
    was_training = g.training
    g.eval()
    images, spikes = [], 0.0
    for start in range(0, z.shape[-2], batch):
        part = z[..., start:start + batch, :]
        out, layers = g(part)
        images.append(out)
        spikes += sum(float(s.sum()) for s in layers)
    g.train(was_training)
    n = z.shape[-2]
    return torch.cat(images), (spikes / n if isinstance(g, models.SpikingGenerator) else float("nan"))


def training_images(settings: Mapping[str, Any]) -> Tensor:
    """The first ``n_train`` training images of the 60 000-set, ``[N, 1, 28, 28]`` in [0, 1] (no
    normalisation: the generator's images lie in [0, 1])."""
    images, _ = load_mnist("train_full")
    return images[:settings["n_train"], None].float() / 255


def test_images() -> Tensor:
    """The 10 000 test images, uint8."""
    return load_mnist("test")[0]


def train_gan(ctx: RunContext, name: str, run: GANRun, settings: Mapping[str, Any],
              scorer: GANScorer | None = None, epochs: int | None = None) -> Artifact | None:
    """Experiment ``name``: a GAN with ``run``'s generator and the paper's discriminator, both
    with ``run``'s optimiser, trained by :func:`~.gan.gan_step` for ``epochs`` (default the
    profile's) passes over :func:`training_images` in batches of ``run.batch`` (default the
    profile's; a fresh order each epoch, the last incomplete batch dropped).

    Metrics: ``best_is`` and ``best_is_epoch``, and the last epoch's ``is``, ``fd``, ``spread``,
    ``spikes_per_image``.  Arrays: ``log`` (:data:`~.config.LOG_COLUMNS`, row 0 before
    training), ``losses`` (``[steps, 2]``: D's and G's loss of every step), ``snapshots``
    (``uint8 [epochs + 1, 16, 28, 28]``, the first 16 of the fixed-noise samples per epoch) and
    ``samples`` (the last epoch's first 64).  Weights: the generator's."""
    epochs = settings["epochs"] if epochs is None else epochs
    kind, config, optimiser = run.kind, run.generator, run.optimiser
    keys = {"kind": kind, "generator": dataclasses.asdict(config), "optimiser": dataclasses.asdict(optimiser),
            "n_train": settings["n_train"], "batch": run.batch or settings["batch"], "epochs": epochs,
            "n_eval": settings["n_eval"]}

    def body(exp: Experiment) -> Artifact:
        score = scorer or GANScorer(test_images())
        real = training_images(settings)
        batch, gen = keys["batch"], exp.generator()
        g, d = make_generator(kind, config), models.Discriminator()
        opt_g, opt_d = make_optimiser(g, optimiser), make_optimiser(d, optimiser)
        z_eval = models.sample_noise(keys["n_eval"], config, generator=torch.Generator().manual_seed(EVAL_SEED))

        def evaluate(epoch: int, losses: list[float]) -> tuple[list[float], Tensor]:
            images, spikes = generate(g, z_eval)
            return [epoch, *score.score(images, spikes), *losses], (255 * images[:16, 0]).round().to(torch.uint8)

        row, snap = evaluate(0, [math.nan, math.nan])
        state = {"g": g, "d": d, "opt_g": opt_g, "opt_d": opt_d, "gen": gen, "log": [row], "snapshots": [snap],
                 "losses": []}
        per_epoch, orders = len(real) // batch, {}
        for step in exp.steps(epochs * per_epoch, state, every=settings["checkpoint_every"], desc=exp.name):
            epoch, i = divmod(step, per_epoch)
            if epoch not in orders:  # the order depends only on the epoch: resumable
                orders = {epoch: torch.randperm(len(real), generator=torch.Generator().manual_seed(epoch))}
            order = orders[epoch]
            z = models.sample_noise(batch, config, generator=state["gen"])
            losses = gan_step(g, d, opt_g, opt_d, real[order[i * batch:(i + 1) * batch]], z)
            state["losses"] = state["losses"] + [list(losses)]
            if i == per_epoch - 1:
                row, snap = evaluate(epoch + 1, np.mean(state["losses"][-per_epoch:], axis=0).tolist())
                state["log"] = state["log"] + [row]
                state["snapshots"] = state["snapshots"] + [snap]
        log = np.array(state["log"], dtype=np.float64)
        best = int(np.nanargmax(log[1:, 1])) + 1
        images, spikes = generate(g, z_eval[..., :64, :])
        metrics = {"best_is": float(log[best, 1]), "best_is_epoch": best, "is": float(log[-1, 1]),
                   "fd": float(log[-1, 3]), "spread": float(log[-1, 4]), "spikes_per_image": float(log[-1, 6])}
        arrays = {"log": log, "losses": np.array(state["losses"], dtype=np.float32),
                  "snapshots": torch.stack(state["snapshots"]), "samples": (255 * images[:, 0]).round().to(torch.uint8)}
        return exp.finish(metrics, arrays, weights={"generator": g.state_dict()})

    return ctx.experiment(name, keys, body)


def train_gans(ctx: RunContext, settings: Mapping[str, Any], scorer: GANScorer | None = None,
               runs: Mapping[str, GANRun] = RUNS, epochs: int | None = None) -> dict[str, Artifact]:
    """:func:`train_gan` of every one of ``runs`` (default: the chapter's, :data:`~.config.RUNS`),
    for ``epochs`` (default the profile's); the artifacts that exist, by name."""
    done = {}
    for name, run in runs.items():
        art = train_gan(ctx, name, run, settings, scorer, epochs)
        if art is not None:
            done[name] = art
    return done


def pilots(ctx: RunContext, settings: Mapping[str, Any], scorer: GANScorer | None = None) -> dict[str, Artifact]:
    """The pilots of the paper's ambiguities (:data:`~.config.PILOTS`), ``pilot_epochs`` each; the
    artifacts that exist, by name."""
    return train_gans(ctx, settings, scorer, PILOTS, settings["pilot_epochs"])


def long_runs(ctx: RunContext, settings: Mapping[str, Any], scorer: GANScorer | None = None) -> dict[str, Artifact]:
    """The longer pair (:data:`~.config.LONG_RUNS`), ``long_epochs`` each; the artifacts that
    exist, by name."""
    return train_gans(ctx, settings, scorer, LONG_RUNS, settings["long_epochs"])


def real_ceiling(settings: Mapping[str, Any], scorer: GANScorer | None = None) -> GANScore:
    """The scores of the first ``n_eval`` test images: the inception score a perfect generator
    would reach under this classifier (its FD is to the whole test set, which contains them)."""
    score = scorer or GANScorer(test_images())
    return score.score(test_images()[:settings["n_eval"]].float()[:, None] / 255)


def snntorch_benchmark(ctx: RunContext) -> Artifact | None:
    """The recorded run of ``benchmarks/dcgan_vs_snntorch.py`` (full profile; ``None`` if it has
    not been recorded)."""
    return ctx.recorded("snntorch_benchmark", profile="full")


def run_all(ctx: RunContext) -> None:
    """Every protocol the chapter runs, in its order, with its profile's settings (what the
    launcher, :mod:`snnlib.book.launch`, enumerates and runs one experiment at a time)."""
    settings = profile_settings(ctx.profile)
    train_gans(ctx, settings)
    pilots(ctx, settings)
    long_runs(ctx, settings)
