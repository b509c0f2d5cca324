"""Spike encoders and decoders.

Every encoder is a pure function that returns a **time-major** tensor of shape
``[T, *x.shape]``: ``spikes[t, ...]`` is the spike (or not) of every element of
``x`` at step ``t``.  Randomness enters only through an explicit
``generator: torch.Generator | None`` argument (``None`` means torch's default
generator), so a seeded generator reproduces a spike train exactly.

Encoders and the reference implementation whose semantics each one matches:

* :func:`rate_encode` -- snnTorch ``spikegen.rate`` (i.i.d. Bernoulli per step).
* :func:`poisson_encode` -- BindsNET ``encoding.encodings.poisson`` (Poisson
  inter-spike intervals in steps, zero intervals bumped to one).
* :func:`latency_times` / :func:`latency_encode` -- snnTorch
  ``spikegen.latency`` / ``latency_code`` (one spike per element; bright -> early).
* :func:`ttfs_encode` / :func:`ttfs_decode` -- S4NN / Spiking-GAN integer
  time-to-first-spike code; :func:`times_to_spikes` turns spike times into
  dense one-hot trains.

Decoders: :func:`spike_count`, :func:`spike_rate`, :func:`first_spike_time` and
:func:`decode_ttfs_class` (first-to-fire classification with explicit tie and
silent-output rules).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
from torch import Tensor

__all__ = [
    "rate_encode",
    "poisson_encode",
    "latency_times",
    "latency_encode",
    "ttfs_encode",
    "ttfs_decode",
    "count_encode",
    "times_to_spikes",
    "spike_count",
    "spike_rate",
    "first_spike_time",
    "TTFSDecision",
    "decode_ttfs_class",
]


def _check_num_steps(num_steps: int) -> None:
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 1:
        raise ValueError(f"num_steps must be a positive int, got {num_steps!r}")


def _floating(x: Tensor) -> Tensor:
    """``x`` itself if it is floating point, else ``x`` cast to the default float dtype."""
    return x if x.is_floating_point() else x.to(torch.get_default_dtype())


# --------------------------------------------------------------------------------------
# Rate codes
# --------------------------------------------------------------------------------------


def rate_encode(
    x: Tensor,
    num_steps: int,
    gain: float = 1.0,
    offset: float = 0.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Bernoulli rate code (snnTorch ``spikegen.rate``); eq-rate-code of the toolkit chapter.

    .. math::

        S[t, i] \sim \mathrm{Bernoulli}(p_i), \qquad
        p_i = \mathrm{clip}(\text{gain}\cdot x_i + \text{offset},\ 0,\ 1),

    i.i.d. over steps ``t = 0..num_steps-1`` and elements ``i``.  The expected
    spike count of element ``i`` is ``num_steps * p_i``.

    Source: snnTorch ``spikegen.rate`` / ``rate_conv`` (``data.repeat(num_steps, ...)
    * gain + offset``, ``clamp(0, 1)``, ``torch.bernoulli``).  Drawing from a
    generator seeded like snnTorch's global seed gives the same spikes.

    Args:
        x: data of any shape (values are probabilities after gain/offset).
        num_steps: number of time steps ``T``.
        gain, offset: affine map applied before clipping.
        generator: source of randomness (``None``: torch's default generator).

    Returns:
        Floating tensor ``[T, *x.shape]`` of 0/1 spikes (dtype of ``x`` if it is
        floating point, else the default float dtype).
    """
    _check_num_steps(num_steps)
    probabilities = (_floating(x) * gain + offset).clamp(0.0, 1.0)
    probabilities = probabilities.unsqueeze(0).repeat(num_steps, *([1] * x.dim()))
    return torch.bernoulli(probabilities, generator=generator)


def poisson_encode(
    rates_hz: Tensor,
    duration_ms: float,
    dt: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Poisson-interval spike trains (BindsNET ``encoding.encodings.poisson``).

    ``rates_hz`` are mean firing rates in Hz, ``dt`` the step in ms, and the
    train has ``T = int(duration_ms / dt)`` steps.  For each element with rate
    :math:`r > 0` BindsNET draws ``T + 1`` inter-spike intervals (in steps)

    .. math::

        I_k \sim \mathrm{Poisson}\!\left(\lambda\right),\quad
        \lambda = \frac{1000}{r\,\mathrm{d}t}, \qquad
        I_k \leftarrow I_k + \mathbb 1[I_k = 0]
        \quad (\text{zero intervals bumped to } 1),

    takes the spike times :math:`c_k = \sum_{j \le k} I_j` (``cumsum``), places a
    spike in row :math:`c_k` of a ``[T + 1, ...]`` array when :math:`c_k \le T`
    (later times are discarded), and drops row 0.  So a spike at cumulative time
    :math:`c` appears at output step :math:`c - 1`, intervals are :math:`\ge 1`
    (at most one spike per element and step), and ``T + 1`` intervals always reach
    past the window.  Elements with rate 0 never spike.

    Because intervals are integers with the zero bump, the mean interval is
    :math:`\lambda + e^{-\lambda}` rather than :math:`\lambda`, and the window
    :math:`c_k \le T` counts renewals of an integer-lattice process, so the mean
    count is slightly below :math:`r\cdot T\,\mathrm{d}t/1000` (127.5 Hz for
    250 ms: about 31.50 spikes, not 31.875).

    The sampling call (``torch.poisson`` on a ``[T + 1, numel]`` float32 matrix of
    means, flattened in row-major element order) is the one BindsNET makes, so a
    generator seeded with ``s`` reproduces BindsNET's spikes after
    ``torch.manual_seed(s)``.  Fully vectorised.

    Args:
        rates_hz: non-negative firing rates in Hz, any shape.
        duration_ms: window length in ms.
        dt: time step in ms.
        generator: source of randomness (``None``: torch's default generator).

    Returns:
        ``torch.uint8`` tensor ``[T, *rates_hz.shape]`` of 0/1 spikes (BindsNET's
        dtype; call ``.float()`` / ``.bool()`` as needed).
    """
    if (rates_hz < 0).any():
        raise ValueError("rates_hz must be non-negative")
    if dt <= 0:
        raise ValueError(f"dt must be positive, got {dt}")
    num_steps = int(duration_ms / dt)
    if num_steps < 1:
        raise ValueError(f"duration_ms / dt must give at least one step, got {num_steps}")

    rates = _floating(rates_hz).flatten()
    num_elements = rates.numel()
    firing = rates != 0

    # Mean inter-spike interval in steps; 0 for silent elements (Poisson(0) == 0).
    mean_interval = torch.zeros(num_elements, dtype=torch.float32, device=rates.device)
    mean_interval[firing] = (1 / rates[firing] * (1000 / dt)).to(torch.float32)

    intervals = torch.poisson(
        mean_interval.expand(num_steps + 1, num_elements), generator=generator
    )
    intervals = intervals + ((intervals == 0) & firing).to(intervals.dtype)

    spike_times = torch.cumsum(intervals, dim=0).long()  # cumulative times c_k
    # Times past the window (and all times of silent elements, which are 0) go to
    # row 0, which is discarded.
    spike_rows = torch.where(spike_times <= num_steps, spike_times, 0)

    spikes = torch.zeros(num_steps + 1, num_elements, dtype=torch.uint8, device=rates.device)
    spikes.scatter_(0, spike_rows, 1)
    return spikes[1:].reshape(num_steps, *rates_hz.shape)


# --------------------------------------------------------------------------------------
# snnTorch latency code
# --------------------------------------------------------------------------------------


def _check_latency_args(
    x: Tensor, num_steps: int, threshold: float, tau: float, first_spike_time: int
) -> None:
    _check_num_steps(num_steps)
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"x must lie in [0, 1], got [{x.min().item()}, {x.max().item()}]")
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must lie in (0, 1), got {threshold}")
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    if not 0 <= first_spike_time <= num_steps - 1:
        raise ValueError(
            f"first_spike_time ({first_spike_time}) must lie in [0, num_steps - 1 = {num_steps - 1}]"
        )


def latency_times(
    x: Tensor,
    num_steps: int,
    threshold: float = 0.01,
    tau: float = 1.0,
    first_spike_time: int = 0,
    normalize: bool = False,
    linear: bool = False,
    epsilon: float = 1e-7,
) -> Tensor:
    r"""Real-valued spike times of snnTorch's latency code (``spikegen.latency_code``).

    Inputs ``x`` in [0, 1]; big input -> early spike.  With :math:`t_0` =
    ``first_spike_time``, :math:`\theta` = ``threshold``, :math:`N` = ``num_steps``:

    * **log / RC code** (default, ``spikegen.latency_code_log``): the time an RC
      circuit driven by :math:`x` needs to charge to :math:`\theta`,

      .. math:: x \leftarrow \max(x, \theta + \epsilon),\qquad
                t = \tau \ln\frac{x}{x - \theta} + t_0 .

      ``normalize=True``: :math:`t \leftarrow (t - t_0)\,(N - 1 - t_0)/\max(t - t_0) + t_0`,
      where the max runs over the **whole tensor** (batch included), as in snnTorch.
      Inputs below :math:`\theta` saturate at :math:`\tau\ln((\theta+\epsilon)/\epsilon)`.
    * **linear** (``linear=True``, ``spikegen.latency_code_linear``):
      ``normalize=True`` sets :math:`\tau = N - 1 - t_0`, then

      .. math:: t = \min\big(\tau(1 - x),\ \tau(1 - \theta)\big) + t_0 .

    snnTorch docstring example: ``x = [0.02, 0.5, 1]``, ``num_steps=5``,
    ``normalize=True, linear=True`` -> ``[3.92, 2.0, 0.0]``; the log code with
    ``normalize=True`` gives ``[4.0, 0.1166, 0.0580]``.

    Returns:
        Tensor of ``x.shape`` with the (float) spike times.
    """
    _check_latency_args(x, num_steps, threshold, tau, first_spike_time)
    x = _floating(x)
    if linear:
        if normalize:
            tau = num_steps - 1 - first_spike_time
        return torch.clamp_max(tau * (1 - x), tau * (1 - threshold)) + first_spike_time
    x = torch.clamp(x, min=threshold + epsilon)
    times = tau * torch.log(x / (x - threshold)) + first_spike_time
    if normalize:
        # snnTorch's order of operations (add t0, subtract it again), kept so that
        # the float times agree bit for bit.
        shifted = times - first_spike_time
        times = shifted * (num_steps - 1 - first_spike_time) / shifted.max() + first_spike_time
    return times


def latency_encode(
    x: Tensor,
    num_steps: int,
    threshold: float = 0.01,
    tau: float = 1.0,
    first_spike_time: int = 0,
    normalize: bool = False,
    linear: bool = False,
    clip: bool = False,
    bypass: bool = False,
    epsilon: float = 1e-7,
) -> Tensor:
    r"""One-spike latency code (snnTorch ``spikegen.latency``, without interpolation).

    Each element fires once, at step :math:`\mathrm{round}(t)` with :math:`t` from
    :func:`latency_times` (``torch.round``: halves round to even, e.g. 2.5 -> 2).

    * ``clip=True`` removes the spike of every element with :math:`x < \theta`
      (otherwise such elements fire at the code's largest time, which is the last
      step ``num_steps - 1`` when ``normalize=True``).
    * A rounded time past ``num_steps - 1`` raises ``ValueError`` (snnTorch raises
      too) unless ``bypass=True``, in which case that element emits no spike
      (snnTorch's ``rm_idx``).

    Example (snnTorch docstring): ``latency_encode([0.02, 0.5, 1], 5, normalize=True,
    linear=True)`` has times ``[3.92, 2.0, 0.0]`` -> spikes at steps 4, 2, 0.

    Returns:
        Floating tensor ``[num_steps, *x.shape]`` of 0/1 spikes.
    """
    times = latency_times(
        x, num_steps, threshold, tau, first_spike_time, normalize, linear, epsilon
    )
    steps = torch.round(times).long()
    in_window = steps <= num_steps - 1
    if not bypass and not bool(in_window.all()):
        raise ValueError(
            f"latest spike step {steps.max().item()} is past num_steps - 1 = {num_steps - 1}; "
            "use normalize=True, a smaller tau, or bypass=True to drop those spikes"
        )
    keep = in_window & ~(x < threshold) if clip else in_window
    spikes = times_to_spikes(steps.clamp_max(num_steps - 1), num_steps, dtype=times.dtype)
    return spikes * keep.to(spikes.dtype)


# --------------------------------------------------------------------------------------
# S4NN / Spiking-GAN time-to-first-spike code
# --------------------------------------------------------------------------------------


def ttfs_encode(x: Tensor, t_max: int = 256, x_max: float = 255) -> Tensor:
    r"""Integer time-to-first-spike code of S4NN / Spiking-GAN.

    .. math:: t_i = \left\lfloor t_{max}\,\frac{x_{max} - x_i}{x_{max}} \right\rfloor

    Brighter -> earlier: ``x = x_max`` fires at 0, ``x = 0`` (black) at ``t_max``,
    i.e. outside a window of ``t_max`` steps ``[0, t_max)``.  Example:
    ``x = 128`` -> ``floor(256 * 127 / 255) = 127``.

    Source: S4NN (Kheradpisheh & Masquelier 2020) code ``S4NN.py``:
    ``np.floor((GrayLevels - x) * tmax / GrayLevels)`` with ``GrayLevels = 255``,
    ``tmax = 256``; Spiking-GAN (Kotariya & Ganguly 2021) eq. (3), whose text is lost in
    our copy of the paper, RECONSTRUCTED as S4NN's code.  Computed in float64 in the same
    order of operations, so integer grey levels give the exact integer floor.  With
    :func:`ttfs_decode`, implements eq-ttfs of the toolkit chapter and eq-003-ttfs of
    chapter 003 (paper 003 eq. 3).

    Args:
        x: values in ``[0, x_max]``, any shape.

    Returns:
        ``torch.long`` tensor of ``x.shape`` with times in ``[0, t_max]``.
    """
    if x.numel() and (x.min() < 0 or x.max() > x_max):
        raise ValueError(f"x must lie in [0, {x_max}]")
    scaled = (x_max - x.to(torch.float64)) * t_max / x_max
    return torch.floor(scaled).long()


def ttfs_decode(times: Tensor, t_max: int = 256, x_max: float = 255) -> Tensor:
    r"""Inverse of :func:`ttfs_encode`: :math:`\hat x = x_{max}\,(1 - t / t_{max})` (the second
    half of eq-003-ttfs of chapter 003).

    For ``t = ttfs_encode(x)`` the floor makes :math:`0 \le \hat x - x < x_{max}/t_{max}`.

    Returns:
        Floating tensor of ``times.shape`` (default float dtype for integer times).
    """
    return x_max * (1 - _floating(times) / t_max)


def count_encode(x: Tensor, t_max: int = 256) -> Tensor:
    r"""Lossless spike-count code: integer value :math:`x_i` becomes :math:`x_i` spikes,
    spread evenly over ``t_max`` steps (at steps :math:`\lfloor k\,t_{max}/x_i \rfloor`,
    :math:`k = 0, \dots, x_i - 1`).

    The value is read back as the spike count, so the code is lossless for integers in
    ``[0, t_max]``; it costs :math:`\sum_i x_i` spikes per image.  This is the "simple
    lossless spike-count coding scheme where the number of spikes denote the input value"
    that Spiking-GAN (Kotariya & Ganguly 2021, section 3.2) compares TTFS with.

    Args:
        x: non-negative integer values ``<= t_max``, any shape.
        t_max: number of steps.

    Returns:
        ``[t_max, *x.shape]`` float 0/1 spikes.
    """
    _check_num_steps(t_max)
    if x.is_floating_point() and bool((x != torch.round(x)).any()):
        raise ValueError("x must be integers")
    x = x.long()
    if x.numel() and (x.min() < 0 or x.max() > t_max):
        raise ValueError(f"x must lie in [0, t_max={t_max}]")
    k = torch.arange(t_max, device=x.device).view(t_max, *([1] * x.dim()))  # spike index
    steps = torch.div(k * t_max, x.clamp_min(1).unsqueeze(0), rounding_mode="floor")
    spikes = torch.zeros((t_max, *x.shape), device=x.device)
    valid = k < x.unsqueeze(0)
    spikes.scatter_add_(0, torch.where(valid, steps, 0), valid.float())
    return spikes


def times_to_spikes(times: Tensor, num_steps: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """Dense one-hot spike trains from integer spike times.

    ``spikes[t, i] = 1`` iff ``times[i] == t``; times ``>= num_steps`` give an
    all-zero train (e.g. the black pixels of :func:`ttfs_encode`, which sit at
    ``t_max``, with ``num_steps = t_max``).

    Args:
        times: non-negative integer times, any shape.
        num_steps: number of steps ``T``.
        dtype: dtype of the returned spikes.

    Returns:
        Tensor ``[T, *times.shape]`` of 0/1 spikes.
    """
    _check_num_steps(num_steps)
    if times.is_floating_point() and bool((times != torch.round(times)).any()):
        raise ValueError("times must be integers")
    times = times.long()
    if times.numel() and times.min() < 0:
        raise ValueError("times must be non-negative")
    steps = torch.arange(num_steps, device=times.device).view(num_steps, *([1] * times.dim()))
    return (steps == times.unsqueeze(0)).to(dtype)


# --------------------------------------------------------------------------------------
# Decoders
# --------------------------------------------------------------------------------------


def spike_count(spikes: Tensor) -> Tensor:
    """Spike count per element: ``sum_t spikes[t]`` (time-major input, dim 0).

    Integer/bool spikes give a ``torch.long`` count; floating spikes keep their dtype.
    """
    return spikes.sum(dim=0)


def spike_rate(spikes: Tensor) -> Tensor:
    """Firing rate per element in spikes per step: ``(1/T) sum_t spikes[t]``."""
    return _floating(spikes).mean(dim=0)


def first_spike_time(spikes: Tensor, no_spike: int | None = None) -> Tensor:
    """Index of the first non-zero step along dim 0, per element.

    Times are 0-based step indices (S4NN's code reports index + 1 because its
    neurons see their input one step late).  Elements that never spike get
    ``no_spike`` (default ``T = spikes.shape[0]``, one past the last step).

    Returns:
        ``torch.long`` tensor of ``spikes.shape[1:]``.
    """
    num_steps = spikes.shape[0]
    if no_spike is None:
        no_spike = num_steps
    fired = spikes != 0
    # argmax returns the first maximal index; for a never-firing element it returns 0.
    first = fired.to(torch.uint8).argmax(dim=0)
    return torch.where(fired.any(dim=0), first, torch.full_like(first, no_spike))


class TTFSDecision(NamedTuple):
    """Result of :func:`decode_ttfs_class` (shapes for ``first_times`` of shape ``[..., C]``)."""

    prediction: Tensor
    """``[...]`` long: predicted class; ``-1`` for silent samples under ``silent='none'``."""
    winners: Tensor
    """``[..., C]`` bool: outputs that fired at the earliest time (all False if silent).
    S4NN's own scoring counts a sample correct iff ``winners[..., label]``
    (so any tie containing the label is correct; S4NN issue #4)."""
    tie: Tensor
    """``[...]`` bool: more than one output fired at the earliest time."""
    silent: Tensor
    """``[...]`` bool: no output fired (every time ``>= no_spike_time``)."""


def decode_ttfs_class(
    first_times: Tensor,
    no_spike_time: int,
    *,
    tie_break: Literal["lowest_index", "potential"] = "lowest_index",
    silent: Literal["none", "lowest_index", "potential"] = "none",
    potentials: Tensor | None = None,
) -> TTFSDecision:
    """First-to-fire classification with explicit tie and silent-output rules.

    The class is the output neuron (last dim of ``first_times``) that fires first
    (S4NN, Spiking-GAN: "class = neuron that fires first").  How ties and silent
    outputs are scored changes reported accuracy (S4NN issues #4 and #5), so both
    rules are arguments and the affected samples are returned as masks.

    Args:
        first_times: ``[..., C]`` first-spike times (e.g. from :func:`first_spike_time`).
        no_spike_time: times ``>= no_spike_time`` mean "did not fire" (``T`` for
            :func:`first_spike_time`'s default; S4NN uses ``t_max``).
        tie_break: several outputs fire at the earliest time:
            ``'lowest_index'`` -> the lowest class index among them (plain argmin);
            ``'potential'`` -> the tied output with the highest ``potentials``
            (remaining ties -> lowest index), as proposed in S4NN issue #4.
        silent: no output fires:
            ``'none'`` -> prediction ``-1`` (never correct; S4NN issue #5);
            ``'lowest_index'`` -> class 0 (what a plain argmin over equal times gives);
            ``'potential'`` -> argmax of ``potentials`` over all outputs (S4NN's test
            code uses the membrane potential at step ``t_max - 3``).
        potentials: ``[..., C]`` scores (membrane potentials), required by the
            ``'potential'`` rules.

    Returns:
        :class:`TTFSDecision` ``(prediction, winners, tie, silent)``.
    """
    if tie_break not in ("lowest_index", "potential"):
        raise ValueError(f"unknown tie_break {tie_break!r}")
    if silent not in ("none", "lowest_index", "potential"):
        raise ValueError(f"unknown silent rule {silent!r}")
    if "potential" in (tie_break, silent):
        if potentials is None:
            raise ValueError("potentials are required by the 'potential' rules")
        if potentials.shape != first_times.shape:
            raise ValueError(
                f"potentials shape {tuple(potentials.shape)} != first_times shape "
                f"{tuple(first_times.shape)}"
            )

    is_silent = (first_times >= no_spike_time).all(dim=-1)
    earliest = first_times.min(dim=-1, keepdim=True).values
    winners = (first_times == earliest) & ~is_silent.unsqueeze(-1)
    tie = winners.sum(dim=-1) > 1

    if tie_break == "lowest_index":
        prediction = winners.to(torch.uint8).argmax(dim=-1)  # first True
    else:
        masked = _floating(potentials).masked_fill(~winners, float("-inf"))
        prediction = masked.argmax(dim=-1)  # argmax returns the lowest maximal index

    if silent == "none":
        silent_prediction = torch.full_like(prediction, -1)
    elif silent == "lowest_index":
        silent_prediction = torch.zeros_like(prediction)
    else:
        silent_prediction = potentials.argmax(dim=-1)
    prediction = torch.where(is_silent, silent_prediction, prediction)
    return TTFSDecision(prediction=prediction, winners=winners, tie=tie, silent=is_silent)
