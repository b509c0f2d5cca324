r"""Spiking networks with competition connections (paper 002: Gafni, Demin & Nekhaev).

Three architectures share one simulator (reference: ``thesis/nets.py`` of danielgafni/Bachelor,
``LC_SNN`` / ``C_SNN`` / ``FC_SNN.create_network`` on its vendored BindsNET):

* ``"lc"`` -- locally connected (LCSNN): a ``k x k`` kernel with stride ``s`` on the
  ``n x n`` (20 x 20) input gives :math:`L = (\lfloor (n-k)/s \rfloor + 1)^2` locations, each
  with ``C`` channels that have their own weights (BindsNET ``LocalConnection``).
* ``"conv"`` -- convolutional (CSNN): the same geometry, kernels shared by all locations
  (``Conv2dConnection``).
* ``"fc"`` -- fully connected (FCSNN): one location, kernel = whole input.

Y neurons are adaptive LIF (:func:`snnlib.core.neurons.adaptive_lif_step`, BindsNET
``AdaptiveLIFNodes``); XY synapses learn by STDP (:mod:`snnlib.core.stdp`, BindsNET ``PostPre``,
``nu = (1e-4, 1e-2)``, ``w`` in [0, 1]) and are normalised after every image to sum to
``mean_weight * k^2`` per Y neuron; YY "competition" synapses connect every pair of channels
at the same location (no self, no other location) with weight ``c_w`` (fixed) or are learned by
anti-STDP.

Layouts
-------
* Input pixels ``p = row * n + col`` of the ``n x n`` crop (``P = n^2``).
* **Reference neuron order** (all public outputs): ``y = c * L + l`` -- BindsNET's Y layer of
  shape ``(C, h, w)``; location ``l = i * side + j``.  :func:`neuron_locations` /
  :func:`neuron_channels` give ``l`` and ``c`` for each ``y``.
* ``CompetitionState.w_xy``: ``"lc"``/``"fc"`` ``[R, L, K, C]`` (``K = k^2``, kernel position
  ``k1 * k + k2``), ``"conv"`` ``[R, K, C]``; ``theta [R, Y]`` and ``w_yy [R, Y, Y]``
  (``[pre, post]``) in reference order.  :func:`dense_xy` gives BindsNET's ``[P, Y]`` matrices.
* A leading replica dim ``R``: independent networks (e.g. seeds) simulated as one batch.

Simulation order (one time step ``t``; BindsNET ``Network.run`` as vendored in the reference
and as in BindsNET 0.3.4, ``network/network.py``):

1. the Y input is computed from the spikes of step ``t-1`` of all source layers with the
   weights as they are after step ``t-1``'s learning (``Network._get_inputs``):
   :math:`I_t = W_{XY}^\top s^X_{t-1} + W_{YY}^\top s^Y_{t-1}` -- a one-step synaptic delay for
   both XY and YY; :math:`I_0 = 0`;
2. layers in insertion order: X takes the input spikes of step t (``Input.forward``), its trace
   decays and is set to 1 where it spiked; Y makes one ``AdaptiveLIFNodes.forward`` step
   (voltage, refractoriness, threshold, theta), then its traces (``Nodes.forward``);
3. connections in insertion order update (``Connection.update`` -> ``PostPre._connection_update``
   with the step-t spikes and traces): XY (then clamp to [0, 1] and the local mask), then YY
   if learned (then subtractive weight decay and clamp to ``[c_w_min, c_w_max]``);
4. after the last step: ``Connection.normalize`` (XY), then -- LC only, in ``train`` --
   ``w_YY *= mask`` (non-local and self YY entries, which plasticity touched during the image,
   are re-zeroed only now), then ``network.reset_`` (v = rest, refractory counters, spikes and
   traces = 0; theta is kept).

Reference-code details replicated per architecture (resolved in
:class:`CompetitionNetConfig`; all overridable):

=========================== ========= ========= =========
setting                     ``lc``    ``conv``  ``fc``
=========================== ========= ========= =========
Y refractory period (ms)    2         5 (*)     5 (*)
XY normalised at init       yes       no (**)   yes
learned YY init             U(c_w, 0) c_w       c_w
YY mask after each image    yes       no        no
=========================== ========= ========= =========

(*) ``C_SNN`` and ``FC_SNN`` do not pass ``refrac`` to ``AdaptiveLIFNodes``, so BindsNET's
default 5 applies; ``LC_SNN`` passes 2.  (**) the initial normalisation is commented out in
``C_SNN``; weights start U(0, 1) and are first normalised after the first image.
Everywhere: the Y traces have ``tc_trace_pre = tau_pos`` and ``tc_trace_post = tau_neg``, so
``tau_neg`` is also the post trace of the XY rule; the X trace has BindsNET's default 20 ms.

Exactness and speed
-------------------
Training (:func:`train_step`) runs one Python step per time step, batched over replicas, and is
event-driven: spikes are 0/1, so each non-zero term of BindsNET's dense products and updates is
one weight row (an input spike) or column (a Y spike); only those are read, updated and clamped,
with the same float32 operations in the same order (``_Kernel``, one method per phase of a step).  The XY normalisation
sums in BindsNET's dense layout.  Result, for ``lc``/``fc``: the spikes of every step, the
weights and theta are bit-identical to a literal dense re-implementation of BindsNET's
``Network.run`` (tests) and to BindsNET 0.3.4 itself (``benchmarks/competition_vs_bindsnet.py``);
for ``conv`` the weight-sharing sums are associated differently (float32 rounding).  Membrane
inputs are summed in input-pixel order, BindsNET's matrix product may associate differently,
so a spike could in principle differ when a voltage lands within rounding of the threshold.

Inference (:func:`infer`, learning off) computes the XY input of all steps with one matrix
product and loops over time only for YY and the neurons, batched over replicas and images.
The training step loop consists of many small tensor operations: it runs on one intra-op
thread (set and restored around the loop), and throughput grows with several replicas per call.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import NamedTuple, Optional, Union

import torch
from torch import Tensor

from snnlib.book.runner import one_thread
from snnlib.core.coding import poisson_encode
from snnlib.core.neurons import AdaptiveLIFParams, adaptive_lif_init_state, adaptive_lif_step
from snnlib.core.stdp import trace_decay

__all__ = [
    "ARCHITECTURES",
    "CompetitionNetConfig",
    "Geometry",
    "geometry",
    "ParameterCount",
    "parameter_count",
    "CompetitionState",
    "SimulationRecord",
    "init_state",
    "crop_images",
    "encode_images",
    "train_step",
    "simulate",
    "infer",
    "neuron_locations",
    "neuron_channels",
    "competition_mask",
    "dense_xy",
    "xy_from_dense",
    "dense_yy",
]

ARCHITECTURES = ("lc", "conv", "fc")
MNIST_SIDE = 28


# --------------------------------------------------------------------------------------------------
# Configuration and geometry
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompetitionNetConfig:
    r"""Hyper-parameters of one network (defaults: ``thesis/nets.py`` of the reference code).

    * ``arch`` -- ``"lc"``, ``"conv"`` or ``"fc"``; ``channels`` (``n_filters``) per location;
      ``kernel``, ``stride`` on the ``input_size x input_size`` centre crop (``fc``: kernel is
      set to ``input_size``).
    * ``mean_weight`` -- XY norm per Y neuron is ``mean_weight * kernel**2``.
    * ``competition_weight`` -- :math:`c_w` (fixed YY weight; init scale when learned).
    * ``learn_competition`` (code ``c_l``) -- YY learned by ``PostPre`` with
      ``competition_nu = (A_pos, A_neg)`` (BindsNET ``nu``; anti-STDP when negative,
      see :func:`snnlib.core.stdp.nu_from_paper_amplitudes`), subtractive
      ``competition_weight_decay`` per step, clamp ``[competition_wmin, competition_wmax]``.
    * ``competition_tau = (tau_pos, tau_neg)`` -- the Y layer's trace time constants
      (``tc_trace_pre``, ``tc_trace_post``).  ``tau_neg`` is also the **post trace of XY STDP**
      (as in the reference, where the Y layer has one pair of traces); ``tau_pos`` is the
      pre trace of YY.  Reference default 20, 20.
    * ``nu`` -- XY ``PostPre`` rates ``(nu_0, nu_1)``; ``wmin``, ``wmax`` -- XY clamp;
      ``input_trace_tau`` -- the X layer's trace (BindsNET ``Input`` default 20 ms).
    * ``time`` (ms) and ``dt`` (ms): ``time / dt`` steps per image; ``intensity``: Poisson rate
      in Hz of a white pixel (``ToTensor`` scaling x/255 times ``intensity``).
    * ``neuron`` -- :class:`~snnlib.core.neurons.AdaptiveLIFParams`; ``None`` = the reference's
      (rest = reset = -65, thresh -52, tc_decay 20, theta_plus 0.05, tc_theta_decay 1e6,
      refrac 2 for ``lc`` and BindsNET's default 5 for ``conv``/``fc``).
    * ``competition_init`` (``"uniform"``: ``rand * c_w``; ``"constant"``: ``c_w``),
      ``mask_competition_after_image``, ``normalize_init``: ``None`` = the reference code's
      per-architecture choice (module docstring table).
    """

    arch: str = "lc"
    channels: int = 25
    kernel: int = 12
    stride: int = 4
    input_size: int = 20
    mean_weight: float = 0.4
    competition_weight: float = -100.0
    learn_competition: bool = False
    competition_nu: tuple[float, float] = (0.0, 0.0)
    competition_tau: tuple[float, float] = (20.0, 20.0)
    competition_weight_decay: float = 0.0
    competition_wmin: float = -math.inf
    competition_wmax: float = 0.0
    competition_init: Optional[str] = None
    mask_competition_after_image: Optional[bool] = None
    nu: tuple[float, float] = (1e-4, 1e-2)
    wmin: float = 0.0
    wmax: float = 1.0
    normalize_init: Optional[bool] = None
    input_trace_tau: float = 20.0
    time: float = 250
    dt: float = 1.0
    intensity: float = 127.5
    neuron: Optional[AdaptiveLIFParams] = None

    def __post_init__(self) -> None:
        set_ = functools.partial(object.__setattr__, self)
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"arch must be one of {ARCHITECTURES}, got {self.arch!r}")
        if self.channels < 1:
            raise ValueError(f"channels must be >= 1, got {self.channels}")
        if self.arch == "fc":
            set_("kernel", self.input_size)
        if not 1 <= self.kernel <= self.input_size:
            raise ValueError(f"kernel must be in [1, input_size], got {self.kernel}")
        if self.stride < 1:
            raise ValueError(f"stride must be >= 1, got {self.stride}")
        set_("nu", tuple(float(v) for v in self.nu))
        set_("competition_nu", tuple(float(v) for v in self.competition_nu))
        set_("competition_tau", tuple(float(v) for v in self.competition_tau))
        if self.competition_init is None:
            set_("competition_init", "uniform" if self.arch == "lc" else "constant")
        if self.competition_init not in ("uniform", "constant"):
            raise ValueError(
                f"competition_init must be 'uniform' or 'constant', got {self.competition_init!r}"
            )
        if self.mask_competition_after_image is None:
            set_("mask_competition_after_image", self.arch == "lc")
        if self.normalize_init is None:
            set_("normalize_init", self.arch != "conv")
        if self.neuron is None:
            set_("neuron", AdaptiveLIFParams(refrac=2.0 if self.arch == "lc" else 5.0, dt=float(self.dt)))
        elif float(self.neuron.dt) != float(self.dt):
            raise ValueError(f"neuron.dt ({self.neuron.dt}) must equal dt ({self.dt})")
        if self.num_steps < 1:
            raise ValueError("time / dt must give at least one step")

    def replace(self, **changes) -> "CompetitionNetConfig":
        """A copy with ``changes``.  Changing ``arch`` re-resolves the per-architecture defaults
        (``neuron``, ``competition_init``, ``mask_competition_after_image``, ``normalize_init``)
        unless they are given too; changing ``dt`` carries it into ``neuron``."""
        for name in ("competition_init", "mask_competition_after_image", "normalize_init", "neuron"):
            changes.setdefault(name, None if "arch" in changes else getattr(self, name))
        if "dt" in changes and changes["neuron"] is not None and changes["neuron"] is self.neuron:
            changes["neuron"] = self.neuron._replace(dt=float(changes["dt"]))
        if "arch" in changes and changes["arch"] != "fc" and self.arch == "fc":
            changes.setdefault("kernel", CompetitionNetConfig.kernel)
        return dataclasses.replace(self, **changes)

    @property
    def num_steps(self) -> int:
        return int(self.time / self.dt)

    @property
    def side(self) -> int:
        """Locations per side: ``floor((input_size - kernel) / stride) + 1`` (1 for ``fc``)."""
        if self.arch == "fc" or self.kernel == self.input_size:
            return 1
        return (self.input_size - self.kernel) // self.stride + 1

    @property
    def num_locations(self) -> int:
        return self.side**2

    @property
    def kernel_area(self) -> int:
        return self.kernel**2

    @property
    def num_inputs(self) -> int:
        return self.input_size**2

    @property
    def num_neurons(self) -> int:
        return self.num_locations * self.channels

    @property
    def norm(self) -> float:
        """XY normalisation constant ``mean_weight * kernel**2`` (reference: ``norm``)."""
        return self.mean_weight * self.kernel_area


class Geometry(NamedTuple):
    """``patch_index[l, kk]``: input pixel seen by kernel position ``kk = k1 * k + k2`` at location
    ``l = i * side + j``, i.e. ``(i * stride + k1) * n + j * stride + k2`` (BindsNET
    ``LocalConnection.locations``, transposed)."""

    side: int
    num_locations: int
    kernel_area: int
    patch_index: Tensor


@functools.lru_cache(maxsize=64)
def _patch_index(input_size: int, kernel: int, stride: int, side: int) -> Tensor:
    rows = torch.arange(side).view(side, 1, 1, 1) * stride + torch.arange(kernel).view(1, 1, kernel, 1)
    cols = torch.arange(side).view(1, side, 1, 1) * stride + torch.arange(kernel).view(1, 1, 1, kernel)
    return (rows * input_size + cols).reshape(side * side, kernel * kernel)


def geometry(config: CompetitionNetConfig) -> Geometry:
    """Locations and the input pixel of every (location, kernel position)."""
    index = _patch_index(config.input_size, config.kernel, config.stride, config.side)
    return Geometry(config.side, config.num_locations, config.kernel_area, index)


def neuron_locations(config: CompetitionNetConfig) -> Tensor:
    """Location index ``l`` of each Y neuron in reference order (``y = c * L + l``), ``[Y]``."""
    return torch.arange(config.num_locations).repeat(config.channels)


def neuron_channels(config: CompetitionNetConfig) -> Tensor:
    """Channel index ``c`` of each Y neuron in reference order, ``[Y]``."""
    return torch.arange(config.channels).repeat_interleave(config.num_locations)


class ParameterCount(NamedTuple):
    xy: int
    yy: int
    total: int


def parameter_count(config: CompetitionNetConfig) -> ParameterCount:
    r"""Number of weights as in the paper's (English) Table 2: XY = :math:`L k^2 C` (``lc``,
    ``fc``) or :math:`k^2 C` (``conv``, shared), YY = :math:`L\,C(C-1)` (all ordered channel
    pairs at each location).  E.g. LC 100 ch, k 12: 129 600 + 89 100 = 218 700."""
    L, K, C = config.num_locations, config.kernel_area, config.channels
    xy = K * C if config.arch == "conv" else L * K * C
    yy = L * C * (C - 1)
    return ParameterCount(xy, yy, xy + yy)


def competition_mask(config: CompetitionNetConfig) -> Tensor:
    """Boolean ``[Y, Y]`` (reference order, ``[pre, post]``): True between different channels at the
    same location -- the YY connections that exist (the reference's ``mask_YY``)."""
    loc = neuron_locations(config)
    ch = neuron_channels(config)
    return (loc[:, None] == loc[None, :]) & (ch[:, None] != ch[None, :])


# --------------------------------------------------------------------------------------------------
# Orders: reference (y = c * L + l)  <->  internal location-major (l, c)
# --------------------------------------------------------------------------------------------------


def _to_internal(x: Tensor, config: CompetitionNetConfig) -> Tensor:
    """``[..., Y]`` reference order -> ``[..., L, C]`` (contiguous)."""
    C, L = config.channels, config.num_locations
    return x.reshape(*x.shape[:-1], C, L).transpose(-1, -2).contiguous()


def _to_reference(x: Tensor) -> Tensor:
    """``[..., L, C]`` -> ``[..., Y]`` reference order."""
    return x.transpose(-1, -2).reshape(*x.shape[:-2], -1)


def _yy_to_internal(w: Tensor, config: CompetitionNetConfig) -> Tensor:
    """``[R, Y, Y]`` reference order -> ``[R, Y, Y]`` location-major order (contiguous copy)."""
    R, C, L = w.shape[0], config.channels, config.num_locations
    out = w.reshape(R, C, L, C, L).permute(0, 2, 1, 4, 3).reshape(R, L * C, L * C)
    return out.clone() if out.data_ptr() == w.data_ptr() else out.contiguous()


def _yy_to_reference(w: Tensor, config: CompetitionNetConfig) -> Tensor:
    R, C, L = w.shape[0], config.channels, config.num_locations
    out = w.reshape(R, L, C, L, C).permute(0, 2, 1, 4, 3).reshape(R, C * L, C * L)
    return out.clone() if out.data_ptr() == w.data_ptr() else out.contiguous()


# --------------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------------


class CompetitionState(NamedTuple):
    """Learned state of ``R`` independent networks (everything kept between images).

    * ``w_xy`` -- ``lc``/``fc``: ``[R, L, K, C]``; ``conv``: ``[R, K, C]``.
    * ``theta`` -- adaptive threshold increments ``[R, Y]`` (reference order).
    * ``w_yy`` -- learned competition ``[R, Y, Y]`` (``[pre, post]``, reference order), dense
      because plasticity touches every entry during an image; ``None`` when YY is fixed
      (then it is ``c_w`` on :func:`competition_mask`, see :func:`dense_yy`).
    """

    w_xy: Tensor
    theta: Tensor
    w_yy: Optional[Tensor]


class SimulationRecord(NamedTuple):
    """Per-step record of :func:`simulate`: ``spikes`` and membrane ``v`` (after the step, i.e.
    after a reset), both ``[T, R, Y]`` in reference order."""

    spikes: Tensor
    v: Tensor


def _normalize_xy(w_xy: Tensor, config: CompetitionNetConfig) -> Tensor:
    r"""XY normalisation after each image, :math:`w \leftarrow w\,\text{norm}/\sum_{pre} w`, with
    BindsNET's float32 sums: ``LocalConnection.normalize`` sums the dense ``[P, Y]`` matrix over
    its 400 rows (the zeros outside the receptive field included: the reduction's association
    order depends on the layout, so the sums are taken in that layout);
    ``Conv2dConnection.normalize`` sums each filter's ``k*k`` weights as a 1-D tensor."""
    R = w_xy.shape[0]
    if config.arch == "conv":
        total = w_xy.transpose(1, 2).contiguous().sum(-1)  # [R, C], like w[f].sum(0)
        return w_xy * (config.norm / total).view(R, 1, config.channels)
    total = _to_internal(dense_xy(w_xy, config).sum(1), config)  # [R, L, C], like w.sum(0)
    return w_xy * (config.norm / total).unsqueeze(2)


def init_state(
    config: CompetitionNetConfig,
    replicas: int = 1,
    generator: Optional[torch.Generator] = None,
    device: Optional[Union[str, torch.device]] = None,
) -> CompetitionState:
    r"""Fresh networks.  Draws, in this order from ``generator``:

    1. XY weights U(wmin, wmax) (``torch.rand``; the reference draws ``np.random.rand()`` per
       synapse for ``LocalConnection`` and ``torch.rand`` for ``Conv2dConnection``), then
       -- if ``normalize_init`` -- normalised to ``mean_weight * k^2`` per Y neuron
       (``LC_SNN``/``FC_SNN.create_network``: ``w *= norm / w.sum(0)``);
    2. learned YY only, ``competition_init == "uniform"``: ``U(0, 1) * c_w`` on
       :func:`competition_mask` (reference: ``random.random() * c_w``); ``"constant"``: ``c_w``.

    ``theta`` starts at 0.
    """
    if replicas < 1:
        raise ValueError(f"replicas must be >= 1, got {replicas}")
    R, L, K, C = replicas, config.num_locations, config.kernel_area, config.channels
    if generator is not None:
        device = generator.device if device is None else device
    shape = (R, K, C) if config.arch == "conv" else (R, L, K, C)
    w_xy = torch.rand(shape, generator=generator, device=device)
    if (config.wmin, config.wmax) != (0.0, 1.0):
        w_xy = config.wmin + w_xy * (config.wmax - config.wmin)
    if config.normalize_init:
        w_xy = _normalize_xy(w_xy, config)
    theta = torch.zeros(R, config.num_neurons, device=w_xy.device)
    w_yy = None
    if config.learn_competition:
        mask = competition_mask(config).to(w_xy.device)
        if config.competition_init == "uniform":
            values = torch.rand((R, *mask.shape), generator=generator, device=w_xy.device)
            values = values * config.competition_weight
        else:
            values = torch.full((R, *mask.shape), float(config.competition_weight), device=w_xy.device)
        w_yy = torch.where(mask, values, torch.zeros((), device=w_xy.device))
        w_yy = w_yy.clamp(
            None if config.competition_wmin == -math.inf else config.competition_wmin,
            None if config.competition_wmax == math.inf else config.competition_wmax,
        )
    return CompetitionState(w_xy=w_xy, theta=theta, w_yy=w_yy)


# --------------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------------


def crop_images(images: Tensor, config: CompetitionNetConfig) -> Tensor:
    r"""Poisson rates in Hz of the ``input_size`` centre crop: ``[..., 28, 28]`` uint8 (or floats
    0..255) -> float32 ``[..., P]``.

    Reference: ``transforms.CenterCrop(crop)`` (top/left offset ``round((28 - crop) / 2)`` = 4),
    ``ToTensor()`` (``x.float() / 255``), then ``x * intensity``.
    """
    side = images.shape[-1]
    offset = int(round((side - config.input_size) / 2.0))
    crop = images[..., offset : offset + config.input_size, offset : offset + config.input_size]
    scaled = crop.to(torch.float32) / 255
    return (scaled * config.intensity).reshape(*images.shape[:-2], config.num_inputs)


def encode_images(
    images: Tensor, config: CompetitionNetConfig, generator: Optional[torch.Generator] = None
) -> Tensor:
    """Poisson spike trains ``uint8 [T, ..., P]`` of :func:`crop_images` rates
    (:func:`snnlib.core.coding.poisson_encode`, BindsNET ``PoissonEncoder(time, dt)``).  Encoding a
    batch at once draws the random numbers in a different order than BindsNET's one image at a
    time (same distribution)."""
    return poisson_encode(crop_images(images, config), config.time, config.dt, generator=generator)


# --------------------------------------------------------------------------------------------------
# Training (one image per replica, STDP on)
# --------------------------------------------------------------------------------------------------


def _check_state(state: CompetitionState, config: CompetitionNetConfig) -> int:
    R = state.w_xy.shape[0]
    L, K, C = config.num_locations, config.kernel_area, config.channels
    expected = (R, K, C) if config.arch == "conv" else (R, L, K, C)
    if tuple(state.w_xy.shape) != expected:
        raise ValueError(f"w_xy has shape {tuple(state.w_xy.shape)}, expected {expected}")
    if tuple(state.theta.shape) != (R, config.num_neurons):
        raise ValueError(f"theta has shape {tuple(state.theta.shape)}, expected {(R, config.num_neurons)}")
    if config.learn_competition and state.w_yy is None:
        raise ValueError("learn_competition=True needs state.w_yy")
    return R


@functools.lru_cache(maxsize=64)
def _pixel_table(input_size: int, kernel: int, stride: int, side: int) -> tuple[Tensor, Tensor, Tensor]:
    """Which patch positions ``j = l * K + k`` see each input pixel, as CSR arrays:
    ``positions[start[p] : start[p] + count[p]]`` (ascending ``j``)."""
    index = _patch_index(input_size, kernel, stride, side).flatten()
    count = torch.bincount(index, minlength=input_size**2)
    positions = torch.argsort(index, stable=True)  # patch positions grouped by pixel
    start = torch.cumsum(count, 0) - count
    return positions, start, count


class _Events(NamedTuple):
    """Input (X) spikes of one image as per-step index lists, for event-driven updates.

    For step ``t``: ``rows[t]`` are the rows of ``w.view(-1, C)`` fed by the spiking inputs
    (``lc``/``fc``: ``(r * L + l) * K + k``; ``conv``: ``r * K + k``, shared by all locations) and
    ``groups[t]`` the location group ``g = r * L + l`` of each (where its current goes and whose
    post trace depresses it).  Within a step the events are ordered by input pixel, so every
    group's input is summed in pixel order."""

    rows: tuple[Tensor, ...]
    groups: tuple[Tensor, ...]


def _input_events(spikes: Tensor, config: CompetitionNetConfig) -> _Events:
    """``spikes [T, R, P]`` -> per-step index lists (one ``nonzero`` for the whole image)."""
    T, R, P = spikes.shape
    L, K = config.num_locations, config.kernel_area
    device = spikes.device
    positions, start, count = (
        x.to(device) for x in _pixel_table(config.input_size, config.kernel, config.stride, config.side)
    )
    hits = spikes.reshape(T, R * P).nonzero()  # sorted by (t, r, p)
    step, flat = hits[:, 0], hits[:, 1]
    pixel = flat % P
    per_event = count.take(pixel)  # patches that see each spiking pixel
    event = torch.repeat_interleave(torch.arange(hits.shape[0], device=device), per_event)
    offset = start.take(pixel) - (torch.cumsum(per_event, 0) - per_event)
    j = positions.take(offset.take(event) + torch.arange(event.numel(), device=device))  # l * K + k
    replica = (flat // P).take(event)
    groups = replica * L + j // K
    rows = replica * K + j % K if config.arch == "conv" else replica * (L * K) + j
    sizes = torch.bincount(step, weights=per_event.to(torch.float64), minlength=T).long().tolist()
    return _Events(torch.split(rows, sizes), torch.split(groups, sizes))


_CLAMP_ALL_MAX_ELEMENTS: Optional[int] = None  # None: automatic (tests set 0 to force indexed clamps)


def _clamp_rows_(w_rows: Tensor, rows: Tensor, low: Optional[float], high: Optional[float]) -> Tensor:
    """Clamp the listed rows of a 2-D weight view in place; returns their new values."""
    values = w_rows.index_select(0, rows).clamp_(low, high)
    w_rows.index_copy_(0, rows, values)
    return values


def _clamp_cells_(w_flat: Tensor, cells: Tensor, low: Optional[float], high: Optional[float]) -> None:
    """Clamp the entries ``w_flat[cells]`` (flat indices) in place."""
    w_flat.put_(cells, w_flat.take(cells).clamp_(low, high))


class _Kernel:
    """The training/inference step loop of one image per replica, as named phases.

    ``__init__`` lays out the weights, neurons, traces and constants (everything that does not
    change during the image); each time step then runs, in BindsNET's order (module docstring):

    1. :meth:`input_current` -- XY and YY input from step t-1's spikes (one-step delay);
    2. :meth:`neuron_step` -- the adaptive-LIF step of the Y layer;
    3. :meth:`update_traces` -- the X trace and, once a Y neuron has spiked, the Y traces;
    4. :meth:`xy_stdp` -- ``PostPre`` on XY: depression at input spikes, potentiation at Y spikes,
       clamp;
    5. :meth:`yy_anti_stdp` -- learned competition only: ``PostPre`` on YY, decay, clamp;

    and :meth:`finish` ends the image (XY normalisation, YY mask, reference order).

    Event-driven but exact: input and Y spikes are 0/1, so every non-zero term of BindsNET's
    dense updates is one weight row or column.  With ``G = R * L`` location groups and the rows
    ``w2 = w.view(-1, C)``:

    * XY input ``I = W^T s_{t-1}``: ``I[g] = sum of w2[rows]`` over the events of step t-1
      (accumulated in input-pixel order);
    * depression ``w -= nu0 * s_pre x_post^T``: ``w2[rows] -= nu0 * x_post[groups]`` for the
      events of step t (``conv`` accumulates all locations into the shared rows, the sum of the
      weight-sharing update ``PostPre._conv2d_connection_update``);
    * potentiation ``w += nu1 * x_pre s_post^T``: ``w[g, :, c] += nu1 * x_pre[patch of g]`` for
      each Y spike ``(g, c)``;
    * clamping to ``[wmin, wmax]``: of the whole matrix when it is small (as BindsNET), else of the
      changed rows and columns only (the others are in range);
    * learned YY alike: rows of the spiking (pre) neurons, columns of the spiking (post) neurons.

    Each changed weight gets the float operations of BindsNET's dense update, in the same order
    (for ``conv`` the per-location terms are added one by one rather than summed first).
    """

    def __init__(self, state: CompetitionState, image_spikes: Tensor, config: CompetitionNetConfig,
                 learning: bool) -> None:
        R = _check_state(state, config)
        if (image_spikes.dim() != 3 or image_spikes.shape[1] != R
                or image_spikes.shape[2] != config.num_inputs):
            raise ValueError(
                f"image_spikes must be [T, R={R}, P={config.num_inputs}], got {tuple(image_spikes.shape)}"
            )
        T, _, P = image_spikes.shape
        L, K, C = config.num_locations, config.kernel_area, config.channels
        G, Y = R * L, L * C
        device = state.w_xy.device
        self.state, self.config, self.learning = state, config, learning
        self.R, self.L, self.C, self.K, self.G, self.Y, self.T = R, L, C, K, G, Y, T
        self.device = device

        spikes_in = image_spikes.to(device)
        self.event_rows, self.event_groups = _input_events(spikes_in != 0, config)
        self.w = w = state.w_xy.clone()
        self.w_rows = w.view(-1, C)  # [G*K, C] (lc/fc) or [R*K, C] (conv)
        self.w_flat = w.view(-1)
        # For each Y neuron n = g * C + c (= r * Y + internal index): the flat (replica, pixel)
        # index of its patch and the flat indices of its K incoming weights, [G*C, K].
        groups = torch.arange(G, device=device).repeat_interleave(C)
        channels = torch.arange(C, device=device).repeat(G)
        patch = geometry(config).patch_index.to(device)
        neuron_pixels = (groups // L).view(-1, 1) * P + patch.index_select(0, groups % L)
        weight_group = groups // L if config.arch == "conv" else groups
        neuron_cells = (weight_group.view(-1, 1) * K + torch.arange(K, device=device).view(1, K)) * C
        neuron_cells += channels.view(-1, 1)
        self.neuron_table = torch.cat([neuron_cells, neuron_pixels], dim=1)  # one gather for both
        if learning:
            self.pixels = (spikes_in != 0).to(torch.float32).view(T, R * P)
            self.x_pix = torch.zeros(R * P, device=device)  # X trace (input_trace_tau)

        const = self._const
        self.d_pix = const(trace_decay(config.input_trace_tau, config.dt))
        self.learned = config.learn_competition
        if self.learned:
            self.w_yy = _yy_to_internal(state.w_yy, config)  # [R, Y, Y], location-major
            self.w_yy_rows = self.w_yy.view(R * Y, Y)
            self.w_yy_flat = self.w_yy.view(-1)
            self.yy_cells = torch.arange(Y, device=device).view(1, Y) * Y  # column offsets
        # 0-dim tensors instead of Python floats for the constants that enter tensor arithmetic:
        # the same float32 results, without a scalar conversion per operation.
        self.params = config.neuron._replace(
            rest=const(config.neuron.rest),
            reset=const(config.neuron.reset),
            thresh=const(config.neuron.thresh),
            refrac=const(config.neuron.refrac),
            theta_plus=const(config.neuron.theta_plus),
        )
        # Neurons as [G, C] = [R * L, C] (row-major = location-major within each replica).
        theta = _to_internal(state.theta, config).view(G, C)
        self.neurons = adaptive_lif_init_state((G,), (C,), self.params, theta=theta, device=device)
        self.s = torch.zeros(G, C, device=device)
        self.x_post = torch.zeros_like(self.s)  # Y trace (tau_neg): XY post trace and YY post trace
        self.x_pre_y = torch.zeros_like(self.s)  # Y trace (tau_pos): YY pre trace
        nu0, nu1 = config.nu
        a_pos, a_neg = config.competition_nu
        self.nu0, self.nu1, self.a_pos, self.a_neg = nu0, nu1, a_pos, a_neg
        self.minus_nu0, self.nu1_t = const(-nu0), const(nu1)
        self.minus_a_pos, self.a_neg_t = const(-a_pos), const(a_neg)
        self.d_post = const(trace_decay(config.competition_tau[1], config.dt))
        self.d_pre_y = const(trace_decay(config.competition_tau[0], config.dt))
        self.low, self.high = config.wmin, config.wmax
        self.yy_low = None if config.competition_wmin == -math.inf else config.competition_wmin
        self.yy_high = None if config.competition_wmax == math.inf else config.competition_wmax
        self.yy_clamp = self.yy_low is not None or self.yy_high is not None
        self.decay_yy = float(config.competition_weight_decay)
        self.spiked = False  # did any Y neuron spike at the previous step
        self.post_seen = False  # any Y spike yet (before it x_post == 0: no depression)
        self.input_rows = None  # values of the rows fed at step t-1, if already at hand
        self.no_current = torch.zeros(G, C, device=device)
        # Clamp only the changed weights, or (small matrices: one pass is cheaper than the indexed
        # reads and writes) all of them, as BindsNET does.
        limit = _CLAMP_ALL_MAX_ELEMENTS
        self.clamp_all = w.numel() <= (2**18 if limit is None else limit)
        if learning:
            # BindsNET clamps the whole matrices after every update; after the first step every
            # weight is in range and only changed weights can leave it.  The first step's updates
            # are zero (no Y input yet, so no Y spike unless thresh <= rest; zero traces), so its
            # clamp is done here: it matters when weights arrive out of range, e.g. normalised to
            # mean_weight * k^2 with mean_weight > ~0.5, or a YY clamp narrower than the initial
            # weights.
            w.clamp_(self.low, self.high)
            if self.learned and self.yy_clamp:
                self.w_yy.clamp_(self.yy_low, self.yy_high)

    def _const(self, value: float) -> Tensor:
        """A 0-dim float32 tensor: the same products as a Python float, cheaper."""
        return torch.tensor(float(value), dtype=torch.float32, device=self.device)

    def input_current(self, t: int) -> Tensor:
        """(1) Input of step t from step t-1's spikes, with the weights after step t-1's update."""
        if t:
            if self.input_rows is None:
                self.input_rows = self.w_rows.index_select(0, self.event_rows[t - 1])
            current = self.no_current.index_put((self.event_groups[t - 1],), self.input_rows,
                                                accumulate=True)
        else:
            current = self.no_current.clone()
        if self.spiked:  # YY input (zero without a Y spike at t-1)
            if self.learned:
                current = current + torch.bmm(self.s.view(self.R, 1, self.Y), self.w_yy).view(
                    self.G, self.C)
            else:  # sum of c_w over the other channels at the same location that spiked
                current.add_(fixed_competition_current(self.s, self.config.competition_weight))
        self.input_rows = None
        return current

    def neuron_step(self, current: Tensor) -> Tensor:
        """(2) The Y layer's adaptive-LIF step; returns the spiking neurons ``n = g * C + c``."""
        self.s, self.neurons = adaptive_lif_step(current, self.neurons, self.params, self.learning)
        fired = self.s.view(-1).nonzero().squeeze(1)
        self.spiked = fired.numel() > 0
        return fired

    def update_traces(self, t: int) -> None:
        """(3) X trace; Y traces once a Y neuron has spiked (before that they stay zero)."""
        self.x_pix = torch.maximum(self.x_pix * self.d_pix, self.pixels[t])
        self.post_seen = self.post_seen or self.spiked
        if self.post_seen:
            self.x_post = torch.maximum(self.x_post * self.d_post, self.s)

    def xy_stdp(self, t: int, fired: Tensor) -> None:
        """(4) ``PostPre`` on XY: depression at the input spikes of step t, potentiation at the Y
        spikes, clamp.  Before the first Y spike ``x_post == 0`` and nothing changes."""
        if not self.post_seen:
            return
        rows = self.event_rows[t]
        if self.nu0:  # w - nu0 x == w + (-nu0) x exactly: the negation is exact
            depression = (self.x_post * self.minus_nu0).index_select(0, self.event_groups[t])
            self.w_rows.index_put_((rows,), depression, accumulate=True)
        potentiate = self.spiked and self.nu1
        if potentiate:
            cells, pixels_of = self.neuron_table.index_select(0, fired).split(self.K, dim=1)
            # (conv: several locations may add to the same shared weight)
            self.w_flat.put_(cells, self.x_pix.take(pixels_of).mul_(self.nu1_t), accumulate=True)
        if self.clamp_all:  # one pass over a small matrix is cheaper than the indexed clamps
            if self.nu0 or potentiate:
                self.w.clamp_(self.low, self.high)
        else:
            if potentiate:
                _clamp_cells_(self.w_flat, cells, self.low, self.high)
            if self.nu0:  # the rows' final values are also the input of step t+1
                self.input_rows = _clamp_rows_(self.w_rows, rows, self.low, self.high)

    def yy_anti_stdp(self, fired: Tensor) -> None:
        """(5) Learned competition: ``PostPre`` on YY (anti-STDP), subtractive decay and clamp,
        on every entry (the non-local ones are re-zeroed only after the image)."""
        if not (self.learned and (self.post_seen or self.decay_yy)):
            return
        self.x_pre_y = torch.maximum(self.x_pre_y * self.d_pre_y, self.s)
        R, Y = self.R, self.Y
        if self.spiked:  # both terms need a Y spike (pre: depression, post: potentiation)
            replica = fired // Y
            rows_yy = fired  # = replica * Y + location-major index
            cells_yy = (replica * (Y * Y - Y) + fired).view(-1, 1) + self.yy_cells  # columns
            if self.a_pos:
                depression = (self.x_post.view(R, Y) * self.minus_a_pos).index_select(0, replica)
                self.w_yy_rows.index_put_((rows_yy,), depression, accumulate=True)
            if self.a_neg:
                potentiation = self.x_pre_y.view(R, Y).index_select(0, replica).mul_(self.a_neg_t)
                self.w_yy_flat.put_(cells_yy, potentiation, accumulate=True)
        if self.decay_yy:
            self.w_yy.sub_(self.decay_yy)
            if self.yy_clamp:
                self.w_yy.clamp_(self.yy_low, self.yy_high)
        elif self.yy_clamp and self.spiked:
            _clamp_cells_(self.w_yy_flat, cells_yy, self.yy_low, self.yy_high)
            _clamp_rows_(self.w_yy_rows, rows_yy, self.yy_low, self.yy_high)

    def finish(self) -> CompetitionState:
        """End of the image: XY normalisation, (LC) the YY mask, back to reference order."""
        config, state = self.config, self.state
        w_xy = _normalize_xy(self.w, config) if self.learning else self.w
        new_w_yy = state.w_yy
        if self.learned and self.learning:
            w_yy = self.w_yy
            if config.mask_competition_after_image:
                mask = competition_mask(config).to(self.device).expand(self.R, self.Y, self.Y).float()
                w_yy = w_yy * _yy_to_internal(mask, config)
            new_w_yy = _yy_to_reference(w_yy, config)
        new_theta = (_to_reference(self.neurons.theta.view(self.R, self.L, self.C)) if self.learning
                     else state.theta)
        return CompetitionState(w_xy=w_xy, theta=new_theta, w_yy=new_w_yy)

    def as_reference(self, per_step: list[Tensor]) -> Tensor:
        """Stacked per-step ``[G, C]`` tensors as ``[T, R, Y]`` in reference order."""
        stacked = torch.stack(per_step) if per_step else torch.zeros(0, self.G, self.C, device=self.device)
        return _to_reference(stacked.view(-1, self.R, self.L, self.C))


def _run_images(
    state: CompetitionState,
    image_spikes: Tensor,
    config: CompetitionNetConfig,
    learning: bool,
    record: bool,
) -> tuple[CompetitionState, Tensor, Optional[SimulationRecord]]:
    """One image per replica, step by step in BindsNET's order: the phases of :class:`_Kernel`,
    on one intra-op thread."""
    with one_thread():  # with 2 threads the 25-channel LCSNN loop ran about 1.7x slower than with 1
        kernel = _Kernel(state, image_spikes, config, learning)
        spikes_rec, v_rec = [], []
        for t in range(kernel.T):
            fired = kernel.neuron_step(kernel.input_current(t))
            spikes_rec.append(kernel.s)
            if record:
                v_rec.append(kernel.neurons.v)
            if learning:
                kernel.update_traces(t)
                kernel.xy_stdp(t, fired)
                kernel.yy_anti_stdp(fired)
        spikes = kernel.as_reference(spikes_rec)
        rec = SimulationRecord(spikes=spikes, v=kernel.as_reference(v_rec)) if record else None
        return kernel.finish(), spikes.sum(0), rec


def train_step(
    state: CompetitionState, image_spikes: Tensor, config: CompetitionNetConfig
) -> tuple[CompetitionState, Tensor]:
    r"""Present one image to each replica with learning on; returns ``(new_state, counts)``.

    ``image_spikes``: ``[T, R, P]`` (0/1, any dtype; :func:`encode_images`), replica ``r`` sees
    ``image_spikes[:, r]``.  Each step follows BindsNET's order (module docstring): XY and YY
    input with a one-step delay, adaptive-LIF step with theta adapting, Y traces, XY ``PostPre``
    (+ clamp), learned YY ``PostPre`` (+ decay, clamp); after the image XY is normalised and (LC)
    the YY mask re-applied; v, refractory counters and traces restart from rest at the next
    call (BindsNET ``reset_``), theta and weights carry over.  ``counts``: spikes per Y neuron,
    float32 ``[R, Y]`` in reference order.  ``state`` is not modified.

    On the same input spikes the spikes equal BindsNET's; weights agree to float32 rounding
    (the XY input sums run over a patch instead of BindsNET's dense 400-row matrix).
    """
    new_state, counts, _ = _run_images(state, image_spikes, config, learning=True, record=False)
    return new_state, counts


def simulate(
    state: CompetitionState,
    image_spikes: Tensor,
    config: CompetitionNetConfig,
    learning: bool = True,
) -> tuple[CompetitionState, Tensor, SimulationRecord]:
    """:func:`train_step` (``learning=True``) or a frozen run (``learning=False``: no STDP, theta
    neither decays nor grows, no normalisation) that also records spikes and membrane voltages
    per step (e.g. for voltage plots).  Returns ``(new_state, counts, record)``."""
    return _run_images(state, image_spikes, config, learning=learning, record=True)


# --------------------------------------------------------------------------------------------------
# Inference (learning off, many images at once)
# --------------------------------------------------------------------------------------------------


def fixed_competition_current(spikes: Tensor, competition_weight: float) -> Tensor:
    r"""YY input under fixed competition: :math:`c_w \sum_{j \ne i} s_j` over the channels of a location.

    ``spikes`` is ``[..., C]`` (the channels of one location last).  Equal to ``spikes @ B`` with
    ``B = c_w (1 - I)``, but costs O(C) instead of O(C^2) per location: the sum over all channels
    minus the neuron's own spike.  (Exactly equal in float32 when ``c_w`` is an integer, as in every
    configuration of paper 002: all partial sums are integers far below 2^24.)
    """
    return (spikes.sum(-1, keepdim=True) - spikes).mul_(float(competition_weight))


def _dense_xy_internal(w_xy: Tensor, config: CompetitionNetConfig) -> Tensor:
    """``[R, P, L, C]``: XY weights as a dense matrix (zeros outside each location's patch)."""
    R, L, K, C = w_xy.shape[0], config.num_locations, config.kernel_area, config.channels
    index = geometry(config).patch_index.to(w_xy.device)
    if config.arch == "conv":
        w_xy = w_xy.unsqueeze(1).expand(R, L, K, C)
    dense = torch.zeros(R, config.num_inputs, L, C, dtype=w_xy.dtype, device=w_xy.device)
    loc = torch.arange(L, device=w_xy.device).view(L, 1)
    dense[:, index, loc, :] = w_xy
    return dense


def dense_xy(w_xy: Tensor, config: CompetitionNetConfig) -> Tensor:
    """XY weights as BindsNET's dense ``Connection.w`` layout: ``[R, P, Y]`` (``[source, target]``,
    reference neuron order; zeros outside the receptive fields; ``conv`` repeats the shared
    kernels at every location)."""
    dense = _dense_xy_internal(w_xy, config)
    return dense.transpose(-1, -2).reshape(dense.shape[0], config.num_inputs, config.num_neurons)


def xy_from_dense(dense: Tensor, config: CompetitionNetConfig) -> Tensor:
    """Inverse of :func:`dense_xy` for ``lc``/``fc``: ``[R, P, Y]`` -> ``w_xy [R, L, K, C]``
    (entries outside the receptive fields are ignored)."""
    if config.arch == "conv":
        raise ValueError("xy_from_dense is defined for 'lc' and 'fc' only")
    R, L, C = dense.shape[0], config.num_locations, config.channels
    index = geometry(config).patch_index.to(dense.device)
    loc = torch.arange(L, device=dense.device).view(L, 1)
    picked = dense.reshape(R, config.num_inputs, C, L)[:, index, :, loc]  # [L, K, R, C]
    return picked.permute(2, 0, 1, 3).contiguous()


def channel_similarity(w_xy: Tensor) -> Tensor:
    """How alike the features of competing neurons are: for XY weights ``[..., K, C]`` (one
    replica: ``[L, K, C]``, or ``[K, C]`` for ``conv``) the Pearson correlation between the
    ``K`` weights of every pair of different channels at a location, averaged over the pairs,
    per location (``[...]``).  Paper 002's Fig. 9 shows it qualitatively: weak competition lets
    the neurons of a location learn similar features."""
    w = w_xy - w_xy.mean(dim=-2, keepdim=True)
    w = w / w.norm(dim=-2, keepdim=True).clamp_min(torch.finfo(w.dtype).tiny)
    corr = w.transpose(-1, -2) @ w  # [..., C, C]
    C = corr.shape[-1]
    off_diagonal = ~torch.eye(C, dtype=torch.bool, device=corr.device)
    return corr[..., off_diagonal].mean(dim=-1)


def dense_yy(state: CompetitionState, config: CompetitionNetConfig) -> Tensor:
    """YY weights ``[R, Y, Y]`` (``[pre, post]``, reference order): ``state.w_yy`` when learned,
    else ``c_w`` on :func:`competition_mask` (BindsNET's ``Connection.w`` of ``LC_SNN``)."""
    if state.w_yy is not None:
        return state.w_yy
    R = state.w_xy.shape[0]
    mask = competition_mask(config).to(state.w_xy.device)
    w = torch.where(mask, float(config.competition_weight), 0.0).to(state.w_xy.dtype)
    return w.expand(R, -1, -1).contiguous()


def infer(
    state: CompetitionState,
    image_spikes: Tensor,
    config: CompetitionNetConfig,
    max_chunk_bytes: int = 256 * 2**20,
) -> Tensor:
    r"""Spike counts with learning off: ``[T, B, P]`` (same images for every replica) or
    ``[T, R, B, P]`` -> float32 ``[R, B, Y]`` (reference order).

    Every image starts from rest (BindsNET: ``network.train(False)``, one ``run`` + ``reset_`` per
    image); theta is frozen.  Because the weights are fixed, the XY input of all steps is one
    matrix product (dense ``[P, Y]`` weights), and only the YY input and the neurons run in the
    time loop, batched over replicas and images.  Images are processed in chunks so that the
    precomputed inputs take at most about ``max_chunk_bytes``.  (BindsNET's ``run`` also
    re-normalises the unchanged weights after every test image, which moves them by float32
    rounding only; that is not done here.)
    """
    R = _check_state(state, config)
    shared = image_spikes.dim() == 3
    if shared:
        T, B, P = image_spikes.shape
    elif image_spikes.dim() == 4:
        T, R_in, B, P = image_spikes.shape
        if R_in != R:
            raise ValueError(f"image_spikes has {R_in} replicas, state has {R}")
    else:
        raise ValueError(f"image_spikes must be [T, B, P] or [T, R, B, P], got {tuple(image_spikes.shape)}")
    if P != config.num_inputs:
        raise ValueError(f"image_spikes has {P} inputs, config expects {config.num_inputs}")
    L, C = config.num_locations, config.channels
    Y = L * C
    device = state.w_xy.device
    weights = _dense_xy_internal(state.w_xy, config).reshape(R, P, Y)
    w_yy = _yy_to_internal(state.w_yy, config) if config.learn_competition else None
    theta = _to_internal(state.theta, config).unsqueeze(1)  # [R, 1, L, C]
    params = config.neuron
    per_image = max(T - 1, 1) * R * Y * 4 + T * P * 4 * (1 if shared else R)
    chunk = max(1, int(max_chunk_bytes // per_image))
    out = torch.empty(R, B, Y, device=device)

    for start in range(0, B, chunk):
        stop = min(B, start + chunk)
        b = stop - start
        if shared:
            frames = image_spikes[: T - 1, start:stop].to(device=device, dtype=torch.float32)
            currents = torch.matmul(frames.reshape(-1, P), weights)  # [R, (T-1) b, Y]
        else:
            frames = image_spikes[: T - 1, :, start:stop].to(device=device, dtype=torch.float32)
            frames = frames.permute(1, 0, 2, 3).reshape(R, -1, P)
            currents = torch.bmm(frames, weights)
        currents = currents.view(R, T - 1, b, L, C).transpose(0, 1)  # [T-1, R, b, L, C]
        neurons = adaptive_lif_init_state((R, b), (L, C), params, theta=theta, device=device)
        s = torch.zeros(R, b, L, C, device=device)
        counts = torch.zeros_like(s)
        for t in range(T):
            current = currents[t - 1] if t else torch.zeros_like(s)
            if w_yy is not None:
                current = current + torch.matmul(s.view(R, b, Y), w_yy).view(R, b, L, C)
            else:
                current = current + fixed_competition_current(s, config.competition_weight)
            s, neurons = adaptive_lif_step(current, neurons, params, learning=False)
            counts.add_(s)
        out[:, start:stop] = _to_reference(counts)
    return out
