r"""The networks of paper 000 (Agliukov, Antonov & Sukhov): a spiking DCGAN generator, its analog
twin, and the analog CNN discriminator (paper Tables 1-2).

The generator sees one latent vector :math:`z \in \mathbb R^{128}`, :math:`z \sim \mathcal N(0, I)`,
injected as the same input current at each of :math:`T = 30` steps.  Four transposed convolutions
(128-128 k4 s1 p0, 128-64 k3 s2 p1, 64-32 k4 s2 p1, 32-1 k4 s2 p1; 1x1 -> 4x4 -> 7x7 -> 14x14 ->
28x28) are each followed by integrate-and-fire neurons (snnTorch ``snn.Leaky`` with
:math:`\beta = 1`, threshold 0.4, subtract reset, fast-sigmoid surrogate :math:`k = 25`;
:func:`snnlib.core.neurons.lif_step`), and the image is the mean over the :math:`T` steps.

Two implementations of the same generator share one set of weights (:class:`GeneratorLayers`):

* :class:`SnntorchGenerator` -- the paper's model as its authors built it: a Python loop over the
  30 steps, every layer and ``snn.Leaky`` called once per step, autograd through every step.
* :class:`SpikingGenerator` -- ``snnlib``'s fast path (same spikes, same gradients): the first
  layer's current does not change over time, so it is computed once; every later layer convolves
  the spikes of all 30 steps in one batched call; the neurons run
  :func:`snnlib.core.neurons.lif_sequence` (element-wise recurrence, hand-written backward); and
  when the last layer has no neurons (``output="sigmoid"``), the mean over time is taken *before*
  that linear layer, which commutes with it.

The paper's text leaves open what makes the output an image in [0, 1] (its Table 1 ends with the
transposed convolution and the mean; its text says the mean gives pixel values in [0, 1]):
``output="spikes"`` puts integrate-and-fire neurons after the last layer too (the mean of spikes
lies in [0, 1], the reading of the text), ``output="sigmoid"`` squashes the mean current.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from snnlib.core.neurons import LIFParams, if_params, lif_sequence
from snnlib.core.surrogate import fast_sigmoid

__all__ = ["GeneratorConfig", "GeneratorLayers", "SpikingGenerator", "SnntorchGenerator", "AnalogGenerator",
           "Discriminator", "LAYERS", "sample_noise",
           "neuron_params", "snntorch_equivalence"]

LAYERS: tuple[tuple[int, int, int, int, int], ...] = (
    (128, 128, 4, 1, 0),
    (128, 64, 3, 2, 1),
    (64, 32, 4, 2, 1),
    (32, 1, 4, 2, 1),
)
"""The generator's transposed convolutions (paper Table 1): ``(in, out, kernel, stride, padding)``."""


@dataclass(frozen=True)
class GeneratorConfig:
    """The spiking generator of paper Table 1 with the text's neuron (eq-000-if)."""

    latent: int = 128
    num_steps: int = 30
    threshold: float = 0.4
    slope: float = 25.0
    output: Literal["spikes", "sigmoid"] = "spikes"
    """What turns the last layer into an image in [0, 1] (see the module docstring)."""
    bias: bool = False
    """Biases in the transposed convolutions (the DCGAN template the table follows has none)."""
    noise: Literal["constant", "fresh"] = "constant"
    """How the latent noise enters over the steps: one draw injected at every step (the reading of
    the text), or a fresh draw at each step (:func:`sample_noise`)."""


def sample_noise(batch: int, config: GeneratorConfig, *, generator: torch.Generator | None = None) -> Tensor:
    """The generator's input: ``[B, latent]`` standard normal noise, or ``[T, B, latent]`` with
    ``config.noise == "fresh"``."""
    shape = (batch, config.latent) if config.noise == "constant" else (config.num_steps, batch, config.latent)
    return torch.randn(shape, generator=generator)


def neuron_params(config: GeneratorConfig = GeneratorConfig()) -> LIFParams:
    r"""The paper's neuron (eq-000-if): snnTorch ``snn.Leaky`` with :math:`\beta = 1`, threshold
    ``config.threshold``, subtract reset, fast-sigmoid surrogate of slope ``config.slope``
    (eq-000-surrogate)."""
    return if_params(threshold=config.threshold, surrogate=fast_sigmoid(config.slope))


class GeneratorLayers(nn.Module):
    """The four transposed convolutions of :data:`LAYERS` (the weights both generators share)."""

    def __init__(self, bias: bool = False) -> None:
        super().__init__()
        self.convs = nn.ModuleList(nn.ConvTranspose2d(i, o, k, s, p, bias=bias) for i, o, k, s, p in LAYERS)


def _over_time(layer: nn.Module, x: Tensor) -> Tensor:
    """``layer`` applied to ``x[T, B, C, H, W]`` as one batch of ``T * B`` images, in the
    channels-last memory layout (on CPU, PyTorch then runs transposed convolutions through oneDNN,
    1.3-2x faster than its default kernel here; the values are those of the default layout)."""
    out = layer(x.flatten(0, 1).contiguous(memory_format=torch.channels_last))
    return out.unflatten(0, x.shape[:2])


class SpikingGenerator(nn.Module):
    r"""The spiking generator, fast path (eq-000-if, eq-000-image).

    ``forward(z) -> (images[B, 1, 28, 28], spikes)`` with ``z`` from :func:`sample_noise`
    (``[B, latent]``, or ``[T, B, latent]`` for fresh noise per step), where ``spikes`` lists each
    neuron layer's ``[T, B, C, H, W]`` spikes (for counting and for the equivalence test).
    """

    def __init__(self, config: GeneratorConfig = GeneratorConfig(), layers: GeneratorLayers | None = None) -> None:
        super().__init__()
        self.config = config
        self.layers = layers if layers is not None else GeneratorLayers(config.bias)
        self.neuron = neuron_params(config)

    def forward(self, z: Tensor) -> tuple[Tensor, list[Tensor]]:
        cfg, convs = self.config, self.layers.convs
        if z.ndim == 2:  # the same input at every step: its current is computed once
            current = convs[0](z[:, :, None, None])
            current = current.expand(cfg.num_steps, *current.shape)
        else:
            current = _over_time(convs[0], z[..., None, None])
        spikes, _ = lif_sequence(current, self.neuron)
        layers = [spikes]
        for conv in convs[1:3]:
            spikes, _ = lif_sequence(_over_time(conv, spikes), self.neuron)
            layers.append(spikes)
        if cfg.output == "spikes":
            spikes, _ = lif_sequence(_over_time(convs[3], spikes), self.neuron)
            layers.append(spikes)
            return spikes.mean(0), layers
        return torch.sigmoid(convs[3](spikes.mean(0))), layers  # a linear layer commutes with the mean


class SnntorchGenerator(nn.Module):
    """The same generator written the way the paper's authors used snnTorch: a loop over the
    steps, each layer and ``snn.Leaky`` called per step (the literal model; slower).  Shares
    ``layers`` with a :class:`SpikingGenerator` when given one."""

    def __init__(self, config: GeneratorConfig = GeneratorConfig(), layers: GeneratorLayers | None = None) -> None:
        import snntorch as snn  # the paper's simulator (a project dependency, imported where used)
        from snntorch import surrogate

        super().__init__()
        self.config = config
        self.layers = layers if layers is not None else GeneratorLayers(config.bias)
        n_neuron_layers = 4 if config.output == "spikes" else 3
        self.lifs = nn.ModuleList(
            snn.Leaky(beta=1.0, threshold=config.threshold, spike_grad=surrogate.fast_sigmoid(slope=config.slope))
            for _ in range(n_neuron_layers))

    def forward(self, z: Tensor) -> tuple[Tensor, list[Tensor]]:
        convs, x = self.layers.convs, z[..., None, None]
        mems = [lif.init_leaky() for lif in self.lifs]
        outputs, records = [], [[] for _ in self.lifs]
        for t in range(self.config.num_steps):
            h = x if z.ndim == 2 else x[t]
            for i, conv in enumerate(convs):
                h = conv(h)
                if i < len(self.lifs):
                    h, mems[i] = self.lifs[i](h, mems[i])
                    records[i].append(h)
            outputs.append(h)
        image = torch.stack(outputs).mean(0)
        if self.config.output == "sigmoid":
            image = torch.sigmoid(image)
        return image, [torch.stack(r) for r in records]


class AnalogGenerator(nn.Module):
    """The paper's analog baseline: the same transposed convolutions with every neuron layer
    replaced by BatchNorm + ReLU, and a sigmoid after the last layer (the paper does not state
    the analog output; the sigmoid keeps images in [0, 1] like the spiking one's).  With
    ``norm=False`` ReLU alone (an ablation: the spiking generator has no normalisation)."""

    def __init__(self, config: GeneratorConfig = GeneratorConfig(), norm: bool = True) -> None:
        super().__init__()
        self.config = config
        self.layers = GeneratorLayers(config.bias)
        self.norms = nn.ModuleList(nn.BatchNorm2d(o) if norm else nn.Identity() for _, o, *_ in LAYERS[:3])

    def forward(self, z: Tensor) -> tuple[Tensor, list[Tensor]]:
        h = z[:, :, None, None]  # (constant noise only: the analog net has no steps)
        for conv, norm in zip(self.layers.convs, self.norms):
            h = torch.relu(norm(conv(h)))
        return torch.sigmoid(self.layers.convs[3](h)), []


class Discriminator(nn.Module):
    """Paper Table 2: conv 1-32 (k4 s2 p1), LeakyReLU, 32-64 (k4 s2 p1), LeakyReLU, 64-128
    (k3 s2 p1), LeakyReLU, 128-1 (k4 s1 p0), sigmoid.  ``forward`` returns the **logit** (the
    sigmoid is folded into the loss, :func:`torch.nn.functional.binary_cross_entropy_with_logits`,
    which is the paper's sigmoid + BCE computed stably).  LeakyReLU slope 0.2 and no biases, as in
    the DCGAN template whose layer shapes the paper's tables follow (the paper states neither)."""

    def __init__(self, slope: float = 0.2) -> None:
        super().__init__()
        act = nn.LeakyReLU(slope)
        self.net = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1, bias=False), act, nn.Conv2d(32, 64, 4, 2, 1, bias=False), act,
                                 nn.Conv2d(64, 128, 3, 2, 1, bias=False), act, nn.Conv2d(128, 1, 4, 1, 0, bias=False))

    def forward(self, images: Tensor) -> Tensor:
        return self.net(images).flatten()


def snntorch_equivalence(config: GeneratorConfig, batch: int = 4, seed: int = 0) -> tuple[bool, float]:
    """Both generators on the same random weights and noise: whether every neuron layer's spikes
    are identical, and the largest difference between their images."""
    torch.manual_seed(seed)
    fast = SpikingGenerator(config)
    literal = SnntorchGenerator(config, fast.layers)
    z = sample_noise(batch, config, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        (ours, our_spikes), (theirs, their_spikes) = fast(z), literal(z)
    identical = len(our_spikes) == len(their_spikes) and all(map(torch.equal, our_spikes, their_spikes))
    return identical, float((ours - theirs).abs().max())
