"""The figures of chapter 001; each function draws one figure from artifacts and returns the
matplotlib Figure (captions stay in the chapter)."""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np

from snnlib.book.artifacts import Artifact
from snnlib.papers.p001_vdib.analysis import summarise_predictive
from snnlib.papers.p001_vdib.blobs import n_pair_classes

__all__ = ["COLORS", "LABELS", "predictive_coding", "blob_raster", "readout_filters", "mnist_curves",
           "reconstruction_grid", "dvs_examples", "code_embedding"]

COLORS = {"vdib": "tab:blue", "rate": "tab:orange"}
LABELS = {"vdib": "VDIB (window)", "rate": "rate decoding"}


def predictive_coding(pc: Mapping[str, Artifact]) -> plt.Figure:
    """(a) Test accuracy (each trial's best, mean ± sd over trials) against the prediction horizon
    at beta 1; (b) against beta at horizon 0; (c) the test accuracy over training at horizon 0,
    beta 1 (one line per trial); (d) the readout's spike rate against beta.  Chance: 1/210."""
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.5))
    chance = 100 / n_pair_classes(20)
    for decoding, art in pc.items():
        s, color = summarise_predictive(art), COLORS[decoding]
        hs = sorted(h for h, b in s if b == 1.0)
        axes[0].errorbar(hs, [s[(h, 1.0)].best for h in hs], [s[(h, 1.0)].best_sd for h in hs], color=color,
                         marker="o", capsize=3, label=LABELS[decoding])
        bs = sorted(b for h, b in s if h == 0)
        axes[1].errorbar(bs, [s[(0, b)].best for b in bs], [s[(0, b)].best_sd for b in bs], color=color,
                         marker="o", capsize=3)
        axes[3].plot(bs, [s[(0, b)].rate for b in bs], color=color, marker="o")
        a = art.arrays
        cols = np.flatnonzero((a["horizon"] == 0) & (a["beta"] == 1.0))
        for i, c in enumerate(cols):
            axes[2].plot(a["test_sequences"], 100 * a["test_acc"][:, c], color=color, alpha=0.6,
                         label=LABELS[decoding] if i == 0 else None)
    for ax in axes[:3]:
        ax.axhline(chance, color="gray", lw=0.8, ls=":")
        ax.set_ylabel("test accuracy (%)")
    axes[0].set(xlabel=r"prediction horizon $\delta$ (steps)", title=r"(a) horizon, $\beta = 1$")
    axes[1].set(xlabel=r"$\beta$", xscale="log", title=r"(b) $\beta$, $\delta = 0$")
    axes[2].set(xlabel="training sequences", title=r"(c) training, $\delta = 0$, $\beta = 1$")
    axes[3].axhline(0.2, color="gray", lw=0.8, ls=":")
    axes[3].set(xlabel=r"$\beta$", xscale="log", ylabel="spikes per neuron and step",
                title="(d) readout rate (prior 0.2)")
    axes[0].legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def blob_raster(inputs: np.ndarray, spikes: np.ndarray) -> plt.Figure:
    """A stretch of the drifting-blob input ``[T, 20]`` above the readout's spikes ``[T, 10]``."""
    fig, axes = plt.subplots(2, 1, figsize=(10, 3.6), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    for ax, data, label in ((axes[0], inputs, "input neuron"), (axes[1], spikes, "readout neuron")):
        t, i = np.nonzero(data)
        ax.scatter(t, i, s=6, color="black", marker="|")
        ax.set_ylabel(label)
        ax.set_ylim(-0.5, data.shape[1] - 0.5)
    axes[1].set_xlabel("time step")
    fig.tight_layout()
    return fig


def readout_filters(art: Artifact, stream: int, basis: np.ndarray) -> plt.Figure:
    r"""The trained feed-forward kernels of one stream's readout neurons: for neuron :math:`i`, the
    image over input neuron :math:`j` and lag :math:`d` of :math:`\sum_k W_{ijk}\,\phi_k(d)`
    (``basis`` ``[K, L]``), on a colour scale shared by the neurons."""
    kernels = np.einsum("ijk,kd->ijd", art.arrays["encoder_ff"][stream], basis)
    n = kernels.shape[0]
    fig, axes = plt.subplots(1, n, figsize=(1.45 * n, 3.2), sharey=True)
    fig.subplots_adjust(bottom=0.18, left=0.06, right=0.93, wspace=0.15)
    vmax = np.abs(kernels).max()
    for i, ax in enumerate(axes):
        im = ax.imshow(kernels[i], aspect="auto", cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(f"readout {i}", fontsize=9)
        ax.set_xlabel("lag $d$")
    axes[0].set_ylabel("input neuron $j$")
    fig.colorbar(im, ax=axes, fraction=0.02, pad=0.01)
    return fig


def mnist_curves(runs: Mapping[tuple[str, str, str], Artifact]) -> plt.Figure:
    """Section 6.2: the classifier's accuracy on the reconstructions of each test during training,
    one panel per input code, one line per decoder and decoding (VDIB solid, rate decoding dashed)."""
    encodings = list(dict.fromkeys(e for e, _, _ in runs))
    fig, axes = plt.subplots(1, len(encodings), figsize=(5.2 * len(encodings), 3.4), sharey=True, squeeze=False)
    decoders = list(dict.fromkeys(d for _, d, _ in runs))
    shades = dict(zip(decoders, ("tab:green", "tab:purple", "tab:blue")))
    for ax, enc in zip(axes[0], encodings):
        for (e, dec, decoding), art in runs.items():
            if e == enc:
                ax.plot(art.arrays["test_examples"], 100 * art.arrays["test_acc"], color=shades[dec],
                        ls="-" if decoding == "vdib" else "--", label=f"{dec}, {LABELS[decoding]}")
        ax.axhline(10, color="gray", lw=0.8, ls=":")
        ax.set(xlabel="training examples", title=f"{enc} code")
    axes[0, 0].set_ylabel("classifier accuracy (%)")
    fig.tight_layout()
    handles, labels = axes[0, -1].get_legend_handles_labels()  # below the panels: six lines would hide data
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False, fontsize=8)
    return fig


def reconstruction_grid(runs: Mapping[tuple[str, str, str], Artifact], n: int = 10) -> plt.Figure:
    """The first ``n`` test images (top row) and their reconstructions after training, one row per
    run (labelled by code, decoder and decoding)."""
    keys = list(runs)
    first = runs[keys[0]].arrays["shown_targets"][:n]
    rows = [("test image", first)] + [(f"{e}, {d}, {LABELS[k]}", runs[(e, d, k)].arrays["shown_recon"][:n])
                                      for e, d, k in keys]
    fig, axes = plt.subplots(len(rows), n, figsize=(0.85 * n + 2.2, 0.85 * len(rows)), squeeze=False)
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(images[c].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.subplots_adjust(left=0.22, right=0.99, top=0.99, bottom=0.01, wspace=0.05, hspace=0.05)
    return fig


def dvs_examples(runs: Mapping[str, Artifact], side: int = 26) -> plt.Figure:
    """Section 6.3 (the paper's Fig. 3): for the shown test examples, the input events summed over
    time and polarity, the class template the decoder is to produce, and the reconstructions after
    VDIB and rate-decoding training (``runs`` by decoding)."""
    first = next(iter(runs.values())).arrays
    counts = first["shown_input_counts"].reshape(-1, 2, side, side).sum(1).transpose(0, 2, 1)  # [n, y, x]
    rows = [("input events", counts, "magma")] + [("target", first["shown_targets"].reshape(-1, 28, 28), "gray_r")]
    rows += [(LABELS[k], art.arrays["shown_recon"].reshape(-1, 28, 28), "gray_r") for k, art in runs.items()]
    n = counts.shape[0]
    fig, axes = plt.subplots(len(rows), n, figsize=(0.9 * n + 1.8, 0.95 * len(rows)), squeeze=False)
    for r, (label, images, cmap) in enumerate(rows):
        for c in range(n):
            axes[r, c].imshow(images[c], cmap=cmap, vmin=0, vmax=None if r == 0 else 1)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.subplots_adjust(left=0.17, right=0.99, top=0.99, bottom=0.01, wspace=0.05, hspace=0.08)
    return fig


def code_embedding(runs: Mapping[str, Artifact], seed: int = 0) -> plt.Figure:
    """A t-SNE map (scikit-learn) of the readout codes of random test examples, one panel per
    decoding, coloured by digit: for VDIB the whole spike window (what its decoder reads), for rate
    decoding the spike counts."""
    from sklearn.manifold import TSNE

    fig, axes = plt.subplots(1, len(runs), figsize=(4.6 * len(runs), 4.2), squeeze=False)
    for ax, (decoding, art) in zip(axes[0], runs.items()):
        codes = art.arrays["code_spikes"].astype(np.float32)
        features = codes.sum(1) if decoding == "rate" else codes.reshape(len(codes), -1)
        xy = TSNE(2, init="pca", perplexity=30, random_state=seed).fit_transform(features)
        points = ax.scatter(xy[:, 0], xy[:, 1], c=art.arrays["code_labels"], cmap="tab10", vmin=-0.5, vmax=9.5, s=8)
        ax.set(title=LABELS[decoding], xticks=[], yticks=[])
    fig.colorbar(points, ax=axes[0].tolist(), ticks=range(10), fraction=0.03, label="digit")
    return fig
