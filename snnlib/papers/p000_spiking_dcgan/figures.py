"""The figures of chapter 000; each function draws one figure from artifacts and returns the
matplotlib Figure (captions stay in the chapter)."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from snnlib.book.artifacts import Artifact
from snnlib.papers.p000_spiking_dcgan.analysis import RUN_LABEL, column, epochs_trained

__all__ = ["snapshot_epochs", "samples_over_training", "pilot_samples", "curves", "losses"]


def snapshot_epochs(art: Artifact) -> list[int]:
    """The epochs the paper shows (0, the middle, the end) within this run."""
    last = len(art.arrays["snapshots"]) - 1
    return sorted({0, last // 2, last})


def _grid(images: np.ndarray, side: int = 4) -> np.ndarray:
    rows = [np.concatenate(list(images[r * side:(r + 1) * side]), axis=1) for r in range(side)]
    return np.concatenate(rows, axis=0)


def samples_over_training(runs: Mapping[str, Artifact], names: Sequence[str]) -> plt.Figure:
    """For each run of ``names`` (rows) the first 16 fixed-noise samples at the epochs of
    :func:`snapshot_epochs` (columns; paper Figs. 2-4)."""
    present = [n for n in names if n in runs]
    epochs = {n: snapshot_epochs(runs[n]) for n in present}
    cols = max(len(e) for e in epochs.values())
    fig, axes = plt.subplots(len(present), cols, figsize=(2.4 * cols, 2.6 * len(present)), squeeze=False)
    for r, name in enumerate(present):
        for c in range(cols):
            ax = axes[r, c]
            ax.axis("off")
            if c < len(epochs[name]):
                e = epochs[name][c]
                ax.imshow(_grid(runs[name].arrays["snapshots"][e]), cmap="gray", vmin=0, vmax=255)
                ax.set_title(f"{RUN_LABEL[name]}\nepoch {e}" if c == 0 else f"epoch {e}", fontsize=10)
    fig.tight_layout()
    return fig


def pilot_samples(pilots: Mapping[str, Artifact], baseline: Artifact | None, epoch: int) -> plt.Figure | None:
    """The first 16 fixed-noise samples after ``epoch`` epochs of the baseline and of each pilot
    that has reached it, side by side (``None`` when none has)."""
    panels = [("baseline", baseline)] + [(RUN_LABEL[n], a) for n, a in pilots.items()]
    panels = [(label, a) for label, a in panels if a is not None and len(a.arrays["snapshots"]) > epoch]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(2.4 * len(panels), 2.7), squeeze=False)
    for ax, (label, art) in zip(axes[0], panels):
        ax.imshow(_grid(art.arrays["snapshots"][epoch]), cmap="gray", vmin=0, vmax=255)
        ax.set_title(label, fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    return fig


def curves(runs: Mapping[str, Artifact], ceiling: float) -> plt.Figure:
    """(a) inception score and (b) Fréchet distance per epoch of every run (paper Figs. 5 and 7),
    with the real test images' IS as a dashed line."""
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, art in runs.items():
        style = "-" if name.startswith("spiking") else "--"
        color = "C0" if "dcgan" not in name else "C2" if "sigmoid" in name or "nonorm" in name else "C1"
        epoch = column(art, "epoch")
        ax_a.plot(epoch, column(art, "IS"), style, color=color, marker="o", ms=3, label=RUN_LABEL[name])
        ax_b.plot(epoch, column(art, "FD"), style, color=color, marker="o", ms=3)
    ax_a.axhline(ceiling, color="grey", ls=":", lw=1)
    ax_a.text(0, ceiling, " real test images", va="bottom", fontsize=9, color="grey")
    ax_a.set(xlabel="epoch", ylabel="inception score (MNIST classifier)", title="(a) inception score")
    ax_b.set(xlabel="epoch", ylabel="Fréchet distance to test images", yscale="log", title="(b) Fréchet distance")
    fig.tight_layout()
    # below both panels, so that it covers no curve
    fig.legend(*ax_a.get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3,
               fontsize=9, frameon=False)
    return fig


def losses(runs: Mapping[str, Artifact], window: int = 50) -> plt.Figure:
    """D's and G's loss per step (running mean over ``window`` steps) of each run, two panels per
    row (paper Fig. 6)."""
    rows = (len(runs) + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(10, 3 * rows), squeeze=False, sharey=True)
    for ax, (name, art) in zip(axes.flat, runs.items()):
        steps = art.arrays["losses"]
        per_epoch = len(steps) / max(epochs_trained(art), 1)
        w = min(window, len(steps))
        for k, who in enumerate(("D", "G")):
            smooth = np.convolve(steps[:, k], np.ones(w) / w, mode="valid")
            ax.plot((np.arange(len(smooth)) + w) / per_epoch, smooth, label=f"{who} loss")
        ax.set(xlabel="epoch", title=RUN_LABEL[name])
        ax.legend(fontsize=9, frameon=False)
    for ax in axes.flat[len(runs):]:
        ax.axis("off")
    for row in axes:
        row[0].set_ylabel("binary cross-entropy")
    fig.tight_layout()
    return fig
