"""Benchmark: one STBP training step of a tdBN spiking ResNet (paper 004), snnlib against
SpikingJelly's multi-step ``LIFNode`` and ``ThresholdDependentBatchNorm2d`` (CPU, torch backend).

Both networks are the same function: chapter 004's ``fashion_resnet(depth, "tdbn")`` (T = 4,
tau_decay 0.25, V_th 0.5, zero reset with the gradient through the reset, STBP's rectangular
surrogate of width 1).  In SpikingJelly that is ``LIFNode(tau=4/3, decay_input=False,
v_reset=0, detach_reset=False)`` with ``PiecewiseLeakyReLU(w=0.5, c=0)``, and tdBN is
``ThresholdDependentBatchNorm2d(alpha, v_th)``, an ordinary batch norm over the merged T*N axis
whose weight starts at alpha*V_th (our lambda*alpha*V_th with lambda = 1): the script copies
snnlib's initial weights into it.  The SpikingJelly network is written the way its tutorials
write one: the image repeated over the T steps, multi-step layers, ``functional.reset_net``
after every batch; snnlib computes the stem's current once (its input does not change over
time) and runs the neurons with ``lif_sequence``.

Before timing, the script checks (in float64, on copies) that both give the same spikes in every
layer and the same loss on the first batch and prints the largest relative difference of their
weight gradients; then it
alternates training steps (forward, cross-entropy, backward, Adam) of the two and prints the
median time of each and their ratio.  Not a test.

    PYTHONPATH=/tmp/sjpkg python benchmarks/tdbn_vs_spikingjelly.py --depth 20 --batch 64 --threads 2
    # --record writes data/results/004_tdbn/full/spikingjelly_benchmark/ (metrics + provenance)
"""

from __future__ import annotations

import argparse
import copy
import math
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F

from snnlib.book.data import load_fashion_mnist
from snnlib.book.runner import benchmark_record
from snnlib.papers.p004_tdbn.experiments import FASHION_MEAN, FASHION_STD
from snnlib.papers.p004_tdbn.models import SpikingResNet, fashion_resnet

try:
    from spikingjelly.activation_based import functional, layer, neuron, surrogate
except ImportError as exc:  # pragma: no cover - depends on the machine
    raise SystemExit("SpikingJelly is not importable: see benchmarks/README.md for the set-up") from exc


def _lif(config) -> nn.Module:
    return neuron.LIFNode(tau=1 / (1 - config.tau_decay), decay_input=False, v_threshold=config.threshold,
                          v_reset=0.0, surrogate_function=surrogate.PiecewiseLeakyReLU(w=config.surrogate_width / 2,
                                                                                        c=0.0),
                          detach_reset=False, step_mode="m")


def _conv_bn(conv: nn.Conv2d, norm, config) -> tuple[nn.Module, nn.Module]:
    sj_conv = layer.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                           bias=False, step_mode="m")
    sj_bn = layer.ThresholdDependentBatchNorm2d(alpha=norm.alpha, v_th=config.threshold,
                                                num_features=conv.out_channels)
    with torch.no_grad():
        sj_conv.weight.copy_(conv.weight)
        sj_bn.weight.copy_(norm.weight * norm.alpha * config.threshold)
        sj_bn.bias.copy_(norm.bias)
    return sj_conv, sj_bn


class SJBlock(nn.Module):
    def __init__(self, block, config) -> None:
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(block.conv1, block.norm1, config)
        self.sn1 = _lif(config)
        self.conv2, self.bn2 = _conv_bn(block.conv2, block.norm2, config)
        self.shortcut = None
        if block.shortcut is not None:
            self.shortcut = nn.Sequential(*_conv_bn(block.shortcut["conv"], block.shortcut["norm"], config))
        self.sn2 = _lif(config)

    def forward(self, x, record):
        h = self.sn1(self.bn1(self.conv1(x)))
        record.append(h)
        h = self.bn2(self.conv2(h)) + (x if self.shortcut is None else self.shortcut(x))
        out = self.sn2(h)
        record.append(out)
        return out


class SJResNet(nn.Module):
    """SpikingJelly's twin of a tdBN ``SpikingResNet`` (same weights)."""

    def __init__(self, net: SpikingResNet) -> None:
        super().__init__()
        config = net.config
        self.steps = config.steps
        self.stem, self.stem_bn = _conv_bn(net.stem, net.stem_norm, config)
        self.stem_sn = _lif(config)
        self.blocks = nn.ModuleList(SJBlock(b, config) for b in net.blocks)
        self.decoder = nn.Linear(net.decoder.in_features, net.decoder.out_features)
        self.decoder.load_state_dict(net.decoder.state_dict())

    def forward(self, images, record=None):
        record = [] if record is None else record
        x = images.unsqueeze(0).repeat(self.steps, 1, 1, 1, 1)
        x = self.stem_sn(self.stem_bn(self.stem(x)))
        record.append(x)
        for block in self.blocks:
            x = block(x, record)
        return self.decoder(x.mean((3, 4))).mean(0)


def train_step(net, opt, images, labels, reset=False):
    loss = F.cross_entropy(net(images), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if reset:
        functional.reset_net(net)
    return float(loss.detach())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--record", action="store_true",
                        help="write the result as chapter 004's spikingjelly_benchmark artifact")
    args = parser.parse_args()
    recording = benchmark_record("004_tdbn", "spikingjelly_benchmark", args)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ours = SpikingResNet(fashion_resnet(args.depth, "tdbn"))
    theirs = SJResNet(ours)
    images, labels = load_fashion_mnist("train_full")
    n = args.batch * (args.iterations + args.warmup + 1)
    images = ((images[:n].float() / 255 - FASHION_MEAN) / FASHION_STD)[:, None]
    batches = [(images[i * args.batch:(i + 1) * args.batch], labels[i * args.batch:(i + 1) * args.batch])
               for i in range(args.iterations + args.warmup + 1)]

    # the equivalence check runs in float64 on copies, so that float32 rounding of the membranes
    # cannot move a value across the surrogate window's edge and blur the comparison
    x, y = batches[0]
    ours64 = copy.deepcopy(ours).double()
    theirs64 = SJResNet(ours64).double()
    rec_ours, rec_theirs = [], []
    loss_ours = F.cross_entropy(ours64(x.double(), rec_ours), y)
    loss_theirs = F.cross_entropy(theirs64(x.double(), rec_theirs), y)
    spikes_equal = len(rec_ours) == len(rec_theirs) and all(
        torch.equal(a[2], b) for a, b in zip(rec_ours, rec_theirs))
    loss_ours.backward()
    loss_theirs.backward()
    pairs = [(ours64.stem.weight, theirs64.stem.weight)]
    pairs += [(a.conv1.weight, b.conv1.weight) for a, b in zip(ours64.blocks, theirs64.blocks)]
    pairs += [(ours64.decoder.weight, theirs64.decoder.weight)]
    grad_diff = max(float((a.grad - b.grad).abs().max() / b.grad.abs().max()) for a, b in pairs)
    loss_ours, loss_theirs = float(loss_ours.detach()), float(loss_theirs.detach())
    print(f"first batch (float64): spikes identical in every layer: {spikes_equal}; loss snnlib {loss_ours:.9f}, "
          f"SpikingJelly {loss_theirs:.9f}; largest relative difference of weight gradients {grad_diff:.1e}")

    sides = {"snnlib": (ours, torch.optim.Adam(ours.parameters(), 1e-3), False),
             "spikingjelly": (theirs, torch.optim.Adam(theirs.parameters(), 1e-3), True)}
    times = {k: [] for k in sides}
    for i, (x, y) in enumerate(batches[1:]):
        for kind, (net, opt, reset) in sides.items():
            start = time.perf_counter()
            train_step(net, opt, x, y, reset)
            if i >= args.warmup:
                times[kind].append(time.perf_counter() - start)
    record = {"depth": args.depth, "batch": args.batch, "threads": args.threads, "iterations": args.iterations,
              "outputs_equal": spikes_equal and math.isclose(loss_ours, loss_theirs, rel_tol=1e-12),
              "loss_snnlib": loss_ours, "loss_spikingjelly": loss_theirs, "grad_rel_diff": grad_diff,
              "snnlib_s": statistics.median(times["snnlib"]),
              "spikingjelly_s": statistics.median(times["spikingjelly"])}
    record["ratio"] = record["spikingjelly_s"] / record["snnlib_s"]
    print(f"one training step, depth {args.depth}, batch {args.batch}, T = 4, {args.threads} thread(s): "
          f"SpikingJelly {record['spikingjelly_s']:.3f} s, snnlib {record['snnlib_s']:.3f} s "
          f"(medians of {args.iterations}), ratio {record['ratio']:.2f}x")
    if recording is not None:
        recording.finish(record)
        print(f"recorded in {recording.directory}")


if __name__ == "__main__":
    main()
