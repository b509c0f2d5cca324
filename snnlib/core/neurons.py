r"""Spiking neuron models as pure step functions plus thin ``nn.Module`` wrappers.

Design (Norse style): every model is a pure function

    ``step(input, state, params) -> (output, new_state)``

with an explicit ``NamedTuple`` state and ``NamedTuple`` parameters; nothing is cached between calls.
Sequences are time-major, ``[T, batch, ...]``; :func:`scan` is the one generic time loop that
runs any such step function over a sequence, and every module's ``forward`` returns
``(output, final_state)``.

Models
------
* :func:`lif_step` / :func:`lif_sequence` -- leaky integrate-and-fire with snnTorch ``snn.Leaky``
  (>= 0.8) semantics; IF is the special case :math:`\beta = 1` (:func:`if_params`), and STBP's
  iterative LIF (Wu et al.) the zero reset (:func:`iterative_lif_params`).
* :func:`adaptive_lif_step` -- LIF with adaptive threshold, BindsNET ``AdaptiveLIFNodes`` semantics.
* :func:`stochastic_threshold_spike` -- SRM readout with stochastic threshold (VDIB readout).
* :func:`decolle_lif_step` -- the LIF with synaptic, membrane and refractory traces of DECOLLE,
  VDIB's hidden layer.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional, Sequence, Union

import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable
import torch.nn.functional as F

from .surrogate import Surrogate, fast_sigmoid, heaviside, rectangular

__all__ = [
    "scan",
    "LIFParams",
    "LIFState",
    "if_params",
    "iterative_lif_params",
    "lif_init_state",
    "lif_step",
    "lif_sequence",
    "LIF",
    "AdaptiveLIFParams",
    "AdaptiveLIFState",
    "adaptive_lif_init_state",
    "adaptive_lif_step",
    "adaptive_lif_sequence",
    "AdaptiveLIF",
    "stochastic_threshold_spike",
    "DecolleLIFParams",
    "DecolleLIFState",
    "decolle_lif_init_state",
    "decolle_lif_step",
]

Scalar = Union[float, Tensor]
RESET_MECHANISMS = ("subtract", "zero", "none")


# --------------------------------------------------------------------------------------------------
# The generic time loop
# --------------------------------------------------------------------------------------------------


def scan(step, inputs: Tensor, state, params, *args) -> tuple[Tensor, object]:
    """Run a pure step function ``step(input, state, params, *args) -> (output, state)`` over the
    leading (time) axis of ``inputs``; returns ``(outputs[T, ...], final_state)``.

    With ``T = 0`` the outputs are zeros shaped like ``inputs`` and the state is returned as given.
    """
    outputs = []
    for x in inputs:
        out, state = step(x, state, params, *args)
        outputs.append(out)
    return (torch.stack(outputs) if outputs else torch.zeros_like(inputs)), state


# --------------------------------------------------------------------------------------------------
# LIF / IF  (snnTorch snn.Leaky semantics)
# --------------------------------------------------------------------------------------------------


class LIFParams(NamedTuple):
    r"""Parameters of :func:`lif_step`.

    * ``beta`` -- membrane decay factor per step, clipped to [0, 1] as in snnTorch
      (``beta = 1`` is the non-leaky integrate-and-fire neuron). Float or tensor broadcastable
      to the neuron shape.
    * ``threshold`` -- :math:`U_{thr}` (float or broadcastable tensor).
    * ``reset_mechanism`` -- ``"subtract"`` (default), ``"zero"`` or ``"none"``.
    * ``refractory`` -- refractory period in time steps (int >= 0), see :func:`lif_step`.
    * ``surrogate`` -- spike function with surrogate gradient (default fast sigmoid, k = 25,
      as used in the snnTorch tutorials; snnTorch's own default is ``atan``).
    * ``detach_reset`` -- ``True`` (snnTorch): no gradient flows through the reset;
      ``False`` (STBP): the reset is the previous step's spike with its surrogate gradient, so
      :math:`\partial U_t/\partial S_{t-1}` (:math:`-\beta U_{t-1}` for the zero reset,
      :math:`-U_{thr}` for subtraction) enters backpropagation through time.  Refractory
      neurons always detach it.
    """

    beta: Scalar = 1.0
    threshold: Scalar = 1.0
    reset_mechanism: str = "subtract"
    refractory: int = 0
    surrogate: Surrogate = fast_sigmoid(25.0)
    detach_reset: bool = True


class LIFState(NamedTuple):
    """State of :func:`lif_step`: membrane ``mem`` and the integer ``refractory_count``
    (number of remaining steps during which input is ignored)."""

    mem: Tensor
    refractory_count: Tensor


def if_params(
    threshold: Scalar = 1.0,
    reset_mechanism: str = "subtract",
    refractory: int = 0,
    surrogate: Surrogate = fast_sigmoid(25.0),
) -> LIFParams:
    r"""Integrate-and-fire = LIF with :math:`\beta = 1`: :math:`U_t = U_{t-1} + I_t - R_t U_{thr}`."""
    return LIFParams(1.0, threshold, reset_mechanism, refractory, surrogate)


def iterative_lif_params(
    tau_decay: Scalar = 0.25,
    threshold: Scalar = 0.5,
    surrogate: Surrogate | None = None,
) -> LIFParams:
    r"""The iterative LIF of STBP (Wu et al. 2019; tdBN eqs. 2-3, eq-004-lif):
    :math:`u^t = \tau_{decay}\,u^{t-1}(1 - o^{t-1}) + x^t`, :math:`o^t = \mathbb 1[u^t > V_{th}]`,
    i.e. :func:`lif_step`'s zero reset with :math:`\beta = \tau_{decay}`, and STBP's
    backpropagation through time including the path through the reset (eq-004-bptt:
    ``detach_reset=False``).  The surrogate defaults to STBP's rectangle of width 1 and height 1
    (:func:`snnlib.core.surrogate.rectangular`)."""
    return LIFParams(tau_decay, threshold, "zero", 0, surrogate if surrogate is not None else rectangular(1.0),
                     detach_reset=False)


def lif_init_state(
    shape: Sequence[int],
    *,
    dtype: torch.dtype = torch.float32,
    device: Optional[Union[str, torch.device]] = None,
) -> LIFState:
    """Resting state: ``mem = 0`` and no refractoriness, for neurons of shape ``shape`` (incl. batch)."""
    return LIFState(
        mem=torch.zeros(tuple(shape), dtype=dtype, device=device),
        refractory_count=torch.zeros(tuple(shape), dtype=torch.long, device=device),
    )


def _check_lif_params(params: LIFParams) -> None:
    if params.reset_mechanism not in RESET_MECHANISMS:
        raise ValueError(
            f"reset_mechanism must be one of {RESET_MECHANISMS}, got {params.reset_mechanism!r}"
        )
    if int(params.refractory) != params.refractory or params.refractory < 0:
        raise ValueError(f"refractory must be a non-negative integer, got {params.refractory!r}")


def _clamped_beta(beta: Scalar) -> Scalar:
    """snnTorch clips the decay factor: ``beta.clamp(0, 1)``."""
    if isinstance(beta, Tensor):
        return beta.clamp(0.0, 1.0)
    return min(max(float(beta), 0.0), 1.0)


def lif_step(input: Tensor, state: LIFState, params: LIFParams) -> tuple[Tensor, LIFState]:
    r"""One step of the leaky integrate-and-fire neuron (snnTorch ``snn.Leaky`` >= 0.8).

    With :math:`\beta` clipped to [0, 1], :math:`I_t` the input current and the reset flag
    :math:`R_t` = "the neuron spiked at step t-1" (detached, no gradient):

    .. math::
        R_t &= H(U_{t-1} - U_{thr}) \\
        U_t &= \beta U_{t-1} + I_t - R_t U_{thr}         &&\text{(subtract)} \\
        U_t &= \beta (1 - R_t) U_{t-1} + I_t             &&\text{(zero; the input is not zeroed)} \\
        U_t &= \beta U_{t-1} + I_t                       &&\text{(none)} \\
        S_t &= H(U_t - U_{thr})\quad(\text{strict } >;\ \text{backward: surrogate } \tilde S'(U_t - U_{thr}))

    Source: ``snntorch/_neurons/leaky.py`` (``mem_reset``, ``_base_sub``, ``_base_zero``, ``fire``),
    identical since v0.8.0; the reset is computed from the *previous* membrane (``reset_delay=True``).

    **Refractory period** (``params.refractory = r > 0``, an snnlib extension; snnTorch has none).
    ``refractory_count`` :math:`c_t` counts the remaining refractory steps.  At step t the neuron is
    refractory iff :math:`c_{t-1} > 0`; then its input is ignored (:math:`I_t \to 0`) and it cannot
    spike (:math:`S_t = 0`), while decay and the pending reset still act on :math:`U`.  A spike sets
    :math:`c_t = r`; otherwise :math:`c_t = \max(c_{t-1} - 1, 0)`.  So after a spike at step t the
    steps t+1, ..., t+r are refractory, and under a constant input strong enough to fire from the
    post-reset membrane the neuron fires exactly every r + 1 steps.  With r > 0 the reset flag
    :math:`R_t` is the neuron's actual spike at t-1 (:math:`c_{t-1} = r`), because a refractory
    neuron may sit above threshold without spiking; for r = 0 this equals :math:`H(U_{t-1}-U_{thr})`.

    Returns ``(spikes, new_state)``; ``spikes`` has the dtype of the membrane.

    Implements eq-lif-subtract, eq-lif-zero and eq-spike of the toolkit chapter.
    """
    _check_lif_params(params)
    beta = _clamped_beta(params.beta)
    threshold = params.threshold
    mem_prev = state.mem
    refractory = int(params.refractory)

    if refractory == 0:
        if params.detach_reset:
            reset = heaviside(mem_prev.detach() - threshold)
        else:
            reset = params.surrogate(mem_prev - threshold)
        not_refractory = None
    else:
        reset = (state.refractory_count == refractory).to(mem_prev.dtype)
        not_refractory = (state.refractory_count == 0).to(mem_prev.dtype)
        input = input * not_refractory

    if params.reset_mechanism == "subtract":
        mem = beta * mem_prev + input - reset * threshold
    elif params.reset_mechanism == "zero":
        mem = beta * ((1.0 - reset) * mem_prev) + input
    else:  # "none"
        mem = beta * mem_prev + input

    spikes = params.surrogate(mem - threshold)

    if not_refractory is None:
        refractory_count = state.refractory_count
    else:
        spikes = spikes * not_refractory
        refractory_count = torch.where(
            spikes.detach() > 0,
            torch.full_like(state.refractory_count, refractory),
            (state.refractory_count - 1).clamp_min(0),
        )
    return spikes, LIFState(mem, refractory_count)


def _lif_recurrence(
    currents: Tensor, mem_initial: Tensor, beta: Scalar, threshold: Scalar, reset_mechanism: str
) -> tuple[Tensor, Tensor]:
    """The :func:`lif_step` recurrence (refractory = 0) without autograd: returns ``(mems, spikes)``,
    both ``[T, ...]``, with ``beta`` already clipped."""
    num_steps = currents.shape[0]
    mems = torch.empty_like(currents)
    spikes = torch.empty_like(currents)
    mem = mem_initial  # may broadcast against currents[t]
    previous_spike = heaviside(mem - threshold)
    for t in range(num_steps):
        out = mems[t]
        # Same operation order as lif_step / snnTorch, (beta * U) + I, so that the float
        # results are bitwise equal (no fused multiply-add).
        if reset_mechanism == "zero":
            torch.mul(mem, 1.0 - previous_spike, out=out)
            out.mul_(beta)
        else:
            torch.mul(mem, beta, out=out)
        out.add_(currents[t])
        if reset_mechanism == "subtract":
            if isinstance(threshold, Tensor):
                out.sub_(previous_spike * threshold)
            else:
                out.sub_(previous_spike, alpha=threshold)
        previous_spike = spikes[t]
        torch.gt(out, threshold, out=previous_spike)  # float out: 1.0 / 0.0
        mem = out
    return mems, spikes


class _LIFSequenceFunction(torch.autograd.Function):
    r"""Whole-sequence LIF (refractory = 0) with a hand-written reverse-time backward.

    Forward (no graph): the recurrence of :func:`lif_step` for t = 1..T, storing :math:`U_t`.

    Backward: let :math:`g_t = \partial L/\partial S_t` and :math:`\delta_t = dL/dU_t` (total).
    Because the reset flag is detached, :math:`\partial U_{t+1}/\partial U_t = c_{t+1}` with
    :math:`c_{t+1} = \beta` (subtract, none) or :math:`\beta(1 - R_{t+1})`,
    :math:`R_{t+1} = H(U_t - U_{thr})` (zero), hence

    .. math::
        \delta_T = g_T\,\tilde S'(U_T - U_{thr}) + \partial L/\partial U_T^{\text{final}},\qquad
        \delta_t = g_t\,\tilde S'(U_t - U_{thr}) + c_{t+1}\,\delta_{t+1},

    and :math:`\partial L/\partial I_t = \delta_t`, :math:`\partial L/\partial U_0 = c_1 \delta_1`.

    With the gradient through the reset (``detach_reset=False``, STBP, eq-004-bptt) the spike
    :math:`S_t` also drives :math:`U_{t+1}` through the reset, so its gradient gains
    :math:`\delta_{t+1}\,\partial U_{t+1}/\partial S_t` (:math:`-\beta U_t` for the zero reset,
    :math:`-U_{thr}` for subtraction): :math:`g_t \to g_t + \delta_{t+1}\,\partial U_{t+1}/\partial S_t`
    in the recurrence above, and likewise for :math:`U_0`.
    """

    @staticmethod
    def forward(ctx, currents, mem_initial, beta, threshold, reset_mechanism, surrogate, reset_gradient):
        mems, spikes = _lif_recurrence(currents, mem_initial, beta, threshold, reset_mechanism)
        # The membrane buffer is kept as a ctx attribute (an intermediate, not an input/output):
        # the first backward overwrites it with the gradient; currents/mem_initial are saved so
        # that a second backward (retain_graph=True, gradcheck) can recompute it.
        ctx.save_for_backward(currents, mem_initial)
        ctx.mems = mems
        ctx.beta = beta
        ctx.threshold = threshold
        ctx.reset_mechanism = reset_mechanism
        ctx.surrogate = surrogate
        ctx.reset_gradient = reset_gradient and reset_mechanism != "none"
        return spikes, mems[-1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_spikes, grad_final_mem):
        currents, mem_initial = ctx.saved_tensors
        mems, ctx.mems = ctx.mems, None
        if mems is None:  # a previous backward consumed the buffer
            mems, _ = _lif_recurrence(
                currents, mem_initial, ctx.beta, ctx.threshold, ctx.reset_mechanism
            )
        beta, threshold, surrogate = ctx.beta, ctx.threshold, ctx.surrogate
        zero_reset = ctx.reset_mechanism == "zero"
        reset_gradient = ctx.reset_gradient
        beta_is_tensor = isinstance(beta, Tensor)
        num_steps = mems.shape[0]
        # Reverse-time loop on [batch, ...] slices (each stays in cache).  U_t is not needed after
        # step t of this loop, so delta_t overwrites it in the membrane buffer: no new T-sized
        # allocation (fresh large buffers cost page faults comparable to the arithmetic here).
        grad_currents = mems
        for t in range(num_steps - 1, -1, -1):
            delta = grad_currents[t]  # holds U_t on entry
            if zero_reset and t < num_steps - 1:  # carry = beta * (1 - H(U_t - thr))
                carry = torch.le(delta, threshold).to(mems.dtype).mul_(beta)
            through_reset = None  # dL/dU_{t+1} * dU_{t+1}/dS_t, added to dL/dS_t
            if reset_gradient and t < num_steps - 1:
                through_reset = (delta * (-beta) if zero_reset else -threshold) * grad_currents[t + 1]
            delta.sub_(threshold)
            surrogate.derivative_(delta)  # sg'(U_t - thr)
            if grad_spikes is None and through_reset is None:
                delta.zero_()
            elif through_reset is None:
                delta.mul_(grad_spikes[t])
            else:
                delta.mul_(through_reset if grad_spikes is None else through_reset.add_(grad_spikes[t]))
            if t == num_steps - 1:
                if grad_final_mem is not None:
                    delta.add_(grad_final_mem)
            elif zero_reset:
                delta.addcmul_(carry, grad_currents[t + 1])
            elif beta_is_tensor:
                delta.addcmul_(beta, grad_currents[t + 1])
            else:
                delta.add_(grad_currents[t + 1], alpha=beta)

        grad_mem_initial = None
        if ctx.needs_input_grad[1]:
            if zero_reset:
                carry_initial = (mem_initial <= threshold).to(mems.dtype) * beta
            else:
                carry_initial = beta
            grad_mem_initial = grad_currents[0] * carry_initial
            if reset_gradient:
                jump = -beta * mem_initial if zero_reset else -threshold
                grad_mem_initial = grad_mem_initial + surrogate.derivative(mem_initial - threshold) * jump * grad_currents[0]
            if grad_mem_initial.shape != mem_initial.shape:
                grad_mem_initial = grad_mem_initial.sum_to_size(mem_initial.shape)
        return grad_currents, grad_mem_initial, None, None, None, None, None


def lif_sequence(
    currents: Tensor, params: LIFParams, state: Optional[LIFState] = None
) -> tuple[Tensor, LIFState]:
    r"""Run the LIF neuron of :func:`lif_step` over a whole sequence ``currents[T, ...]``.

    Intended for feed-forward layers: the synaptic input of all T steps is computed outside by one
    matrix product, and only the element-wise recurrence runs in the time loop.  For
    ``refractory == 0`` and non-trainable ``beta``/``threshold`` this uses a custom autograd function
    whose backward is the hand-written reverse-time recurrence (see ``_LIFSequenceFunction``):
    no per-step autograd graph is recorded, which makes it much faster than looping
    :func:`lif_step`, with identical forward values and gradients (w.r.t. ``currents`` and the
    initial membrane).  Otherwise it falls back to looping :func:`lif_step` (:func:`scan`).

    Memory: the membranes of all T steps are kept for backward (and reused as the gradient
    buffer there); ``currents`` are kept too, so that a second backward through the same call
    (``retain_graph=True``) can recompute the membranes.

    Returns ``(spikes[T, ...], final_state)``; ``state=None`` starts from :func:`lif_init_state`.
    """
    _check_lif_params(params)
    if state is None:
        state = lif_init_state(currents.shape[1:], dtype=currents.dtype, device=currents.device)
    trainable = any(
        isinstance(p, Tensor) and p.requires_grad for p in (params.beta, params.threshold)
    )
    if params.refractory > 0 or trainable or currents.shape[0] == 0:
        return scan(lif_step, currents, state, params)
    beta = _clamped_beta(params.beta)
    spikes, final_mem = _LIFSequenceFunction.apply(
        currents, state.mem, beta, params.threshold, params.reset_mechanism, params.surrogate,
        not params.detach_reset,
    )
    return spikes, LIFState(final_mem, state.refractory_count)


class LIF(nn.Module):
    """Layer of LIF neurons over a time-major sequence; a thin wrapper of :func:`lif_sequence`.

    ``forward(currents[T, B, ...], state=None) -> (spikes[T, B, ...], final_state)`` starts from
    rest unless a ``state`` is given; nothing is carried across calls.  ``beta = 1`` gives an IF
    layer.
    """

    def __init__(
        self,
        beta: Scalar = 1.0,
        threshold: Scalar = 1.0,
        reset_mechanism: str = "subtract",
        refractory: int = 0,
        surrogate: Surrogate = fast_sigmoid(25.0),
    ) -> None:
        super().__init__()
        self.params = LIFParams(beta, threshold, reset_mechanism, refractory, surrogate)
        _check_lif_params(self.params)

    def forward(
        self, currents: Tensor, state: Optional[LIFState] = None
    ) -> tuple[Tensor, LIFState]:
        return lif_sequence(currents, self.params, state)

    def extra_repr(self) -> str:
        p = self.params
        return (
            f"beta={p.beta}, threshold={p.threshold}, reset_mechanism={p.reset_mechanism!r}, "
            f"refractory={p.refractory}, surrogate={p.surrogate}"
        )


# --------------------------------------------------------------------------------------------------
# Adaptive-threshold LIF  (BindsNET AdaptiveLIFNodes semantics)
# --------------------------------------------------------------------------------------------------


class AdaptiveLIFParams(NamedTuple):
    """Parameters of :func:`adaptive_lif_step` (voltages in mV, times in ms).

    Defaults are the values of paper 002 (Gafni et al., ``thesis/nets.py``); note that BindsNET's
    own defaults are ``refrac=5, tc_decay=100, tc_theta_decay=1e7``. ``lbound`` (optional lower
    bound of ``v``) is BindsNET's; ``None`` = no bound.
    """

    rest: float = -65.0
    reset: float = -65.0
    thresh: float = -52.0
    tc_decay: float = 20.0
    refrac: float = 2.0
    theta_plus: float = 0.05
    tc_theta_decay: float = 1e6
    dt: float = 1.0
    lbound: Optional[float] = None


class AdaptiveLIFState(NamedTuple):
    """``v`` [B, ...] membrane voltage; ``theta`` adaptive threshold increment, broadcastable to
    ``v`` (``[N...]`` = one network shared by the batch, ``[R, N...]`` = R independent replicas
    simulated as a batch); ``refrac_count`` [B, ...] remaining refractory time in ms."""

    v: Tensor
    theta: Tensor
    refrac_count: Tensor


def adaptive_lif_init_state(
    batch_shape: Sequence[int],
    neuron_shape: Sequence[int],
    params: AdaptiveLIFParams = AdaptiveLIFParams(),
    *,
    theta: Optional[Tensor] = None,
    dtype: torch.dtype = torch.float32,
    device: Optional[Union[str, torch.device]] = None,
) -> AdaptiveLIFState:
    """``v = rest``, ``refrac_count = 0`` of shape ``[*batch_shape, *neuron_shape]``; ``theta``
    defaults to zeros of shape ``neuron_shape`` (shared by the batch, as in BindsNET)."""
    shape = tuple(batch_shape) + tuple(neuron_shape)
    if theta is None:
        theta = torch.zeros(tuple(neuron_shape), dtype=dtype, device=device)
    return AdaptiveLIFState(
        v=torch.full(shape, float(params.rest), dtype=dtype, device=device),
        theta=theta,
        refrac_count=torch.zeros(shape, dtype=dtype, device=device),
    )


def adaptive_lif_step(
    x: Tensor, state: AdaptiveLIFState, params: AdaptiveLIFParams, learning: bool = True
) -> tuple[Tensor, AdaptiveLIFState]:
    r"""One step (dt ms) of BindsNET's ``AdaptiveLIFNodes.forward``, in its order.

    Implements eq-002-alif of chapter 002 (paper 002, Eqs. 1-3: leaky voltage, adaptive
    threshold raised by theta_plus per spike, refractory period), in discrete time:

    .. math::
        v &\leftarrow e^{-\Delta t/\tau_v}\,(v - v_{rest}) + v_{rest} \\
        \theta &\leftarrow e^{-\Delta t/\tau_\theta}\,\theta \quad\text{(only if learning)} \\
        v &\leftarrow v + \mathbb 1[c = 0]\,x \\
        c &\leftarrow \max(c - \Delta t,\ 0) \\
        s &= \mathbb 1[v \ge v_{thresh} + \theta] \\
        c &\leftarrow t_{ref}\ \text{where } s;\qquad v \leftarrow v_{reset}\ \text{where } s \\
        \theta &\leftarrow \theta + \theta_+ \textstyle\sum_{\text{batch}} s \quad\text{(only if learning)} \\
        v &\leftarrow \max(v, \text{lbound}) \quad\text{(if lbound is set)}

    Source: ``bindsnet/network/nodes.py AdaptiveLIFNodes.forward`` as vendored in
    danielgafni/Bachelor (paper 002): the counter update there is
    ``refrac_count = (refrac_count > 0) * (refrac_count - dt)``, i.e. :math:`\max(c-\Delta t, 0)` for
    ``refrac`` a multiple of dt (upstream BindsNET now gates on ``c <= 0`` and lets ``c`` go
    negative -- the same spikes).  Consequence: a spike at step t blocks the input at steps
    t+1..t+refrac/dt.  Note that the threshold test is ``>=`` (snnTorch uses ``>``) and that
    a refractory neuron is not explicitly prevented from spiking (it sits at ``reset < thresh``).

    Batches: BindsNET adds ``theta_plus * s.sum(0)`` -- every spike of every batch element raises the
    one shared threshold.  Here ``s`` is summed down to ``theta``'s shape
    (``Tensor.sum_to_size``): ``theta [N]`` with ``v [B, N]`` reproduces BindsNET; ``theta [R, N]``
    with ``v [R, N]`` updates R independent replicas separately.

    ``x`` is the synaptic input of this step (in a BindsNET ``Network`` it is computed from the
    previous step's presynaptic spikes).  Returns ``(spikes, new_state)``, spikes as 0./1. in
    ``v``'s dtype.  No gradient is intended (STDP models).

    Implements eq-alif of the toolkit chapter (paper 002, Eqs. 1-3), discretised with step dt.
    """
    decay = math.exp(-params.dt / params.tc_decay)
    v = decay * (state.v - params.rest) + params.rest
    theta = state.theta
    if learning:
        theta = theta * math.exp(-params.dt / params.tc_theta_decay)
    v = v + (state.refrac_count == 0).to(v.dtype) * x
    refrac_count = (state.refrac_count - params.dt).clamp_min(0.0)
    spiked = v >= params.thresh + theta
    refrac_count = refrac_count.masked_fill(spiked, params.refrac)
    v = v.masked_fill(spiked, params.reset)
    spikes = spiked.to(v.dtype)
    if learning:
        theta = theta + params.theta_plus * spikes.sum_to_size(theta.shape)
    if params.lbound is not None:
        v = v.clamp_min(params.lbound)
    return spikes, AdaptiveLIFState(v, theta, refrac_count)


def adaptive_lif_sequence(
    inputs: Tensor, state: AdaptiveLIFState, params: AdaptiveLIFParams, learning: bool = True
) -> tuple[Tensor, AdaptiveLIFState]:
    """:func:`adaptive_lif_step` over ``inputs[T, B, ...]`` (:func:`scan`); returns
    ``(spikes[T, B, ...], state)``."""
    return scan(adaptive_lif_step, inputs, state, params, learning)


class AdaptiveLIF(nn.Module):
    """Layer of BindsNET-style adaptive LIF neurons; a thin wrapper of :func:`adaptive_lif_step`.

    ``forward(inputs[T, B, *neuron_shape], state=None, learning=True) -> (spikes, final_state)``.
    The state (including ``theta``) is returned, never stored: to keep the learned thresholds
    across images, as BindsNET does, pass ``state._replace(v=..., refrac_count=...)`` back in (or use
    :meth:`init_state` with ``theta=previous.theta``).
    """

    def __init__(self, neuron_shape: Sequence[int], params: AdaptiveLIFParams = AdaptiveLIFParams()):
        super().__init__()
        self.neuron_shape = tuple(neuron_shape)
        self.params = params

    def init_state(
        self, batch_shape: Sequence[int], theta: Optional[Tensor] = None, **kwargs
    ) -> AdaptiveLIFState:
        return adaptive_lif_init_state(batch_shape, self.neuron_shape, self.params, theta=theta, **kwargs)

    def forward(
        self, inputs: Tensor, state: Optional[AdaptiveLIFState] = None, learning: bool = True
    ) -> tuple[Tensor, AdaptiveLIFState]:
        if state is None:
            batch_shape = inputs.shape[1 : inputs.dim() - len(self.neuron_shape)]
            state = self.init_state(batch_shape, dtype=inputs.dtype, device=inputs.device)
        return adaptive_lif_sequence(inputs, state, self.params, learning)


# --------------------------------------------------------------------------------------------------
# Stochastic-threshold readout (SRM with stochastic threshold; VDIB readout)
# --------------------------------------------------------------------------------------------------


def stochastic_threshold_spike(
    u: Tensor, generator: Optional[torch.Generator] = None
) -> tuple[Tensor, Tensor]:
    r"""Spike with probability :math:`\sigma(u)` ("SRM with stochastic threshold", VDIB / kclip/snn).

    .. math::
        s \sim \mathrm{Bernoulli}(\sigma(u)),\qquad
        \log p(s \mid u) = s \log\sigma(u) + (1 - s)\log(1 - \sigma(u))
                         = s\,\mathrm{logsigmoid}(u) + (1-s)\,\mathrm{logsigmoid}(-u),

    so that :math:`\partial \log p / \partial u = s - \sigma(u)` (the readout's local learning
    signal).  ``spikes`` carry no gradient; ``log_prob`` is differentiable w.r.t. ``u`` and computed
    with ``logsigmoid`` (finite for any ``u``).  Implements eq-stochastic-threshold of the toolkit
    chapter.
    """
    probability = torch.sigmoid(u.detach())
    spikes = torch.bernoulli(probability, generator=generator)
    log_prob = spikes * F.logsigmoid(u) + (1.0 - spikes) * F.logsigmoid(-u)
    return spikes, log_prob


# --------------------------------------------------------------------------------------------------
# DECOLLE-style LIF with input traces (VDIB's hidden layer, kclip/VDIB models/LIF_base.py)
# --------------------------------------------------------------------------------------------------


class DecolleLIFParams(NamedTuple):
    r"""Parameters of :func:`decolle_lif_step`: the membrane (``alpha``), synaptic (``beta``) and
    refractory (``alpha_rp``) decay factors (the VDIB code's 0.9, 0.85, 0.65), the surrogate
    (its ``smooth_step``: gradient 1 on a window of width 1 around 0), and ``normalised_gains``:
    ``False`` for the paper version's input gains :math:`\tau_s, \tau_m, 1`, ``True`` for the
    later ``eprop-fixed`` branch's :math:`1-\beta, 1-\alpha, 1-\alpha_{rp}`."""

    alpha: float = 0.9
    beta: float = 0.85
    alpha_rp: float = 0.65
    surrogate: Surrogate = rectangular(1.0)
    normalised_gains: bool = False


class DecolleLIFState(NamedTuple):
    """Traces of :func:`decolle_lif_step`: ``p`` and ``q`` per input (``[batch, inputs]``), the
    refractory trace ``r`` and the last ``spikes`` per neuron (``[batch, neurons]``)."""

    p: Tensor
    q: Tensor
    r: Tensor
    spikes: Tensor


def decolle_lif_init_state(batch: int, inputs: int, neurons: int, dtype: torch.dtype = torch.float32
                           ) -> DecolleLIFState:
    """All traces zero, no spike."""
    zeros = torch.zeros
    return DecolleLIFState(zeros(batch, inputs, dtype=dtype), zeros(batch, inputs, dtype=dtype),
                           zeros(batch, neurons, dtype=dtype), zeros(batch, neurons, dtype=dtype))


def decolle_lif_step(input_spikes: Tensor, state: DecolleLIFState, weight: Tensor, bias: Tensor,
                     params: DecolleLIFParams = DecolleLIFParams()) -> tuple[Tensor, DecolleLIFState]:
    r"""One step of the LIF neurons of VDIB's hidden layer (DECOLLE's form; the authors' paper
    version of ``LIF_base.py``), for input spikes :math:`S^{in}_t` ``[batch, inputs]``:

    .. math::
        Q_t &= \beta Q_{t-1} + \tau_s S^{in}_t, \qquad
        P_t = \alpha P_{t-1} + \tau_m Q_{t-1}, \qquad
        R_t = \alpha_{rp} R_{t-1} - S_{t-1}, \\
        U_t &= W P_t + b + R_t, \qquad S_t = \mathbb 1[U_t \ge 0],

    :math:`\tau_m = 1/(1-\alpha)`, :math:`\tau_s = 1/(1-\beta)`; the threshold is folded into
    the bias.  The spike is inclusive (:math:`U_t = 0` spikes), computed as
    :math:`1 - H(-U_t)` so that its gradient is the (symmetric) surrogate's :math:`\tilde S'(U_t)`;
    the traces carry no gradient (the weights' gradient is local: :math:`\partial U_t/\partial W = P_t`).
    Returns ``(spikes, new_state)``."""
    if params.normalised_gains:
        g_m, g_s, g_rp = 1 - params.alpha, 1 - params.beta, 1 - params.alpha_rp
    else:
        g_m, g_s, g_rp = 1 / (1 - params.alpha), 1 / (1 - params.beta), 1.0
    p = params.alpha * state.p + g_m * state.q
    q = params.beta * state.q + g_s * input_spikes
    r = params.alpha_rp * state.r - g_rp * state.spikes
    u = F.linear(p, weight, bias) + r
    spikes = 1.0 - params.surrogate(-u)
    return spikes, DecolleLIFState(p, q, r, spikes.detach())
