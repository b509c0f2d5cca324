"""Benchmark: one GAN iteration (D step, then G step) of paper 000's spiking DCGAN, the literal
snnTorch model against snnlib's fast path (CPU).

Both generators start from the same weights and see the same noise; both discriminators start from
the same weights and see the same real batches (MNIST training images in [0, 1]).

* snnTorch: ``snnlib.papers.p000_spiking_dcgan.models.SnntorchGenerator`` -- the paper's model as
  its authors used snnTorch: for each of the 30 steps, every transposed convolution and
  ``snn.Leaky`` called once, autograd through every step.
* snnlib: ``SpikingGenerator`` -- the first layer's current computed once (its input does not
  change over time), every later layer's input for all 30 steps in one batched convolution,
  ``lif_sequence`` (element-wise recurrence with a hand-written backward).

Before timing, the script checks that both give identical spikes in every layer and the same
losses on the first batch, and prints the largest relative difference of their generator weights
after that step.  Then it alternates iterations of the two and prints the median time of each and
their ratio.  Not a test.

    python benchmarks/dcgan_vs_snntorch.py --iterations 10 --threads 2
    # --record writes data/results/000_spiking_dcgan/full/snntorch_benchmark/ (metrics + provenance)
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch

from snnlib.book.data import load_mnist
from snnlib.book.runner import benchmark_record
from snnlib.papers.p000_spiking_dcgan import gan, models
from snnlib.papers.p000_spiking_dcgan.config import PAPER_OPTIMISER


def build(kind: str, config: models.GeneratorConfig, layers: models.GeneratorLayers, d: models.Discriminator):
    g = (models.SpikingGenerator if kind == "snnlib" else models.SnntorchGenerator)(config, copy.deepcopy(layers))
    d = copy.deepcopy(d)
    return g, d, gan.make_optimiser(g, PAPER_OPTIMISER), gan.make_optimiser(d, PAPER_OPTIMISER)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", choices=["spikes", "sigmoid"], default="spikes")
    parser.add_argument("--record", action="store_true",
                        help="write the result as chapter 000's snntorch_benchmark artifact")
    args = parser.parse_args()
    recording = benchmark_record("000_spiking_dcgan", "snntorch_benchmark", args)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = models.GeneratorConfig(output=args.output)
    layers, d = models.GeneratorLayers(config.bias), models.Discriminator()
    sides = {kind: build(kind, config, layers, d) for kind in ("snntorch", "snnlib")}
    images = load_mnist("train_full")[0][:args.batch * (args.iterations + args.warmup + 1), None].float() / 255
    noise = torch.Generator().manual_seed(1)
    batches = [(images[i * args.batch:(i + 1) * args.batch], models.sample_noise(args.batch, config, generator=noise))
               for i in range(args.iterations + args.warmup + 1)]

    real, z = batches[0]
    spikes = {kind: side[0](z)[1] for kind, side in sides.items()}
    identical = all(torch.equal(a, b) for a, b in zip(spikes["snntorch"], spikes["snnlib"]))
    losses = {kind: gan.gan_step(*side, real, z) for kind, side in sides.items()}
    weight_diff = max(float((a - b).abs().max() / b.abs().max()) for a, b in
                      zip(sides["snnlib"][0].parameters(), sides["snntorch"][0].parameters()))
    print(f"first batch: spikes identical in every layer: {identical}; losses snnTorch {losses['snntorch']}, "
          f"snnlib {losses['snnlib']}; largest relative difference of G's weights after the step {weight_diff:.1e}")

    times = {kind: [] for kind in sides}
    for i, (real, z) in enumerate(batches[1:]):
        for kind, side in sides.items():
            start = time.perf_counter()
            gan.gan_step(*side, real, z)
            if i >= args.warmup:
                times[kind].append(time.perf_counter() - start)
    record = {"threads": args.threads, "batch": args.batch, "iterations": args.iterations, "output": args.output,
              "spikes_identical": identical, "losses_snntorch": list(losses["snntorch"]),
              "losses_snnlib": list(losses["snnlib"]), "g_weight_rel_diff": weight_diff,
              "snntorch_s": statistics.median(times["snntorch"]), "snnlib_s": statistics.median(times["snnlib"])}
    record["ratio"] = record["snntorch_s"] / record["snnlib_s"]
    print(f"one iteration at batch {args.batch}, {args.threads} thread(s): snnTorch {record['snntorch_s']:.3f} s, "
          f"snnlib {record['snnlib_s']:.3f} s (medians of {args.iterations}), ratio {record['ratio']:.2f}x")
    if recording is not None:
        recording.finish(record)
        print(f"recorded in {recording.directory}")


if __name__ == "__main__":
    main()
