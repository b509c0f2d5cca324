"""The protocols of chapter 004, each a function of a :class:`~snnlib.book.runner.RunContext`.

* :func:`layer_statistics` -- the norm-balance measurements of one network on one batch: per
  spiking layer the input current relative to :math:`V_{th}` (mean, spread, share above
  threshold, histogram) and the firing rate; per weight layer the norm of the loss gradient.
* :func:`norm_balance` -- those measurements at initialisation for every depth and normalisation.
* :func:`train_network`, :func:`train_grid` -- the depth x normalisation x seed grid on
  Fashion-MNIST (resumable; :func:`fit` is the training loop).
* :func:`cifar10_cpu_cost` -- one CIFAR-10 epoch of ResNet-19 at T = 4 on this CPU, timed on a few
  batches; :func:`cifar10_resnet19` -- the paper-scale run itself, for a GPU machine or a cluster
  (full profile only; offline it stops with the data layer's message).
* :func:`run_all` -- everything the chapter runs, for the launcher.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Callable, Mapping, Optional

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

from snnlib.book.artifacts import Artifact
from snnlib.book.data import load_cifar10, load_fashion_mnist
from snnlib.book.runner import Experiment, RunContext, one_thread
from snnlib.papers.p004_tdbn.config import CIFAR10, grid, grid_name, profile_settings
from snnlib.papers.p004_tdbn.models import NORMS, ResNetConfig, SpikingResNet, fashion_resnet

__all__ = ["FASHION_MEAN", "FASHION_STD", "HIST_EDGES", "fashion_data", "layer_statistics", "norm_balance",
           "fit", "train_network", "train_grid", "cifar10_cpu_cost", "cifar10_resnet19", "run_all"]

FASHION_MEAN, FASHION_STD = 0.2860, 0.3530
"""Pixel mean and standard deviation of the Fashion-MNIST training set (in [0, 1]), for the input
normalisation."""
SUBSET_SEED = 4004
"""Seed of the fixed training subset shared by every run."""
HIST_EDGES = np.linspace(-4.0, 4.0, 81)
"""Bins of the input current over :math:`V_{th}` in the histograms (outside values in the end bins)."""


def fashion_data(settings: Mapping[str, Any]) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``(train images, train labels, test images, test labels)``: ``n_train`` training images
    drawn once (seed :data:`SUBSET_SEED`) from the 60 000, all 10 000 test images; images
    ``[N, 1, 28, 28]`` float, normalised by :data:`FASHION_MEAN` and :data:`FASHION_STD`."""
    x, y = load_fashion_mnist("train_full")
    pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(SUBSET_SEED))[:settings["n_train"]]
    xt, yt = load_fashion_mnist("test")

    def norm(images: Tensor) -> Tensor:
        return ((images.float() / 255 - FASHION_MEAN) / FASHION_STD)[:, None]

    return norm(x[pick]), y[pick], norm(xt), yt


def _weight_layers(net: SpikingResNet) -> list[tuple[str, torch.nn.Parameter]]:
    """The weights on the network's main path, in depth order (shortcut convolutions left out)."""
    out = [("stem", net.stem.weight)]
    for i, block in enumerate(net.blocks):
        out += [(f"block{i + 1}.1", block.conv1.weight), (f"block{i + 1}.2", block.conv2.weight)]
    if net.hidden is not None:
        out.append(("hidden", net.hidden.weight))
    return out + [("decoder", net.decoder.weight)]


def layer_statistics(net: SpikingResNet, images: Tensor, labels: Tensor) -> dict[str, np.ndarray]:
    """One forward and backward pass of ``net`` (training mode: batch statistics) on a batch.

    Per spiking layer (depth order): ``rate`` (spikes per neuron and step), ``current_mean``,
    ``current_sd`` and ``above`` (the share of inputs above threshold) of the input current
    divided by :math:`V_{th}`, and ``hist`` (its histogram over :data:`HIST_EDGES`, as shares).
    Per weight layer: ``grad_norm``, the Frobenius norm of the cross-entropy loss's gradient.
    Gradients are cleared afterwards."""
    v_th = net.config.threshold
    record: list = []
    net.zero_grad()
    loss = F.cross_entropy(net(images, record), labels)
    loss.backward()
    stats: dict[str, list] = {k: [] for k in ("rate", "current_mean", "current_sd", "above", "hist")}
    for _, current, spikes in record:
        rel = (current / v_th).flatten().double()
        stats["rate"].append(float(spikes.mean()))
        stats["current_mean"].append(float(rel.mean()))
        stats["current_sd"].append(float(rel.std()))
        stats["above"].append(float((rel > 1).double().mean()))
        clipped = rel.clamp(HIST_EDGES[0], HIST_EDGES[-1] - 1e-9).numpy()
        stats["hist"].append(np.histogram(clipped, HIST_EDGES)[0] / clipped.size)
    grads = [float(w.grad.norm()) for _, w in _weight_layers(net)]
    net.zero_grad()
    return {**{k: np.asarray(v) for k, v in stats.items()}, "grad_norm": np.asarray(grads),
            "loss": np.asarray(float(loss.detach()))}


def norm_balance(ctx: RunContext, settings: Mapping[str, Any]) -> Artifact | None:
    """Experiment ``norm_balance``: :func:`layer_statistics` at initialisation (seed 0) for every
    depth of ``balance_depths`` and every normalisation, on the first ``balance_batch`` training
    images.  Arrays ``d<depth>_<norm>_<statistic>``."""
    keys = {"depths": list(settings["balance_depths"]), "batch": settings["balance_batch"],
            "n_train": settings["n_train"]}

    def body(exp: Experiment) -> Artifact:
        x, y, _, _ = fashion_data(settings)
        arrays = {}
        for depth in keys["depths"]:
            for norm in NORMS:
                torch.manual_seed(0)
                net = SpikingResNet(fashion_resnet(depth, norm))
                stats = layer_statistics(net, x[:keys["batch"]], y[:keys["batch"]])
                arrays.update({f"d{depth}_{norm}_{k}": v for k, v in stats.items()})
        return exp.finish({"depths": keys["depths"]}, arrays)

    return ctx.experiment("norm_balance", keys, body)


def _accuracy(net: SpikingResNet, images: Tensor, labels: Tensor, device: str, batch: int = 500) -> float:
    net.eval()
    with torch.no_grad():
        correct = sum(int((net(images[i:i + batch].to(device)).argmax(1).cpu() == labels[i:i + batch]).sum())
                      for i in range(0, len(images), batch))
    net.train()
    return correct / len(images)


def fit(exp: Experiment, net: SpikingResNet, data: tuple[Tensor, Tensor, Tensor, Tensor],
        settings: Mapping[str, Any], seed: int, device: str = "cpu",
        augment: Optional[Callable[[Tensor, torch.Generator], Tensor]] = None) -> dict[str, Any]:
    """Train ``net`` with STBP (eq-004-decoding: softmax cross-entropy of the decoded output,
    backpropagated through space and time) for ``epochs`` passes over the training images in
    batches of ``batch`` (a fresh order every epoch, seeded by ``seed`` and the epoch; the last
    incomplete batch dropped), Adam with the learning rate cosine-annealed from ``lr`` to 0;
    after every epoch the accuracy on the first ``n_eval`` test images.  Resumable.

    Returns ``log`` (rows: epoch, mean training loss, training accuracy, test accuracy on
    ``n_eval``; row 0 before training), ``test_acc`` (the first ``n_test`` test images, after the
    last epoch) and
    ``init``/``final`` (:func:`layer_statistics` on the first ``batch`` training images)."""
    x, y, xt, yt = data
    net.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=settings["lr"])
    batch, per_epoch = settings["batch"], len(x) // settings["batch"]
    total = settings["epochs"] * per_epoch
    probe = (x[:batch].to(device), y[:batch].to(device))
    init = layer_statistics(net, *probe)
    state = {"net": net, "opt": opt, "log": [[0, math.nan, math.nan, _accuracy(net, xt[:settings["n_eval"]],
                                                                               yt[:settings["n_eval"]], device)]],
             "epoch_stats": []}
    order = None
    for step in exp.steps(total, state, every=settings["checkpoint_every"], desc=exp.name):
        epoch, i = divmod(step, per_epoch)
        if i == 0 or order is None:  # the order depends only on seed and epoch: resumable
            order = torch.randperm(len(x), generator=torch.Generator().manual_seed(1000 * seed + epoch))
        for group in opt.param_groups:
            group["lr"] = settings["lr"] * 0.5 * (1 + math.cos(math.pi * step / total))
        idx = order[i * batch:(i + 1) * batch]
        images = x[idx]
        if augment is not None:
            images = augment(images, torch.Generator().manual_seed(1000 * seed + step))
        images, labels = images.to(device), y[idx].to(device)
        logits = net(images)
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        state["epoch_stats"] = state["epoch_stats"] + [[float(loss.detach()), float((logits.argmax(1) == labels).float().mean())]]
        if i == per_epoch - 1:
            loss_mean, acc_mean = np.mean(state["epoch_stats"], axis=0).tolist()
            acc = _accuracy(net, xt[:settings["n_eval"]], yt[:settings["n_eval"]], device)
            state["log"] = state["log"] + [[epoch + 1, loss_mean, acc_mean, acc]]
            state["epoch_stats"] = []
    return {"log": np.array(state["log"], dtype=np.float64), "test_acc": _accuracy(net, xt[:settings["n_test"]], yt[:settings["n_test"]], device),
            "init": init, "final": layer_statistics(net, *probe)}


def _result(exp: Experiment, out: Mapping[str, Any], config: ResNetConfig) -> Artifact:
    log = out["log"]
    metrics = {"test_acc": out["test_acc"], "train_acc": float(log[-1, 2]), "train_loss": float(log[-1, 1]),
               "depth": config.depth, "norm": config.norm}
    arrays = {"log": log, **{f"{when}_{k}": v for when in ("init", "final") for k, v in out[when].items()}}
    return exp.finish(metrics, arrays)


def train_network(ctx: RunContext, depth: int, norm: str, seed: int, settings: Mapping[str, Any],
                  data: Callable[[], tuple[Tensor, Tensor, Tensor, Tensor]] | None = None) -> Artifact | None:
    """Experiment ``depth<D>_<norm>_seed<s>``: :func:`~.models.fashion_resnet` of ``depth`` with
    ``norm``, initialised with seed ``seed``, trained by :func:`fit` on :func:`fashion_data`.
    Metrics ``test_acc`` (``n_test`` test images, last epoch), ``train_acc``, ``train_loss``;
    arrays ``log`` and ``init_*``/``final_*`` (:func:`layer_statistics`).  ``data`` returns the
    data (default: :func:`fashion_data`), called only if the run has to train."""
    config = fashion_resnet(depth, norm)
    keys = {"network": dataclasses.asdict(config), "seed": seed,
            **{k: settings[k] for k in ("n_train", "epochs", "batch", "lr", "n_eval", "n_test")}}

    def body(exp: Experiment) -> Artifact:
        torch.manual_seed(seed)
        net = SpikingResNet(config)
        return _result(exp, fit(exp, net, data() if data else fashion_data(settings), settings, seed, ctx.device), config)

    return ctx.experiment(grid_name(depth, norm, seed), keys, body)


def train_grid(ctx: RunContext, settings: Mapping[str, Any]) -> dict[tuple[int, str, int], Artifact]:
    """:func:`train_network` for every ``(depth, norm, seed)`` of :func:`~.config.grid`; the
    artifacts that exist, by cell."""
    loaded: list = []

    def data() -> tuple[Tensor, Tensor, Tensor, Tensor]:  # loaded once, when a run trains
        if not loaded:
            loaded.append(fashion_data(settings))
        return loaded[0]

    done = {}
    for depth, norm, seed in grid(settings):
        art = train_network(ctx, depth, norm, seed, settings, data)
        if art is not None:
            done[(depth, norm, seed)] = art
    return done


def cifar10_cpu_cost(ctx: RunContext, settings: Mapping[str, Any]) -> Artifact | None:
    """Experiment ``cifar10_cpu_cost``: the seconds of one training step of ResNet-19 at T = 4
    with tdBN (batch ``CIFAR10["batch"]``, one thread) on random CIFAR-shaped images (the cost
    of dense convolutions does not depend on the pixel values), the median of
    ``timing_batches`` steps after one warm-up step, and the implied seconds per epoch of 50 000
    images.  A wall-clock measurement: the full profile only (``None`` in the quick profile, whose
    numbers the tests pin)."""
    if ctx.profile != "full":
        return None
    batch, n = CIFAR10["batch"], CIFAR10["timing_batches"]
    # one thread whatever the reading process uses, so that the identity does not depend on it
    keys = {"network": dataclasses.asdict(CIFAR10["network"]), "batch": batch, "timing_batches": n, "threads": 1}

    def body(exp: Experiment) -> Artifact:
        with one_thread():
            return _time_steps(exp, batch, n)

    return ctx.experiment("cifar10_cpu_cost", keys, body)


def _time_steps(exp: Experiment, batch: int, n: int) -> Artifact:
    """The body of :func:`cifar10_cpu_cost`."""
    torch.manual_seed(0)
    net = SpikingResNet(CIFAR10["network"])
    opt = torch.optim.Adam(net.parameters(), lr=CIFAR10["lr"])
    times = []
    for step in range(n + 1):
        images, labels = torch.randn(batch, 3, 32, 32), torch.randint(0, 10, (batch,))
        start = time.perf_counter()
        loss = F.cross_entropy(net(images), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step:
            times.append(time.perf_counter() - start)
    step_s = float(np.median(times))
    return exp.finish({"step_s": step_s, "batch": batch, "epoch_s": step_s * (50_000 // batch)})


def _crop_flip(images: Tensor, gen: torch.Generator) -> Tensor:
    """Random 32x32 crops of the 4-pixel zero-padded images and random horizontal flips."""
    padded = F.pad(images, (4, 4, 4, 4))
    n = len(images)
    dx, dy = torch.randint(0, 9, (2, n), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    out = torch.stack([padded[k, :, dy[k]:dy[k] + 32, dx[k]:dx[k] + 32] for k in range(n)])
    out[flip] = out[flip].flip(-1)
    return out


CIFAR_MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
CIFAR_STD = torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)


def cifar10_resnet19(ctx: RunContext) -> Artifact | None:
    """Experiment ``cifar10_resnet19_t4`` (full profile): ResNet-19 at T = 4 with tdBN trained on
    CIFAR-10 by :func:`fit` with :data:`~.config.CIFAR10`'s settings (random crops and flips),
    on ``ctx.device``.  Needs the real dataset: offline, :func:`~snnlib.book.data.load_cifar10`
    raises a ``DataError`` that says how to get it.  Metric ``test_acc``."""
    config = CIFAR10["network"]
    settings = {"epochs": CIFAR10["epochs"], "batch": CIFAR10["batch"], "lr": CIFAR10["lr"], "n_eval": 10_000,
                "n_test": 10_000, "checkpoint_every": 100}
    keys = {"network": dataclasses.asdict(config), "augment": CIFAR10["augment"], **settings}

    def body(exp: Experiment) -> Artifact:
        x, y = load_cifar10("train", as_float=True)
        xt, yt = load_cifar10("test", as_float=True)
        data = ((x - CIFAR_MEAN) / CIFAR_STD, y, (xt - CIFAR_MEAN) / CIFAR_STD, yt)
        torch.manual_seed(0)
        net = SpikingResNet(config)
        return _result(exp, fit(exp, net, data, settings, 0, ctx.device, _crop_flip), config)

    return ctx.experiment("cifar10_resnet19_t4", keys, body)


def run_all(ctx: RunContext) -> None:
    """Every protocol the chapter runs, in its order, with its profile's settings (what the
    launcher, :mod:`snnlib.book.launch`, enumerates and runs one experiment at a time); the
    CIFAR-10 run only in the full profile, last."""
    settings = profile_settings(ctx.profile)
    norm_balance(ctx, settings)
    cifar10_cpu_cost(ctx, settings)
    train_grid(ctx, settings)
    if ctx.profile == "full":
        cifar10_resnet19(ctx)
