"""Benchmark: training step time of a 784-1000-10 LIF network, snnlib vs snnTorch (CPU).

Both networks have the same architecture, the same initial weights and the same loss, and see the
same rate-coded input batches:

* snnTorch: the tutorial style loop -- ``fc1(x[t])``, ``snn.Leaky``, ``fc2``, ``snn.Leaky`` per step,
  autograd through every step.
* snnlib: each layer's synaptic input for all T steps in one matrix product, then
  ``snnlib.core.neurons.lif_sequence`` (element-wise recurrence with a hand-written backward).

Neuron: beta = 0.95, threshold 1, subtract reset, fast-sigmoid surrogate (k = 25). T = 25,
batch 128, loss = cross-entropy on the output spike counts, Adam (lr 5e-4).

The script first checks that both produce identical spikes (hidden and output layers) and the same
loss on the first batch, then alternates training steps of the two and prints the median step time.
Not a test: it needs snnTorch, which is not a project dependency (see benchmarks/README.md).

    python benchmarks/lif_vs_snntorch.py --steps 30 --threads 2
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
from torch import nn

from snnlib.core import surrogate as snnlib_surrogate
from snnlib.core.neurons import LIFParams, lif_sequence

NUM_INPUTS, NUM_HIDDEN, NUM_OUTPUTS = 784, 1000, 10
BETA, THRESHOLD, SLOPE = 0.95, 1.0, 25.0


class SnnlibNet(nn.Module):
    """Feed-forward LIF net: one matmul per layer for all T steps, then lif_sequence."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(NUM_INPUTS, NUM_HIDDEN)
        self.fc2 = nn.Linear(NUM_HIDDEN, NUM_OUTPUTS)
        self.lif_params = LIFParams(
            beta=BETA,
            threshold=THRESHOLD,
            reset_mechanism="subtract",
            surrogate=snnlib_surrogate.fast_sigmoid(SLOPE),
        )

    def forward(self, input_spikes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden_spikes, _ = lif_sequence(self.fc1(input_spikes), self.lif_params)
        output_spikes, _ = lif_sequence(self.fc2(hidden_spikes), self.lif_params)
        return hidden_spikes, output_spikes


def make_snntorch_net(snn, surrogate):
    class SnntorchNet(nn.Module):
        """The snnTorch tutorial-5 network: Linear + Leaky, stepped in a Python loop."""

        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(NUM_INPUTS, NUM_HIDDEN)
            self.fc2 = nn.Linear(NUM_HIDDEN, NUM_OUTPUTS)
            spike_grad = surrogate.fast_sigmoid(slope=SLOPE)
            self.lif1 = snn.Leaky(beta=BETA, threshold=THRESHOLD, spike_grad=spike_grad)
            self.lif2 = snn.Leaky(beta=BETA, threshold=THRESHOLD, spike_grad=spike_grad)

        def forward(self, input_spikes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            mem1 = self.lif1.init_leaky()
            mem2 = self.lif2.init_leaky()
            hidden, output = [], []
            for x in input_spikes:
                spk1, mem1 = self.lif1(self.fc1(x), mem1)
                spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
                hidden.append(spk1)
                output.append(spk2)
            return torch.stack(hidden), torch.stack(output)

    return SnntorchNet()


def rate_coded_batches(num_batches, num_steps, batch_size, generator, data="random"):
    """Bernoulli rate-coded batches ``(spikes [T, B, 784], labels [B])``, P(spike) = intensity.

    ``data="random"``: random 'images' with intensities u^3 (mean 0.25) and random labels;
    ``data="mnist"``: the first MNIST training images via ``snnlib.book.data.load_mnist``.
    """
    if data == "mnist":
        from snnlib.book.data import load_mnist

        images, labels = load_mnist("train", as_float=True)
        images = images.reshape(len(images), -1)[: num_batches * batch_size].float()
        labels = labels[: num_batches * batch_size].long()
    else:
        images = torch.rand(num_batches * batch_size, NUM_INPUTS, generator=generator) ** 3
        labels = torch.randint(0, NUM_OUTPUTS, (num_batches * batch_size,), generator=generator)
    batches = []
    for first in range(0, num_batches * batch_size, batch_size):
        intensities = images[first : first + batch_size]
        spikes = torch.bernoulli(intensities.expand(num_steps, -1, -1), generator=generator)
        batches.append((spikes.contiguous(), labels[first : first + batch_size]))
    return batches


def train_step(net, optimizer, input_spikes, labels) -> float:
    _, output_spikes = net(input_spikes)
    loss = nn.functional.cross_entropy(output_spikes.sum(0), labels)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per library")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per library")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--num-steps", type=int, default=25, help="simulation time steps T")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data", choices=("random", "mnist"), default="random",
        help="rate-coded random images, or MNIST via snnlib.book.data.load_mnist",
    )
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    batches = rate_coded_batches(8, args.num_steps, args.batch_size, generator, args.data)

    try:
        import snntorch as snn
        from snntorch import surrogate as snntorch_surrogate
    except ImportError:
        snn = None
        print("snnTorch not importable: timing snnlib only (see benchmarks/README.md).")

    nets = {"snnlib": SnnlibNet()}
    if snn is not None:
        nets["snntorch"] = make_snntorch_net(snn, snntorch_surrogate)
        # same initial weights; the snnTorch-only keys are the Leaky buffers (beta, threshold, ...)
        missing, unexpected = nets["snntorch"].load_state_dict(
            copy.deepcopy(nets["snnlib"].state_dict()), strict=False
        )
        assert not unexpected and all(key.startswith(("lif1.", "lif2.")) for key in missing)
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
        f"snntorch {getattr(snn, '__version__', '-')}; T={args.num_steps}, "
        f"batch={args.batch_size}, {NUM_INPUTS}-{NUM_HIDDEN}-{NUM_OUTPUTS}, data={args.data}"
    )

    # ---- equivalence check on the first batch, same weights ------------------------------
    if snn is not None:
        input_spikes, labels = batches[0]
        outputs = {name: net(input_spikes) for name, net in nets.items()}
        (h_lib, o_lib), (h_ref, o_ref) = outputs["snnlib"], outputs["snntorch"]
        losses = {
            name: nn.functional.cross_entropy(o.sum(0), labels).item() for name, (_, o) in outputs.items()
        }
        print(
            f"check: hidden spikes identical: {torch.equal(h_lib, h_ref)} "
            f"({int((h_lib != h_ref).sum())} of {h_lib.numel()} differ, rate {h_lib.mean():.3f}); "
            f"output spikes identical: {torch.equal(o_lib, o_ref)} "
            f"({int((o_lib != o_ref).sum())} of {o_lib.numel()} differ, rate {o_lib.mean():.3f}); "
            f"loss {losses['snnlib']:.6f} vs {losses['snntorch']:.6f}"
        )
        grads = {}
        for name, net in nets.items():
            net.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(net(input_spikes)[1].sum(0), labels).backward()
            grads[name] = {k: p.grad.clone() for k, p in net.named_parameters()}
            net.zero_grad(set_to_none=True)
        worst = max(
            ((grads["snnlib"][k] - grads["snntorch"][k]).abs().max() / grads["snntorch"][k].abs().max().clamp_min(1e-30)).item()
            for k in grads["snnlib"]
        )
        print(f"check: max relative gradient difference over parameters: {worst:.2e}")

    # ---- timing: alternate one step of each library -------------------------------------------
    optimizers = {name: torch.optim.Adam(net.parameters(), lr=5e-4) for name, net in nets.items()}
    times = {name: [] for name in nets}
    for step in range(args.warmup + args.steps):
        input_spikes, labels = batches[step % len(batches)]
        for name, net in nets.items():
            start = time.perf_counter()
            train_step(net, optimizers[name], input_spikes, labels)
            elapsed = time.perf_counter() - start
            if step >= args.warmup:
                times[name].append(elapsed)

    medians = {name: 1e3 * statistics.median(t) for name, t in times.items()}
    for name, median in medians.items():
        print(f"{name:>9}: median {median:7.1f} ms/step over {len(times[name])} steps")
    if "snntorch" in medians:
        print(f"speed-up snnlib vs snnTorch: {medians['snntorch'] / medians['snnlib']:.2f}x")


if __name__ == "__main__":
    main()
