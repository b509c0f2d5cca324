"""The figures of chapter 004; each function draws one figure from artifacts and returns the
matplotlib Figure (captions stay in the chapter)."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from snnlib.book.artifacts import Artifact
from snnlib.papers.p004_tdbn.analysis import CellSummary
from snnlib.papers.p004_tdbn.config import NORM_LABELS
from snnlib.papers.p004_tdbn.experiments import HIST_EDGES
from snnlib.papers.p004_tdbn.models import NORMS

__all__ = ["COLORS", "norm_balance", "grid_accuracy", "trained_balance"]

COLORS = {"none": "tab:gray", "bn": "tab:orange", "tdbn": "tab:blue"}


def norm_balance(art: Artifact) -> plt.Figure:
    """At initialisation: (a) the input current over :math:`V_{th}` of every spiking layer of the
    deepest network (median and 10-90 % band of its histogram's quantiles shown as mean ± sd),
    (b) the firing rate per layer, (c) the gradient norm per weight layer for every depth and
    normalisation (log scale), (d) the histogram of the last spiking layer's current."""
    depths = art.metrics["depths"]
    deepest = max(depths)
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    for norm in NORMS:
        key, color = f"d{deepest}_{norm}", COLORS[norm]
        mean, sd = art.arrays[f"{key}_current_mean"], art.arrays[f"{key}_current_sd"]
        layers = np.arange(1, len(mean) + 1)
        axes[0].plot(layers, mean, color=color, label=NORM_LABELS[norm])
        axes[0].fill_between(layers, mean - sd, mean + sd, color=color, alpha=0.15)
        axes[1].plot(layers, art.arrays[f"{key}_rate"], color=color)
        for depth in depths:
            g = art.arrays[f"d{depth}_{norm}_grad_norm"]
            axes[2].plot(np.arange(1, len(g) + 1), g, color=color, alpha=0.35 + 0.65 * depth / deepest,
                         lw=0.8 + depth / deepest)
        centres = 0.5 * (HIST_EDGES[1:] + HIST_EDGES[:-1])
        axes[3].plot(centres, art.arrays[f"{key}_hist"][-1], color=color)
    axes[0].axhline(1.0, color="k", ls=":", lw=0.8)
    axes[0].set(xlabel="spiking layer", ylabel="input current / $V_{th}$ (mean ± sd)",
                title=f"(a) currents, depth {deepest}")
    axes[0].legend(frameon=False, fontsize=9)
    axes[1].set(xlabel="spiking layer", ylabel="spikes per neuron and step", title=f"(b) firing, depth {deepest}")
    axes[2].set(xlabel="weight layer (stem = 1)", ylabel="‖∂L/∂W‖", yscale="log",
                title=f"(c) gradients, depths {', '.join(map(str, depths))}")
    axes[3].axvline(1.0, color="k", ls=":", lw=0.8)
    axes[3].set(xlabel="input current / $V_{th}$", ylabel="share", title="(d) last spiking layer")
    fig.tight_layout()
    return fig


def grid_accuracy(summary: Mapping[tuple[int, str], CellSummary], runs: Mapping[tuple[int, str, int], Artifact],
                  depths: Sequence[int]) -> plt.Figure:
    """(a) Test accuracy against depth per normalisation (mean ± sd over seeds, seeds as dots);
    (b) test accuracy on the per-epoch subset over training for the deepest network."""
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.6))
    for norm in NORMS:
        have = [d for d in depths if (d, norm) in summary]
        if have:
            mean = [summary[(d, norm)].mean for d in have]
            sd = [summary[(d, norm)].sd or 0.0 for d in have]
            axes[0].errorbar(have, mean, sd, color=COLORS[norm], marker="o", capsize=3, label=NORM_LABELS[norm])
        for (d, n, _), art in runs.items():
            if n == norm:
                axes[0].plot(d, 100 * art.metrics["test_acc"], ".", color=COLORS[norm], alpha=0.4)
                if d == max(depths):
                    log = art.arrays["log"]
                    axes[1].plot(log[:, 0], 100 * log[:, 3], color=COLORS[norm], alpha=0.8)
    axes[0].set(xlabel="depth (weight layers)", ylabel="test accuracy (%)", xticks=list(depths),
                title="(a) accuracy after training")
    axes[0].legend(frameon=False, fontsize=9)
    axes[1].set(xlabel="epoch", ylabel="test accuracy (%, per-epoch subset)",
                title=f"(b) training, depth {max(depths)}")
    axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return fig


def trained_balance(runs: Mapping[tuple[int, str, int], Artifact], depth: int, seed: int = 0) -> plt.Figure:
    """For the ``depth`` network of ``seed``: gradient norm per weight layer and firing rate per
    spiking layer at initialisation (dashed) and after training (solid), per normalisation."""
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.4))
    for norm in NORMS:
        art = runs.get((depth, norm, seed))
        if art is None:
            continue
        for when, style in (("init", "--"), ("final", "-")):
            g = art.arrays[f"{when}_grad_norm"]
            axes[0].plot(np.arange(1, len(g) + 1), g, style, color=COLORS[norm],
                         label=f"{NORM_LABELS[norm]}, {'start' if when == 'init' else 'end'}")
            r = art.arrays[f"{when}_rate"]
            axes[1].plot(np.arange(1, len(r) + 1), r, style, color=COLORS[norm])
    axes[0].set(xlabel="weight layer (stem = 1)", ylabel="‖∂L/∂W‖", yscale="log", title="(a) gradients")
    axes[1].set(xlabel="spiking layer", ylabel="spikes per neuron and step", title="(b) firing")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False, fontsize=9)
    fig.suptitle(f"depth {depth}, seed {seed}: start (dashed) and end (solid) of training", fontsize=11)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return fig
