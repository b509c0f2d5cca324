r"""A simulated event camera (dynamic vision sensor): what a DVS reports when it watches a moving
grey-level image, for making event streams out of static images.

* :func:`saccade_frames` -- an image moved along a smooth random path (sub-pixel shifts by
  bilinear interpolation), one frame per time step, as a monitor-displayed digit moves in front of
  the sensor.
* :func:`dvs_events` -- each pixel's ON and OFF events: a pixel keeps a reference log-intensity
  and emits one event of the sign of the change each time its log-intensity moves a contrast
  threshold :math:`C` away from that reference, which then moves by :math:`C` (the idealised DVS
  pixel of Lichtsteiner et al. 2008, as event simulators such as ESIM and v2e model it, without
  their noise and refractory terms).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor
from torch.nn import functional as F

__all__ = ["saccade_frames", "dvs_events"]


def saccade_frames(images: Tensor, steps: int, amplitude: float, cycles: float,
                   generators: Sequence[torch.Generator]) -> Tensor:
    r"""Frames ``[steps, B, H, W]`` of ``images`` ``[B, H, W]`` shifted by
    :math:`(a \sin(2\pi c\, t/T + \varphi_x),\; a \sin(2\pi c\, t/T + \varphi_y))` pixels at step
    :math:`t`, with amplitude :math:`a` = ``amplitude``, ``cycles`` :math:`c` over the ``steps``
    :math:`T`, and phases :math:`\varphi` drawn from image ``b``'s generator; zero outside the
    image."""
    batch, height, width = images.shape
    phases = torch.stack([torch.rand(2, generator=g, dtype=torch.float64) for g in generators]) * 2 * math.pi
    t = torch.arange(steps, dtype=torch.float64)[:, None, None] * (2 * math.pi * cycles / steps)
    shift = amplitude * torch.sin(t + phases[None])  # [T, B, 2] in pixels (x, y)
    theta = torch.zeros(steps, batch, 2, 3, dtype=torch.float64)
    theta[..., 0, 0] = theta[..., 1, 1] = 1.0
    theta[..., 0, 2] = -2 * shift[..., 0] / width  # grid_sample samples at x - shift
    theta[..., 1, 2] = -2 * shift[..., 1] / height
    grid = F.affine_grid(theta.reshape(-1, 2, 3).to(images.dtype), [steps * batch, 1, height, width], align_corners=False)
    frames = F.grid_sample(images.repeat(steps, 1, 1)[:, None], grid, mode="bilinear", padding_mode="zeros",
                           align_corners=False)
    return frames.reshape(steps, batch, height, width)


def dvs_events(frames: Tensor, threshold: float, eps: float = 0.1) -> Tensor:
    r"""ON and OFF event counts ``[T, 2, ...]`` (int) of ``frames`` ``[T, ...]`` (intensities
    :math:`\ge 0`): with :math:`L_t = \log(\epsilon + I_t)` and a reference :math:`R` that starts at
    :math:`L_0`,

    .. math::
        n^{on}_t = \Big\lfloor \frac{L_t - R_{t-1}}{C} \Big\rfloor^+, \quad
        n^{off}_t = \Big\lfloor \frac{R_{t-1} - L_t}{C} \Big\rfloor^+, \quad
        R_t = R_{t-1} + C\,(n^{on}_t - n^{off}_t),

    so the first frame emits nothing and a still image stops emitting once its pixels have
    caught up.  Index 0 of the second dimension is OFF, 1 is ON (polarity as the DVS bit).
    Implements eq-001-dvs of chapter 001."""
    if threshold <= 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    log_i = torch.log(eps + frames.double())
    reference = log_i[0].clone()
    out = torch.zeros(frames.shape[0], 2, *frames.shape[1:], dtype=torch.int64)
    for t in range(1, frames.shape[0]):
        change = (log_i[t] - reference) / threshold
        on = torch.floor(change.clamp(min=0) + 1e-9).long()
        off = torch.floor((-change).clamp(min=0) + 1e-9).long()
        reference += threshold * (on - off).to(reference.dtype)
        out[t, 0], out[t, 1] = off, on
    return out
