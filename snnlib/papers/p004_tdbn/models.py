r"""Spiking residual networks of the tdBN paper's family, trained by STBP (chapter 004).

Every layer works on a whole sequence ``x[T, N, C, H, W]`` at once (the time-batched path of
:mod:`snnlib.core.neurons`): a convolution sees the ``T * N`` frames as one batch, the
normalisation takes its statistics over the axes its variant prescribes, and the iterative LIF
neurons (eq-004-lif, :func:`~snnlib.core.neurons.iterative_lif_params`) run the element-wise
recurrence over time with :func:`~snnlib.core.neurons.lif_sequence`.

* :class:`ResNetConfig` -- the architecture: a 3x3 stem, stages of basic blocks, global average
  pooling, an optional spiking fully-connected layer, and the linear decoding layer
  :math:`Q = \frac1T \sum_t M o^t` (eq-004-decoding).  :data:`RESNET19` is the paper's CIFAR-10
  network; :func:`fashion_resnet` the family trained here.
* ``norm``: ``"none"`` (convolutions with a bias, no normalisation), ``"bn"`` (ordinary batch
  normalisation applied at every time step on its own: statistics over ``(N, H, W)`` of that step,
  one affine and one set of running statistics for all steps), ``"tdbn"`` (eq-004-tdbn,
  :class:`~snnlib.core.tdbn.TdBN`: statistics over ``(T, N, H, W)``, scaled to
  :math:`\alpha V_{th}`, :math:`\alpha = 1/\sqrt2` on the two branches of a residual addition).
* :class:`SpikingResNet` -- the network; ``forward(images, record)`` returns the decoded logits
  and, when ``record`` is a list, appends each spiking layer's input current and spikes to it
  (the norm-balance measurements of the chapter).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace
from typing import NamedTuple, Optional

import torch
from torch import Tensor, nn

from snnlib.core.neurons import LIFParams, iterative_lif_params, lif_sequence
from snnlib.core.surrogate import rectangular
from snnlib.core.tdbn import TdBN, fuse_into_conv

__all__ = ["NORMS", "ResNetConfig", "RESNET19", "fashion_resnet", "PerStepBN", "SpikingBlock",
           "SpikingResNet", "LayerRecord", "fused_for_inference"]

NORMS = ("none", "bn", "tdbn")


@dataclass(frozen=True)
class ResNetConfig:
    """A spiking ResNet: ``stem`` channels of the first 3x3 convolution, ``blocks`` basic blocks
    per stage of ``widths`` channels (stride 1 in the first stage, 2 in the others), ``hidden``
    spiking units after pooling (0: none), ``classes`` decoded outputs; ``steps`` T, the neurons'
    ``tau_decay`` and ``threshold`` :math:`V_{th}`, the rectangular surrogate's ``surrogate_width``,
    and the normalisation ``norm`` (one of :data:`NORMS`)."""

    in_channels: int = 1
    stem: int = 16
    widths: tuple[int, ...] = (16, 32, 64)
    blocks: tuple[int, ...] = (1, 1, 1)
    hidden: int = 0
    classes: int = 10
    steps: int = 4
    tau_decay: float = 0.25
    threshold: float = 0.5
    surrogate_width: float = 1.0
    norm: str = "tdbn"

    def __post_init__(self) -> None:
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, not {self.norm!r}")
        if len(self.widths) != len(self.blocks):
            raise ValueError("widths and blocks must have one entry per stage")

    @property
    def depth(self) -> int:
        """Weight layers on the longest path: stem, two per block, the hidden layer, the decoder
        (the 1x1 shortcut convolutions are not counted, as in the ResNet convention)."""
        return 1 + 2 * sum(self.blocks) + (1 if self.hidden else 0) + 1

    def neuron_params(self) -> LIFParams:
        """The iterative LIF with STBP's rectangular surrogate (eq-004-lif)."""
        return iterative_lif_params(self.tau_decay, self.threshold, rectangular(self.surrogate_width))


RESNET19 = ResNetConfig(in_channels=3, stem=128, widths=(128, 256, 512), blocks=(3, 3, 2), hidden=256)
"""ResNet-19 of the tdBN paper's CIFAR-10 experiment: a 128-channel stem, 3 + 3 + 2 basic
blocks of 128, 256 and 512 channels, average pooling, a 256-unit spiking layer, the decoder."""


def fashion_resnet(depth: int, norm: str, **overrides) -> ResNetConfig:
    """The family trained here on Fashion-MNIST: depth :math:`6n + 2` (``n`` blocks in each of
    three stages of 16, 32 and 64 channels: 8, 14, 20, 26, 32, ...), no hidden layer."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n + 2 with n >= 1, not {depth}")
    n = (depth - 2) // 6
    return replace(ResNetConfig(), blocks=(n, n, n), norm=norm, **overrides)


class PerStepBN(nn.Module):
    """Ordinary batch normalisation at every time step on its own: ``x[T, N, C, H, W]``, the
    statistics of step ``t`` over ``(N, H, W)``; one affine (init 1, 0) and one set of running
    statistics shared by all steps (each step updates them in turn)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: Tensor) -> Tensor:
        return torch.stack([self.bn(x[t]) for t in range(x.shape[0])])


def _norm(config: ResNetConfig, channels: int, alpha: float = 1.0) -> nn.Module:
    if config.norm == "tdbn":
        return TdBN(channels, alpha=alpha, threshold=config.threshold)
    if config.norm == "bn":
        return PerStepBN(channels)
    return nn.Identity()


def _conv(config: ResNetConfig, c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Conv2d:
    conv = nn.Conv2d(c_in, c_out, kernel, stride, padding=kernel // 2, bias=config.norm == "none")
    nn.init.kaiming_normal_(conv.weight, mode="fan_in", nonlinearity="relu")
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)
    return conv


def over_time(module: nn.Module, x: Tensor) -> Tensor:
    """Apply a frame-wise ``module`` to ``x[T, N, ...]`` as one batch of ``T * N`` frames."""
    y = module(x.flatten(0, 1))
    return y.view(x.shape[0], x.shape[1], *y.shape[1:])


class LayerRecord(NamedTuple):
    """One spiking layer's ``name``, input ``currents`` and ``spikes`` (both ``[T, N, ...]``, detached)."""

    name: str
    currents: Tensor
    spikes: Tensor


def _fire(x: Tensor, params: LIFParams, name: str, record: Optional[list]) -> Tensor:
    spikes, _ = lif_sequence(x, params)
    if record is not None:
        record.append(LayerRecord(name, x.detach(), spikes.detach()))
    return spikes


class SpikingBlock(nn.Module):
    """A basic block: conv 3x3, norm, LIF, conv 3x3, norm; plus the shortcut (identity, or a
    strided 1x1 convolution and norm where the shape changes); LIF of the sum.  Under tdBN the
    two normalisations that meet at the addition use :math:`\\alpha = 1/\\sqrt 2` (an identity
    shortcut carries spikes, not normalised currents, and keeps its scale)."""

    def __init__(self, config: ResNetConfig, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        branch_alpha = 1 / math.sqrt(2)
        self.conv1 = _conv(config, c_in, c_out, 3, stride)
        self.norm1 = _norm(config, c_out)
        self.conv2 = _conv(config, c_out, c_out, 3)
        self.norm2 = _norm(config, c_out, branch_alpha)
        self.shortcut = None
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.ModuleDict({"conv": _conv(config, c_in, c_out, 1, stride),
                                           "norm": _norm(config, c_out, branch_alpha)})
        self.params = config.neuron_params()

    def forward(self, x: Tensor, record: Optional[list] = None, name: str = "block") -> Tensor:
        h = _fire(self.norm1(over_time(self.conv1, x)), self.params, f"{name}.1", record)
        h = self.norm2(over_time(self.conv2, h))
        skip = x if self.shortcut is None else self.shortcut["norm"](over_time(self.shortcut["conv"], x))
        return _fire(h + skip, self.params, f"{name}.2", record)


class SpikingResNet(nn.Module):
    """The spiking ResNet of ``config``: the image is the stem's input at every step (its current
    is computed once), and the decoder reads the time-averaged pooled spikes (eq-004-decoding)."""

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__()
        self.config = config
        self.params = config.neuron_params()
        self.stem = _conv(config, config.in_channels, config.stem, 3)
        self.stem_norm = _norm(config, config.stem)
        blocks, c_in = [], config.stem
        for stage, (width, n) in enumerate(zip(config.widths, config.blocks)):
            for i in range(n):
                blocks.append(SpikingBlock(config, c_in, width, 2 if stage and i == 0 else 1))
                c_in = width
        self.blocks = nn.ModuleList(blocks)
        self.hidden = nn.Linear(c_in, config.hidden) if config.hidden else None
        self.decoder = nn.Linear(config.hidden or c_in, config.classes)

    def forward(self, images: Tensor, record: Optional[list] = None) -> Tensor:
        """Logits ``Q [N, classes]`` of ``images [N, C, H, W]`` (eq-004-decoding)."""
        steps = self.config.steps
        current = self.stem(images).unsqueeze(0).expand(steps, *images.shape[:1], -1, -1, -1)
        x = _fire(self.stem_norm(current.contiguous()), self.params, "stem", record)
        for i, block in enumerate(self.blocks):
            x = block(x, record, f"block{i + 1}")
        x = x.mean((3, 4))  # global average pooling, [T, N, C]
        if self.hidden is not None:
            x = _fire(over_time(self.hidden, x), self.params, "hidden", record)
        return self.decoder(x).mean(0)


def _fused(conv: nn.Conv2d, norm: TdBN) -> nn.Conv2d:
    weight, bias = fuse_into_conv(conv.weight.detach(), None if conv.bias is None else conv.bias.detach(),
                                  norm.params(), norm.state())
    out = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                    bias=True, dtype=weight.dtype)
    with torch.no_grad():
        out.weight.copy_(weight)
        out.bias.copy_(bias.detach())
    return out


def fused_for_inference(net: SpikingResNet) -> SpikingResNet:
    """A copy of a tdBN network for inference, every tdBN folded into the convolution before it
    (eq-004-tdbn-fusion, :func:`~snnlib.core.tdbn.fuse_into_conv`) and replaced by the identity;
    in evaluation mode it computes what ``net`` computes in evaluation mode."""
    if net.config.norm != "tdbn":
        raise ValueError("only tdBN networks are fused")
    fused = copy.deepcopy(net).eval()
    pairs = [(fused, "stem", "stem_norm")]
    for block in fused.blocks:
        pairs += [(block, "conv1", "norm1"), (block, "conv2", "norm2")]
        if block.shortcut is not None:
            pairs.append((block.shortcut, "conv", "norm"))
    for owner, conv, norm in pairs:  # (a ModuleDict's entries are attributes too)
        owner.add_module(conv, _fused(getattr(owner, conv), getattr(owner, norm)))
        owner.add_module(norm, nn.Identity())
    return fused
