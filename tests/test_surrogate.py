"""Tests for snnlib.core.surrogate: Heaviside forward, hand-written backward == derivative of the primitive."""

import math

import pytest
import torch

from snnlib.core import surrogate as surrogates

SURROGATES = [
    surrogates.fast_sigmoid(25.0),
    surrogates.fast_sigmoid(2.0),
    surrogates.rectangular(1.0),
    surrogates.rectangular(0.3),
    surrogates.atan(2.0),
    surrogates.atan(0.7),
    surrogates.sigmoid(25.0),
    surrogates.sigmoid(5.0),
    surrogates.triangle(1.0),
    surrogates.triangle(2.5),
    surrogates.gaussian(1.0),
    surrogates.gaussian(0.3),
]
IDS = [repr(s) for s in SURROGATES]

# Grid including 0, small and large values of both signs; avoids the rectangular kinks at +-w/2.
GRID = torch.tensor(
    [-3.0, -1.0, -0.37, -0.1, -0.04, -1e-3, 0.0, 1e-3, 0.04, 0.1, 0.37, 1.0, 3.0],
    dtype=torch.float64,
)


@pytest.mark.parametrize("surrogate", SURROGATES, ids=IDS)
def test_forward_is_strict_heaviside(surrogate):
    x = torch.tensor([-2.0, -1e-7, 0.0, 1e-7, 0.5], dtype=torch.float32)
    spikes = surrogate(x)
    assert spikes.dtype == torch.float32
    assert spikes.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]  # x = 0 does not spike


@pytest.mark.parametrize("surrogate", SURROGATES, ids=IDS)
def test_backward_equals_autograd_of_primitive(surrogate):
    x = GRID.clone().requires_grad_(True)
    upstream = torch.linspace(-2.0, 2.0, GRID.numel(), dtype=torch.float64)
    (grad_surrogate,) = torch.autograd.grad(surrogate(x), x, grad_outputs=upstream)
    (grad_primitive,) = torch.autograd.grad(surrogate.primitive(x), x, grad_outputs=upstream)
    torch.testing.assert_close(grad_surrogate, grad_primitive, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grad_surrogate, upstream * surrogate.derivative(GRID), rtol=0, atol=0)


@pytest.mark.parametrize("surrogate", SURROGATES, ids=IDS)
def test_derivative_matches_central_finite_differences(surrogate):
    eps = 1e-6
    numerical = (surrogate.primitive(GRID + eps) - surrogate.primitive(GRID - eps)) / (2 * eps)
    if isinstance(surrogate, surrogates.FastSigmoid):
        # |x| has a kink at 0: the one-sided slopes both equal 1, but the central difference of
        # x/(1+k|x|) over [-eps, eps] is 1/(1+k eps) -- compare there with a looser tolerance.
        torch.testing.assert_close(numerical, surrogate.derivative(GRID), rtol=1e-4, atol=1e-6)
    else:
        torch.testing.assert_close(numerical, surrogate.derivative(GRID), rtol=1e-6, atol=1e-8)


def test_stbp_windows_hand_values():
    # eq-004-surrogates: STBP's h2 (triangle) and h4 (Gaussian) at a = 1
    x = torch.tensor([0.0, 1.0, -1.5, 2.5], dtype=torch.float64)
    assert surrogates.triangle(1.0).derivative(x).tolist() == [0.5, 0.25, 0.125, 0.0]
    gauss = surrogates.gaussian(1.0).derivative(x)
    assert gauss[0].item() == pytest.approx(1 / math.sqrt(2 * math.pi))
    assert gauss[1].item() == pytest.approx(math.exp(-0.5) / math.sqrt(2 * math.pi))
    for s in (surrogates.triangle(1.0), surrogates.gaussian(0.3)):  # unit area: primitive 0 -> 1
        ends = s.primitive(torch.tensor([-10.0, 10.0], dtype=torch.float64))
        assert ends.tolist() == pytest.approx([0.0, 1.0])


def test_hand_values():
    # pins eq-fast-sigmoid and eq-surrogates (toolkit chapter) and eq-000-surrogate (chapter 000, k = 25)
    x = torch.tensor([0.04, -0.04, 0.0], dtype=torch.float64)
    # fast sigmoid k=25: 1/(1+25*0.04)^2 = 1/(1+1)^2 = 0.25 ; at 0: 1/(1+0)^2 = 1
    assert surrogates.fast_sigmoid(25.0).derivative(x).tolist() == [0.25, 0.25, 1.0]
    # primitive: 0.04/(1+1) = 0.02
    assert surrogates.fast_sigmoid(25.0).primitive(x)[0].item() == pytest.approx(0.02)
    # atan alpha=2 at x=0: (2/2)/(1+0) = 1 ; at x=1/pi: (pi/2*2*1/pi)^2 = 1 -> 1/(1+1) = 0.5
    atan_values = surrogates.atan(2.0).derivative(torch.tensor([0.0, 1 / math.pi], dtype=torch.float64))
    torch.testing.assert_close(atan_values, torch.tensor([1.0, 0.5], dtype=torch.float64))
    # sigmoid k=25 at 0: 25 * 0.5 * 0.5 = 6.25
    assert surrogates.sigmoid(25.0).derivative(torch.zeros(1, dtype=torch.float64)).item() == 6.25
    # rectangular width 0.5: 1/0.5 = 2 inside |x| < 0.25, 0 outside (and at the edge)
    rect = surrogates.rectangular(0.5).derivative(torch.tensor([0.0, 0.2, -0.24, 0.25, 0.3], dtype=torch.float64))
    assert rect.tolist() == [2.0, 2.0, 2.0, 0.0, 0.0]


def test_sigmoid_derivative_finite_for_extreme_inputs():
    x = torch.tensor([-1e4, 1e4], dtype=torch.float32, requires_grad=True)
    (grad,) = torch.autograd.grad(surrogates.sigmoid(25.0)(x).sum(), x)
    assert torch.isfinite(grad).all()
    assert grad.tolist() == [0.0, 0.0]


def test_surrogates_are_values():
    assert surrogates.fast_sigmoid(25) == surrogates.FastSigmoid(slope=25.0)
    assert surrogates.fast_sigmoid(25) != surrogates.fast_sigmoid(10)
    with pytest.raises(ValueError):
        surrogates.rectangular(0.0)
