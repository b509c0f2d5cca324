"""The figures of chapter 003; each function draws one figure from arrays or artifacts and
returns the matplotlib Figure (captions and labels stay in the chapter)."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor

from snnlib.book.artifacts import Artifact
from snnlib.core import temporal as tp
from snnlib.papers.p003_spiking_gan.analysis import if_peak_rate
from snnlib.papers.p003_spiking_gan.config import FIX_PILOT_COLUMNS, G_LR_CANDIDATES, LABEL

__all__ = ["refractory", "ttfs_coding", "ttfs_vs_count", "validation_curves", "per_digit",
           "filters", "mask_pilot", "lr_pilot", "sample_grid", "samples", "fixed_gans", "gan_training"]

T_MAX = tp.S4NN_T_MAX


def refractory(trains: Mapping[int, np.ndarray], steps: int) -> plt.Figure:
    """(a) spike trains per refractory period; (b) simulated rate against eq-003-peak-rate."""
    periods = list(trains)
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10, 3.2), gridspec_kw={"width_ratios": [2, 1]})
    for row, r in enumerate(periods):
        ax_a.eventplot(np.flatnonzero(trains[r]), lineoffsets=row, linelengths=0.7, color="k")
    ax_a.set_yticks(range(len(periods)), [f"τ_ref={r}" for r in periods])
    ax_a.set_xlabel("time step")
    ax_a.set_title("(a) spike trains", fontsize=12)
    r_grid = np.arange(0, 9)
    ax_b.plot(r_grid, if_peak_rate(r_grid), color="grey", lw=1, label="1/(τ_ref+1)")
    ax_b.plot(periods, [trains[r].sum() / steps for r in periods], "o", label="simulated")
    ax_b.set_xlabel("refractory period τ_ref (steps)")
    ax_b.set_ylabel("spikes per step")
    ax_b.set_title("(b) peak rate", fontsize=12)
    ax_b.legend(fontsize=10, frameon=False)
    fig.tight_layout()
    return fig


def ttfs_coding(digit: Tensor, ttfs_times: Tensor, ttfs_spikes: Tensor, decoded: Tensor) -> plt.Figure:
    """An image, its TTFS spike times, raster and decoded image (paper Fig. 2)."""
    fig, axes = plt.subplots(1, 4, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1, 1.25, 1.3, 1]})
    axes[0].imshow(digit, cmap="gray")
    axes[0].set_title("(a) image", fontsize=12)
    times = ttfs_times.view(28, 28).numpy()
    im = axes[1].imshow(np.ma.masked_where(times >= T_MAX, times), cmap="viridis_r", vmin=0, vmax=T_MAX)
    fig.colorbar(im, ax=axes[1], fraction=0.046, label="spike step")
    axes[1].set_title("(b) spike time per pixel", fontsize=12)
    t, i = np.nonzero(ttfs_spikes.numpy())
    axes[2].scatter(t, i, s=2, color="k", marker="s", linewidths=0)
    axes[2].set_xlim(-5, T_MAX)
    axes[2].set_ylim(784, 0)
    axes[2].set_xlabel("time step")
    axes[2].set_ylabel("pixel")
    axes[2].set_title("(c) TTFS raster", fontsize=12)
    axes[3].imshow(decoded, cmap="gray")
    axes[3].set_title("(d) decoded", fontsize=12)
    for ax in (axes[0], axes[1], axes[3]):
        ax.axis("off")
    fig.tight_layout()
    return fig


def ttfs_vs_count(digit: Tensor, ttfs_times: Tensor, count_spikes: Tensor) -> plt.Figure:
    """Count code against TTFS for the brightest pixel and pixels near grey 128 and 40 (Fig. 3)."""
    flat = digit.flatten()
    examples = [int(torch.nonzero(flat == flat.max())[0]), int(torch.argmin((flat.float() - 128).abs())),
                int(torch.argmin((flat.float() - 40).abs()))]
    fig, axes = plt.subplots(1, 2, figsize=(10, 2.6), sharey=True)
    for row, pixel in enumerate(examples):
        axes[0].eventplot(np.flatnonzero(count_spikes[:, pixel].numpy()), lineoffsets=row,
                          linelengths=0.7, color="k", linewidths=0.6)
        axes[1].eventplot([int(ttfs_times[pixel])], lineoffsets=row, linelengths=0.7, color="C3")
    axes[0].set_yticks(range(3), [f"x = {int(flat[p])}" for p in examples])
    axes[0].set_title("(a) count code: x spikes", fontsize=12)
    axes[1].set_title("(b) TTFS: one spike", fontsize=12)
    for ax in axes:
        ax.set_xlim(-2, T_MAX)
        ax.set_xlabel("time step")
    fig.tight_layout()
    return fig


def validation_curves(classifiers: Mapping[str, Artifact]) -> plt.Figure:
    """Validation (strict) and online training accuracy per epoch of every classifier."""
    fig, ax = plt.subplots(figsize=(9, 4.4))
    for k, (name, art) in enumerate(classifiers.items()):
        curve = art.arrays["curve"]
        ax.plot(curve[:, 0], curve[:, 2], "o-", color=f"C{k}", ms=3, label=LABEL[name])
        ax.plot(curve[:, 0], curve[:, 1], ":", color=f"C{k}")
    ax.plot([], [], "o-", color="grey", ms=3, label="validation")
    ax.plot([], [], ":", color="grey", label="online training")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_ylabel("accuracy (strict)")
    ax.legend(fontsize=10, frameon=False, loc="lower right")
    fig.tight_layout()
    return fig


def per_digit(classifiers: Mapping[str, Artifact], names: Sequence[str], test_labels: Tensor) -> plt.Figure:
    """Mean decision step and spikes to decision per test digit (paper Fig. 6)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    labels_np = test_labels.numpy()
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        arrays = classifiers[name].arrays
        for ax, key in zip(axes, ("test_decision_time", "test_spikes")):
            means = [arrays[key][labels_np == d].astype(float).mean() for d in range(10)]
            ax.bar(np.arange(10) + (k - (len(names) - 1) / 2) * width, means, width, label=LABEL[name])
    axes[0].set_ylabel("mean decision step")
    axes[1].set_ylabel("mean spikes to decision")
    for ax, title in zip(axes, ("(a) decision time", "(b) spikes")):
        ax.set_xticks(range(10))
        ax.set_xlabel("digit")
        ax.set_title(title, fontsize=12)
    axes[0].legend(fontsize=10, frameon=False)
    fig.tight_layout()
    return fig


def filters(classifiers: Mapping[str, Artifact], names: Sequence[str]) -> plt.Figure:
    """The fifteen stored hidden weight vectors of each named classifier, 3 x 5 per network,
    one panel per network (paper Fig. 7)."""
    fig = plt.figure(figsize=(10, 3.7))
    outer = fig.add_gridspec(1, len(names), wspace=0.08, left=0.01, right=0.99, bottom=0.01, top=0.9)
    for panel, name in enumerate(names):
        vectors = classifiers[name].arrays["filters"]
        inner = outer[panel].subgridspec(3, 5, wspace=0.06, hspace=0.06)
        for k, w in enumerate(vectors[:15]):
            ax = fig.add_subplot(inner[k // 5, k % 5])
            ax.imshow(w.reshape(28, 28), cmap="gray")
            ax.axis("off")
            if k == 2:
                ax.set_title(f"({'abcdefgh'[panel]}) {LABEL[name]}", fontsize=12)
    return fig


def _strip(rows_of_images: Sequence[np.ndarray]) -> np.ndarray:
    """Images ``[n, 784]`` per row, tiled side by side, rows stacked."""
    return np.concatenate([np.concatenate(list(np.asarray(r).reshape(-1, 28, 28)), axis=1)
                           for r in rows_of_images], axis=0)


def _sample_rows(ax: plt.Axes, rows_of_images: Sequence[np.ndarray], labels: Sequence[str]) -> None:
    """Rows of samples in one axes, each row labelled on the left."""
    ax.imshow(_strip(rows_of_images), cmap="gray", vmin=0, vmax=255)
    ax.set_yticks([28 * r + 14 for r in range(len(labels))], labels, fontsize=11)
    ax.set_xticks([])
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)


def mask_pilot(pilot: Artifact) -> plt.Figure:
    """Strict mask against silent pairs: (a) pixels spiking, (b) correlation with the mean
    digit, (c) the final samples of each (one row per mask)."""
    fig = plt.figure(figsize=(10, 5.6))
    grid = fig.add_gridspec(2, 2, height_ratios=[1.4, 1], hspace=0.55, wspace=0.3)
    ax_a, ax_b, ax_c = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])
    labels = {"strict": "strict mask (S4NN code)", "silent_pairs": "silent pairs counted"}
    for key, label in labels.items():
        rows = pilot.arrays[key]
        ax_a.plot(rows[:, 0], rows[:, 1], "o-", ms=2, label=label)
        ax_b.plot(rows[:, 0], rows[:, 2], "o-", ms=2, label=label)
    ax_a.set_ylabel("share of pixels that spike")
    ax_b.set_ylabel("correlation with mean digit")
    for ax, title in ((ax_a, "(a) pixels that spike"), (ax_b, "(b) mean sample vs mean digit")):
        ax.set_xlabel("training step")
        ax.set_title(title, fontsize=12)
    ax_a.legend(fontsize=10, frameon=False, loc="lower left")
    _sample_rows(ax_c, [pilot.arrays[f"{k}_samples"] for k in labels], list(labels.values()))
    ax_c.set_title("(c) samples at the end of the pilot", fontsize=12)
    return fig


def lr_pilot(pilot: Artifact) -> plt.Figure:
    """G's learning-rate candidates: (a) pixels spiking, (b) correlation with the mean digit,
    (c) weights moved, (d) FD to the training images, (e) final samples per candidate."""
    fig = plt.figure(figsize=(10, 9.6))
    grid = fig.add_gridspec(3, 2, height_ratios=[1, 1, 0.95], hspace=0.5, wspace=0.28)
    axes = [fig.add_subplot(grid[r, c]) for r in range(2) for c in range(2)]
    names = [f"G rates {lr_g[0]:g}, {lr_g[1]:g}" for lr_g in G_LR_CANDIDATES]
    for k, name in enumerate(names):
        rows = pilot.arrays[f"lr{k}"]
        axes[0].plot(rows[:, 0], rows[:, 1], "o-", ms=2, color=f"C{k}")
        axes[1].plot(rows[:, 0], rows[:, 4], "o-", ms=2, color=f"C{k}")
        axes[2].plot(rows[:, 0], rows[:, 6], "-", color=f"C{k}")
        axes[2].plot(rows[:, 0], rows[:, 7], "--", color=f"C{k}")
        axes[3].plot(rows[:, 0], rows[:, 8], "o-", ms=2, color=f"C{k}", label=name)
    titles = ("(a) pixels that spike", "(b) mean sample vs mean digit", "(c) G's weights moved",
              "(d) Fréchet distance to training images")
    ylabels = ("share of pixels", "correlation", "relative change (solid: hidden,\ndashed: output)", "FD (log scale)")
    for ax, title, label in zip(axes, titles, ylabels):
        ax.set_xlabel("training step")
        ax.set_ylabel(label)
        ax.set_title(title, fontsize=12)
    axes[3].set_yscale("log")
    axes[3].legend(fontsize=10, frameon=False, loc="lower left")
    ax_e = fig.add_subplot(grid[2, :])
    _sample_rows(ax_e, [pilot.arrays[f"lr{k}_samples"] for k in range(len(G_LR_CANDIDATES))], names)
    ax_e.set_title("(e) samples at the end of the pilot", fontsize=12)
    return fig


def sample_grid(store: Mapping[int, Artifact], per_digit: int = 8, key: str = "samples") -> np.ndarray:
    """``[280, 28 * per_digit]`` tiles: the first stored samples (array ``key``) of each digit's
    generator (one row per digit; black where a digit has none)."""
    tiles = np.zeros((10 * 28, per_digit * 28))
    for d, art in store.items():
        for k, image in enumerate(art.arrays[key][:per_digit]):
            tiles[28 * d:28 * (d + 1), 28 * k:28 * (k + 1)] = image.reshape(28, 28)
    return tiles


def _sample_panel(ax: plt.Axes, store: Mapping[int, Artifact], title: str, prefix: str = "") -> None:
    """One panel of :func:`samples`: the samples (array ``<prefix>samples``) of each digit with the
    share read as the digit (metric ``<prefix>target_acc``) on the right."""
    ax.imshow(sample_grid(store, key=f"{prefix}samples"), cmap="gray", vmin=0, vmax=255)
    ax.set_yticks([28 * d + 14 for d in range(10)], [str(d) for d in range(10)], fontsize=12)
    ax.set_ylabel("digit")
    ax.set_xticks([])
    ax.tick_params(length=0)
    for side in ax.spines:
        ax.spines[side].set_visible(False)
    for d in range(10):
        if d in store:
            share = store[d].metrics[f"{prefix}target_acc"]
            ax.text(8 * 28 + 4, 28 * d + 14, f"{100 * share:.0f} %", va="center", fontsize=11,
                    color="k" if share >= 0.5 else "C3")
        else:  # a missing generator is not a black sample
            ax.text(4 * 28, 28 * d + 14, f"digit {d}: not yet run", color="C1", ha="center",
                    va="center", fontsize=11)
    ax.text(8 * 28 + 4, -6, "read as\nthe digit", fontsize=10, va="bottom")
    ax.set_title(title, fontsize=12)


def samples(spiking_gans: Mapping[int, Artifact], ann_gans: Mapping[int, Artifact]) -> plt.Figure:
    """Samples of (a) the ANN GAN and (b) the Spiking-GAN, one row per digit, labelled with the
    digit on the left and, on the right, the share of the generator's samples that the digit
    classifier reads as that digit (paper Fig. 8)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 6.2))
    _sample_panel(axes[0], ann_gans, "(a) ANN GAN")
    _sample_panel(axes[1], spiking_gans, "(b) Spiking-GAN")
    fig.tight_layout()
    return fig


def fixed_gans(fixed: Mapping[int, Artifact]) -> plt.Figure:
    """The Spiking-GANs trained with the chosen fix: samples (a) at the last epoch and (b) at the
    best-FD epoch, as :func:`samples`; per epoch and digit, (c) the Fréchet distance to the training
    images and (d) the share of G's output pixels that spike (the best epoch marked)."""
    fig = plt.figure(figsize=(10, 9.6))
    grid = fig.add_gridspec(2, 2, height_ratios=[1.6, 1], hspace=0.25, wspace=0.3)
    _sample_panel(fig.add_subplot(grid[0, 0]), fixed, "(a) last epoch")
    _sample_panel(fig.add_subplot(grid[0, 1]), fixed, "(b) best-FD epoch", prefix="best_")
    ax_c, ax_d = fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
    for digit, art in sorted(fixed.items()):
        log, best = art.arrays["log"], int(art.metrics["best_epoch"])
        for ax, column in ((ax_c, FIX_PILOT_COLUMNS.index("Fréchet distance to training images")),
                           (ax_d, FIX_PILOT_COLUMNS.index("pixels that spike"))):
            line, = ax.plot(log[:, 0], log[:, column], lw=1, label=str(digit))
            ax.plot(best, log[best - 1, column], "o", ms=4, color=line.get_color())
    ax_c.set(yscale="log", ylabel="FD to training images (log)", title="(c) Fréchet distance")
    ax_d.set(ylim=(0, 1), ylabel="share of pixels that spike", title="(d) G's output activity")
    ax_d.legend(fontsize=9, ncol=2, frameon=False, title="digit", title_fontsize=9)
    for ax in (ax_c, ax_d):
        ax.set_xlabel("epoch")
    return fig


def gan_training(spiking_gans: Mapping[int, Artifact]) -> plt.Figure:
    """Spiking-GAN training per epoch: (a) D and G shares (mean over the digits), (b) FD per
    digit, (c) snapshots of the first digit's samples at several epochs."""
    logs = np.stack([art.arrays["log"] for art in spiking_gans.values()])  # [digits, epochs, 6]
    fig = plt.figure(figsize=(10, 8.4))
    grid = fig.add_gridspec(2, 2, height_ratios=[1, 1.05], hspace=0.75, wspace=0.3)
    ax_a, ax_b, ax_c = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])
    for k, label in enumerate(("D: real called real", "D: generated called fake", "G fools D"), start=1):
        ax_a.plot(logs[0, :, 0], logs[:, :, k].mean(0), "o-", ms=3, label=label)
    ax_a.set_ylabel("share of the epoch's images")
    ax_a.set_ylim(0, 1)
    ax_a.legend(fontsize=10, frameon=False)
    ax_a.set_title(f"(a) D and G, mean over {len(spiking_gans)} digits", fontsize=12)
    for digit, art in spiking_gans.items():
        ax_b.plot(art.arrays["log"][:, 0], art.arrays["log"][:, 5], lw=1, label=str(digit))
    ax_b.set_yscale("log")
    ax_b.set_ylabel("FD to training images (log)")
    ax_b.legend(fontsize=10, ncol=5, frameon=False, title="digit", title_fontsize=10,
                loc="upper center", bbox_to_anchor=(0.5, -0.2), columnspacing=1.0, handlelength=1.2)
    ax_b.set_title("(b) Fréchet distance, per digit", fontsize=12)
    for ax in (ax_a, ax_b):
        ax.set_xlabel("epoch")
    digit = min(spiking_gans)
    first = spiking_gans[digit].arrays["snapshots"]  # [epochs, 4, 784]
    shown = [e for e in (1, 5, 10, 20, 30, 40, 50) if e <= len(first)]
    tiles = np.concatenate([np.concatenate(list(first[e - 1].reshape(-1, 28, 28)), axis=0) for e in shown], axis=1)
    ax_c.imshow(tiles, cmap="gray", vmin=0, vmax=255)
    ax_c.set_xticks([28 * c + 14 for c in range(len(shown))], [str(e) for e in shown], fontsize=11)
    ax_c.set_xlabel("after epoch")
    ax_c.set_yticks([])
    ax_c.tick_params(length=0)
    for side in ax_c.spines:
        ax_c.spines[side].set_visible(False)
    ax_c.set_title(f"(c) digit {digit}: four samples of fixed noise, by epoch", fontsize=12)
    return fig
