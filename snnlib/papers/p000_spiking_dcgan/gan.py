r"""One GAN training step of paper 000 (eq-000-gan) and its optimisers.

The paper trains the discriminator :math:`D` and the generator :math:`G` alternately with the
binary cross-entropy of the GAN game,

.. math::  \min_G \max_D\; \mathbb E_x[\log D(x)] + \mathbb E_z[\log(1 - D(G(z)))],

in the form of the PyTorch DCGAN example: :math:`D` steps on a real and a generated batch,
then :math:`G` steps on the same generated batch with the non-saturating loss
:math:`-\log D(G(z))`.  Both use their own AdamW (paper: lr :math:`10^{-5}`, betas (0.9, 0.999),
weight decay :math:`10^{-3}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["OptimiserConfig", "make_optimiser", "GANLosses", "gan_step"]


@dataclass(frozen=True)
class OptimiserConfig:
    """AdamW settings of paper §2 (the same for G and D)."""

    lr: float = 1e-5
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 1e-3


def make_optimiser(module: nn.Module, config: OptimiserConfig) -> torch.optim.AdamW:
    """AdamW over ``module``'s parameters with ``config``."""
    return torch.optim.AdamW(module.parameters(), lr=config.lr, betas=config.betas,
                             weight_decay=config.weight_decay)


class GANLosses(NamedTuple):
    """The two BCE losses of one :func:`gan_step` (paper Fig. 6)."""

    d: float
    """D's loss: mean BCE on the real batch (target 1) plus on the generated batch (target 0)."""
    g: float
    """G's loss: BCE of D's verdict on the generated batch against target 1."""


def gan_step(generator: nn.Module, discriminator: nn.Module, opt_g: torch.optim.Optimizer,
             opt_d: torch.optim.Optimizer, real: Tensor, z: Tensor) -> GANLosses:
    r"""One alternating round of eq-000-gan on the real batch ``real`` ``[B, 1, 28, 28]`` in
    [0, 1] and the noise ``z`` ``[B, latent]``; ``generator(z)`` returns ``(images, ...)`` and
    ``discriminator(images)`` D's logits."""
    fake, *_ = generator(z)
    ones, zeros = torch.ones(len(real)), torch.zeros(len(fake))
    loss_d = (F.binary_cross_entropy_with_logits(discriminator(real), ones)
              + F.binary_cross_entropy_with_logits(discriminator(fake.detach()), zeros))
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    loss_g = F.binary_cross_entropy_with_logits(discriminator(fake), ones)
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    return GANLosses(float(loss_d.detach()), float(loss_g.detach()))
