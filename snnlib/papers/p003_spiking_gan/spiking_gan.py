r"""Spiking-GAN (Kotariya & Ganguly 2021) and the dense ANN GAN it is compared with.

Spiking-GAN: a generator G (100-400-784) and a discriminator D (784-400-2) of single-spike
IF neurons with time-to-first-spike (TTFS) coding, trained with the S4NN temporal
backprop of :mod:`snnlib.core.temporal`.  The paper's equations are missing from our text
(only their numbers survive); the losses and targets below are **RECONSTRUCTED** from the S4NN
paper and code and from the paper's prose, which is consistent with each of them (chapter 003:
eq-003-loss, eq-003-aggressive and eq-003-backprop applied to D and G):

* noise :math:`z \in \{0, \dots, 255\}^{100}`, i.i.d. uniform, TTFS-encoded like pixels;
* D's output neuron 0 means "fake", neuron 1 "real"; the first to fire decides;
* D on a real image: targets :math:`[t_{max}, t^o_{min}]`; on a generated one
  :math:`[t^o_{min}, t_{max}]`; G (through the frozen D): :math:`[t_{max}, t^o_{min}]`;
  :math:`t^o_{min} := 0` when neither output fires (eqs. 6-7,
  :func:`snnlib.core.temporal.dynamic_targets`);
* temporal least-squares error :math:`(t^o - T)/t_{max}` (eqs. 4-5, 16-17) and the S4NN
  rule; the error is normalised at every layer.  The Spiking-GAN text divides by the L1
  norm, the S4NN code by the L2 norm; the default here is L2, because with S4NN's learning
  rate an L1-normalised discriminator did not learn in our pilot (the paper-003 chapter
  shows the pilot).  G's error at its output layer is D's error at D's input neurons
  (eq. 15 applied down to D's input);
* the learning rate may differ per layer (S4NN's code keeps one per layer); the paper states
  none.  With S4NN's 0.2 everywhere, G's hidden layer (weights U[0, 5]) moves far faster,
  relative to its weights, than its output layer (U[0, 48]), and the pixel-specific part of
  D's error hardly reaches the image (the paper-003 chapter measures this and chooses G's
  per-layer rates on training data);
* the contribution mask of eq. (13) counts a silent input of a silent neuron (both at
  :math:`t_{max}`, S4NN's "fake spike"), which the S4NN code's strict mask leaves out:
  without it a generator whose pixels all fall silent gets no error and stays blank, as it
  did in our pilot (the chapter shows both).

Where the paper is silent (thresholds, learning rate, L2 penalty, initialisation, one
update per image) the S4NN code's defaults are used (:mod:`snnlib.core.temporal` constants).

The ANN baseline (the paper's Fig. 8b) is a 100-400-784 generator with a tanh output and
a 784-400-1 discriminator with a sigmoid output, ReLU elsewhere; its loss and optimiser
are not given in the paper, so it uses the usual non-saturating GAN loss with Adam
(Radford et al.'s lr 2e-4, beta1 0.5).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from snnlib.core import temporal as tp
from snnlib.core.coding import ttfs_decode, ttfs_encode

__all__ = [
    "SpikingGANConfig",
    "SpikingGAN",
    "GANStep",
    "init_spiking_gan",
    "noise_times",
    "generate_times",
    "generate_images",
    "discriminator_update",
    "generator_pixel_error",
    "generator_update",
    "spiking_gan_step",
    "GANVariant",
    "init_variant_gan",
    "l1_equivalent_rates",
    "VariantStep",
    "variant_gan_step",
    "ANNGenerator",
    "ANNDiscriminator",
    "ann_gan_step",
]


@dataclass(frozen=True)
class SpikingGANConfig:
    """Sizes and learning settings; defaults are the paper's sizes and S4NN's constants."""

    noise: int = 100
    g_hidden: int = 400
    image: int = 784
    d_hidden: int = 400
    threshold: float = tp.S4NN_THRESHOLD
    lr_g: float | tuple[float, ...] = tp.S4NN_LR
    """G's learning rate: one value, or one per layer (hidden, output); see ``lr_d``."""
    lr_d: float | tuple[float, ...] = tp.S4NN_LR
    """D's learning rate, one value or one per layer (S4NN's code has one per layer, both 0.2)."""
    weight_decay: float = tp.S4NN_WEIGHT_DECAY
    t_max: int = tp.S4NN_T_MAX
    norm: Literal["l1", "l2"] = "l2"
    """Error normalisation: ``'l2'`` (S4NN code, default) or ``'l1'`` (Spiking-GAN text)."""
    silent_pairs: bool = True
    r"""Count a silent input of a silent neuron as contributing (eq. 13's :math:`t_i \le t_j` at
    :math:`t_i = t_j = t_{max}`; ``silent_pairs_at`` of :func:`snnlib.core.temporal.s4nn_backward`).
    ``False`` is the S4NN code's strict mask, under which a generator whose pixels all fall
    silent receives no error again."""

    @property
    def silent_pairs_at(self) -> int | None:
        return self.t_max if self.silent_pairs else None

    def generator_sizes(self) -> list[int]:
        return [self.noise, self.g_hidden, self.image]

    def discriminator_sizes(self) -> list[int]:
        return [self.image, self.d_hidden, 2]


class SpikingGAN(NamedTuple):
    """Weights of both networks (``[n_out, n_in]`` per layer)."""

    generator: list[Tensor]
    discriminator: list[Tensor]


def init_spiking_gan(config: SpikingGANConfig, *, generator: torch.Generator | None = None,
                     dtype: torch.dtype = torch.float32) -> SpikingGAN:
    """S4NN's uniform initialisation (hidden U[0, 5], output U[0, 48]) for G and D."""
    return SpikingGAN(
        tp.s4nn_init_weights(config.generator_sizes(), generator=generator, dtype=dtype),
        tp.s4nn_init_weights(config.discriminator_sizes(), generator=generator, dtype=dtype),
    )


def noise_times(batch: int, config: SpikingGANConfig, *,
                generator: torch.Generator | None = None) -> Tensor:
    """``[batch, noise]`` TTFS times of :math:`z \\sim U\\{0, \\dots, 255\\}^{100}`
    (:func:`snnlib.core.coding.ttfs_encode`, so ``z = 0`` never spikes)."""
    z = torch.randint(0, 256, (batch, config.noise), generator=generator)
    return ttfs_encode(z, t_max=config.t_max)


def _forward(input_times: Tensor, weights: list[Tensor], config: SpikingGANConfig) -> tp.S4NNTimes:
    """Every layer's firing times (eq-003-if), by the sorted-input fast path
    :func:`snnlib.core.temporal.s4nn_forward_times` (the same times as the time-binned
    :func:`snnlib.core.temporal.s4nn_forward`, 1.3-2.6x faster for G and D here)."""
    return tp.s4nn_forward_times(input_times, weights, config.threshold, config.t_max)


def generate_times(gan: SpikingGAN, z_times: Tensor, config: SpikingGANConfig) -> tp.S4NNTimes:
    """G's forward pass; ``.times[-1]`` are the generated image's pixel times."""
    return _forward(z_times, gan.generator, config)


def generate_images(gan: SpikingGAN, z_times: Tensor, config: SpikingGANConfig) -> Tensor:
    """Generated images in ``[0, 255]``, ``[B, image]``: G's output times decoded with the
    inverse TTFS code :math:`\\hat x = 255\\,(1 - t/t_{max})` (a silent pixel is black)."""
    times = generate_times(gan, z_times, config).times[-1]
    return ttfs_decode(times, t_max=config.t_max)


def says_real(d_times: Tensor) -> Tensor:
    """D's verdict "real" on each of ``d_times`` ``[..., 2]``: its :data:`REAL` neuron fires
    strictly before its :data:`FAKE` neuron (ties and silence are no verdict)."""
    return d_times[..., tp.REAL] < d_times[..., tp.FAKE]


def says_fake(d_times: Tensor) -> Tensor:
    """D's verdict "fake": its :data:`FAKE` neuron fires strictly first."""
    return d_times[..., tp.FAKE] < d_times[..., tp.REAL]


def discriminator_update(gan: SpikingGAN, image_times: Tensor, real: bool,
                         config: SpikingGANConfig) -> tuple[list[Tensor], Tensor]:
    """D's S4NN update on real (``real=True``) or generated images.

    Returns:
        ``(delta_w, out_times)``: the updates to add to D's weights and D's ``[B, 2]``
        output times before the update.
    """
    fwd = _forward(image_times, gan.discriminator, config)
    out = fwd.times[-1]
    targets = tp.gan_discriminator_targets(out, real, config.t_max)
    error = tp.temporal_error(out, targets, config.t_max, dtype=gan.discriminator[-1].dtype)
    back = tp.s4nn_backward(image_times, fwd.times, gan.discriminator, error, lr=config.lr_d,
                            weight_decay=config.weight_decay, norm=config.norm,
                            silent_pairs_at=config.silent_pairs_at)
    return back.delta_w, out


def generator_pixel_error(gan: SpikingGAN, image_times: Tensor, config: SpikingGANConfig
                          ) -> tuple[Tensor, Tensor]:
    r"""G's error at its output layer: D's error against G's targets (eqs. 5, 7, 17
    **RECONSTRUCTED**) back-propagated through the frozen D (eq. 15) down to D's input
    neurons, normalised per sample.

    A positive entry (:math:`\partial\mathcal L_G/\partial t_i > 0`) asks pixel ``i`` to fire
    earlier, i.e. to be brighter.

    Returns:
        ``(pixel_error, d_out_times)``: ``[B, image]`` and D's ``[B, 2]`` output times.
    """
    d_fwd = _forward(image_times, gan.discriminator, config)
    d_out = d_fwd.times[-1]
    targets = tp.gan_generator_targets(d_out, config.t_max)
    error = tp.temporal_error(d_out, targets, config.t_max, dtype=gan.generator[-1].dtype)
    through_d = tp.s4nn_backward(image_times, d_fwd.times, gan.discriminator, error, lr=0.0,
                                 weight_decay=0.0, norm=config.norm, input_delta=True,
                                 silent_pairs_at=config.silent_pairs_at)
    return through_d.input_delta, d_out


def generator_update(gan: SpikingGAN, z_times: Tensor, config: SpikingGANConfig, *,
                     g_forward: tp.S4NNTimes | None = None
                     ) -> tuple[list[Tensor], Tensor, list[Tensor]]:
    """G's S4NN update through the frozen D (eqs. 5, 7, 15, 17 **RECONSTRUCTED**).

    The error of D's outputs against G's targets is back-propagated through D (whose
    weights are not changed) down to D's input neurons, i.e. G's output layer, and from
    there through G.

    ``g_forward`` may pass G's forward pass on ``z_times`` if it was already computed with
    the current G weights.

    Returns:
        ``(delta_w, d_out_times, g_times)``: updates to add to G's weights, D's ``[B, 2]``
        output times on the generated images, and G's layer times.
    """
    g_fwd = g_forward if g_forward is not None else generate_times(gan, z_times, config)
    pixel_error, d_out = generator_pixel_error(gan, g_fwd.times[-1], config)
    back = tp.s4nn_backward(z_times, g_fwd.times, gan.generator, pixel_error,
                            lr=config.lr_g, weight_decay=config.weight_decay, norm=config.norm,
                            silent_pairs_at=config.silent_pairs_at)
    return back.delta_w, d_out, g_fwd.times


class GANStep(NamedTuple):
    """Result of :func:`spiking_gan_step`; D's output times are ``[B, 2]``."""

    gan: SpikingGAN
    d_real: Tensor
    """D's outputs on the real images (before D's update)."""
    d_fake: Tensor
    """D's outputs on the generated images (before D's update)."""
    d_for_g: Tensor
    """D's outputs on G's new samples (updated D, before G's update)."""


def spiking_gan_step(gan: SpikingGAN, real_times: Tensor, config: SpikingGANConfig, *,
                     generator: torch.Generator | None = None) -> GANStep:
    """One alternating round: D learns from a real and a generated batch (G frozen), then
    G learns from the same generated batch through the updated, frozen D (as in the PyTorch
    DCGAN example, which also reuses the fake batch for G's step)."""
    z = noise_times(real_times.shape[0], config, generator=generator)
    g_fwd = generate_times(gan, z, config)
    dw_real, d_real = discriminator_update(gan, real_times, True, config)
    gan = SpikingGAN(gan.generator, [w + d for w, d in zip(gan.discriminator, dw_real)])
    dw_fake, d_fake = discriminator_update(gan, g_fwd.times[-1], False, config)
    gan = SpikingGAN(gan.generator, [w + d for w, d in zip(gan.discriminator, dw_fake)])
    dw_g, d_for_g, _ = generator_update(gan, z, config, g_forward=g_fwd)
    gan = SpikingGAN([w + d for w, d in zip(gan.generator, dw_g)], gan.discriminator)
    return GANStep(gan, d_real, d_fake, d_for_g)


# --------------------------------------------------------------------------------------
# Variants for the pilot against G's collapse (chapter 003, issue: the GAN's fixes)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GANVariant:
    """Changes to the Spiking-GAN's training tried against G's collapse; the defaults are
    :func:`spiking_gan_step`'s training (then :func:`variant_gan_step` gives its weights).
    Kept apart from :class:`SpikingGANConfig`, whose fields are the identity of the committed
    GAN artifacts."""

    g_init: Literal["s4nn", "signed"] = "s4nn"
    r"""G's initial weights: S4NN's all-positive uniform ones, or signed and zero-mean,
    :math:`w \sim \mathcal N(0, (g\,\theta)^2 / n_{in})` per layer (``g_init_gain`` = :math:`g`),
    so that a neuron's potential is a zero-mean walk that crosses the threshold :math:`\theta`
    for some inputs and not others."""
    g_init_gain: float = 2.0
    g_decay_epochs: float | None = None
    """G's step decays as ``lr_g / (1 + epoch / g_decay_epochs)``, ``epoch`` counted in passes
    over the training images so far (``None``: a fixed step)."""
    d_bound: float | None = None
    """D is updated only while its running accuracy (measured before its updates, averaged over
    about ``d_window`` steps) is below this bound (``None``: every step)."""
    d_window: int = 200


def init_variant_gan(config: SpikingGANConfig, variant: GANVariant, *,
                     generator: torch.Generator | None = None,
                     dtype: torch.dtype = torch.float32) -> SpikingGAN:
    """:func:`init_spiking_gan`, with G drawn signed and zero-mean when ``variant.g_init`` is
    ``'signed'`` (G first, then D, from ``generator``)."""
    if variant.g_init == "s4nn":
        return init_spiking_gan(config, generator=generator, dtype=dtype)
    if variant.g_init != "signed":
        raise ValueError(f"unknown g_init {variant.g_init!r}")
    sizes = config.generator_sizes()
    g = [torch.randn(n_out, n_in, generator=generator, dtype=dtype)
         * (variant.g_init_gain * config.threshold / math.sqrt(n_in))
         for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return SpikingGAN(g, tp.s4nn_init_weights(config.discriminator_sizes(), generator=generator, dtype=dtype))


def l1_equivalent_rates(config: SpikingGANConfig) -> SpikingGANConfig:
    r"""``config`` with the paper's L1 normalisation and each layer's rate multiplied by
    :math:`\sqrt{n}` (:math:`n` the layer's neurons): for an error spread evenly over a layer,
    :math:`\lVert\delta\rVert_1 = \sqrt n\,\lVert\delta\rVert_2`, so the L1-normalised steps are then as
    large as the L2-normalised ones at the original rates (a re-tuning by the norms' ratio, not a
    search)."""
    def scaled(lr, sizes):
        rates = lr if isinstance(lr, tuple) else (lr,) * (len(sizes) - 1)
        return tuple(float(r * math.sqrt(n)) for r, n in zip(rates, sizes[1:]))

    return dataclasses.replace(config, norm="l1", lr_g=scaled(config.lr_g, config.generator_sizes()),
                               lr_d=scaled(config.lr_d, config.discriminator_sizes()))


class VariantStep(NamedTuple):
    """Result of :func:`variant_gan_step` (one image and one noise vector)."""

    gan: SpikingGAN
    d_right_real: bool
    """D called the real image real (before this step's updates)."""
    d_right_fake: bool
    """D called G's fresh sample fake (before this step's updates)."""
    g_fooled: bool
    """D called G's fresh sample real (before this step's updates): "G fools D" on a sample D
    has not been trained on."""
    d_updated: bool
    d_accuracy: float
    """D's running accuracy after this step (what the next step's gate reads)."""


def variant_gan_step(gan: SpikingGAN, real_times: Tensor, config: SpikingGANConfig,
                     variant: GANVariant, *, epoch: float, d_accuracy: float,
                     generator: torch.Generator | None = None) -> VariantStep:
    """:func:`spiking_gan_step` (``B = 1``) with a :class:`GANVariant`: D's verdicts on the real
    image and on G's fresh sample are read before any update; D learns only while
    ``d_accuracy`` (its running accuracy, passed in from the previous step) is below
    ``variant.d_bound``; G's rates are scaled by the decay at ``epoch`` (passes so far).  With the default variant
    the weights are those of :func:`spiking_gan_step` (same draws from ``generator``)."""
    z = noise_times(real_times.shape[0], config, generator=generator)
    g_fwd = generate_times(gan, z, config)
    fake = g_fwd.times[-1]
    d_real = _forward(real_times, gan.discriminator, config).times[-1][0]
    d_fake = _forward(fake, gan.discriminator, config).times[-1][0]
    right_real, right_fake = bool(says_real(d_real)), bool(says_fake(d_fake))
    update_d = variant.d_bound is None or d_accuracy < variant.d_bound
    if update_d:
        dw_real, _ = discriminator_update(gan, real_times, True, config)
        gan = SpikingGAN(gan.generator, [w + d for w, d in zip(gan.discriminator, dw_real)])
        dw_fake, _ = discriminator_update(gan, fake, False, config)
        gan = SpikingGAN(gan.generator, [w + d for w, d in zip(gan.discriminator, dw_fake)])
    g_config = config
    if variant.g_decay_epochs is not None:
        scale = 1.0 / (1.0 + epoch / variant.g_decay_epochs)
        rates = config.lr_g if isinstance(config.lr_g, tuple) else (config.lr_g,) * 2
        g_config = dataclasses.replace(config, lr_g=tuple(r * scale for r in rates))
    dw_g, _, _ = generator_update(gan, z, g_config, g_forward=g_fwd)
    gan = SpikingGAN([w + d for w, d in zip(gan.generator, dw_g)], gan.discriminator)
    alpha = 1.0 / variant.d_window
    accuracy = (1 - alpha) * d_accuracy + alpha * (right_real + right_fake) / 2
    return VariantStep(gan, right_real, right_fake, bool(says_real(d_fake)), update_d, accuracy)


# --------------------------------------------------------------------------------------
# ANN baseline (paper Fig. 8b)
# --------------------------------------------------------------------------------------


class ANNGenerator(nn.Module):
    """100-400-784 MLP, ReLU hidden, tanh output (images in [-1, 1])."""

    def __init__(self, noise: int = 100, hidden: int = 400, image: int = 784) -> None:
        super().__init__()
        self.noise = noise
        self.net = nn.Sequential(nn.Linear(noise, hidden), nn.ReLU(), nn.Linear(hidden, image),
                                 nn.Tanh())

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class ANNDiscriminator(nn.Module):
    """784-400-1 MLP, ReLU hidden; returns the logit of "real" (sigmoid applied in the loss)."""

    def __init__(self, image: int = 784, hidden: int = 400) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(image, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(-1)


def ann_gan_step(g: ANNGenerator, d: ANNDiscriminator, opt_g: torch.optim.Optimizer,
                 opt_d: torch.optim.Optimizer, real: Tensor, *,
                 generator: torch.Generator | None = None) -> tuple[float, float]:
    """One non-saturating GAN step on a batch ``real`` in [-1, 1]; returns (loss_d, loss_g)."""
    batch = real.shape[0]
    ones, zeros = torch.ones(batch), torch.zeros(batch)
    z = torch.randn(batch, g.noise, generator=generator)
    fake = g(z)
    loss_d = (F.binary_cross_entropy_with_logits(d(real), ones)
              + F.binary_cross_entropy_with_logits(d(fake.detach()), zeros))
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    loss_g = F.binary_cross_entropy_with_logits(d(fake), ones)
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    return float(loss_d.detach()), float(loss_g.detach())
