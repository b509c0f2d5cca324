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
from snnlib.papers.p003_spiking_gan.config import G_LR_CANDIDATES, LABEL

__all__ = ["refractory", "ttfs_coding", "ttfs_vs_count", "validation_curves", "per_digit",
           "filters", "mask_pilot", "lr_pilot", "sample_grid", "samples", "gan_training"]

T_MAX = tp.S4NN_T_MAX


def refractory(trains: Mapping[int, np.ndarray], steps: int) -> plt.Figure:
    """(a) spike trains per refractory period; (b) simulated rate against eq-003-peak-rate."""
    periods = list(trains)
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10, 2.8), gridspec_kw={"width_ratios": [2, 1]})
    for row, r in enumerate(periods):
        ax_a.eventplot(np.flatnonzero(trains[r]), lineoffsets=row, linelengths=0.7, color="k")
    ax_a.set_yticks(range(len(periods)), [f"τ_ref={r}" for r in periods])
    ax_a.set_xlabel("time step")
    ax_a.set_title("(a) spike trains", fontsize=9)
    r_grid = np.arange(0, 9)
    ax_b.plot(r_grid, if_peak_rate(r_grid), color="grey", lw=1, label="1/(τ_ref+1)")
    ax_b.plot(periods, [trains[r].sum() / steps for r in periods], "o", label="simulated")
    ax_b.set_xlabel("refractory period τ_ref (steps)")
    ax_b.set_ylabel("spikes per step")
    ax_b.set_title("(b) peak rate", fontsize=9)
    ax_b.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def ttfs_coding(digit: Tensor, ttfs_times: Tensor, ttfs_spikes: Tensor, decoded: Tensor) -> plt.Figure:
    """An image, its TTFS spike times, raster and decoded image (paper Fig. 2)."""
    fig, axes = plt.subplots(1, 4, figsize=(11, 2.9), gridspec_kw={"width_ratios": [1, 1.2, 1.4, 1]})
    axes[0].imshow(digit, cmap="gray")
    axes[0].set_title("(a) image", fontsize=9)
    times = ttfs_times.view(28, 28).numpy()
    im = axes[1].imshow(np.ma.masked_where(times >= T_MAX, times), cmap="viridis_r", vmin=0, vmax=T_MAX)
    fig.colorbar(im, ax=axes[1], fraction=0.046, label="spike step")
    axes[1].set_title("(b) spike time per pixel", fontsize=9)
    t, i = np.nonzero(ttfs_spikes.numpy())
    axes[2].scatter(t, i, s=2, color="k", marker="s", linewidths=0)
    axes[2].set_xlim(-5, T_MAX)
    axes[2].set_ylim(784, 0)
    axes[2].set_xlabel("time step")
    axes[2].set_ylabel("pixel")
    axes[2].set_title("(c) TTFS raster", fontsize=9)
    axes[3].imshow(decoded, cmap="gray")
    axes[3].set_title("(d) decoded", fontsize=9)
    for ax in (axes[0], axes[1], axes[3]):
        ax.axis("off")
    fig.tight_layout()
    return fig


def ttfs_vs_count(digit: Tensor, ttfs_times: Tensor, count_spikes: Tensor) -> plt.Figure:
    """Count code against TTFS for the brightest pixel and pixels near grey 128 and 40 (Fig. 3)."""
    flat = digit.flatten()
    examples = [int(torch.nonzero(flat == flat.max())[0]), int(torch.argmin((flat.float() - 128).abs())),
                int(torch.argmin((flat.float() - 40).abs()))]
    fig, axes = plt.subplots(1, 2, figsize=(10, 2.2), sharey=True)
    for row, pixel in enumerate(examples):
        axes[0].eventplot(np.flatnonzero(count_spikes[:, pixel].numpy()), lineoffsets=row,
                          linelengths=0.7, color="k", linewidths=0.6)
        axes[1].eventplot([int(ttfs_times[pixel])], lineoffsets=row, linelengths=0.7, color="C3")
    axes[0].set_yticks(range(3), [f"x = {int(flat[p])}" for p in examples])
    axes[0].set_title("count code: x spikes", fontsize=9)
    axes[1].set_title("TTFS: one spike", fontsize=9)
    for ax in axes:
        ax.set_xlim(-2, T_MAX)
        ax.set_xlabel("time step")
    fig.tight_layout()
    return fig


def validation_curves(classifiers: Mapping[str, Artifact]) -> plt.Figure:
    """Validation (strict) and online training accuracy per epoch of every classifier."""
    fig, ax = plt.subplots(figsize=(6, 3))
    for k, (name, art) in enumerate(classifiers.items()):
        curve = art.arrays["curve"]
        ax.plot(curve[:, 0], curve[:, 2], "o-", color=f"C{k}", ms=3, label=f"{LABEL[name]}: validation")
        ax.plot(curve[:, 0], curve[:, 1], ":", color=f"C{k}", label="online training")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (strict)")
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def per_digit(classifiers: Mapping[str, Artifact], names: Sequence[str], test_labels: Tensor) -> plt.Figure:
    """Mean decision step and spikes to decision per test digit (paper Fig. 6)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3))
    labels_np = test_labels.numpy()
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        arrays = classifiers[name].arrays
        for ax, key in zip(axes, ("test_decision_time", "test_spikes")):
            means = [arrays[key][labels_np == d].astype(float).mean() for d in range(10)]
            ax.bar(np.arange(10) + (k - (len(names) - 1) / 2) * width, means, width, label=LABEL[name])
    axes[0].set_ylabel("decision step")
    axes[1].set_ylabel("spikes to decision")
    for ax, title in zip(axes, ("(a) decision time", "(b) spikes")):
        ax.set_xticks(range(10))
        ax.set_xlabel("digit")
        ax.set_title(title, fontsize=9)
    axes[0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def filters(classifiers: Mapping[str, Artifact], names: Sequence[str]) -> plt.Figure:
    """Fifteen hidden weight vectors of each named classifier (paper Fig. 7)."""
    fig, axes = plt.subplots(len(names), 15, figsize=(12, 0.95 * len(names) + 0.3), squeeze=False)
    for row, name in enumerate(names):
        for col, w in enumerate(classifiers[name].arrays["filters"]):
            axes[row, col].imshow(w.reshape(28, 28), cmap="gray")
            axes[row, col].axis("off")
        axes[row, 0].set_title(LABEL[name], fontsize=8, loc="left")
    fig.tight_layout()
    return fig


def _strip(rows_of_images: Sequence[np.ndarray]) -> np.ndarray:
    """Images ``[n, 784]`` per row, tiled side by side, rows stacked."""
    return np.concatenate([np.concatenate(list(np.asarray(r).reshape(-1, 28, 28)), axis=1)
                           for r in rows_of_images], axis=0)


def mask_pilot(pilot: Artifact) -> plt.Figure:
    """Strict mask against silent pairs: pixels spiking, correlation with the mean digit, samples."""
    fig, axes = plt.subplots(1, 3, figsize=(11, 2.8), gridspec_kw={"width_ratios": [1, 1, 1.6]})
    for key, label in (("strict", "strict mask (S4NN code)"), ("silent_pairs", "silent pairs count")):
        rows = pilot.arrays[key]
        axes[0].plot(rows[:, 0], rows[:, 1], "o-", ms=2, label=label)
        axes[1].plot(rows[:, 0], rows[:, 2], "o-", ms=2, label=label)
    axes[0].set_ylabel("pixels that spike")
    axes[1].set_ylabel("correlation with mean digit")
    for ax in axes[:2]:
        ax.set_xlabel("training step")
    axes[0].legend(fontsize=7, frameon=False)
    axes[2].imshow(_strip([pilot.arrays[k] for k in ("strict_samples", "silent_pairs_samples")]),
                   cmap="gray", vmin=0, vmax=255)
    axes[2].axis("off")
    fig.tight_layout()
    return fig


def lr_pilot(pilot: Artifact) -> plt.Figure:
    """G's learning-rate candidates: pixels spiking, correlation, weights moved, FD, samples."""
    fig, axes = plt.subplots(1, 5, figsize=(14, 2.8), gridspec_kw={"width_ratios": [1, 1, 1, 1, 1.6]})
    for k, lr_g in enumerate(G_LR_CANDIDATES):
        rows = pilot.arrays[f"lr{k}"]
        axes[0].plot(rows[:, 0], rows[:, 1], "o-", ms=2, label=f"{lr_g}")
        axes[1].plot(rows[:, 0], rows[:, 4], "o-", ms=2)
        axes[2].plot(rows[:, 0], rows[:, 6], "-", color=f"C{k}")
        axes[2].plot(rows[:, 0], rows[:, 7], "--", color=f"C{k}")
        axes[3].plot(rows[:, 0], rows[:, 8], "o-", ms=2)
    for ax, label in zip(axes, ("pixels that spike", "mean sample vs mean digit",
                                "weights moved (solid: hidden, dashed: output)", "FD to training images")):
        ax.set_xlabel("training step")
        ax.set_ylabel(label, fontsize=8)
    axes[3].set_yscale("log")
    axes[0].legend(title="G rates", fontsize=7, title_fontsize=7, frameon=False)
    axes[4].imshow(_strip([pilot.arrays[f"lr{k}_samples"] for k in range(len(G_LR_CANDIDATES))]),
                   cmap="gray", vmin=0, vmax=255)
    axes[4].axis("off")
    fig.tight_layout()
    return fig


def sample_grid(store: Mapping[int, Artifact], per_digit: int = 8) -> np.ndarray:
    """``[280, 28 * per_digit]`` tiles: the first stored samples of each digit's generator (one
    row per digit; black where a digit has none)."""
    tiles = np.zeros((10 * 28, per_digit * 28))
    for d, art in store.items():
        for k, image in enumerate(art.arrays["samples"][:per_digit]):
            tiles[28 * d:28 * (d + 1), 28 * k:28 * (k + 1)] = image.reshape(28, 28)
    return tiles


def samples(spiking_gans: Mapping[int, Artifact], ann_gans: Mapping[int, Artifact]) -> plt.Figure:
    """Samples of the ANN GAN (left) and the Spiking-GAN (right), one row per digit (Fig. 8)."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 5.6))
    for ax, store, title in ((axes[0], ann_gans, "(b) ANN GAN"), (axes[1], spiking_gans, "(c) Spiking-GAN")):
        ax.imshow(sample_grid(store), cmap="gray", vmin=0, vmax=255)
        for d in sorted(set(range(10)) - set(store)):  # a missing generator is not a black sample
            ax.text(4 * 28, 28 * d + 14, f"digit {d}: not yet run", color="C1", ha="center",
                    va="center", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig


def gan_training(spiking_gans: Mapping[int, Artifact]) -> plt.Figure:
    """Spiking-GAN training per epoch: D and G shares, FD per digit, digit-0 snapshots."""
    logs = np.stack([art.arrays["log"] for art in spiking_gans.values()])  # [digits, epochs, 6]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.2), gridspec_kw={"width_ratios": [1.2, 1.2, 1]})
    for k, label in enumerate(("D: real called real", "D: generated called fake", "G fools D"), start=1):
        axes[0].plot(logs[0, :, 0], logs[:, :, k].mean(0), "o-", ms=3, label=label)
    axes[0].set_ylabel("share of the epoch's images")
    axes[0].set_ylim(0, 1)
    axes[0].legend(fontsize=7, frameon=False)
    for digit, art in spiking_gans.items():
        axes[1].plot(art.arrays["log"][:, 0], art.arrays["log"][:, 5], lw=1, label=str(digit))
    axes[1].set_yscale("log")
    axes[1].set_ylabel("FD to training images")
    axes[1].legend(fontsize=6, ncol=2, frameon=False, title="digit", title_fontsize=6)
    for ax in axes[:2]:
        ax.set_xlabel("epoch")
    first = spiking_gans[min(spiking_gans)].arrays["snapshots"]  # [epochs, 4, 784]
    shown = [e for e in (1, 5, 10, 20, 30, 40, 50) if e <= len(first)]
    axes[2].imshow(_strip([first[e - 1] for e in shown]), cmap="gray", vmin=0, vmax=255)
    axes[2].set_yticks([28 * r + 14 for r in range(len(shown))], [f"epoch {e}" for e in shown], fontsize=7)
    axes[2].set_xticks([])
    axes[2].set_title(f"digit {min(spiking_gans)}", fontsize=8)
    fig.tight_layout()
    return fig
