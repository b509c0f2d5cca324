r"""The drifting-blob stimulus of VDIB's predictive-coding experiment (Chalk, Marre & Tkačik 2018),
as the authors' ``make_blob`` generates it (reconstructed from kclip/VDIB; our text of the
paper elides its section 6.1).

A blob drifts around a ring of ``n_inputs`` neurons with a velocity that relaxes towards zero and
an amplitude that wanders; both are driven by the same noise :math:`\eta_t \sim \mathcal N(0, 1)`
(eq-001-blobs):

.. math::
    \theta_t = \theta_{t-1} + v_{t-1}, \qquad v_t = 0.9\, v_{t-1} - 0.14\, \eta_t, \qquad
    A_t = 0.99\, A_{t-1} + 0.01\, \eta_t,

with :math:`\theta_0 \sim U(-\pi, \pi)`, :math:`v_0 = 1`, :math:`A_0 = 0.5`.  At every step the
blob's position is sampled, :math:`b_t = A_t\, \xi_t` with :math:`\xi_t \sim \mathcal N(\theta_t,
0.45^2)`, wrapped to :math:`(-\pi, \pi]` (from the second step), and the one neuron whose bin edge
(``arange(-pi, pi, 2 pi / n)``) is nearest spikes.  The input is the OR of two independent blobs:
one or two neurons spike per step, and the decoder's target is which pair
(:func:`pair_class`, :math:`n(n+1)/2 = 210` classes for 20 neurons).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

__all__ = ["blob_positions", "drifting_blobs", "pair_class", "n_pair_classes"]


def blob_positions(eta: Tensor, xi: Tensor, theta0: Tensor) -> Tensor:
    """The sampled positions :math:`b_t` ``[T, ...]`` of blobs driven by the noises ``eta`` and
    ``xi`` ``[T, ...]`` (standard normal) from the start angles ``theta0`` ``[...]`` (module
    docstring); every trailing index is an independent blob."""
    theta, v, amp = theta0, torch.ones_like(theta0), torch.full_like(theta0, 0.5)
    positions = [amp * (theta + 0.45 * xi[0])]
    for t in range(1, len(eta)):
        theta, v, amp = theta + v, 0.9 * v - 0.14 * eta[t], 0.99 * amp + 0.01 * eta[t]
        b = amp * (theta + 0.45 * xi[t])
        positions.append(torch.atan2(torch.sin(b), torch.cos(b)))
    return torch.stack(positions)


def drifting_blobs(steps: int, n_inputs: int, generators: Sequence[torch.Generator]) -> Tensor:
    """Stimuli ``[steps, len(generators), n_inputs]`` (0/1, float32), one stream per generator: the
    OR of two independent blobs, each stream's noise drawn from its own generator (so a stream
    does not depend on the others), step by step (so the first steps do not depend on
    ``steps``)."""
    starts = [(torch.rand(2, generator=g, dtype=torch.float64) * 2 - 1) * math.pi for g in generators]
    # standard normals by the inverse CDF of uniforms drawn time-major: a longer stimulus extends a
    # shorter one (torch's randn draws differently for different sizes)
    draws = [torch.special.ndtri(torch.rand(steps, 2, 2, generator=g, dtype=torch.float64)) for g in generators]
    noise = torch.stack(draws, dim=-1)  # [T, blob, eta/xi, M]
    positions = blob_positions(noise[:, :, 0], noise[:, :, 1], torch.stack(starts, dim=-1))  # [T, blob, M]
    edges = torch.arange(n_inputs, dtype=torch.float64) * (2 * math.pi / n_inputs) - math.pi
    nearest = (positions[..., None] - edges).abs().argmin(-1)  # [T, blob, M]
    out = torch.zeros(steps, len(generators), n_inputs)
    for blob in range(2):
        out.scatter_(2, nearest[:, blob, :, None], 1.0)
    return out


def n_pair_classes(n_inputs: int) -> int:
    """:math:`n(n+1)/2`: unordered pairs of neurons, a neuron paired with itself included."""
    return n_inputs * (n_inputs + 1) // 2


def pair_class(inputs: Tensor) -> Tensor:
    r"""The class of each step's input ``[..., n]`` with one or two active neurons :math:`i \le j`
    (one active: :math:`i = j`): :math:`\sum_{k<i}(n - k) + (j - i)`, the order of the authors'
    ``get_possible_outputs``."""
    n = inputs.shape[-1]
    idx = torch.arange(n)
    active = inputs > 0
    counts = active.sum(-1)
    if not torch.all((counts >= 1) & (counts <= 2)):
        raise ValueError("every step needs one or two active neurons")
    i = torch.where(active, idx, n).min(-1).values
    j = torch.where(active, idx, -1).max(-1).values
    return i * n - i * (i - 1) // 2 + (j - i)
