r"""Spike-timing-dependent plasticity with nearest-spike traces (BindsNET ``PostPre`` semantics).

All rules are pure functions of spikes and traces that **return** the weight change
:math:`\Delta w` (SpikingJelly style), so any connection type can apply it; the in-place
``*_`` variants apply the same change directly to a weight buffer, with the rounding of
BindsNET's two successive in-place updates.  (:mod:`snnlib.papers.p002_competition.network` applies the same rule
event by event -- only the weight rows and columns that a spike touches -- with the same float
operations; its tests check it against a literal dense implementation.)

Conventions: a weight matrix is ``w[..., pre, post]`` (BindsNET's ``Connection.w[source, target]``);
spikes are 0./1. floats; ``nu = (nu_0, nu_1)`` are BindsNET's learning rates for pre- and
post-synaptic events.

Traces (``bindsnet/network/nodes.py Nodes.forward``, ``traces_additive=False``, ``trace_scale=1``):
every step the trace decays and is then *set* to 1 where the neuron spiked,

.. math:: x_t = \begin{cases} 1 & s_t = 1 \\ e^{-\Delta t/\tau}\, x_{t-1} & s_t = 0 \end{cases}

("nearest spike": only the last spike counts).  ``PostPre`` (``bindsnet/learning/learning.py
PostPre._connection_update``), called by ``Network.run`` right after all layers made step t
(so spikes *and* traces are those of step t, the traces already including the step-t spikes):

.. math:: \Delta w_{ij} = -\nu_0\, s^{pre}_i\, x^{post}_j + \nu_1\, x^{pre}_i\, s^{post}_j

(depression at a pre spike by the post trace, potentiation at a post spike by the pre trace),
followed by a subtractive weight decay ``w -= weight_decay`` (if non-zero) and clamping to
``[wmin, wmax]`` (BindsNET ``LearningRule.update`` as vendored in danielgafni/Bachelor; upstream
BindsNET >= 0.3 made the decay multiplicative).

Paper 002 (Gafni et al.) eq. (4): :math:`\Delta w = A_+ e^{-(t_{post}-t_{pre})/\tau_+}` for
:math:`t_{post} > t_{pre}` and :math:`A_- e^{(t_{post}-t_{pre})/\tau_-}` for
:math:`t_{post} < t_{pre}`; with these traces :math:`A_+ = \nu_1`, :math:`A_- = -\nu_0`,
:math:`\tau_+` = pre-trace and :math:`\tau_-` = post-trace time constant
(:func:`nu_from_paper_amplitudes`).  STDP has :math:`A_+ > 0 > A_-`; anti-STDP (the learned
competition connections) is the same rule with the signs flipped, i.e. negative ``nu``
entries.  The code's ``A_pos``/``A_neg`` arguments *are* ``nu = [A_pos, A_neg]``.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple, Sequence, Union

import torch
from torch import Tensor

__all__ = [
    "trace_decay",
    "trace_step",
    "trace_sequence",
    "post_pre_delta_w",
    "post_pre_depress_",
    "post_pre_potentiate_",
    "post_pre_update_",
    "post_pre_window",
    "subtractive_weight_decay",
    "clamp_weights",
    "normalize_incoming",
    "nu_from_paper_amplitudes",
    "PaperAmplitudes",
    "paper_amplitudes_from_nu",
]

Nu = Sequence[float]


@functools.lru_cache(maxsize=None)
def trace_decay(tau: float, dt: float = 1.0) -> float:
    r"""Per-step trace decay factor :math:`e^{-\Delta t/\tau}` exactly as BindsNET computes it.

    BindsNET ``Nodes.compute_decays``: ``torch.exp(-dt / tc_trace)`` with ``tc_trace`` a float32
    tensor, i.e. the division and the exponential are done in float32.  The returned Python
    float is that float32 value, so multiplying a float32 tensor by it is bit-identical to
    BindsNET's ``x *= trace_decay``.
    """
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    value = torch.exp(-float(dt) / torch.tensor(float(tau), dtype=torch.float32))
    return float(value.item())


def trace_step(
    trace: Tensor, spikes: Tensor, tau: float, dt: float = 1.0
) -> Tensor:
    r"""One step of the nearest-spike trace: :math:`x \leftarrow x\,e^{-\Delta t/\tau}`, then
    :math:`x = 1` where ``spikes`` (BindsNET ``Nodes.forward`` with ``traces_additive=False``).

    Computed as ``maximum(trace * decay, spikes)``: traces stay in [0, 1] and spikes are 0./1.,
    so this is exactly "decay, then set to 1 where spiked" (same float32 values as BindsNET) in
    two tensor operations.  Returns a new tensor.
    """
    return torch.maximum(trace * trace_decay(tau, dt), spikes.to(trace.dtype))


@functools.lru_cache(maxsize=64)
def _decay_powers_cpu(decay: float, num_steps: int) -> Tensor:
    """``table[n]`` = the trace n steps after a spike, built by ``n`` successive float32
    multiplications (as the step-by-step trace is), ``table[0] = 1``."""
    table = torch.empty(num_steps, dtype=torch.float32)
    value = torch.ones((), dtype=torch.float32)
    factor = torch.tensor(decay, dtype=torch.float32)
    for n in range(num_steps):
        table[n] = value
        value = value * factor
    return table


def _decay_powers(decay: float, num_steps: int, device) -> Tensor:
    return _decay_powers_cpu(decay, num_steps).to(device)


def trace_sequence(spikes: Tensor, tau: float, dt: float = 1.0) -> Tensor:
    r"""The traces of :func:`trace_step` for a whole spike train ``spikes[T, ...]``, starting from
    ``x = 0`` (the state after BindsNET's ``reset_``), without a Python loop over time.

    :math:`x_t = d^{\,t - t^*}` with :math:`t^*` the last spike time :math:`\le t`
    (0 before the first spike), where :math:`d^n` is the product of n float32 factors
    evaluated in the same order as the step-by-step recursion, so the result is bit-identical
    to iterating :func:`trace_step`.  Returns float32 ``[T, ...]``.
    """
    num_steps = spikes.shape[0]
    dtype = torch.float32
    fired = spikes != 0
    steps = torch.arange(num_steps, device=spikes.device).view(-1, *([1] * (spikes.dim() - 1)))
    last = torch.where(fired, steps, torch.full_like(steps, -1)).cummax(dim=0).values
    table = _decay_powers(trace_decay(tau, dt), max(num_steps, 1), spikes.device)
    since = (steps - last).clamp(0, num_steps - 1)
    return torch.where(last >= 0, table[since], torch.zeros((), dtype=dtype, device=spikes.device))


def post_pre_delta_w(
    pre_spikes: Tensor,
    post_spikes: Tensor,
    pre_trace: Tensor,
    post_trace: Tensor,
    nu: Nu,
) -> Tensor:
    r"""BindsNET ``PostPre`` weight change for one time step (batched):

    .. math:: \Delta w = -\nu_0\; s^{pre} \otimes x^{post} \;+\; \nu_1\; x^{pre} \otimes s^{post}

    ``pre_*`` are ``[..., I]``, ``post_*`` are ``[..., J]`` (same leading batch dims), the result
    is ``[..., I, J]``.  Spikes and traces are those of the *current* step, traces already
    updated with the current spikes (see module docstring).  BindsNET's minibatch reduction
    (mean over the batch) is not applied: leading dims are independent synapse sets.  For a
    weight-shared (convolutional) connection sum the result over the location dim, as
    ``PostPre._conv2d_connection_update`` does (its ``bmm`` over output locations).
    Anti-STDP = negative ``nu`` entries.  Summed over the steps of one isolated spike pair this
    gives eq-002-stdp of chapter 002 (paper 002, Eq. 4; see :func:`post_pre_window`).

    Note: ``w + post_pre_delta_w(...)`` rounds differently from BindsNET's two successive in-place
    updates where both terms are non-zero; :func:`post_pre_update_` reproduces BindsNET's order.
    """
    nu0, nu1 = float(nu[0]), float(nu[1])
    depression = pre_spikes.unsqueeze(-1) * (nu0 * post_trace).unsqueeze(-2)
    potentiation = (nu1 * pre_trace).unsqueeze(-1) * post_spikes.unsqueeze(-2)
    return potentiation - depression


def post_pre_depress_(w: Tensor, pre_spikes: Tensor, post_trace: Tensor, nu0: float) -> Tensor:
    r"""In place: :math:`w \mathrel{-}= \nu_0\, s^{pre\,\top} x^{post}` (pre-synaptic event term).

    Shapes: ``w [N, I, J]``, ``pre_spikes [N, M, I]``, ``post_trace [N, M, J]``; the product sums
    over ``M`` (``M = 1``: plain connection; ``M`` = output locations: weight sharing).
    The trace is scaled first (``post_trace * nu0``, rounded once, as in BindsNET where
    ``nu0 * (s x)`` with ``s`` in {0, 1}); for ``M = 1`` every product in the matrix multiply is
    then exact and the result equals BindsNET's ``w -= nu0 * outer`` bit for bit.
    Returns ``w``.
    """
    if nu0 != 0.0:
        w.baddbmm_(pre_spikes.transpose(1, 2), post_trace * nu0, alpha=-1.0)
    return w


def post_pre_potentiate_(w: Tensor, pre_trace: Tensor, post_spikes: Tensor, nu1: float) -> Tensor:
    r"""In place: :math:`w \mathrel{+}= \nu_1\, x^{pre\,\top} s^{post}` (post-synaptic event term).
    Shapes and exactness as in :func:`post_pre_depress_`.  Returns ``w``."""
    if nu1 != 0.0:
        w.baddbmm_((pre_trace * nu1).transpose(1, 2), post_spikes, alpha=1.0)
    return w


def post_pre_update_(
    w: Tensor,
    pre_spikes: Tensor,
    post_spikes: Tensor,
    pre_trace: Tensor,
    post_trace: Tensor,
    nu: Nu,
) -> Tensor:
    r"""In place, BindsNET order: depression (:func:`post_pre_depress_`) then potentiation
    (:func:`post_pre_potentiate_`), i.e. ``w += post_pre_delta_w(...)`` summed over ``M`` with
    BindsNET's rounding.  Shapes: ``w [N, I, J]``, ``pre_* [N, M, I]``, ``post_* [N, M, J]``.
    Weight decay and clamping are separate (:func:`subtractive_weight_decay`,
    :func:`clamp_weights`).  Returns ``w``."""
    post_pre_depress_(w, pre_spikes, post_trace, float(nu[0]))
    post_pre_potentiate_(w, pre_trace, post_spikes, float(nu[1]))
    return w


def post_pre_window(
    delta_t: Union[Tensor, float],
    nu: Nu,
    tau_pre: float,
    tau_post: float,
    dt: float = 1.0,
) -> Tensor:
    r"""Total :math:`\Delta w` of :func:`post_pre_delta_w` for one isolated pre/post spike pair,
    as a function of :math:`\Delta t = t_{post} - t_{pre}` (in ms, multiples of ``dt``):

    .. math::
        \Delta w(\Delta t) = \begin{cases}
          \nu_1\, d_{pre}^{\,\Delta t/dt} & \Delta t > 0 \\
          \nu_1 - \nu_0 & \Delta t = 0 \\
          -\nu_0\, d_{post}^{\,|\Delta t|/dt} & \Delta t < 0
        \end{cases}

    with :math:`d = e^{-dt/\tau}` (:func:`trace_decay`).  Implements eq-002-stdp of chapter 002:
    this is paper 002 eq. (4) in discrete time (:math:`A_+ = \nu_1`, :math:`A_- = -\nu_0`,
    :math:`\tau_+ = \tau_{pre}`, :math:`\tau_- = \tau_{post}`); the simultaneous pair gets both
    terms.  Powers are taken in float64 (so they can differ from the float32 recursion in the
    last bits).
    """
    delta_t = torch.as_tensor(delta_t, dtype=torch.float64)
    steps = (delta_t / dt).round()
    d_pre = math.log(trace_decay(tau_pre, dt))
    d_post = math.log(trace_decay(tau_post, dt))
    nu0, nu1 = float(nu[0]), float(nu[1])
    positive = nu1 * torch.exp(steps.clamp_min(0) * d_pre)
    negative = -nu0 * torch.exp((-steps).clamp_min(0) * d_post)
    return torch.where(steps > 0, positive, torch.where(steps < 0, negative, positive + negative))


def subtractive_weight_decay(w: Tensor, weight_decay: float) -> Tensor:
    r""":math:`w \leftarrow w - \lambda` applied every step to *every* entry (including entries a
    mask later resets), as the vendored BindsNET ``LearningRule.update`` does
    (``if self.weight_decay: self.connection.w -= self.weight_decay``).  Returns a new tensor
    (``w`` itself when ``weight_decay == 0``)."""
    if not weight_decay:
        return w
    return w - weight_decay


def clamp_weights(w: Tensor, wmin: float = -math.inf, wmax: float = math.inf) -> Tensor:
    r""":math:`w \leftarrow \min(\max(w, w_{min}), w_{max})`; infinite bounds are not applied
    (BindsNET clamps only if ``wmin != -inf or wmax != inf``).  Returns a new tensor."""
    low = None if wmin == -math.inf else wmin
    high = None if wmax == math.inf else wmax
    if low is None and high is None:
        return w
    return w.clamp(low, high)


def normalize_incoming(
    w: Tensor,
    norm: float,
    dim: Union[int, Sequence[int]] = -2,
    absolute: bool = False,
) -> Tensor:
    r"""Rescale each post-synaptic neuron's incoming weights to sum to ``norm``:

    .. math:: w_{ij} \leftarrow w_{ij}\; \frac{\text{norm}}{\sum_i w_{ij}}

    ``dim`` is the pre-synaptic dim (or dims) summed over.  ``absolute=False`` is BindsNET
    ``LocalConnection.normalize`` / ``Conv2dConnection.normalize`` (plain sum, no guard against a
    zero sum); ``absolute=True`` is ``Connection.normalize`` (sum of :math:`|w|`, zero sums
    replaced by 1).  The factor ``norm / sum`` is formed first and then multiplied in, as in
    BindsNET (``w *= norm / w.sum(0)``).  BindsNET calls it at the end of every
    ``Network.run``, i.e. after each image.  Returns a new tensor.
    """
    if absolute:
        total = w.abs().sum(dim, keepdim=True)
        total = torch.where(total == 0, torch.ones_like(total), total)
    else:
        total = w.sum(dim, keepdim=True)
    return w * (norm / total)


class PaperAmplitudes(NamedTuple):
    """Paper 002 eq. (4) parameters: ``a_plus`` (post after pre), ``a_minus`` (pre after post)."""

    a_plus: float
    a_minus: float


def nu_from_paper_amplitudes(a_plus: float, a_minus: float) -> tuple[float, float]:
    r"""``(nu_0, nu_1) = (-A_-, A_+)``: BindsNET ``PostPre`` rates for paper eq. (4) amplitudes.

    STDP: :math:`A_+ > 0 > A_-` gives positive ``nu``; anti-STDP (the paper's learned
    competition, e.g. "strong": :math:`A_+ = -1.6`, :math:`A_- = 0.1`) gives negative ``nu``.
    The reference code's arguments map as ``nu = [A_pos, A_neg]``, so paper :math:`A_+` =
    code ``A_neg`` and paper :math:`A_-` = ``-A_pos`` (the reference's ``LC_SNN`` passes
    ``nu=[A_pos, A_neg]`` to BindsNET's ``PostPre``, whose ``nu[0]`` acts at presynaptic spikes).
    """
    return (-float(a_minus), float(a_plus))


def paper_amplitudes_from_nu(nu: Nu) -> PaperAmplitudes:
    """Inverse of :func:`nu_from_paper_amplitudes`."""
    return PaperAmplitudes(a_plus=float(nu[1]), a_minus=-float(nu[0]))
