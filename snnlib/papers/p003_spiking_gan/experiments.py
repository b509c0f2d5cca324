"""The protocols of chapter 003: every experiment the chapter runs, as a function of a run
context, the profile's settings and the data.

Each protocol builds the experiment's settings (the identity of its artifact: the same keys and
values as the committed full-profile artifacts) and calls :meth:`RunContext.experiment`, which
returns the stored artifact, lists the experiment as pending, or runs the body given here.

* :func:`norm_pilot` -- L1 against L2 error normalisation (``norm_pilot``);
* :func:`train_classifier` -- one TTFS classifier (``clf400_aggressive``, ``clf400_s4nn``,
  ``clf1000_aggressive``);
* :func:`aggressive_readings_pilot` -- the readings of paper 003's lost eqs. 6-7 against the S4NN
  loss in matched short runs (``reading_<loss>``);
* :func:`score_published` -- the S4NN authors' published 784-400-10 weights, scored by our code
  (``clf400_published``);
* :func:`gan_mask_pilot` -- the S4NN code's strict backward mask against counting silent pairs;
* :func:`gan_lr_pilot` and :func:`chosen_g_rates` -- G's per-layer learning rates;
* :func:`train_spiking_gan`, :func:`train_ann_gan` -- one generator per digit
  (``gan_spiking_digit<d>``, ``gan_ann_digit<d>``; seed = context seed + digit);
* :func:`gan_fix_pilot` -- the digit-0 Spiking-GAN under each candidate against G's collapse
  (``gan_fix_<name>``, :data:`~snnlib.papers.p003_spiking_gan.config.GAN_FIX_CANDIDATES`);
* :func:`chosen_fix` and :func:`train_fixed_gan` -- every digit's Spiking-GAN with the chosen
  candidate (``gan_spiking_fixed_digit<d>``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import torch
from torch import Tensor

from snnlib.book import classifier as digit_classifier
from snnlib.book.artifacts import Artifact
from snnlib.book.data import load_mnist
from snnlib.book.runner import Experiment, RunContext
from snnlib.core import coding
from snnlib.core import temporal as tp
from snnlib.core.metrics import class_share, frechet_distance, sample_spread
from snnlib.papers.p003_spiking_gan import published, spiking_gan
from snnlib.papers.p003_spiking_gan.config import (ANN_GAN_BATCH, ANN_GAN_BETAS, ANN_GAN_LR,
                                                   CLASSIFIERS, G_LR_CANDIDATES, GAN_BASE,
                                                   FIX_MIN_SPREAD_SHARE, GAN_FIX_CANDIDATES, profile_settings)
from snnlib.papers.p003_spiking_gan.s4nn import (Evaluation, S4NNClassifierConfig, evaluate,
                                                 reset_dead_hidden, train_epoch)

__all__ = ["MnistSplits", "load_data", "DigitScorer", "real_by_digit", "correlation",
           "norm_pilot", "CURVE_COLUMNS", "train_classifier", "train_classifiers", "aggressive_readings_pilot",
           "fix_min_spread", "chosen_fix", "train_fixed_gan", "train_fixed_gans", "score_published",
           "gan_mask_pilot",
           "gan_lr_pilot", "lr_pilot_median_fd", "chosen_g_rates", "gan_config", "sample_noise",
           "train_spiking_gan", "train_ann_gan", "train_gans", "fix_pilot_config", "gan_fix_pilot",
           "gan_fix_pilots", "s4nn_benchmark", "run_all"]

T_MAX = tp.S4NN_T_MAX


# --------------------------------------------------------------------------- data and scoring

@dataclass(frozen=True)
class MnistSplits:
    """The MNIST images (``uint8 [N, 28, 28]``) and labels the chapter uses."""

    train_x: Tensor
    train_y: Tensor
    """50 000 training images."""
    val_x: Tensor
    val_y: Tensor
    """The other 10 000 training images (validation)."""
    test_x: Tensor
    test_y: Tensor
    full_x: Tensor
    full_y: Tensor
    """All 60 000 training images (input-coding cost, per-digit GANs)."""


def load_data() -> MnistSplits:
    """Load the four MNIST splits of the chapter."""
    return MnistSplits(*load_mnist("train"), *load_mnist("calibration"), *load_mnist("test"),
                       *load_mnist("train_full"))


class DigitScorer:
    """Scores generated digits with the book's shared MNIST classifier
    (:mod:`snnlib.book.classifier`): share read as the digit and Fréchet distance of the
    classifier's features to that digit's test images."""

    def __init__(self, data: MnistSplits) -> None:
        self.classifier = digit_classifier.load_mnist_classifier()
        self.model = self.classifier.model
        self.test_features = {d: digit_classifier.features(self.model, data.test_x[data.test_y == d])
                              for d in range(10)}

    def features(self, images: Tensor) -> Tensor:
        return digit_classifier.features(self.model, images)

    def score_samples(self, images01: Tensor, digit: int) -> tuple[Tensor, dict[str, float]]:
        """Classifier-based numbers for one generator's samples (images in [0, 1]):
        ``(probs, {"target_acc", "fid"})``."""
        probs = digit_classifier.predict_proba(self.model, images01)
        feats = self.features(images01)
        return probs, {"target_acc": class_share(probs, digit),
                       "fid": frechet_distance(feats, self.test_features[digit])}


def real_by_digit(data: MnistSplits, settings: Mapping[str, Any], digit: int) -> Tensor:
    """The training images of ``digit`` a GAN learns from (all of the 60 000-set, or the first
    ``gan_images`` in the quick profile)."""
    images = data.full_x[data.full_y == digit]
    return images if settings["gan_images"] is None else images[:settings["gan_images"]]


def correlation(a: Tensor, b: Tensor) -> float:
    """Pearson correlation of two images (0 when ``a`` is constant)."""
    return float(torch.corrcoef(torch.stack([a.float(), b.float()]))[0, 1]) if a.std() > 0 else 0.0


# --------------------------------------------------------------------------- pilots

def norm_pilot(ctx: RunContext, settings: Mapping[str, Any], data: MnistSplits) -> Artifact | None:
    """``norm_pilot``: L1 (paper text) against L2 (S4NN code) error normalisation, on
    validation data only.  For each norm, an Aggressive-TTFS 784-400-10 classifier after one
    pass over the first ``pilot_images`` training images, scored on ``pilot_val`` validation
    images, and a discriminator trained for ``pilot_d_steps`` steps on digit-1 images against
    an untrained generator, scored on 500 held-out real and 500 generated images.

    Metrics: ``classifier_<norm>``, ``classifier_<norm>_silent``, ``discriminator_<norm>_real``
    and ``discriminator_<norm>_fake`` for ``norm`` in ``l1``, ``l2``."""
    keys = {k: settings[k] for k in ("pilot_images", "pilot_val", "pilot_d_steps")}

    def body(exp: Experiment) -> Artifact:
        n, n_val, d_steps = keys["pilot_images"], keys["pilot_val"], keys["pilot_d_steps"]
        t_train = coding.ttfs_encode(data.train_x[:n].flatten(1))
        t_val = coding.ttfs_encode(data.val_x[:n_val].flatten(1))
        ones = coding.ttfs_encode(data.train_x[data.train_y == 1].flatten(1))
        metrics = {}
        for norm in ("l1", "l2"):
            config = S4NNClassifierConfig(loss="aggressive", norm=norm)
            gen = exp.generator()
            weights = tp.s4nn_init_weights(config.layer_sizes(), generator=gen)
            weights = train_epoch(weights, t_train, data.train_y[:n], config, generator=gen).weights
            result = evaluate(weights, t_val, data.val_y[:n_val], config)
            metrics[f"classifier_{norm}"] = result.strict_accuracy
            metrics[f"classifier_{norm}_silent"] = result.silent_rate

            gan_config = spiking_gan.SpikingGANConfig(norm=norm)
            gen = exp.generator()
            gan = spiking_gan.init_spiking_gan(gan_config, generator=gen)
            for i in range(d_steps):
                fake = spiking_gan.generate_times(
                    gan, spiking_gan.noise_times(1, gan_config, generator=gen), gan_config)
                for times, real in ((ones[i:i + 1], True), (fake.times[-1], False)):
                    delta_w, _ = spiking_gan.discriminator_update(gan, times, real, gan_config)
                    gan = spiking_gan.SpikingGAN(gan.generator,
                                                 [w + d for w, d in zip(gan.discriminator, delta_w)])
            held_out = ones[d_steps:d_steps + 500]
            fakes = spiking_gan.generate_times(
                gan, spiking_gan.noise_times(500, gan_config, generator=gen), gan_config)
            d_real, d_fake = (tp.s4nn_forward_times(x, gan.discriminator, gan_config.threshold,
                                                    T_MAX).times[-1]
                              for x in (held_out, fakes.times[-1]))
            metrics[f"discriminator_{norm}_real"] = float(spiking_gan.says_real(d_real).float().mean())
            metrics[f"discriminator_{norm}_fake"] = float(spiking_gan.says_fake(d_fake).float().mean())
        return exp.finish(metrics)

    return ctx.experiment("norm_pilot", keys, body)


def gan_mask_pilot(ctx: RunContext, settings: Mapping[str, Any], data: MnistSplits,
                   digit: int = 0) -> Artifact | None:
    """``gan_mask_pilot``: the digit's Spiking-GAN trained with the S4NN code's strict backward
    mask (``strict``) and with silent pairs counted (``silent_pairs``) for ``gan_pilot_steps``
    steps.  Every ``gan_pilot_every`` steps it records ``[step, share of pixels that spike,
    correlation of the mean sample with the digit's mean training image]`` (arrays ``strict``,
    ``silent_pairs``) and keeps eight final samples (``<key>_samples``, ``uint8 [8, 784]``)."""
    keys = {"digit": digit, "steps": settings["gan_pilot_steps"], "every": settings["gan_pilot_every"]}

    def body(exp: Experiment) -> Artifact:
        images = data.full_x[data.full_y == digit].flatten(1)
        real = coding.ttfs_encode(images)
        mean_real = images.float().mean(0)
        arrays = {}
        for silent_pairs in (False, True):
            config = spiking_gan.SpikingGANConfig(silent_pairs=silent_pairs)
            gen = exp.generator()
            gan = spiking_gan.init_spiking_gan(config, generator=gen)
            z = spiking_gan.noise_times(200, config, generator=torch.Generator().manual_seed(1))
            rows = []
            for step in range(keys["steps"]):
                gan = spiking_gan.spiking_gan_step(gan, real[step % len(real):step % len(real) + 1],
                                                   config, generator=gen).gan
                if (step + 1) % keys["every"] == 0:
                    samples = spiking_gan.generate_images(gan, z, config)
                    rows.append([step + 1, float((samples > 0).float().mean()),
                                 correlation(samples.mean(0), mean_real)])
            key = "silent_pairs" if silent_pairs else "strict"
            arrays[key] = np.array(rows)
            arrays[f"{key}_samples"] = samples[:8].round().to(torch.uint8)
        return exp.finish({}, arrays)

    return ctx.experiment("gan_mask_pilot", keys, body)


def gan_lr_pilot(ctx: RunContext, settings: Mapping[str, Any], data: MnistSplits,
                 scorer: DigitScorer | None = None, digit: int = 0) -> Artifact | None:
    """``gan_lr_pilot``: the digit's Spiking-GAN (:data:`GAN_BASE`) under each of G's
    per-layer learning rates in :data:`G_LR_CANDIDATES`, on the digit's training images.  Every
    ``gan_pilot_every`` steps, a row of :data:`~snnlib.papers.p003_spiking_gan.config.PILOT_COLUMNS`
    (arrays ``lr<k>``) from ``n_samples`` samples of a fixed noise batch; ``lr<k>_samples`` keeps
    eight final samples.  ``scorer`` (the digit classifier) is loaded when needed."""
    n_images = len(real_by_digit(data, settings, digit))
    keys = {"net": dataclasses.asdict(GAN_BASE), "digit": digit, "candidates": G_LR_CANDIDATES,
            "steps": settings["gan_pilot_steps"], "every": settings["gan_pilot_every"],
            "n_samples": settings["n_samples"], "n_images": n_images}

    def body(exp: Experiment) -> Artifact:
        score = scorer or DigitScorer(data)
        images = real_by_digit(data, settings, digit).flatten(1)
        real = coding.ttfs_encode(images)
        mean_real = images.float().mean(0)
        train_features = score.features(images)
        arrays = {}
        for k, lr_g in enumerate(G_LR_CANDIDATES):
            config = dataclasses.replace(GAN_BASE, lr_g=lr_g)
            gen = exp.generator()
            gan = spiking_gan.init_spiking_gan(config, generator=gen)
            start = [w.clone() for w in gan.generator]
            z = spiking_gan.noise_times(keys["n_samples"], config, generator=torch.Generator().manual_seed(1))
            order = torch.randperm(len(real), generator=torch.Generator().manual_seed(1000 * digit))
            rows = []
            for step in range(keys["steps"]):
                i = order[step % len(real)]
                gan = spiking_gan.spiking_gan_step(gan, real[i:i + 1], config, generator=gen).gan
                if (step + 1) % keys["every"] == 0:
                    times = spiking_gan.generate_times(gan, z, config).times[-1]
                    samples = coding.ttfs_decode(times)
                    pixel_error, _ = spiking_gan.generator_pixel_error(gan, times[:200], config)
                    moved = [float((w - w0).norm() / w0.norm()) for w, w0 in zip(gan.generator, start)]
                    rows.append([step + 1, float((times < T_MAX).float().mean()), float(samples.mean()),
                                 sample_spread(samples), correlation(samples.mean(0), mean_real),
                                 correlation(pixel_error.mean(0), mean_real), *moved,
                                 frechet_distance(score.features(samples / 255), train_features)])
            arrays[f"lr{k}"] = np.array(rows)
            arrays[f"lr{k}_samples"] = samples[:8].round().to(torch.uint8)
        return exp.finish({}, arrays)

    return ctx.experiment("gan_lr_pilot", keys, body)


def lr_pilot_median_fd(lr_pilot: Artifact) -> dict[int, float]:
    """Per candidate ``k``: the median Fréchet distance to the training images over the checks
    of the pilot's second half."""
    fd = {}
    for k in range(len(G_LR_CANDIDATES)):
        rows = lr_pilot.arrays[f"lr{k}"]
        fd[k] = float(np.median(rows[len(rows) // 2:, -1]))
    return fd


def chosen_g_rates(lr_pilot: Artifact | None) -> float | tuple[float, float]:
    """G's learning rates for the GANs: the candidate of the ``gan_lr_pilot`` with the lowest
    :func:`lr_pilot_median_fd`, or S4NN's rate while the pilot has not run."""
    if lr_pilot is None:
        return GAN_BASE.lr_g
    fd = lr_pilot_median_fd(lr_pilot)
    return G_LR_CANDIDATES[min(fd, key=fd.get)]


def gan_config(lr_pilot: Artifact | None) -> spiking_gan.SpikingGANConfig:
    """:data:`GAN_BASE` with G's rates chosen by the pilot (:func:`chosen_g_rates`)."""
    return dataclasses.replace(GAN_BASE, lr_g=chosen_g_rates(lr_pilot))


# --------------------------------------------------------------------------- classifiers

CURVE_COLUMNS = ["epoch", "online training accuracy", "validation strict", "validation S4NN-code",
                 "hidden neurons reset", "test strict", "test S4NN-code"]
"""The columns of a classifier's ``curve`` array (one row per epoch; runs made before the test set
was scored after every epoch have only the first five)."""


def _test_metrics(test: Evaluation, config: S4NNClassifierConfig) -> dict[str, float]:
    """The test-set numbers every classifier artifact records."""
    n_neurons = 784 + config.hidden + 10
    return {"test_strict": test.strict_accuracy, "test_s4nn": test.s4nn_accuracy,
            "test_tie": test.tie_rate, "test_silent": test.silent_rate,
            "decision_time": float(test.decision_time.float().mean()),
            "spikes_to_decision": float(test.spikes_to_decision.float().mean()),
            "fraction_firing": float(test.spikes_to_decision.float().mean()) / n_neurons,
            "hidden_firing": float((test.hidden_times < T_MAX).float().mean())}


def _test_arrays(test: Evaluation) -> dict[str, Tensor]:
    return {"test_decision_time": test.decision_time.short(), "test_spikes": test.spikes_to_decision.short(),
            "test_prediction": test.prediction.to(torch.int8)}


def train_classifier(ctx: RunContext, name: str, config: S4NNClassifierConfig,
                     settings: Mapping[str, Any], data: MnistSplits) -> Artifact | None:
    """Train (or load) one TTFS classifier for at most ``epochs`` epochs on the first ``n_train``
    training images, one image per update (S4NN).  After every epoch the network is scored on
    ``n_val`` validation images (before S4NN's dead-neuron reset) and the best epoch's weights
    are kept; those are scored once more on ``n_test`` test images for the headline numbers.
    The test images are also scored after every epoch (recorded only, never used to choose: S4NN's
    own protocol picks its epoch on them, which the chapter reports beside ours).

    With ``patience`` in ``settings`` (not ``None``), training stops on a validation plateau:
    before each epoch, if the strict validation accuracy has not exceeded its best for
    ``patience`` consecutive epochs, the run ends (checked from the checkpointed state, so a resumed
    run stops at the same epoch).

    Metrics: strict and S4NN-code test accuracy, tie and silent rates, mean decision step and
    spikes to decision, ``fraction_firing``, ``hidden_firing``, ``best_epoch``, ``best_val``,
    ``epochs_trained``, ``stopped_on_plateau``.  Arrays: ``curve`` ``[epochs trained, 7]``
    (:data:`CURVE_COLUMNS`), per test image ``test_decision_time``, ``test_spikes``,
    ``test_prediction``, and fifteen hidden weight vectors ``filters`` ``[15, 784]``."""
    keys = {"net": dataclasses.asdict(config), "epochs": settings["epochs"],
            "n_train": settings["n_train"], "n_val": settings["n_val"], "n_test": settings["n_test"],
            "scored_before_dead_neuron_reset": True}
    patience = settings.get("patience")
    if patience is not None:  # absent from the identity of runs without early stopping
        keys["patience"] = patience

    def body(exp: Experiment) -> Artifact:
        train_t = coding.ttfs_encode(data.train_x[:keys["n_train"]].flatten(1))
        train_labels = data.train_y[:keys["n_train"]]
        val_t = coding.ttfs_encode(data.val_x[:keys["n_val"]].flatten(1))
        val_labels = data.val_y[:keys["n_val"]]
        test_t = coding.ttfs_encode(data.test_x[:keys["n_test"]].flatten(1))
        test_labels = data.test_y[:keys["n_test"]]
        gen = exp.generator()
        weights = tp.s4nn_init_weights(config.layer_sizes(), generator=gen)
        state = {"weights": weights, "best": weights, "gen": gen, "curve": [], "best_val": -1.0,
                 "best_epoch": 0, "since_best": 0}
        plateau = False
        for epoch in exp.steps(keys["epochs"], state, every=1, desc=name):
            if patience is not None and state["since_best"] >= patience:
                plateau = True
                break
            result = train_epoch(state["weights"], train_t, train_labels, config, generator=state["gen"])
            val = evaluate(result.weights, val_t, val_labels, config)  # scored before the reset, as S4NN
            test_now = evaluate(result.weights, test_t, test_labels, config)  # recorded, never chosen on
            if val.strict_accuracy > state["best_val"]:
                state.update(best=result.weights, best_val=val.strict_accuracy, best_epoch=epoch + 1,
                             since_best=0)
            else:
                state["since_best"] += 1
            state["weights"], dead = reset_dead_hidden(result.weights, result, len(train_t),
                                                       generator=state["gen"])
            state["curve"] = state["curve"] + [[epoch + 1, result.online_accuracy, val.strict_accuracy,
                                                val.s4nn_accuracy, dead, test_now.strict_accuracy,
                                                test_now.s4nn_accuracy]]
        test = evaluate(state["best"], test_t, test_labels, config)
        metrics = {**_test_metrics(test, config), "best_epoch": state["best_epoch"],
                   "best_val": state["best_val"], "epochs_trained": len(state["curve"]),
                   "stopped_on_plateau": plateau}
        pick = torch.randperm(config.hidden, generator=torch.Generator().manual_seed(exp.seed))[:15]
        arrays = {"curve": np.array(state["curve"], dtype=np.float64), **_test_arrays(test),
                  "filters": state["best"][0][pick].to(torch.float32)}
        return exp.finish(metrics, arrays)

    return ctx.experiment(name, keys, body)


def train_classifiers(ctx: RunContext, settings: Mapping[str, Any], data: MnistSplits,
                      classifiers: Mapping[str, S4NNClassifierConfig] = CLASSIFIERS
                      ) -> dict[str, Artifact]:
    """:func:`train_classifier` for each of ``classifiers``; the artifacts that exist, by name."""
    done = {}
    for name, config in classifiers.items():
        art = train_classifier(ctx, name, config, settings, data)
        if art is not None:
            done[name] = art
    return done


def aggressive_readings_pilot(ctx: RunContext, settings: Mapping[str, Any], data: MnistSplits
                              ) -> dict[str, Artifact]:
    """``reading_<loss>``: a 784-400-10 classifier per reading of paper 003's lost eqs. 6-7
    (:data:`snnlib.core.temporal.AGGRESSIVE_READINGS`) and, matched, with the S4NN loss
    (``reading_s4nn``), each trained by :func:`train_classifier` for ``readings_epochs`` epochs
    (same seed, images and scoring); the artifacts that exist, by loss."""
    short = {**settings, "epochs": settings["readings_epochs"], "patience": None}
    done = {}
    for loss in ("s4nn", *tp.AGGRESSIVE_READINGS):
        art = train_classifier(ctx, f"reading_{loss}", S4NNClassifierConfig(hidden=400, loss=loss), short, data)
        if art is not None:
            done[loss] = art
    return done


def score_published(ctx: RunContext, settings: Mapping[str, Any], data: MnistSplits,
                    path: str | None = None) -> Artifact | None:
    """``clf400_published``: the S4NN authors' published 784-400-10 weights
    (:mod:`~snnlib.papers.p003_spiking_gan.published`; downloaded on demand and checked by sha256,
    or a local copy given by ``path`` or ``$SNN_S4NN_WEIGHTS``) scored by :func:`evaluate` on the
    ``n_test`` test images with S4NN's threshold and window.  Only where ``settings["published"]``
    is true (the quick profile must run offline); ``None`` elsewhere.

    Metrics: as a trained classifier's test numbers (strict and S4NN-code accuracy, ties, silent,
    decision step, spikes to decision, firing); arrays: per test image decision step, spikes and
    strict prediction."""
    if not settings.get("published"):
        return None
    config = S4NNClassifierConfig()
    keys = {"weights": published.PUBLISHED_WEIGHTS_URL, "sha256": published.PUBLISHED_WEIGHTS_SHA256,
            "net": dataclasses.asdict(config), "n_test": settings["n_test"]}

    def body(exp: Experiment) -> Artifact:
        weights = published.load_published_weights(path)
        test_t = coding.ttfs_encode(data.test_x[:keys["n_test"]].flatten(1))
        test = evaluate(weights, test_t, data.test_y[:keys["n_test"]], config)
        return exp.finish(_test_metrics(test, config), _test_arrays(test))

    return ctx.experiment("clf400_published", keys, body)


# --------------------------------------------------------------------------- GANs

def sample_noise(digit: int) -> torch.Generator:
    """The fixed noise used to draw every generator's samples after training."""
    return torch.Generator().manual_seed(10_000 + digit)


def _digit_context(ctx: RunContext, digit: int) -> RunContext:
    """The context of a digit's GAN: seed = context seed + digit (pending list shared)."""
    return dataclasses.replace(ctx, seed=ctx.seed + digit, pending=ctx.pending)


def _gan_inputs(data: MnistSplits, scorer: "DigitScorer | None", images_u8: Tensor, watch: int,
                config: spiking_gan.SpikingGANConfig):
    """What a Spiking-GAN run of one digit needs: the scorer, the digit's training images as TTFS
    times, their classifier features, and the fixed noise batch G draws from after every epoch
    (its samples are scored against the *training* images; the test images are kept for the
    final score)."""
    score = scorer or DigitScorer(data)
    images = images_u8.flatten(1)
    z_watch = spiking_gan.noise_times(watch, config, generator=torch.Generator().manual_seed(1))
    return score, coding.ttfs_encode(images), score.features(images), z_watch


def train_spiking_gan(ctx: RunContext, digit: int, config: spiking_gan.SpikingGANConfig,
                      settings: Mapping[str, Any], data: MnistSplits,
                      scorer: DigitScorer | None = None) -> Artifact | None:
    """``gan_spiking_digit<digit>``: a Spiking-GAN trained for ``gan_epochs`` passes over the
    digit's training images (a fresh random order per epoch, resumable).  After every epoch
    ``gan_watch`` samples of one fixed noise batch are scored against the training images
    (``log`` row: epoch, share of real images D called real, of generated ones it called fake,
    of generated ones that fooled the updated D, share of pixels spiking, Fréchet distance), and
    four are kept (``snapshots`` ``[epochs, 4, 784]``).  The final G draws ``n_samples`` samples
    (:func:`sample_noise`), scored with the digit classifier against the digit's test images."""
    images_u8 = real_by_digit(data, settings, digit)
    n = len(images_u8)
    keys = {"net": dataclasses.asdict(config), "digit": digit, "epochs": settings["gan_epochs"],
            "n_images": n, "n_samples": settings["n_samples"], "watch_samples": settings["gan_watch"]}

    def body(exp: Experiment) -> Artifact:
        score, real, train_features, z_watch = _gan_inputs(data, scorer, images_u8, keys["watch_samples"], config)
        gen = exp.generator()
        gan = spiking_gan.init_spiking_gan(config, generator=gen)
        state = {"g": gan.generator, "d": gan.discriminator, "gen": gen, "counts": [0, 0, 0], "log": [],
                 "snapshots": []}
        orders = {}  # the image order of an epoch depends only on (digit, epoch): resumable
        for step in exp.steps(keys["epochs"] * n, state, every=settings["gan_checkpoint_every"],
                              desc=exp.name):
            epoch, i = divmod(step, n)
            if epoch not in orders:
                orders = {epoch: torch.randperm(n, generator=torch.Generator().manual_seed(1000 * digit + epoch))}
            order = orders[epoch]
            out = spiking_gan.spiking_gan_step(spiking_gan.SpikingGAN(state["g"], state["d"]),
                                               real[order[i]:order[i] + 1], config, generator=state["gen"])
            state["g"], state["d"] = out.gan
            wins = [spiking_gan.says_real(out.d_real[0]),  # D right on the real image
                    spiking_gan.says_fake(out.d_fake[0]),  # D right on the generated one
                    spiking_gan.says_real(out.d_for_g[0])]  # G fooled the updated D
            state["counts"] = [c + int(w) for c, w in zip(state["counts"], wins)]
            if i == n - 1:
                times = spiking_gan.generate_times(out.gan, z_watch, config).times[-1]
                samples = coding.ttfs_decode(times)
                fd = frechet_distance(score.features(samples / 255), train_features)
                state["log"] = state["log"] + [[epoch + 1] + [c / n for c in state["counts"]]
                                               + [float((times < T_MAX).float().mean()), fd]]
                state["snapshots"] = state["snapshots"] + [samples[:4].round().to(torch.uint8)]
                state["counts"] = [0, 0, 0]
        gan = spiking_gan.SpikingGAN(state["g"], state["d"])
        z = spiking_gan.noise_times(keys["n_samples"], config, generator=sample_noise(digit))
        g_fwd = spiking_gan.generate_times(gan, z, config)
        images01 = coding.ttfs_decode(g_fwd.times[-1]) / 255
        probs, metrics = score.score_samples(images01, digit)
        spikes = sum((t < T_MAX).sum(1) for t in (z, *g_fwd.times)).float()
        metrics.update(spikes_per_sample=float(spikes.mean()),
                       pixels_spiking=float((g_fwd.times[-1] < T_MAX).float().mean()))
        arrays = {"samples": (255 * images01[:64]).round().to(torch.uint8), "probs": probs.float(),
                  "log": np.array(state["log"], dtype=np.float64),
                  "snapshots": torch.stack(state["snapshots"])}  # [epochs, 4, 784]
        return exp.finish(metrics, arrays)

    return _digit_context(ctx, digit).experiment(f"gan_spiking_digit{digit}", keys, body)


def train_ann_gan(ctx: RunContext, digit: int, settings: Mapping[str, Any], data: MnistSplits,
                  scorer: DigitScorer | None = None) -> Artifact | None:
    """``gan_ann_digit<digit>``: the ANN GAN of the same size (non-saturating loss, Adam) for
    ``ann_epochs`` epochs on batches of 64, then ``n_samples`` samples (:func:`sample_noise`)
    scored with the digit classifier (``target_acc``, ``fid``; arrays ``samples``, ``probs``)."""
    real = real_by_digit(data, settings, digit).flatten(1).float() / 127.5 - 1  # [-1, 1], as tanh
    keys = {"digit": digit, "epochs": settings["ann_epochs"], "batch": ANN_GAN_BATCH, "lr": ANN_GAN_LR,
            "betas": list(ANN_GAN_BETAS), "n_images": len(real), "n_samples": settings["n_samples"]}

    def body(exp: Experiment) -> Artifact:
        score = scorer or DigitScorer(data)
        gen = exp.generator()
        g, d = spiking_gan.ANNGenerator(), spiking_gan.ANNDiscriminator()
        opt_g = torch.optim.Adam(g.parameters(), lr=ANN_GAN_LR, betas=ANN_GAN_BETAS)
        opt_d = torch.optim.Adam(d.parameters(), lr=ANN_GAN_LR, betas=ANN_GAN_BETAS)
        state = {"g": g, "d": d, "opt_g": opt_g, "opt_d": opt_d, "gen": gen}
        for _epoch in exp.steps(keys["epochs"], state, every=10, desc=exp.name):
            order = torch.randperm(len(real), generator=gen)
            for start in range(0, len(real), ANN_GAN_BATCH):
                spiking_gan.ann_gan_step(g, d, opt_g, opt_d, real[order[start:start + ANN_GAN_BATCH]],
                                         generator=gen)
        with torch.no_grad():
            z = torch.randn(keys["n_samples"], 100, generator=sample_noise(digit))
            images01 = (g(z) + 1) / 2
        probs, metrics = score.score_samples(images01.clamp(0, 1), digit)
        arrays = {"samples": (255 * images01[:64]).round().to(torch.uint8), "probs": probs.float()}
        return exp.finish(metrics, arrays)

    return _digit_context(ctx, digit).experiment(f"gan_ann_digit{digit}", keys, body)


def train_gans(ctx: RunContext, config: spiking_gan.SpikingGANConfig, settings: Mapping[str, Any],
               data: MnistSplits, scorer: DigitScorer | None = None, digits=range(10)
               ) -> tuple[dict[int, Artifact], dict[int, Artifact]]:
    """Both GANs of every digit (ANN first, as the chapter always ran them):
    ``(spiking_gans, ann_gans)``, the artifacts that exist, by digit."""
    spiking_gans, ann_gans = {}, {}
    for digit in digits:
        art = train_ann_gan(ctx, digit, settings, data, scorer)
        if art is not None:
            ann_gans[digit] = art
        art = train_spiking_gan(ctx, digit, config, settings, data, scorer)
        if art is not None:
            spiking_gans[digit] = art
    return spiking_gans, ann_gans


def fix_pilot_config(base: spiking_gan.SpikingGANConfig, norm: str) -> spiking_gan.SpikingGANConfig:
    """A candidate's network settings: ``base`` (the learning-rate pilot's choice), or with the
    paper's L1 normalisation at rescaled rates (:func:`spiking_gan.l1_equivalent_rates`)."""
    return base if norm == "l2" else spiking_gan.l1_equivalent_rates(base)


def _variant_training(exp: Experiment, config: spiking_gan.SpikingGANConfig, variant: spiking_gan.GANVariant,
                      images_u8: Tensor, data: MnistSplits, scorer: "DigitScorer | None",
                      settings: Mapping[str, Any], digit: int, epochs: int, watch: int,
                      keep_best: bool = False) -> tuple[dict[str, Any], DigitScorer]:
    """The training loop of :func:`gan_fix_pilot` and :func:`train_fixed_gan`: ``epochs`` passes
    over the digit's images (the order depends only on digit and epoch: resumable) with
    :func:`spiking_gan.variant_gan_step`; per epoch a ``log`` row of
    :data:`~snnlib.papers.p003_spiking_gan.config.FIX_PILOT_COLUMNS` and four ``snapshots``.
    With ``keep_best``, the state also keeps G of the epoch with the lowest Fréchet distance to the
    **training** images (``best_g``, ``best_fd``, ``best_epoch``).  Returns ``(state, scorer)``."""
    score, real, train_features, z_watch = _gan_inputs(data, scorer, images_u8, watch, config)
    n = len(images_u8)
    gen = exp.generator()
    gan = spiking_gan.init_variant_gan(config, variant, generator=gen)
    state = {"g": gan.generator, "d": gan.discriminator, "gen": gen, "counts": [0, 0, 0, 0],
             "d_accuracy": 0.5, "log": [], "snapshots": []}
    if keep_best:
        state.update(best_g=[w.clone() for w in gan.generator], best_fd=float("inf"), best_epoch=0)
    orders = {}
    for step in exp.steps(epochs * n, state, every=settings["gan_checkpoint_every"], desc=exp.name):
        epoch, i = divmod(step, n)
        if epoch not in orders:  # the order depends only on (digit, epoch): resumable
            orders = {epoch: torch.randperm(n, generator=torch.Generator().manual_seed(1000 * digit + epoch))}
        order = orders[epoch]
        out = spiking_gan.variant_gan_step(spiking_gan.SpikingGAN(state["g"], state["d"]),
                                           real[order[i]:order[i] + 1], config, variant,
                                           epoch=step / n, d_accuracy=state["d_accuracy"],
                                           generator=state["gen"])
        state["g"], state["d"] = out.gan
        state["d_accuracy"] = out.d_accuracy
        state["counts"] = [c + int(v) for c, v in zip(state["counts"], (out.d_right_real, out.d_right_fake,
                                                                        out.g_fooled, out.d_updated))]
        if i == n - 1:
            times = spiking_gan.generate_times(out.gan, z_watch, config).times[-1]
            samples = coding.ttfs_decode(times)
            fd = frechet_distance(score.features(samples / 255), train_features)
            state["log"] = state["log"] + [[epoch + 1] + [c / n for c in state["counts"]]
                                           + [float((times < T_MAX).float().mean()), sample_spread(samples), fd]]
            state["snapshots"] = state["snapshots"] + [samples[:4].round().to(torch.uint8)]
            state["counts"] = [0, 0, 0, 0]
            if keep_best and fd < state["best_fd"]:
                state.update(best_g=[w.clone() for w in state["g"]], best_fd=fd, best_epoch=epoch + 1)
    return state, score


def gan_fix_pilot(ctx: RunContext, name: str, settings: Mapping[str, Any], data: MnistSplits,
                  base: spiking_gan.SpikingGANConfig, scorer: DigitScorer | None = None,
                  digit: int = 0) -> Artifact | None:
    """``gan_fix_<name>``: the digit's Spiking-GAN trained for ``fix_epochs`` passes over its
    training images (a fresh order per epoch, as :func:`train_spiking_gan`; resumable) with candidate
    ``name`` of :data:`GAN_FIX_CANDIDATES` (:func:`spiking_gan.variant_gan_step`).  Per epoch, a
    ``log`` row of :data:`~snnlib.papers.p003_spiking_gan.config.FIX_PILOT_COLUMNS`: D's verdicts
    and "G fools D" on each step's real image and *fresh* sample before the step's updates,
    averaged over the epoch; the share of steps that updated D; and, on ``gan_watch`` samples of one
    fixed noise batch, the share of pixels that spike, their spread and their Fréchet distance to
    the digit's **training** images (digit-classifier features).  Four watch samples per epoch are
    kept (``snapshots`` ``[epochs, 4, 784]``).  Training images only: a pilot, no test score.

    Metrics: ``fd_last``, ``fd_best``, ``fd_best_epoch``, ``fooled_last``, ``spread_last``."""
    norm, variant = GAN_FIX_CANDIDATES[name]
    config = fix_pilot_config(base, norm)
    images_u8 = real_by_digit(data, settings, digit)
    n = len(images_u8)
    keys = {"net": dataclasses.asdict(config), "variant": dataclasses.asdict(variant), "digit": digit,
            "epochs": settings["fix_epochs"], "n_images": n, "watch_samples": settings["gan_watch"]}

    def body(exp: Experiment) -> Artifact:
        state, _ = _variant_training(exp, config, variant, images_u8, data, scorer, settings, digit,
                                     keys["epochs"], keys["watch_samples"])
        log = np.array(state["log"], dtype=np.float64)
        best = int(np.argmin(log[:, -1]))
        metrics = {"fd_last": float(log[-1, -1]), "fd_best": float(log[best, -1]),
                   "fd_best_epoch": int(log[best, 0]), "fooled_last": float(log[-1, 3]),
                   "spread_last": float(log[-1, 6])}
        return exp.finish(metrics, {"log": log, "snapshots": torch.stack(state["snapshots"])})

    return ctx.experiment(f"gan_fix_{name}", keys, body)


def gan_fix_pilots(ctx: RunContext, settings: Mapping[str, Any], data: MnistSplits,
                   base: spiking_gan.SpikingGANConfig, scorer: DigitScorer | None = None
                   ) -> dict[str, Artifact]:
    """:func:`gan_fix_pilot` for every candidate; the artifacts that exist, by candidate name."""
    done = {}
    for name in GAN_FIX_CANDIDATES:
        art = gan_fix_pilot(ctx, name, settings, data, base, scorer)
        if art is not None:
            done[name] = art
    return done


def fix_min_spread(data: MnistSplits, settings: Mapping[str, Any], digit: int = 0) -> float:
    """The spread a pilot's samples need to be chosen: :data:`FIX_MIN_SPREAD_SHARE` of the spread
    of the digit's first 64 training images (:func:`snnlib.core.metrics.sample_spread`)."""
    return FIX_MIN_SPREAD_SHARE * sample_spread(real_by_digit(data, settings, digit)[:64])


def chosen_fix(fix_pilots: Mapping[str, Artifact], min_spread: float = 0.0) -> str | None:
    """The candidate against G's collapse that the ten digits train with: among the candidates
    whose samples spread at least ``min_spread`` at the pilot's last epoch (:func:`fix_min_spread`;
    all of them if none does), the lowest Fréchet distance to the digit-0 **training** images at
    that epoch; ``None`` until every candidate has run."""
    if set(fix_pilots) != set(GAN_FIX_CANDIDATES):
        return None
    varied = [name for name in GAN_FIX_CANDIDATES if fix_pilots[name].metrics["spread_last"] >= min_spread]
    return min(varied or GAN_FIX_CANDIDATES, key=lambda name: fix_pilots[name].metrics["fd_last"])


def train_fixed_gan(ctx: RunContext, digit: int, name: str, base: spiking_gan.SpikingGANConfig,
                    settings: Mapping[str, Any], data: MnistSplits, scorer: DigitScorer | None = None
                    ) -> Artifact | None:
    """``gan_spiking_fixed_digit<digit>``: the digit's Spiking-GAN trained for ``gan_epochs``
    passes with candidate ``name`` of :data:`GAN_FIX_CANDIDATES` (the loop of
    :func:`gan_fix_pilot`, keeping G of the epoch with the lowest Fréchet distance to the
    training images).  G at the last epoch and G at that best-FD epoch each draw ``n_samples``
    samples (:func:`sample_noise`), scored against the digit's **test** images.

    Metrics: ``target_acc``, ``fid``, ``spread`` (of the first 64 samples), ``spikes_per_sample``
    of the last epoch's G, the same with prefix ``best_`` for the best-FD epoch's G, and
    ``best_epoch``.  Arrays: ``samples``, ``best_samples`` (``uint8 [64, 784]``), ``probs``,
    ``best_probs`` (the classifier's class probabilities of every sample), ``log``
    (:data:`~snnlib.papers.p003_spiking_gan.config.FIX_PILOT_COLUMNS`), ``snapshots``."""
    norm, variant = GAN_FIX_CANDIDATES[name]
    config = fix_pilot_config(base, norm)
    images_u8 = real_by_digit(data, settings, digit)
    keys = {"net": dataclasses.asdict(config), "variant": dataclasses.asdict(variant), "candidate": name,
            "digit": digit, "epochs": settings["gan_epochs"], "n_images": len(images_u8),
            "n_samples": settings["n_samples"], "watch_samples": settings["gan_watch"]}

    def body(exp: Experiment) -> Artifact:
        state, score = _variant_training(exp, config, variant, images_u8, data, scorer, settings, digit,
                                         keys["epochs"], keys["watch_samples"], keep_best=True)
        metrics, arrays = {"best_epoch": state["best_epoch"]}, {}
        for prefix, g in (("", state["g"]), ("best_", state["best_g"])):
            z = spiking_gan.noise_times(keys["n_samples"], config, generator=sample_noise(digit))
            g_fwd = spiking_gan.generate_times(spiking_gan.SpikingGAN(g, state["d"]), z, config)
            images01 = coding.ttfs_decode(g_fwd.times[-1]) / 255
            probs, scores = score.score_samples(images01, digit)
            samples = (255 * images01[:64]).round().to(torch.uint8)
            spikes = sum((t < T_MAX).sum(1) for t in (z, *g_fwd.times)).float()
            metrics.update({f"{prefix}{key}": value for key, value in scores.items()})
            metrics.update({f"{prefix}spread": sample_spread(samples),
                            f"{prefix}spikes_per_sample": float(spikes.mean())})
            arrays.update({f"{prefix}samples": samples, f"{prefix}probs": probs.float()})
        arrays.update(log=np.array(state["log"], dtype=np.float64), snapshots=torch.stack(state["snapshots"]))
        return exp.finish(metrics, arrays)

    return _digit_context(ctx, digit).experiment(f"gan_spiking_fixed_digit{digit}", keys, body)


def train_fixed_gans(ctx: RunContext, fix_pilots: Mapping[str, Artifact], base: spiking_gan.SpikingGANConfig,
                     settings: Mapping[str, Any], data: MnistSplits, scorer: DigitScorer | None = None,
                     digits=range(10)) -> dict[int, Artifact]:
    """:func:`train_fixed_gan` of every digit with :func:`chosen_fix`'s candidate (spread at least
    :func:`fix_min_spread`; nothing until
    the pilots have all run); the artifacts that exist, by digit."""
    name = chosen_fix(fix_pilots, fix_min_spread(data, settings))
    done = {}
    for digit in digits if name is not None else ():
        art = train_fixed_gan(ctx, digit, name, base, settings, data, scorer)
        if art is not None:
            done[digit] = art
    return done


def s4nn_benchmark(ctx: RunContext) -> Artifact | None:
    """The recorded run of ``benchmarks/s4nn_vs_numpy_port.py`` (full profile; ``None`` if it has
    not been recorded)."""
    return ctx.recorded("s4nn_benchmark", profile="full")


def run_all(ctx: RunContext) -> None:
    """Every protocol the chapter runs, in its order, with its profile's settings: what the
    launcher (:mod:`snnlib.book.launch`) enumerates (``ctx.train = False``) and runs one
    experiment at a time (``ctx.train`` = that name).  The GANs and the pilot against G's collapse
    are configured by the learning-rate pilot's artifact, so they are run (and listed) only once it
    exists."""
    settings, data = profile_settings(ctx.profile), load_data()
    norm_pilot(ctx, settings, data)
    train_classifiers(ctx, settings, data)
    aggressive_readings_pilot(ctx, settings, data)
    score_published(ctx, settings, data)
    gan_mask_pilot(ctx, settings, data)
    scorer = DigitScorer(data)
    lr_pilot = gan_lr_pilot(ctx, settings, data, scorer)
    if lr_pilot is not None:
        train_gans(ctx, gan_config(lr_pilot), settings, data, scorer)
        fix_pilots = gan_fix_pilots(ctx, settings, data, gan_config(lr_pilot), scorer)
        train_fixed_gans(ctx, fix_pilots, gan_config(lr_pilot), settings, data, scorer)
