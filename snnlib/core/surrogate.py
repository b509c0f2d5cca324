r"""Surrogate gradients for the spike non-linearity.

A spike is the Heaviside step of the *overdrive* :math:`x = U - U_{thr}`:

.. math::  S = H(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}

(strict inequality, as in snnTorch: ``(input_ > 0).float()``).  Its true derivative is zero almost
everywhere, so training replaces it in the backward pass by the derivative of a smooth *primitive*
:math:`\tilde S(x)` (SpikingJelly's design: every surrogate is "a smooth function whose forward is
replaced by the step").  Each :class:`Surrogate` therefore carries

* :meth:`Surrogate.primitive`  -- :math:`\tilde S(x)`, an ordinary differentiable torch expression
  (useful for plotting and for checking the derivative with autograd),
* :meth:`Surrogate.derivative` -- :math:`\tilde S'(x)` written out in closed form (used in backward),
* ``surrogate(x)``              -- forward :math:`H(x)`, backward :math:`\tilde S'(x)\cdot\partial L/\partial S`.

Surrogates are frozen dataclasses: hashable, comparable, free of hidden state, and can sit inside
the ``NamedTuple`` parameter records of :mod:`snnlib.core.neurons`.

Sources: snnTorch ``snntorch/surrogate.py`` (``FastSigmoid``, ``ATan``, ``Sigmoid``; defaults
``slope=25``, ``alpha=2``); the rectangular (boxcar) window is the "straight-through inside a window"
surrogate of Wu et al. 2018 (STBP) / VDIB's ``smooth_step`` (width 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = [
    "Surrogate",
    "FastSigmoid",
    "Rectangular",
    "ATan",
    "Sigmoid",
    "Triangle",
    "Gaussian",
    "heaviside",
    "fast_sigmoid",
    "rectangular",
    "atan",
    "sigmoid",
    "triangle",
    "gaussian",
]


def heaviside(x: Tensor) -> Tensor:
    r""":math:`H(x) = \mathbb 1[x > 0]` in the dtype of ``x`` (no gradient)."""
    return (x > 0).to(x.dtype)


class _HeavisideWithSurrogateGradient(torch.autograd.Function):
    """Forward: Heaviside step.  Backward: ``grad_output * surrogate.derivative(x)``."""

    @staticmethod
    def forward(ctx, overdrive: Tensor, surrogate: "Surrogate") -> Tensor:
        ctx.save_for_backward(overdrive)
        ctx.surrogate = surrogate
        return heaviside(overdrive)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_spikes: Tensor):
        (overdrive,) = ctx.saved_tensors
        return grad_spikes * ctx.surrogate.derivative(overdrive), None


@dataclass(frozen=True)
class Surrogate:
    """Base class: subclasses define :meth:`primitive` and :meth:`derivative`."""

    def primitive(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def derivative(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def derivative_(self, x: Tensor) -> Tensor:
        """Overwrite ``x`` with ``derivative(x)`` and return it (saves an allocation in hot loops)."""
        return x.copy_(self.derivative(x))

    def __call__(self, overdrive: Tensor) -> Tensor:
        """Spikes :math:`H(x)` with the surrogate gradient :math:`\\tilde S'(x)` in backward."""
        return _HeavisideWithSurrogateGradient.apply(overdrive, self)


@dataclass(frozen=True)
class FastSigmoid(Surrogate):
    r"""Fast sigmoid (Zenke & Ganguli 2018 "SuperSpike"; snnTorch ``surrogate.fast_sigmoid``).

    .. math:: \tilde S(x) = \frac{x}{1 + k|x|},\qquad \tilde S'(x) = \frac{1}{(1 + k|x|)^2},\quad k = \texttt{slope}.

    Implements eq-fast-sigmoid of the toolkit chapter and eq-000-surrogate of chapter 000 (paper 000, Sec. 2).
    """

    slope: float = 25.0

    def primitive(self, x: Tensor) -> Tensor:
        return x / (1.0 + self.slope * x.abs())

    def derivative(self, x: Tensor) -> Tensor:
        # x.abs() allocates a fresh tensor, so the in-place chain never touches x.
        return self.derivative_(x.clone())

    def derivative_(self, x: Tensor) -> Tensor:
        return x.abs_().mul_(self.slope).add_(1.0).pow_(-2)


@dataclass(frozen=True)
class Rectangular(Surrogate):
    r"""Rectangular (boxcar) window of width :math:`w` and unit area.

    .. math:: \tilde S(x) = \mathrm{clamp}\!\left(\frac{x}{w} + \tfrac12,\ 0,\ 1\right),\qquad
              \tilde S'(x) = \frac{1}{w}\,\mathbb 1\!\left[|x| < \tfrac{w}{2}\right].

    At the kinks :math:`|x| = w/2` the hand-written derivative is 0 (open window).
    Implements the rectangular case of eq-surrogates of the toolkit chapter and STBP's
    :math:`h_1` in eq-004-surrogates (:math:`w = a_1`).
    """

    width: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        return torch.clamp(x / self.width + 0.5, 0.0, 1.0)

    def derivative(self, x: Tensor) -> Tensor:
        return (x.abs() < 0.5 * self.width).to(x.dtype) / self.width


@dataclass(frozen=True)
class ATan(Surrogate):
    r"""Arc-tangent surrogate (Fang et al. 2021; snnTorch ``surrogate.atan``, default ``alpha=2``).

    .. math:: \tilde S(x) = \frac{1}{\pi}\arctan\!\left(\frac{\pi}{2}\alpha x\right) + \frac12,\qquad
              \tilde S'(x) = \frac{\alpha/2}{1 + \left(\frac{\pi}{2}\alpha x\right)^2}.

    Implements the arctangent case of eq-surrogates of the toolkit chapter.
    """

    alpha: float = 2.0

    def primitive(self, x: Tensor) -> Tensor:
        return torch.atan(0.5 * math.pi * self.alpha * x) / math.pi + 0.5

    def derivative(self, x: Tensor) -> Tensor:
        return (0.5 * self.alpha) / (1.0 + (0.5 * math.pi * self.alpha * x) ** 2)


@dataclass(frozen=True)
class Sigmoid(Surrogate):
    r"""Logistic sigmoid surrogate (snnTorch ``surrogate.sigmoid``; default ``slope=25`` as in snnTorch).

    .. math:: \tilde S(x) = \sigma(kx),\qquad \tilde S'(x) = k\,\sigma(kx)\,(1 - \sigma(kx)).

    (snnTorch writes the derivative as :math:`k e^{-kx}/(e^{-kx}+1)^2`, which is the same function
    but overflows to NaN for very negative :math:`kx`; the form here is finite everywhere.)
    Implements the sigmoid case of eq-surrogates of the toolkit chapter, and STBP's :math:`h_3` in
    eq-004-surrogates with :math:`k = 1/a_3`.
    """

    slope: float = 25.0

    def primitive(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.slope * x)

    def derivative(self, x: Tensor) -> Tensor:
        s = torch.sigmoid(self.slope * x)
        return self.slope * s * (1.0 - s)


@dataclass(frozen=True)
class Triangle(Surrogate):
    r"""Triangular window of unit area (Wu et al. 2018, STBP's :math:`h_2`, parameter :math:`a`).

    .. math:: \tilde S'(x) = \max\!\left(0,\ \frac{\sqrt a}{2} - \frac a4 |x|\right),\qquad
              \tilde S(x) = \frac12 + \frac{\sqrt a}{2}\left(\hat x - \frac{\sqrt a}{4}\,\hat x|\hat x|\right),
              \quad \hat x = \mathrm{clamp}\!\left(x, -\tfrac{2}{\sqrt a}, \tfrac{2}{\sqrt a}\right).

    STBP writes the window as :math:`(\frac{\sqrt a}{2} - \frac a4|x|)\,\mathrm{sign}(\frac{2}{\sqrt a} - |x|)`,
    which read literally grows again outside :math:`|x| < 2/\sqrt a`; here it is 0 there (the
    triangle its figure draws).  Implements the triangle case of eq-004-surrogates.
    """

    a: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        half = 2.0 / math.sqrt(self.a)
        xc = torch.clamp(x, -half, half)
        return 0.5 + 0.5 * math.sqrt(self.a) * (xc - 0.25 * math.sqrt(self.a) * xc * xc.abs())

    def derivative(self, x: Tensor) -> Tensor:
        return torch.clamp(0.5 * math.sqrt(self.a) - 0.25 * self.a * x.abs(), min=0.0)


@dataclass(frozen=True)
class Gaussian(Surrogate):
    r"""Gaussian window of unit area and variance :math:`a` (Wu et al. 2018, STBP's :math:`h_4`).

    .. math:: \tilde S'(x) = \frac{1}{\sqrt{2\pi a}}\,e^{-x^2/(2a)},\qquad
              \tilde S(x) = \tfrac12\left(1 + \operatorname{erf}\frac{x}{\sqrt{2a}}\right).

    Implements the Gaussian case of eq-004-surrogates.
    """

    a: float = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        return 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0 * self.a)))

    def derivative(self, x: Tensor) -> Tensor:
        return torch.exp(-x * x / (2.0 * self.a)) / math.sqrt(2.0 * math.pi * self.a)


def fast_sigmoid(slope: float = 25.0) -> FastSigmoid:
    """Fast-sigmoid surrogate, :math:`1/(1+k|x|)^2` (snnTorch default ``slope=25``)."""
    return FastSigmoid(slope=float(slope))


def rectangular(width: float = 1.0) -> Rectangular:
    """Rectangular surrogate of width ``width`` and height ``1/width``."""
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    return Rectangular(width=float(width))


def atan(alpha: float = 2.0) -> ATan:
    """Arc-tangent surrogate (snnTorch default ``alpha=2``)."""
    return ATan(alpha=float(alpha))


def sigmoid(slope: float = 25.0) -> Sigmoid:
    """Sigmoid surrogate (snnTorch default ``slope=25``)."""
    return Sigmoid(slope=float(slope))


def triangle(a: float = 1.0) -> Triangle:
    """STBP's triangular surrogate :math:`h_2`: peak :math:`\\sqrt a/2`, half-width :math:`2/\\sqrt a`."""
    if a <= 0:
        raise ValueError(f"a must be positive, got {a}")
    return Triangle(a=float(a))


def gaussian(a: float = 1.0) -> Gaussian:
    """STBP's Gaussian surrogate :math:`h_4` of variance ``a``."""
    if a <= 0:
        raise ValueError(f"a must be positive, got {a}")
    return Gaussian(a=float(a))
