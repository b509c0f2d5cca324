"""The figures of chapter 002, each drawn from artifacts (or analysis results) and returned as a
matplotlib Figure.  Styling that is common to the chapter (dpi, spines) is set by the chapter."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from snnlib.book.artifacts import Artifact

from . import network as cn
from .analysis import AlifTrajectory, CompetitionProbe, local_yy, network_name, vote_shares
from .config import row_config
from .experiments import READOUT_KEYS
from .reference import reference_curves

__all__ = ["alif", "clamp", "learning_curves", "search_spread", "stdp_windows", "strength", "votes", "weight_mosaic",
           "winner_and_loser", "xy_mosaic", "yy_histograms", "yy_pairs"]


READOUT_LABELS = {"all": "all-neuron voting", "patch": "patch voting", "preselect": "preselection",
                  "best_voting": "best voting", "linear": "linear"}
"""How the figures name the readouts of :data:`.experiments.READOUT_KEYS`."""


def alif(trajectory: AlifTrajectory):
    """Voltage and threshold of an adaptive LIF neuron (paper Fig. 3)."""
    fig, ax = plt.subplots(figsize=(9, 2.6))
    ax.plot(trajectory.voltage, lw=1, label="voltage $v$")
    ax.plot(trajectory.threshold, lw=1.5, label="threshold $\\theta_0 + \\theta$")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("mV")
    ax.legend(fontsize=9, frameon=False, loc="lower left", ncol=2, bbox_to_anchor=(0, 1))
    fig.tight_layout()
    return fig


def stdp_windows(delta_t, window, anti):
    """The XY STDP and the anti-STDP pair windows side by side (paper Fig. 4)."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 2.6))
    for ax, w, title in zip(axes, (window, anti), ("(a) STDP (XY)", "(b) anti-STDP (YY)")):
        ax.axhline(0, color="grey", lw=0.6)
        ax.axvline(0, color="grey", lw=0.6)
        ax.plot(delta_t[delta_t != 0], w[delta_t != 0], ".", ms=3)
        ax.set_xlabel("$t_{post} - t_{pre}$ (ms)")
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("$\\Delta w$")
    fig.tight_layout()
    return fig


def xy_mosaic(w_xy, config: cn.CompetitionNetConfig, gap: int = 1) -> np.ndarray:
    """[L, K, C] weights -> one image: a block per location, inside it a tile per channel."""
    L, C, k, side = config.num_locations, config.channels, config.kernel, config.side
    cols = math.ceil(math.sqrt(C))
    rows = math.ceil(C / cols)
    tile = k + gap
    block_h, block_w = rows * tile + 2 * gap, cols * tile + 2 * gap
    image = np.full((side * block_h, side * block_w), np.nan)
    w = np.asarray(w_xy).reshape(L, k, k, C)
    for loc in range(L):
        bi, bj = divmod(loc, side)
        for c in range(C):
            ti, tj = divmod(c, cols)
            top, left = bi * block_h + ti * tile, bj * block_w + tj * tile
            image[top:top + k, left:left + k] = w[loc, :, :, c]
    return image


def weight_mosaic(art: Artifact, row: int):
    """XY weights of replica 0 of Table 2 row ``row`` before and after training (paper Fig. 5)."""
    config = row_config(row)
    fig, axes = plt.subplots(1, 2, figsize=(10, 6.4), gridspec_kw={"width_ratios": [1, 2]})
    network = f"row {row}, {config.channels} channels, kernel {config.kernel}"
    for ax, key, title in zip(axes, ("w_xy_init", "w_xy"), ("(a) before training", f"(b) after training ({network})")):
        ax.imshow(xy_mosaic(art.arrays[key], config), cmap="hot_r", interpolation="nearest")
        ax.set_title(title, fontsize=11)
        ax.axis("off")
    fig.tight_layout()
    return fig


def votes(vote_array: np.ndarray):
    """Vote shares per class and neuron, and each neuron's ranked shares (paper Fig. 6)."""
    share, ranked = vote_shares(vote_array)
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [3, 1]})
    im = ax_a.imshow(share, aspect="auto", cmap="viridis", interpolation="nearest")
    ax_a.set_xlabel("Y neuron")
    ax_a.set_ylabel("class")
    ax_a.set_title("(a) vote share", fontsize=10)
    fig.colorbar(im, ax=ax_a, fraction=0.03)
    ax_b.errorbar(np.arange(1, 11), ranked.mean(1), yerr=ranked.std(1), fmt="o-", ms=3, capsize=2)
    ax_b.set_xlabel("rank of class")
    ax_b.set_ylabel("vote share")
    ax_b.set_title("(b) ranked votes", fontsize=10)
    fig.tight_layout()
    return fig


def learning_curves(runs: Mapping[str, Artifact], panels: Mapping[int, Sequence[tuple[str, str]]]):
    """Best-voting and linear accuracy during training, mean ± sd over replicas, one panel per
    Table 2 row of ``panels`` (``{row: [(experiment name, curve subset), ...]}``, see
    :func:`.analysis.curve_panels`; paper Fig. 7): solid, scored on a fixed random subset of the
    calibration and test images; dotted, on their first images; grey, the reference repository's
    own curve of the same architecture (:func:`.reference.reference_curves`), where it has one."""
    fig, axes = plt.subplots(1, len(panels), figsize=(10, 3.6), squeeze=False, sharey=True)
    reference = {panel["row"]: panel["readouts"] for panel in reference_curves()["panels"].values()}
    for ax, (row, curves), letter in zip(axes[0], sorted(panels.items()), "abcdefgh"):
        for name, subset in curves:
            its, acc = runs[name].arrays["curve_iterations"], runs[name].arrays["curve_accuracy"]
            for color, key in (("C0", "best_voting"), ("C1", "linear")):
                values = acc[:, :, READOUT_KEYS.index(key)]
                ax.errorbar(its, values.mean(1), yerr=values.std(1, ddof=1) if values.shape[1] > 1 else None,
                            color=color, ls="-" if subset == "random" else ":", capsize=2, ms=2.5, fmt="o",
                            lw=1)
        if row in reference:
            curves_ref = reference[row]
            voting = np.max([curves_ref[r]["accuracy"] for r in ("patch_voting", "all_voting", "spikes_first")
                             if r in curves_ref], axis=0)
            its = np.asarray(curves_ref["lc"]["iterations"])
            keep = its <= 5000
            ax.plot(its[keep], voting[keep], color="0.45", lw=1, ls="--")
            ax.plot(its[keep], np.asarray(curves_ref["lc"]["accuracy"])[keep], color="0.25", lw=1, ls="--")
        ax.set_title(f"({letter}) row {row}: {network_name(row).removesuffix(' (learned YY)')}", fontsize=10)
        ax.set_xlabel("training iterations")
    axes[0][0].set_ylabel("accuracy")
    handles = [Line2D([], [], color="C0", marker="o", ms=3, label="ours: best voting"),
               Line2D([], [], color="C1", marker="o", ms=3, label="ours: linear"),
               Line2D([], [], color="k", ls="-", label="random subset"),
               Line2D([], [], color="k", ls=":", label="first images (earlier runs)"),
               Line2D([], [], color="0.45", ls="--", label="reference: best voting"),
               Line2D([], [], color="0.25", ls="--", label="reference: linear")]
    fig.legend(handles=handles, fontsize=8, frameon=False, loc="upper center", ncol=3)
    fig.tight_layout(rect=(0, 0, 1, 0.84))
    return fig


def search_spread(scores: Sequence[float], replicas: Sequence[float], paper: float):
    """The stored voting scores of the authors' learned-competition search (histogram), our
    replicas of the same configuration (ticks) and the paper's Table 2 number (line), in %."""
    fig, ax = plt.subplots(figsize=(8, 2.6))
    ax.hist(100 * np.asarray(scores), bins=30, color="0.7", label=f"reference: {len(scores)} stored networks")
    for i, value in enumerate(replicas):
        ax.axvline(100 * value, color="C0", lw=1.5, label="ours: replicas" if i == 0 else None)
    ax.axvline(paper, color="C3", ls="--", lw=1.5, label=f"paper Table 2: {paper:g}")
    ax.set_xlabel("best voting accuracy (%)")
    ax.set_ylabel("networks")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    fig.tight_layout()
    return fig


def winner_and_loser(probe: CompetitionProbe):
    """Voltage of a neuron that lost the competition and of the winner (paper Fig. 8), each with
    its own firing threshold ``theta_0 + theta`` (dashed; theta is the trained network's, fixed
    while learning is off) and the base threshold ``theta_0`` (dotted)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
    for ax, neuron, title in zip(axes, (probe.loser, probe.winner), ("(a) loser", "(b) winner")):
        if neuron is not None:
            threshold = float(probe.threshold[neuron])
            ax.plot(probe.voltage[:, neuron].numpy(), lw=0.8, label="voltage $v$")
            ax.axhline(threshold, color="C3", ls="--", lw=1, label="its threshold $\\theta_0 + \\theta$")
            title += f": threshold {threshold:.1f} mV"
        ax.axhline(probe.config.neuron.thresh, color="grey", ls=":", lw=0.8,
                   label=f"base threshold $\\theta_0$ = {probe.config.neuron.thresh:g} mV")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("time (ms)")
    axes[0].set_ylabel("voltage (mV)")
    fig.legend(*axes[0].get_legend_handles_labels(), fontsize=9, frameon=False, loc="upper center", ncol=3)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    return fig


def strength(trained):
    """XY weights with weak and strong fixed competition (paper Fig. 9); ``trained`` is
    ``{c_w: (config, artifact)}``."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    for ax, (c_w, (cfg, art)), title in zip(axes, trained.items(), ("(a) weak", "(b) strong")):
        ax.imshow(xy_mosaic(art.arrays["w_xy"], cfg), cmap="hot_r", interpolation="nearest")
        ax.set_title(f"{title}: $c_w$ = {c_w:g}", fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    return fig


def yy_histograms(learned):
    """Distributions of the learned competition weights per anti-STDP setting (paper Fig. 10), one
    network each, with its best-voting and linear accuracy."""
    cols = min(len(learned), 2)
    rows = math.ceil(len(learned) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10, 2.9 * rows), sharey=True, squeeze=False)
    for ax, (label, (cfg, art)), panel in zip(axes.flat, learned.items(), "abcdefgh"):
        ax.hist(local_yy(art.arrays, cfg), bins=40, color="C0")
        ax.set_title(f"({panel}) {label}: best voting {100 * art.metrics['best_voting_mean']:.1f} %, "
                     f"linear {100 * art.metrics['linear_mean']:.1f} %", fontsize=10)
        ax.set_xlabel("YY weight")
    for ax in axes.flat[len(learned):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("synapses")
    fig.tight_layout()
    return fig


def yy_pairs(config: cn.CompetitionNetConfig, art: Artifact):
    """The central location's XY features and the symmetrised competition strength between its
    channels (paper Fig. 11)."""
    loc_idx = (cn.neuron_locations(config) == config.num_locations // 2).numpy()
    w_loc = np.asarray(art.arrays["w_yy"])[np.ix_(loc_idx, loc_idx)]
    sym = 0.5 * (w_loc + w_loc.T)
    np.fill_diagonal(sym, np.nan)
    one_location = np.asarray(art.arrays["w_xy"])[config.num_locations // 2][None]
    single = config.replace(arch="fc", input_size=config.kernel, kernel=config.kernel)
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(9, 4))
    ax_a.imshow(xy_mosaic(one_location, single), cmap="hot_r", interpolation="nearest")
    ax_a.set_title(f"(a) XY features (channels 0–{config.channels - 1}, row by row)", fontsize=10)
    ax_a.axis("off")
    im = ax_b.imshow(sym, cmap="Blues_r", interpolation="nearest")
    ax_b.set_xlabel("channel")
    ax_b.set_ylabel("channel")
    ax_b.set_title("(b) competition strength $\\frac{1}{2}(W_{ij} + W_{ji})$", fontsize=10)
    fig.colorbar(im, ax=ax_b, fraction=0.046)
    fig.tight_layout()
    return fig


def clamp(results: Mapping[int, Artifact], clamped):
    """Accuracy of the row-4 networks unclamped and with each clamp (paper Fig. 13)."""
    labels = ["unclamped"] + list(clamped)
    arts = [results[4]] + list(clamped.values())
    fig, ax = plt.subplots(figsize=(8, 3))
    x = np.arange(len(labels))
    for j, key in enumerate(("best_voting", "linear")):
        ax.bar(x + (j - 0.5) * 0.35, [a.metrics[f"{key}_mean"] for a in arts], width=0.35,
               label=READOUT_LABELS[key])
    ax.set_xticks(x, ["unclamped"] + [f"clamped to {bounds}" for bounds in clamped])
    ax.set_ylabel("accuracy")
    ax.set_ylim(0.5, 1.0)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
