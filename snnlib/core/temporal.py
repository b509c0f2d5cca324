r"""Integrate-and-fire networks with one spike per neuron and S4NN temporal backprop.

This module implements the time-to-first-spike (TTFS) networks of S4NN
(Kheradpisheh & Masquelier 2020) and Spiking-GAN (Kotariya & Ganguly 2021):
non-leaky integrate-and-fire (IF) neurons with instantaneous synapses, at most one
spike per neuron (refractory period = simulation length), discrete time, and the
S4NN "temporal backpropagation" rule with the targets of both papers.

Everything is a pure function of explicit tensors (times, weights, thresholds);
nothing is updated in place, except by the training kernel :func:`s4nn_train_image_`, which
updates numpy weight arrays in place (the fast path of per-image training).  Times are integer tensors ``[B, n]`` (batch first);
weights are ``[n_out, n_in]``.  The equations of Spiking-GAN are missing from its
text (only their numbers survive); the forms below are **RECONSTRUCTED** from the S4NN
paper and code and from Spiking-GAN's prose, and are labelled as such.  Chapter 003 of the
book numbers them: eq-003-if (:func:`if_layer_forward`), eq-003-loss
(:func:`temporal_mse_loss`), eq-003-s4nn-targets (:func:`s4nn_relative_targets`),
eq-003-aggressive (:func:`aggressive_ttfs_targets`) and eq-003-backprop
(:func:`s4nn_backward`).

Conventions matched to the S4NN reference code (``SRKH/S4NN``, ``S4NN.py``; the
notebook ``S4NN.ipynb`` is identical in these lines)
------------------------------------------------------------------------------

*Forward.*  ``Voltage = cumsum(tensordot(W, S), 1)`` over the time indices
``0..tmax`` of a spike array with ``tmax + 1`` slots, so

.. math:: V_j(\tau) = \sum_i w_{ji}\,\mathbb 1[t_i \le \tau],\qquad \tau = 0, \dots, t_{max}

(no reset is needed: a neuron fires once).  ``Voltage[:, tmax] = thr + 1`` forces
a "fake spike" in the last slot, ``argmax(Voltage > thr) + 1`` takes the first
**strict** crossing and adds **one step** (a neuron sees a spike of step
:math:`t_i` from step :math:`t_i` on, and emits its own spike one step later), and
``firingTime[firingTime > tmax] = tmax`` clamps the fake spike back to ``tmax``.
Hence, with :math:`\tau^* = \min\{\tau \in [0, t_{max}-1] : V_j(\tau) > \theta_j\}`,

.. math:: t_j = \min(\tau^* + 1,\ t_{max}), \qquad t_j = t_{max}\ \text{if no such } \tau^*.

Consequences, all reproduced here: the earliest possible spike of layer ``l`` is at
step ``l`` (one step of delay per layer); an input at :math:`t_i \ge t_{max}`
(a black pixel, a silent or fake-spiking neuron) never contributes, because slot
``tmax`` of the voltage is overwritten; and a neuron that crosses at
:math:`\tau^* = t_{max} - 1` gets :math:`t_j = t_{max}`, indistinguishable from a
silent one.  ``t_j < t_max`` therefore means "fired".

*Backward.*  ``hasFired = t_in < t_out`` (**strict**): with the one-step delay,
input ``i`` contributed to :math:`V_j` before the crossing iff
:math:`t_i \le \tau^* = t_j - 1`, i.e. iff :math:`t_i < t_j`.  This is eq. (13)
:math:`\partial t_j/\partial w_{ji} = -\mathbb 1[t_i \le t_j]` of Spiking-GAN (as
reconstructed, on a clock without delay) written for the delayed clock; it differs only for a silent neuron whose input is silent
too (:math:`t_i = t_j = t_{max}`), which the code, and this module, leave out.
``delta_o = (target - t)/tmax`` is :math:`-\delta` in the convention used here,
:math:`\delta = \partial\mathcal L/\partial t = (t - T)/t_{max}`, and
``W -= lr*delta_o*hasFired`` is :math:`w \leftarrow w - \eta\,\delta\,\partial t/\partial w`
with :math:`\partial t/\partial w = -\mathbb 1`; the L2 penalty is applied
afterwards as ``W -= lr*lamda*W``; the output delta is divided by its L2 norm
(if non-zero) *before* it updates the weights and is back-propagated, and the hidden
delta is divided by its own norm.  S4NN back-propagates through the output weights
**after** their update (``delta_h`` is computed from the updated ``W[1]``); this
module uses the current weights by default (eq. 15) and offers
``backprop_weights='updated'`` for the exact S4NN order.

Functions
---------
* :func:`if_layer_forward`, :func:`s4nn_forward`, :func:`membrane_potential` -- exact
  event-driven forward pass.
* :func:`s4nn_relative_targets`, :func:`dynamic_targets`,
  :func:`aggressive_ttfs_targets`, :func:`gan_discriminator_targets`,
  :func:`gan_generator_targets` -- target firing times.
* :func:`temporal_error`, :func:`temporal_mse_loss` -- output error and loss.
* :func:`s4nn_backward` -- deltas, gradients and weight updates of all layers.
* :func:`s4nn_init_weights`, :func:`reinit_dead_neurons` -- initialisation and S4NN's
  dead-neuron reset.
* Fast paths (same spike times, see the section comment): :func:`s4nn_forward_times` -- the
  times of every layer for many images (evaluation); :func:`s4nn_train_image_` -- one S4NN.py
  training iteration on one image, in place, bit-identical to S4NN.py's float operations.

Classification from the output times: :func:`snnlib.core.coding.decode_ttfs_class` with
``no_spike_time=t_max`` and ``potentials=forward.v_probe[-1]`` (S4NN's silent rule).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal, NamedTuple

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "S4NN_THRESHOLD",
    "S4NN_LR",
    "S4NN_WEIGHT_DECAY",
    "S4NN_INIT_HIDDEN",
    "S4NN_INIT_OUTPUT",
    "S4NN_T_MAX",
    "S4NN_GAMMA",
    "AGGRESSIVE_READINGS",
    "S4NN_HIDDEN",
    "S4NN_PROBE_OFFSET",
    "S4NN_DEAD_FRACTION",
    "FAKE",
    "REAL",
    "IFLayerOutput",
    "S4NNForward",
    "S4NNBackward",
    "DeadNeuronReset",
    "membrane_potential",
    "if_layer_forward",
    "s4nn_forward",
    "s4nn_relative_targets",
    "dynamic_targets",
    "aggressive_ttfs_targets",
    "gan_discriminator_targets",
    "gan_generator_targets",
    "temporal_error",
    "temporal_mse_loss",
    "s4nn_backward",
    "s4nn_init_weights",
    "reinit_dead_neurons",
    "S4NNTimes",
    "s4nn_forward_times",
    "s4nn_train_image_",
]

# --------------------------------------------------------------------------------------
# S4NN code defaults (SRKH/S4NN, S4NN.py "Parameter setting"); used for everything that
# Spiking-GAN leaves unspecified (thresholds, learning rates, L2 penalty, initialisation).
# --------------------------------------------------------------------------------------

S4NN_THRESHOLD = 100.0
"""Firing threshold of hidden and output neurons (``thr = [100, 100]``)."""
S4NN_LR = 0.2
"""Learning rate of both layers (``lr = [.2, .2]``)."""
S4NN_WEIGHT_DECAY = 1e-6
"""L2 penalty, applied as ``W -= lr*lamda*W`` (``lamda = [1e-6, 1e-6]``)."""
S4NN_INIT_HIDDEN = (0.0, 5.0)
"""Uniform initialisation bounds of hidden weights (``a[0], b[0]``)."""
S4NN_INIT_OUTPUT = (0.0, 48.0)
"""Uniform initialisation bounds of output weights (``a[1], b[1]``)."""
S4NN_T_MAX = 256
"""Simulation length ``tmax``."""
S4NN_GAMMA = 3
"""Margin of the relative targets (``gamma``)."""
S4NN_HIDDEN = 400
"""Hidden layer width (``NhidenNeurons``)."""
S4NN_PROBE_OFFSET = 3
"""S4NN's test code scores a silent output layer by ``argmax Voltage[:, tmax - 3]``."""
S4NN_DEAD_FRACTION = 1e-3
"""Hidden neurons firing on fewer than this fraction of an epoch's images are re-initialised."""

FAKE = 0
"""Index of the discriminator's "fake" output neuron (Spiking-GAN's D has two outputs, "fake"
and "real"; the first to fire decides)."""
REAL = 1
"""Index of the discriminator's "real" output neuron."""

_CHUNK_ELEMENTS = 1 << 22  # largest [b, n_in, n_out] intermediate (16 MiB in float32)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _as_times(times: Tensor, name: str = "times") -> Tensor:
    """Validate ``[B, n]`` non-negative integer times and return them as ``torch.long``."""
    if times.dim() != 2:
        raise ValueError(f"{name} must be [B, n], got shape {tuple(times.shape)}")
    if times.is_floating_point():
        if bool((times != torch.round(times)).any()):
            raise ValueError(f"{name} must be integers")
    elif times.dtype == torch.bool:
        raise ValueError(f"{name} must be integer times, not bool")
    times = times.long()
    if times.numel() and bool((times < 0).any()):
        raise ValueError(f"{name} must be non-negative")
    return times


def _check_t_max(t_max: int) -> None:
    if isinstance(t_max, bool) or not isinstance(t_max, int) or t_max < 1:
        raise ValueError(f"t_max must be a positive int, got {t_max!r}")


def _batch_chunks(batch: int, per_sample: int) -> Iterator[slice]:
    """Slices of the batch whose ``[b, per_sample]`` intermediates stay below the cap."""
    step = max(1, _CHUNK_ELEMENTS // max(1, per_sample))
    for start in range(0, batch, step):
        yield slice(start, min(start + step, batch))


def _thresholds(threshold: float | Tensor, n_out: int, like: Tensor) -> Tensor:
    thr = torch.as_tensor(threshold, dtype=like.dtype, device=like.device)
    if thr.dim() > 1 or (thr.dim() == 1 and thr.shape[0] != n_out):
        raise ValueError(f"threshold must be a scalar or [{n_out}], got shape {tuple(thr.shape)}")
    return thr.expand(n_out)


def _layers(weights: Sequence[Tensor], thresholds) -> tuple[list[Tensor], list]:
    """``(weights, thresholds)`` as lists of one entry per layer (a scalar threshold is shared)."""
    weights = list(weights)
    if not weights:
        raise ValueError("need at least one layer")
    if isinstance(thresholds, (int, float)) or (isinstance(thresholds, Tensor) and thresholds.dim() == 0):
        thresholds = [thresholds] * len(weights)
    thresholds = list(thresholds)
    if len(thresholds) != len(weights):
        raise ValueError(f"{len(thresholds)} thresholds for {len(weights)} layers")
    return weights, thresholds


def _per_layer(value: float | Sequence[float], n_layers: int, name: str) -> list[float]:
    if isinstance(value, (int, float)) or (isinstance(value, Tensor) and value.dim() == 0):
        return [value] * n_layers
    values = list(value)
    if len(values) != n_layers:
        raise ValueError(f"{name} has {len(values)} entries for {n_layers} layers")
    return values


# --------------------------------------------------------------------------------------
# Forward pass
# --------------------------------------------------------------------------------------


def membrane_potential(input_times: Tensor, weight: Tensor, step: int) -> Tensor:
    r"""Membrane potential without reset at step ``step``:
    :math:`V_j(\tau) = \sum_i w_{ji}\,\mathbb 1[t_i \le \tau]`.

    This is a column of S4NN's ``Voltage = cumsum(tensordot(W, S), 1)``; e.g.
    ``step = t_max - 3`` is the potential S4NN's test code takes the argmax of when no
    output fires (S4NN's rule for a silent output layer).  The potential keeps rising after the neuron's
    own spike (S4NN never resets: the neuron is clamped instead).

    Args:
        input_times: ``[B, n_in]`` integer spike times of the presynaptic layer.
        weight: ``[n_out, n_in]``.
        step: the time step ``tau`` (inputs at ``t_i <= step`` count).

    Returns:
        ``[B, n_out]`` potentials (dtype of ``weight``).
    """
    times = _as_times(input_times, "input_times")
    return (times <= step).to(weight.dtype) @ weight.t()


class IFLayerOutput(NamedTuple):
    """Result of :func:`if_layer_forward` (``[B, n_out]`` each)."""

    times: Tensor
    """``torch.long`` firing times in ``[1, t_max]``; ``t_max`` = no spike (S4NN's fake spike)."""
    v_probe: Tensor
    """Potential :math:`V_j(\\text{probe\\_step})` (S4NN: ``t_max - 3``), for 'potential' rules."""
    v_spike: Tensor
    """Potential :math:`V_j(t_j - 1)` at the step of the crossing (the value that made the
    neuron fire); for a neuron that never crossed, :math:`V_j(t_{max} - 1)`.  A tie-break
    candidate (S4NN issue #4)."""


def if_layer_forward(
    input_times: Tensor,
    weight: Tensor,
    threshold: float | Tensor,
    t_max: int,
    *,
    probe_step: int | None = None,
) -> IFLayerOutput:
    r"""Exact first-spike times of a layer of non-leaky IF neurons (S4NN convention).

    Eq. (1)-(2) of Spiking-GAN, **RECONSTRUCTED** from the S4NN code and Spiking-GAN's prose
    (non-leaky IF neurons, instantaneous synapses, one spike), in the discrete form of the
    S4NN code (see the module docstring for the line-by-line reading).  Implements eq-003-if
    of chapter 003 (paper 003 eqs. 1-2):

    .. math::

        V_j(\tau) = \sum_i w_{ji}\,\mathbb 1[t_i \le \tau], \qquad
        t_j = \min\big(1 + \min\{\tau \in [0, t_{max}-1] : V_j(\tau) > \theta_j\},\ t_{max}\big),

    with :math:`t_j = t_{max}` when the potential never exceeds the threshold in the
    window (S4NN's forced "fake spike" at ``t_max``, which the backward pass treats
    as a spike at ``t_max``).  The comparison is **strict** (``Voltage > thr``) and
    there is **one step of delay** per layer.  Inputs at :math:`t_i \ge t_{max}`
    never contribute.  Weights may be negative (the first crossing counts).

    Event-driven: the weights of the input spikes are scattered into one bin per
    time step (``index_add``: the synaptic input :math:`\sum_{i: t_i = \tau} w_{ji}`
    of step :math:`\tau`), and a cumulative sum over the ``t_max`` bins gives
    :math:`V_j(\tau)` at every step, at cost ``O(n_{live} n_{out} + t_{max} n_{out})``
    per sample instead of the dense ``O(t_max * n_in * n_out)``; inputs at
    ``t >= t_max`` are dropped before the scatter.

    Args:
        input_times: ``[B, n_in]`` non-negative integer spike times (``>= t_max``: no spike).
        weight: ``[n_out, n_in]`` weights.
        threshold: scalar or ``[n_out]`` thresholds :math:`\theta_j`.
        t_max: simulation length (S4NN: 256).
        probe_step: step of :attr:`IFLayerOutput.v_probe` (default ``t_max - 3``, S4NN).

    Returns:
        :class:`IFLayerOutput` ``(times, v_probe, v_spike)``.
    """
    _check_t_max(t_max)
    times_in = _as_times(input_times, "input_times")
    if weight.dim() != 2 or weight.shape[1] != times_in.shape[1]:
        raise ValueError(
            f"weight must be [n_out, n_in={times_in.shape[1]}], got {tuple(weight.shape)}"
        )
    if probe_step is None:
        probe_step = t_max - S4NN_PROBE_OFFSET
    batch, n_in = times_in.shape
    n_out = weight.shape[0]
    thr = _thresholds(threshold, n_out, weight)

    times = torch.empty((batch, n_out), dtype=torch.long, device=weight.device)
    v_spike = torch.empty((batch, n_out), dtype=weight.dtype, device=weight.device)
    probe_inside = 0 <= probe_step < t_max
    v_probe = (torch.empty_like(v_spike) if probe_inside
               else membrane_potential(times_in, weight, probe_step))
    for part in _batch_chunks(batch, (t_max + 1) * n_out):
        t_part = times_in[part]
        b = t_part.shape[0]
        # step_bins[j, s * (t_max + 1) + tau]: input to neuron j of sample s at step tau; the
        # extra bin tau = t_max collects the inputs that never spike and is ignored.
        width = t_max + 1
        slot = t_part.clamp_max(t_max) + width * torch.arange(b, device=t_part.device).unsqueeze(1)
        step_bins = torch.zeros(n_out, b * width, dtype=weight.dtype, device=weight.device)
        if b == 1:
            step_bins.index_add_(1, slot[0], weight)
        else:
            step_bins.index_add_(1, slot.reshape(-1), weight.repeat(1, b))
        potential = step_bins.view(n_out, b, width)[:, :, :t_max].cumsum(dim=2)  # V_j(tau)
        crossed = potential > thr.view(n_out, 1, 1)
        first = crossed.view(torch.uint8).argmax(dim=2)  # first crossing step, [n_out, b]
        fired = crossed.gather(2, first.unsqueeze(2)).squeeze(2)
        times[part] = torch.where(fired, first + 1, t_max).clamp_max(t_max).t()
        last = torch.full_like(first, t_max - 1)
        at = torch.where(fired, first, last).unsqueeze(2)
        v_spike[part] = potential.gather(2, at).squeeze(2).t()
        if probe_inside:
            v_probe[part] = potential[:, :, probe_step].t()
    return IFLayerOutput(times=times, v_probe=v_probe, v_spike=v_spike)


class S4NNForward(NamedTuple):
    """Result of :func:`s4nn_forward`: one entry per layer (hidden layers first, output last)."""

    times: list[Tensor]
    """``[B, n_l]`` ``torch.long`` firing times of every layer."""
    v_probe: list[Tensor]
    """``[B, n_l]`` potentials at ``probe_step`` (S4NN: ``t_max - 3``)."""
    v_spike: list[Tensor]
    """``[B, n_l]`` potentials at the crossing step (see :class:`IFLayerOutput`)."""


def s4nn_forward(
    input_times: Tensor,
    weights: Sequence[Tensor],
    thresholds: float | Sequence[float | Tensor],
    t_max: int,
    *,
    probe_step: int | None = None,
) -> S4NNForward:
    r"""Forward pass of a multi-layer IF/TTFS network: :func:`if_layer_forward` per layer,
    each layer's firing times being the next layer's input times.

    .. math:: t^{l} = \mathrm{IF}\big(t^{l-1}; W^{l}, \theta^{l}\big),\qquad t^0 = \text{input times}

    Example (S4NN 784-400-10)::

        x, y = load_mnist("train")
        t_in = ttfs_encode(x.flatten(1))                    # [B, 784] in [0, 256]
        fwd = s4nn_forward(t_in, weights, S4NN_THRESHOLD, S4NN_T_MAX)
        decision = decode_ttfs_class(fwd.times[-1], S4NN_T_MAX, silent="potential",
                                     potentials=fwd.v_probe[-1])   # S4NN's test rule

    Args:
        input_times: ``[B, n_0]`` integer input times (``>= t_max``: no spike).
        weights: per layer ``[n_l, n_{l-1}]``.
        thresholds: one scalar for all layers, or one scalar / ``[n_l]`` tensor per layer.
        t_max: simulation length.
        probe_step: see :func:`if_layer_forward`.

    Returns:
        :class:`S4NNForward` ``(times, v_probe, v_spike)`` with one ``[B, n_l]`` entry per layer.
    """
    weights, thresholds = _layers(weights, thresholds)
    times, v_probe, v_spike = [], [], []
    layer_input = input_times
    for weight, threshold in zip(weights, thresholds):
        out = if_layer_forward(layer_input, weight, threshold, t_max, probe_step=probe_step)
        times.append(out.times)
        v_probe.append(out.v_probe)
        v_spike.append(out.v_spike)
        layer_input = out.times
    return S4NNForward(times=times, v_probe=v_probe, v_spike=v_spike)


# --------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------


def _label_index(labels: Tensor | int, batch: int, device: torch.device) -> Tensor:
    index = torch.as_tensor(labels, dtype=torch.long, device=device)
    if index.dim() == 0:
        index = index.expand(batch)
    if index.shape != (batch,):
        raise ValueError(f"labels must be an int or [B={batch}], got shape {tuple(index.shape)}")
    return index


def s4nn_relative_targets(
    out_times: Tensor, labels: Tensor | int, t_max: int, gamma: int = S4NN_GAMMA
) -> Tensor:
    r"""S4NN's relative target firing times (``S4NN.py``, "Computing the relative target");
    eq-003-s4nn-targets of chapter 003.

    With :math:`t_{min} = \min_k t_k` and label :math:`c`:

    * no output fired (:math:`t_{min} = t_{max}`): :math:`T_k = t_{max}` for all
      :math:`k`, and :math:`T_c = t_{max} - \gamma`;
    * otherwise :math:`T_k = t_k`, except :math:`T_k = \min(t_{min} + \gamma, t_{max})`
      for every :math:`k` with :math:`t_k - t_{min} < \gamma` (the winner included),
      and finally :math:`T_c = t_{min}`.

    Example (``t_max = 10``, ``gamma = 3``): times ``[5, 6, 9, 10]``, label 2 ->
    ``[8, 8, 5, 10]``; all silent, label 1 -> ``[10, 7, 10, 10]``.

    Args:
        out_times: ``[B, C]`` output firing times (``t_max`` = no spike).
        labels: ``[B]`` class indices (or one int for all samples).
        t_max, gamma: as in S4NN (256, 3).

    Returns:
        ``[B, C]`` ``torch.long`` targets.
    """
    times = _as_times(out_times, "out_times")
    index = _label_index(labels, times.shape[0], times.device)
    t_min = times.min(dim=1, keepdim=True).values
    silent = t_min >= t_max
    near = (times - t_min) < gamma
    targets = torch.where(near, torch.clamp_max(t_min + gamma, t_max), times)
    targets = torch.where(silent, torch.full_like(times, t_max), targets)
    label_target = torch.where(silent, t_max - gamma, t_min)  # [B, 1]
    return targets.scatter(1, index.unsqueeze(1), label_target)


def dynamic_targets(out_times: Tensor, desired_index: Tensor | int, t_max: int) -> Tensor:
    r"""Spiking-GAN's dynamic targets, eqs. (6)-(7) **RECONSTRUCTED** from its prose ("the
    desired neuron fires first, the others not at all; a silent desired neuron is heavily
    penalised").  With the label as the desired neuron this is eq-003-aggressive of chapter 003.

    The desired output neuron :math:`d` should fire first, at the current winner's
    time; all others should not fire:

    .. math::

        T_d = t^o_{min} = \min_k t^o_k, \qquad T_k = t_{max}\ (k \ne d),

    and :math:`t^o_{min} := 0` when no output fires ("heavily penalizing the
    non-firing desired neuron").  Example (``t_max = 10``): ``[7, 4]`` with ``d = 1``
    -> ``[10, 4]``; ``[10, 10]`` with ``d = 1`` -> ``[10, 0]``.

    Args:
        out_times: ``[B, C]`` output firing times (``>= t_max`` = no spike).
        desired_index: ``[B]`` (or one int) index of the neuron that should win.
        t_max: simulation length.

    Returns:
        ``[B, C]`` ``torch.long`` targets.
    """
    times = _as_times(out_times, "out_times")
    index = _label_index(desired_index, times.shape[0], times.device)
    t_min = times.min(dim=1, keepdim=True).values
    t_min = torch.where(t_min >= t_max, torch.zeros_like(t_min), t_min)
    targets = torch.full_like(times, t_max)
    return targets.scatter(1, index.unsqueeze(1), t_min)


AGGRESSIVE_READINGS: dict[str, str] = {
    "aggressive": "the winner's time; 0 if no output fired",
    "aggressive_label_silent": "the winner's time; 0 if the correct neuron is silent",
    "aggressive_margin": "γ steps before the winner's time, at least 0",
    "aggressive_zero": "0",
}
"""The readings of paper 003's lost eqs. 6-7 for classification (**RECONSTRUCTIONS**), by loss
name: the correct neuron's target (``'aggressive'`` is eq-003-aggressive of chapter 003); every other neuron's target is :math:`t_{max}` in
all of them (the text: the objective "forces most of the 'incorrect' neurons to not spike at all
and heavily penalizes the actual label neuron in case it doesn't spike")."""


def aggressive_ttfs_targets(out_times: Tensor, labels: Tensor | int, t_max: int,
                            reading: str = "aggressive", gamma: int = S4NN_GAMMA) -> Tensor:
    r"""Spiking-GAN's "Aggressive TTFS" classification targets, eq-003-aggressive of chapter
    003 (paper 003 eqs. 6-7 as used for classification, **RECONSTRUCTED**):
    :func:`dynamic_targets` with the label as the desired neuron -- correct class
    :math:`\to t^o_{min}` (0 if all outputs are silent), all others :math:`\to t_{max}`.

    ``reading`` picks one of :data:`AGGRESSIVE_READINGS` for the correct class :math:`c`:
    ``'aggressive_label_silent'`` also asks 0 when :math:`t^o_c \ge t_{max}`;
    ``'aggressive_margin'`` asks :math:`\max(t^o_{min} - \gamma, 0)`; ``'aggressive_zero'``
    asks 0.  Example (``t_max = 10``, ``gamma = 3``, label 1): ``[5, 10]`` gives ``[10, 5]``,
    ``[10, 0]``, ``[10, 2]``, ``[10, 0]`` in that order with the default first."""
    if reading not in AGGRESSIVE_READINGS:
        raise ValueError(f"unknown reading {reading!r}; use one of {sorted(AGGRESSIVE_READINGS)}")
    targets = dynamic_targets(out_times, labels, t_max)
    if reading == "aggressive":
        return targets
    times = _as_times(out_times, "out_times")
    index = _label_index(labels, times.shape[0], times.device).unsqueeze(1)
    desired = targets.gather(1, index)
    if reading == "aggressive_label_silent":
        desired = torch.where(times.gather(1, index) >= t_max, torch.zeros_like(desired), desired)
    elif reading == "aggressive_margin":
        desired = (desired - gamma).clamp(min=0)
    else:
        desired = torch.zeros_like(desired)
    return targets.scatter(1, index, desired)


def gan_discriminator_targets(out_times: Tensor, real: bool, t_max: int) -> Tensor:
    r"""Discriminator targets, eq. (6) **RECONSTRUCTED**: on real images
    :math:`\mathbf T^D = [t_{max}, t^o_{min}]` (neuron :data:`REAL` = 1 should win), on
    fake images :math:`\mathbf T^D = [t^o_{min}, t_{max}]` (neuron :data:`FAKE` = 0)."""
    return dynamic_targets(out_times, REAL if real else FAKE, t_max)


def gan_generator_targets(out_times: Tensor, t_max: int) -> Tensor:
    r"""Generator targets, eq. (7) **RECONSTRUCTED**: the discriminator's outputs on
    generated images with flipped labels, :math:`\mathbf T^G = [t_{max}, t^o_{min}]`
    (G wants D's :data:`REAL` neuron to fire first)."""
    return dynamic_targets(out_times, REAL, t_max)


# --------------------------------------------------------------------------------------
# Error and loss
# --------------------------------------------------------------------------------------


def temporal_error(
    out_times: Tensor, targets: Tensor, t_max: int, dtype: torch.dtype | None = None
) -> Tensor:
    r"""Output error :math:`\delta^o_k = \partial\mathcal L/\partial t^o_k = (t^o_k - T_k)/t_{max}`,
    eqs. (16)-(17) **RECONSTRUCTED** (S4NN: ``delta_o = (target - t)/tmax`` = :math:`-\delta^o`).

    Returns:
        ``[B, C]`` floats (``dtype``, default torch's default float dtype).
    """
    dtype = dtype or torch.get_default_dtype()
    return (out_times.to(dtype) - targets.to(dtype)) / t_max


def temporal_mse_loss(out_times: Tensor, targets: Tensor, t_max: int) -> Tensor:
    r"""Per-sample temporal least-squares loss, eqs. (4)-(5) **RECONSTRUCTED** (without the
    L2 weight term, which :func:`s4nn_backward` applies as S4NN's weight decay); implements
    eq-003-loss of chapter 003: :math:`\mathcal L = \tfrac12\sum_k \big((T_k - t^o_k)/t_{max}\big)^2`.

    Returns:
        ``[B]`` losses.
    """
    return 0.5 * temporal_error(out_times, targets, t_max).pow(2).sum(dim=1)


# --------------------------------------------------------------------------------------
# Backward pass (S4NN temporal backprop)
# --------------------------------------------------------------------------------------


class S4NNBackward(NamedTuple):
    """Result of :func:`s4nn_backward`: one entry per layer (same order as ``weights``)."""

    deltas: list[Tensor]
    """``[B, n_l]`` normalised :math:`\\delta^l = \\partial\\mathcal L/\\partial t^l` of every layer."""
    grads: list[Tensor]
    """``[n_l, n_{l-1}]`` :math:`\\partial\\mathcal L/\\partial W^l`, reduced over the batch, without L2
    (``None`` for a frozen layer: ``lr = 0`` and ``weight_decay = 0``)."""
    delta_w: list[Tensor]
    """``[n_l, n_{l-1}]`` the update to **add** to each weight matrix (learning rate and L2 included)."""
    input_delta: Tensor | None
    """``[B, n_0]`` normalised :math:`\\delta` at the input neurons (``input_delta=True``), e.g.
    the discriminator's error at the generator's output layer; otherwise ``None``."""


def _normalise(delta: Tensor, norm: Literal["l2", "l1"] | None) -> Tensor:
    if norm is None:
        return delta
    if norm == "l2":
        size = delta.norm(dim=1, keepdim=True)
    elif norm == "l1":
        size = delta.abs().sum(dim=1, keepdim=True)
    else:
        raise ValueError(f"unknown norm {norm!r}; use 'l2', 'l1' or None")
    return torch.where(size != 0, delta / torch.where(size != 0, size, 1), delta)


def _contributed(t_in: Tensor, t_out: Tensor, dtype: torch.dtype,
                 silent_pairs_at: int | None = None) -> Tensor:
    r"""``[b, n_out, n_in]`` mask :math:`\mathbb 1[t_i < t_j]` (S4NN's ``hasFired``); with
    ``silent_pairs_at = t_max`` also 1 where both are silent (:math:`t_i, t_j \ge t_{max}`)."""
    mask = t_in.unsqueeze(1) < t_out.unsqueeze(2)
    if silent_pairs_at is not None:
        mask |= (t_in.unsqueeze(1) >= silent_pairs_at) & (t_out.unsqueeze(2) >= silent_pairs_at)
    return mask.to(dtype)


def s4nn_backward(
    input_times: Tensor,
    times: Sequence[Tensor],
    weights: Sequence[Tensor],
    output_delta: Tensor,
    *,
    lr: float | Sequence[float] = S4NN_LR,
    weight_decay: float | Sequence[float] = S4NN_WEIGHT_DECAY,
    norm: Literal["l2", "l1"] | None = "l2",
    reduction: Literal["mean", "sum"] = "mean",
    backprop_weights: Literal["current", "updated"] = "current",
    input_delta: bool = False,
    silent_pairs_at: int | None = None,
) -> S4NNBackward:
    r"""S4NN temporal backpropagation (Spiking-GAN eqs. 8-17, **RECONSTRUCTED** from the S4NN
    paper and code).  Implements eq-003-backprop of chapter 003.

    With :math:`\delta^l_j = \partial\mathcal L/\partial t^l_j` and the S4NN gradient
    :math:`\partial t^l_j/\partial w^l_{ji} = -\mathbb 1[t^{l-1}_i < t^l_j]` (eq. 13 on
    the one-step-delayed clock, see the module docstring):

    .. math::

        \delta^L &\leftarrow \mathcal N\big(\delta^L\big) \quad(\text{given, e.g. } (t^o - T)/t_{max}),\\
        \frac{\partial\mathcal L}{\partial w^l_{ji}} &= -\,\delta^l_j\,\mathbb 1[t^{l-1}_i < t^l_j]
            \quad(\text{eq. 14}),\\
        \delta^{l-1}_i &\leftarrow \mathcal N\Big(\sum_j \delta^l_j\, w^l_{ji}\,\mathbb 1[t^{l-1}_i < t^l_j]\Big)
            \quad(\text{eq. 15}),\\
        \Delta W^l &= (1 - \eta_l\lambda_l)\big(-\eta_l\,\partial\mathcal L/\partial W^l\big) - \eta_l\lambda_l W^l ,

    where :math:`\mathcal N(\delta) = \delta/\lVert\delta\rVert` per sample and layer
    (skipped when the norm is 0; S4NN code: L2, Spiking-GAN text: L1), and the last line
    is S4NN's ``W -= lr*delta*hasFired`` followed by ``W -= lr*lamda*W`` in closed form,
    so ``W + delta_w`` equals the S4NN update exactly.

    Samples are independent: every per-sample gradient uses that sample's normalised
    deltas, and ``reduction`` averages (``'mean'``) or sums them.  S4NN and Spiking-GAN
    update after every image (``B = 1``, where both reductions coincide).

    ``backprop_weights='updated'`` back-propagates through :math:`W^l + \Delta W^l`
    instead of :math:`W^l`, the order of ``S4NN.py`` (its ``delta_h`` is computed after
    the output weights were updated); exact for ``B = 1``.

    For the Spiking-GAN generator, run this on the frozen discriminator with
    ``input_delta=True`` and feed :attr:`S4NNBackward.input_delta` as the generator's
    ``output_delta`` (discard the discriminator's ``delta_w``).  Note that with the
    strict mask a silent generator output (:math:`t_i = t_{max}`) receives no error.

    Args:
        input_times: ``[B, n_0]`` input times of the first layer.
        times: per layer ``[B, n_l]`` firing times (:attr:`S4NNForward.times`).
        weights: per layer ``[n_l, n_{l-1}]``.
        output_delta: ``[B, n_L]`` unnormalised :math:`\partial\mathcal L/\partial t^L`
            (e.g. :func:`temporal_error`).
        lr, weight_decay: :math:`\eta` and :math:`\lambda`, one value or one per layer.
            A layer with both 0 is frozen (e.g. the discriminator while the generator
            learns): its gradient is not computed and its ``delta_w`` is zero.
        norm: ``'l2'`` (S4NN code), ``'l1'`` (Spiking-GAN) or ``None``.
        reduction: ``'mean'`` or ``'sum'`` over the batch.
        backprop_weights: ``'current'`` (eq. 15) or ``'updated'`` (S4NN code order).
        input_delta: also return the normalised :math:`\delta^0` at the input neurons.
        silent_pairs_at: ``None`` (S4NN code): the mask is :math:`\mathbb 1[t_i < t_j]`.
            ``t_max``: a silent input of a silent neuron counts too, i.e. eq. (13)'s
            :math:`\mathbb 1[t_i \le t_j]` for the one case :math:`t_i = t_j = t_{max}`, reading
            S4NN's "fake spike" at :math:`t_{max}` literally.  Then a layer whose neurons all
            went silent still receives an error (without it, a generator whose pixels all fell
            silent never recovers; see the paper-003 chapter).

    Returns:
        :class:`S4NNBackward` ``(deltas, grads, delta_w, input_delta)``.
    """
    weights = list(weights)
    times = [_as_times(t, "times") for t in times]
    n_layers = len(weights)
    if len(times) != n_layers:
        raise ValueError(f"{len(times)} time tensors for {n_layers} layers")
    if reduction not in ("mean", "sum"):
        raise ValueError(f"unknown reduction {reduction!r}")
    if backprop_weights not in ("current", "updated"):
        raise ValueError(f"unknown backprop_weights {backprop_weights!r}")
    lrs = _per_layer(lr, n_layers, "lr")
    decays = _per_layer(weight_decay, n_layers, "weight_decay")
    layer_inputs = [_as_times(input_times, "input_times")] + times[:-1]
    batch = layer_inputs[0].shape[0]
    if output_delta.shape != times[-1].shape:
        raise ValueError(
            f"output_delta shape {tuple(output_delta.shape)} != output times shape "
            f"{tuple(times[-1].shape)}"
        )
    dtype = weights[-1].dtype

    delta = _normalise(output_delta.to(dtype), norm)
    deltas: list[Tensor] = [None] * n_layers  # type: ignore[list-item]
    grads: list[Tensor] = [None] * n_layers  # type: ignore[list-item]
    updates: list[Tensor] = [None] * n_layers  # type: ignore[list-item]
    below = None
    for layer in reversed(range(n_layers)):
        weight, t_in, t_out = weights[layer], layer_inputs[layer], times[layer]
        if weight.shape != (t_out.shape[1], t_in.shape[1]):
            raise ValueError(
                f"layer {layer}: weight {tuple(weight.shape)} does not match times "
                f"[{t_out.shape[1]}, {t_in.shape[1]}]"
            )
        deltas[layer] = delta
        parts = list(_batch_chunks(batch, weight.numel()))
        kept = {}  # the mask of a single chunk is reused by the error propagation below
        step, decay = lrs[layer], decays[layer]
        if step == 0 and decay == 0:  # frozen layer
            grads[layer], updates[layer] = None, torch.zeros_like(weight)
            parts_for_grad = []
        else:
            parts_for_grad = parts
        grad = torch.zeros_like(weight)
        for part in parts_for_grad:
            mask = _contributed(t_in[part], t_out[part], weight.dtype, silent_pairs_at)
            grad -= torch.einsum("bj,bji->ji", delta[part], mask)
            if len(parts) == 1:
                kept[part.start] = mask
        if parts_for_grad:
            if reduction == "mean" and batch:
                grad = grad / batch
            grads[layer] = grad
            updates[layer] = (1 - step * decay) * (-step * grad) - step * decay * weight

        if layer == 0 and not input_delta:
            break
        through = weight + updates[layer] if backprop_weights == "updated" else weight
        below = torch.empty(batch, weight.shape[1], dtype=weight.dtype, device=weight.device)
        for part in parts:
            mask = kept.pop(part.start, None)
            if mask is None:
                mask = _contributed(t_in[part], t_out[part], weight.dtype, silent_pairs_at)
            below[part] = torch.einsum("bj,bji->bi", delta[part], mask * through)
        delta = _normalise(below, norm)
    return S4NNBackward(
        deltas=deltas,
        grads=grads,
        delta_w=updates,
        input_delta=delta if input_delta else None,
    )


# --------------------------------------------------------------------------------------
# Initialisation and dead neurons
# --------------------------------------------------------------------------------------


def s4nn_init_weights(
    layer_sizes: Sequence[int],
    *,
    bounds: Sequence[tuple[float, float]] | None = None,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> list[Tensor]:
    r"""Uniform initial weights :math:`w^l_{ji} \sim U[a_l, b_l]` (S4NN: ``(b - a) *
    random_sample + a``).

    Args:
        layer_sizes: ``[n_0, n_1, ..., n_L]``, e.g. ``[784, 400, 10]``.
        bounds: per layer ``(a_l, b_l)``; default S4NN's :data:`S4NN_INIT_HIDDEN` = (0, 5)
            for every hidden layer and :data:`S4NN_INIT_OUTPUT` = (0, 48) for the last.
        generator: source of randomness.

    Returns:
        List of ``[n_l, n_{l-1}]`` tensors.
    """
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError("layer_sizes needs at least an input and an output size")
    n_layers = len(sizes) - 1
    if bounds is None:
        bounds = [S4NN_INIT_HIDDEN] * (n_layers - 1) + [S4NN_INIT_OUTPUT]
    bounds = list(bounds)
    if len(bounds) != n_layers:
        raise ValueError(f"{len(bounds)} bounds for {n_layers} layers")
    weights = []
    for (n_in, n_out), (low, high) in zip(zip(sizes[:-1], sizes[1:]), bounds):
        uniform = torch.rand(n_out, n_in, generator=generator, dtype=dtype)
        weights.append(uniform * (high - low) + low)
    return weights


class DeadNeuronReset(NamedTuple):
    """Result of :func:`reinit_dead_neurons`."""

    weight: Tensor
    """``[n_out, n_in]`` new weights (dead rows redrawn, others unchanged)."""
    dead: Tensor
    """``[n_out]`` bool: the neurons that were re-initialised."""


def reinit_dead_neurons(
    weight: Tensor,
    fire_counts: Tensor,
    n_samples: int,
    *,
    bounds: tuple[float, float] = S4NN_INIT_HIDDEN,
    min_fraction: float = S4NN_DEAD_FRACTION,
    generator: torch.Generator | None = None,
) -> DeadNeuronReset:
    r"""S4NN's dead-neuron reset (end of every epoch in ``S4NN.py``).

    A neuron is dead when it fired (:math:`t_j < t_{max}`) on fewer than
    ``min_fraction * n_samples`` of the epoch's samples (strict ``<``; S4NN:
    ``FiringFrequency < 0.001*len(images)``, hidden layer only); its incoming weights are
    redrawn from :math:`U[a, b]` (S4NN: the hidden bounds (0, 5)).

    Args:
        weight: ``[n_out, n_in]`` weights of the layer.
        fire_counts: ``[n_out]`` number of samples on which each neuron fired, e.g.
            ``(times < t_max).sum(0)`` accumulated over the epoch.
        n_samples: number of samples in the epoch.
        bounds: ``(a, b)`` of the uniform redraw.
        min_fraction: the dead-neuron threshold.
        generator: source of randomness.

    Returns:
        :class:`DeadNeuronReset` ``(weight, dead)``.
    """
    if fire_counts.shape != (weight.shape[0],):
        raise ValueError(f"fire_counts must be [{weight.shape[0]}], got {tuple(fire_counts.shape)}")
    dead = fire_counts < min_fraction * n_samples
    low, high = bounds
    fresh = torch.rand(weight.shape, generator=generator, dtype=weight.dtype) * (high - low) + low
    new_weight = torch.where(dead.unsqueeze(1), fresh.to(weight.device), weight)
    return DeadNeuronReset(weight=new_weight, dead=dead)


# --------------------------------------------------------------------------------------
# Fast paths: first-spike times of many images, and one S4NN training image in place
# --------------------------------------------------------------------------------------
#
# Both compute the first-spike times of :func:`if_layer_forward` with less work.  Only the inputs
# that spike inside the window (t_i < t_max) matter, so they are sorted by time once per image
# and layer, and the weight rows of those inputs alone are cumulatively summed in that order
# (a [n_active, n_out] cumulative sum; n_active ~ 150 of 784 for MNIST).  The membrane is
# compared with the threshold only after the *last* input of each time step (all inputs of a
# step are summed before the comparison, as S4NN's ``cumsum`` over time slots does).  Sums are
# rounded in a different order than in S4NN.py (which sums each time slot with a matrix product,
# then accumulates the slots), so a potential may differ from S4NN.py's by a few ulps; a spike
# time can differ only if a potential lies within those ulps of the threshold.
#
# The work runs image by image in numpy (plus torch's cumulative sum, ~3x faster than numpy's
# along the first axis): on one CPU thread this measured ~0.23 ms per MNIST image for the
# 784 -> 400 layer, against 0.47-0.77 ms for the same algorithm batched over images in torch
# (padded [b, n_active, n_out] tensors, chunks of 64k-4M elements) and ~3.9 ms for the
# time-binned :func:`if_layer_forward`.


def _np_layer_times(layer_in: np.ndarray, weight_t: np.ndarray, thr: float | np.ndarray,
                    t_max: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First-spike times ``[n_out]`` (int64) of one image for one layer (eq-003-if).

    ``layer_in`` ``[n_in]`` integer times, ``weight_t`` ``[n_in, n_out]`` (transposed weights).
    Also returns the spiking inputs in spike order (``order``), their times (``t_sorted``) and
    their weight rows ``weight_t[order]`` (``rows``), which the backward pass reuses."""
    active = np.flatnonzero(layer_in < t_max)
    t_active = layer_in[active]
    by_time = np.argsort(t_active, kind="stable")
    order, t_sorted = active[by_time], t_active[by_time]
    rows = weight_t[order]  # [k, n_out]: weights of the spiking inputs in spike order
    if not len(order):
        return np.full(weight_t.shape[1], t_max, dtype=np.int64), order, t_sorted, rows
    potential = torch.from_numpy(rows).cumsum(dim=0).numpy()  # V after each input
    last = np.empty(len(order), dtype=bool)  # last input of its time step
    np.not_equal(t_sorted[1:], t_sorted[:-1], out=last[:-1])
    last[-1] = True
    ends = np.flatnonzero(last)
    crossed = potential[ends] > thr
    first = crossed.argmax(axis=0)
    fired = crossed[first, np.arange(crossed.shape[1])]
    times = np.where(fired, np.minimum(t_sorted[ends][first] + 1, t_max), t_max)
    return times, order, t_sorted, rows


class S4NNTimes(NamedTuple):
    """Result of :func:`s4nn_forward_times`."""

    times: list[Tensor]
    """``[B, n_l]`` ``torch.long`` firing times of every layer (as :attr:`S4NNForward.times`)."""
    output_probe: Tensor
    """``[B, n_L]`` potentials of the output layer at ``probe_step`` (S4NN: ``t_max - 3``),
    as :attr:`S4NNForward.v_probe` ``[-1]``."""


def s4nn_forward_times(
    input_times: Tensor,
    weights: Sequence[Tensor],
    thresholds: float | Sequence[float | Tensor],
    t_max: int,
    *,
    probe_step: int | None = None,
) -> S4NNTimes:
    r"""Firing times of every layer of an IF/TTFS network for a batch of images: the times of
    :func:`s4nn_forward` (eq-003-if) and the output layer's probe potential, computed from each
    image's input spikes sorted by time (see the section comment above) instead of one bin per
    time step.  For evaluation: the per-layer ``v_probe`` / ``v_spike`` of the hidden layers are
    not computed.  Validation happens once per call; the images then run through the kernel
    one by one (faster on a CPU than padded batches, see above), on the CPU.

    Args and shapes as :func:`s4nn_forward`.

    Returns:
        :class:`S4NNTimes` ``(times, output_probe)`` (on the device of ``weights[-1]``).
    """
    _check_t_max(t_max)
    weights, thresholds = _layers(weights, thresholds)
    if probe_step is None:
        probe_step = t_max - S4NN_PROBE_OFFSET
    times_in = _as_times(input_times, "input_times")
    n_in, layers = times_in.shape[1], []
    for weight, threshold in zip(weights, thresholds):
        if weight.dim() != 2 or weight.shape[1] != n_in:
            raise ValueError(f"weight must be [n_out, n_in={n_in}], got {tuple(weight.shape)}")
        thr = _thresholds(threshold, weight.shape[0], weight).detach().cpu().numpy()
        layers.append((np.array(weight.detach().cpu().numpy().T, order="C"), thr))
        n_in = weight.shape[0]
    batch = times_in.shape[0]
    out = [np.empty((batch, w.shape[1]), dtype=np.int64) for w, _ in layers]
    for b, layer_in in enumerate(times_in.cpu().numpy()):
        for layer, (weight_t, thr) in enumerate(layers):
            layer_in = _np_layer_times(layer_in, weight_t, thr, t_max)[0]
            out[layer][b] = layer_in
    device = weights[-1].device
    times = [torch.from_numpy(t).to(device) for t in out]
    last_input = times[-2] if len(times) > 1 else times_in.to(device)
    probe = (last_input <= probe_step).to(weights[-1].dtype) @ weights[-1].t()
    return S4NNTimes(times=times, output_probe=probe)


def _np_targets(out: np.ndarray, label: int, t_max: int, loss: str, gamma: int) -> np.ndarray:
    """:func:`s4nn_relative_targets` (``'s4nn'``) or :func:`aggressive_ttfs_targets`
    (``'aggressive'`` and the other :data:`AGGRESSIVE_READINGS`) of one sample, in numpy."""
    t_min = out.min()
    if loss.startswith("aggressive"):  # AGGRESSIVE_READINGS
        target = np.full_like(out, t_max)
        desired = 0 if t_min >= t_max else t_min
        if loss == "aggressive_label_silent" and out[label] >= t_max or loss == "aggressive_zero":
            desired = 0
        elif loss == "aggressive_margin":
            desired = max(desired - gamma, 0)
        target[label] = desired
        return target
    if t_min >= t_max:
        target = np.full_like(out, t_max)
        target[label] = t_max - gamma
        return target
    target = out.copy()
    target[(out - t_min) < gamma] = min(t_min + gamma, t_max)
    target[label] = t_min
    return target


def _np_normalise(delta: np.ndarray, norm: str | None) -> np.ndarray:
    if norm is None:
        return delta
    size = np.linalg.norm(delta) if norm == "l2" else np.abs(delta).sum()
    return delta / size if size != 0 else delta


_DECAY_CHUNK_BYTES = 1 << 18


def _decay_in_place(w: np.ndarray, rate: float) -> None:
    """``w -= rate * w`` with the same rounding (each element: ``w - fl(rate * w)``), in blocks of
    rows that stay in the cache: one pass over a ``[784, 400]`` float64 array takes half the time
    of numpy's whole-array expression, which writes and rereads a temporary as large as ``w``."""
    rows = max(1, _DECAY_CHUNK_BYTES // (w.shape[1] * w.itemsize))
    scratch = np.empty((min(rows, w.shape[0]), w.shape[1]), dtype=w.dtype)
    for start in range(0, w.shape[0], rows):
        block = w[start:start + rows]
        product = scratch[:len(block)]
        np.multiply(rate, block, out=product)
        np.subtract(block, product, out=block)


def s4nn_train_image_(
    weights_t: Sequence[np.ndarray],
    input_times: np.ndarray,
    label: int,
    *,
    thresholds: Sequence[float],
    t_max: int,
    lr: Sequence[float],
    weight_decay: Sequence[float],
    norm: Literal["l2", "l1"] | None = "l2",
    loss: str = "s4nn",
    gamma: int = S4NN_GAMMA,
    backprop_weights: Literal["current", "updated"] = "updated",
) -> list[np.ndarray]:
    r"""One S4NN training iteration on one image, updating the weights **in place** (the fast
    path of the classifier's training loop; eq-003-if forward, eq-003-backprop update).

    The same iteration as :func:`s4nn_forward` + targets (:func:`s4nn_relative_targets` or
    :func:`aggressive_ttfs_targets`) + :func:`temporal_error` + :func:`s4nn_backward` with
    ``B = 1`` and ``W + delta_w``, but in S4NN.py's order of floating-point operations:
    ``W -= lr*delta*hasFired`` then ``W -= lr*lamda*W`` per layer, the L2 norm with
    ``numpy.linalg.norm`` and the back-propagated error summed over the outputs in index order,
    so that, given the same spike times, the weights are bit-identical to S4NN.py's.  Work per
    image: the inputs that spike are sorted by time once per layer; the forward is a cumulative
    sum over their weight rows only; the gradient touches only the rows of inputs that spiked
    (``hasFired`` is a prefix of the time-sorted inputs for each neuron); the L2 decay is the
    one pass over every weight, made block by block (:func:`_decay_in_place`).

    No validation (this is the hot loop): the caller checks shapes and settings once.

    Args:
        weights_t: per layer the **transposed** weights ``[n_{l-1}, n_l]`` (C-contiguous float
            arrays), updated in place.
        input_times: ``[n_0]`` integer input times (``>= t_max``: no spike).
        label: the class (index of the desired output neuron).
        thresholds, lr, weight_decay: one value per layer (a layer with ``lr = 0`` and
            ``weight_decay = 0`` is left unchanged).
        norm, gamma, backprop_weights: as in :func:`s4nn_backward` / :func:`s4nn_relative_targets`.
        loss: ``'s4nn'`` (relative targets) or one of :data:`AGGRESSIVE_READINGS` (dynamic targets).

    Returns:
        Per layer the ``[n_l]`` firing times (int64) before the update.
    """
    layer_in = input_times
    forward = []
    for w, thr in zip(weights_t, thresholds):
        forward.append(_np_layer_times(layer_in, w, thr, t_max))
        layer_in = forward[-1][0]
    times = [f[0] for f in forward]

    out = times[-1]
    dtype = weights_t[-1].dtype
    delta = (_np_targets(out, label, t_max, loss, gamma) - out).astype(dtype)  # S4NN: target - t
    delta = _np_normalise(delta / t_max, norm)
    for layer in reversed(range(len(weights_t))):
        w = weights_t[layer]
        t_out, order, t_sorted, rows = forward[layer]
        # hasFired[r, j] = t_r < t_j is a prefix of the time-sorted inputs for each neuron j
        index = np.int16 if len(order) < 2**15 else np.int64
        before = np.searchsorted(t_sorted, t_out, side="left").astype(index)
        fired_before = np.arange(len(order), dtype=index)[:, None] < before
        if layer and backprop_weights == "current":
            below_rows = (delta * fired_before) * rows
        step, decay = lr[layer], weight_decay[layer]
        if step != 0:
            w[order] = rows - (delta * step) * fired_before
        if decay != 0:
            _decay_in_place(w, step * decay)
        if not layer:
            break
        if backprop_weights != "current":
            below_rows = (delta * fired_before) * w[order]
        below = np.zeros(w.shape[0], dtype=w.dtype)
        # summed over the outputs in index order (S4NN.py: .sum(axis=0) of [n_out, n_in])
        below[order] = np.ascontiguousarray(below_rows.T).sum(axis=0)
        delta = _np_normalise(below, norm)
    return times
