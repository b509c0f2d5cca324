"""Summaries of chapter 001's artifacts (no training): accuracy per setting over trials, and the
reconstruction runs of section 6.2."""

from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from snnlib.book.artifacts import Artifact
from snnlib.book.tables import count, markdown_table, mean_sd

__all__ = ["SettingSummary", "summarise_predictive", "predictive_table", "paired_differences", "predictive_text",
           "baseline_table", "mnist_table", "mnist_text", "batch_check_table", "code_separability", "dvs_text"]


class SettingSummary(NamedTuple):
    """One setting's test accuracy over trials, in %: ``best`` (each trial's best test, the
    authors' protocol: chosen on the test sequences themselves), ``last`` (the final test), as
    mean and sd over ``n`` trials; and the readout's final spike rate per step (mean)."""

    best: float
    best_sd: float
    last: float
    last_sd: float
    rate: float
    n: int


def _sd(values: np.ndarray) -> float:
    """Sample standard deviation (0 for a single value)."""
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def summarise_predictive(art: Artifact) -> dict[tuple[int, float], SettingSummary]:
    """:class:`SettingSummary` of every ``(horizon, beta)`` of a ``pc_<decoding>`` artifact."""
    a = art.arrays
    out = {}
    for h, b in dict.fromkeys(zip(a["horizon"].tolist(), a["beta"].tolist())):
        cols = (a["horizon"] == h) & (a["beta"] == b)
        best, last = 100 * a["test_acc"][:, cols].max(0), 100 * a["test_acc"][-1, cols]
        out[(int(h), float(b))] = SettingSummary(float(best.mean()), _sd(best), float(last.mean()), _sd(last),
                                                 float(a["test_rate"][-1, cols].mean()), int(cols.sum()))
    return out


def predictive_table(pc: Mapping[str, Artifact | None], *, caption: str | None = None, label: str | None = None) -> str:
    """Setting by decoding: best and final test accuracy (mean ± sd over trials), "not run" where
    an artifact is missing; the rows are the settings of whichever artifact exists."""
    summaries = {d: summarise_predictive(a) for d, a in pc.items() if a is not None}
    settings = list(dict.fromkeys(k for s in summaries.values() for k in s))
    rows = []
    for h, b in settings:
        row = [str(h), f"{b:g}"]
        for decoding in ("vdib", "rate"):
            cell = summaries.get(decoding, {}).get((h, b))
            row += [None, None] if cell is None else [mean_sd(cell.best, cell.best_sd, 1, "%"),
                                                      mean_sd(cell.last, cell.last_sd, 1, "%")]
        rows.append(row)
    return markdown_table(["horizon δ", "β", "VDIB best", "VDIB last", "rate best", "rate last"], rows, "rrrrrr",
                          caption=caption, label=label)


def paired_differences(pc: Mapping[str, Artifact]) -> dict[tuple[int, float], tuple[float, float, int]]:
    """VDIB minus rate decoding per setting, trial by trial (the two share each trial's data and
    initial readout weights): mean and sd of the difference of best test accuracies (points), n."""
    v, r = pc["vdib"].arrays, pc["rate"].arrays
    out = {}
    for h, b in dict.fromkeys(zip(v["horizon"].tolist(), v["beta"].tolist())):
        cv = (v["horizon"] == h) & (v["beta"] == b)
        cr = (r["horizon"] == h) & (r["beta"] == b)
        if cv.sum() != cr.sum() or not np.array_equal(v["trial"][cv], r["trial"][cr]):
            continue
        diff = 100 * (v["test_acc"][:, cv].max(0) - r["test_acc"][:, cr].max(0))
        out[(int(h), float(b))] = (float(diff.mean()), _sd(diff), len(diff))
    return out


def predictive_text(pc: Mapping[str, Artifact]) -> list[str]:
    """The section's findings in numbers, one sentence each: VDIB against rate decoding for every
    setting (paired over trials; "clear" when the mean difference exceeds twice its standard error),
    with both readouts' spike rates on the last test, then how accuracy falls with the horizon."""
    v, r = summarise_predictive(pc["vdib"]), summarise_predictive(pc["rate"])
    lines = []
    for (h, b), (m, sd, n) in paired_differences(pc).items():
        se = sd / np.sqrt(n) if n > 1 else float("inf")
        verdict = ("VDIB ahead" if m > 0 else "rate decoding ahead") if abs(m) > 2 * se else "no clear difference"
        lines.append(f"δ = {h}, β = {b:g}: VDIB {v[(h, b)].best:.1f} %, rate decoding {r[(h, b)].best:.1f} % "
                     f"(best test, mean of {n} trials); paired difference {m:+.1f} ± {sd:.1f} points: {verdict}. "
                     f"Readout spikes per neuron and step: {v[(h, b)].rate:.3f} (VDIB), {r[(h, b)].rate:.3f} (rate).")
    hs = sorted(h for h, b in v if b == 1.0)
    if len(hs) > 1:
        lines.append(f"From δ = {hs[0]} to δ = {hs[-1]} (β = 1) VDIB falls from {v[(hs[0], 1.0)].best:.1f} % to "
                     f"{v[(hs[-1], 1.0)].best:.1f} %, rate decoding from {r[(hs[0], 1.0)].best:.1f} % to "
                     f"{r[(hs[-1], 1.0)].best:.1f} % (chance {100 / 210:.2f} %).")
    return lines


def baseline_table(pc: Mapping[str, Artifact | None], ablation: Mapping[str, Artifact | None], *,
                   caption: str | None = None, label: str | None = None) -> str:
    """Horizon and decoding by rule at beta 1: best test accuracy and the readout's last spike rate
    with the authors' rule (no baseline) and with SNNSGD's baseline (``pc_<decoding>_baseline``);
    one row per horizon and decoding that has either run, a run still missing shown as "not run"."""
    horizons = sorted({h for a in ablation.values() if a is not None for h in a.arrays["horizon"].tolist()})
    names = {"vdib": "VDIB", "rate": "rate"}
    rows = []
    for h in horizons:
        for d in ("vdib", "rate"):
            arts = (pc.get(d), ablation.get(d))
            if all(a is None for a in arts):
                continue
            row = [str(h), names[d]]
            for art in arts:
                cell = None if art is None else summarise_predictive(art).get((h, 1.0))
                row += [None, None] if cell is None else [mean_sd(cell.best, cell.best_sd, 1, "%"), f"{cell.rate:.3f}"]
            rows.append(row)
    return markdown_table(["δ", "decoding", "no baseline", "spikes", "with baseline", "spikes"], rows, "rlrrrr",
                          caption=caption, label=label)


MnistRuns = Mapping[tuple[str, str, str], "Artifact | None"]
"""Section 6.2's artifacts by ``(encoding, decoder, decoding)``."""


def mnist_table(runs: MnistRuns, *, caption: str | None = None, label: str | None = None) -> str:
    """Encoding and decoder by decoding: the training images, and the classifier's accuracy on the
    reconstructions, best test (the authors' protocol) and final test, in %."""
    rows = []
    for enc, dec in dict.fromkeys((e, d) for e, d, _ in runs):
        arts = [runs.get((enc, dec, decoding)) for decoding in ("vdib", "rate")]
        shown = [a for a in arts if a is not None]
        row = [enc, dec, count(shown[0].metrics["examples"]) if shown else None]
        for art in arts:
            row += [None, None] if art is None else [f"{100 * art.metrics['best_acc']:.1f} %",
                                                      f"{100 * art.metrics['final_acc']:.1f} %"]
        rows.append(row)
    return markdown_table(["encoding", "decoder", "images", "VDIB best", "VDIB final", "rate best", "rate final"],
                          rows, "llrrrrr", caption=caption, label=label)


def accuracy_at(art: Artifact, examples: int) -> float:
    """The classifier's accuracy on the reconstructions at the last test taken within the first
    ``examples`` training images of a run."""
    seen = np.asarray(art.arrays["test_examples"])
    return float(np.asarray(art.arrays["test_acc"])[np.flatnonzero(seen < examples)[-1]])


def mnist_text(runs: MnistRuns) -> list[str]:
    """Section 6.2's findings in numbers: VDIB against rate decoding per encoding and decoder (final
    test, and the cross-entropy of the reconstructions; and at the test after as many images as the
    shortest run trained, when lengths differ), then how far training moved the encoder and how
    often its readouts fire."""
    lines = []
    done = [a for a in runs.values() if a is not None]
    common = min((a.metrics["examples"] for a in done), default=0)
    for enc, dec in dict.fromkeys((e, d) for e, d, _ in runs):
        v, r = runs.get((enc, dec, "vdib")), runs.get((enc, dec, "rate"))
        if v is None or r is None:
            continue
        diff = 100 * (v.metrics["final_acc"] - r.metrics["final_acc"])
        line = (f"{enc} code, {dec} decoder: VDIB {100 * v.metrics['final_acc']:.1f} %, rate decoding "
                f"{100 * r.metrics['final_acc']:.1f} % on the final test ({diff:+.1f} points); cross-entropy "
                f"{v.metrics['final_bce']:.3f} against {r.metrics['final_bce']:.3f}")
        if any(a.metrics["examples"] != common for a in done):
            line += (f"; after {count(common)} images {100 * accuracy_at(v, common):.1f} "
                     f"against {100 * accuracy_at(r, common):.1f} %")
        lines.append(line + ".")
    if done:
        change = np.array([a.arrays["encoder_change"] for a in done])
        rate = np.array([a.arrays["test_rate"][-1] for a in done])
        lines.append(f"Training moved the readout weights by {100 * change[:, 2].min():.2g}-"
                     f"{100 * change[:, 2].max():.2g} % of their initial norm, the hidden weights by "
                     f"{100 * change[:, 0].min():.2g}-{100 * change[:, 0].max():.2g} %; the readouts fire "
                     f"{rate.min():.2f}-{rate.max():.2f} spikes per neuron and step (prior rate 0.3).")
    return lines


def batch_check_table(checks: Mapping[tuple[bool, int, int], "Artifact | None"], *, caption: str | None = None,
                      label: str | None = None) -> str:
    """By neuron state between images (carried, as the authors, or reset) and batch size, over the
    trials of the short runs keyed ``(reset, batch, trial)``: the final test's accuracy per trial
    and its mean ± sd, the cross-entropy, how far the hidden weights moved (% of their initial
    norm) and the median wall time of a run."""
    rows = []
    for reset, batch in dict.fromkeys((r, b) for r, b, _ in sorted(checks)):
        arts = [a for (r, b, _), a in sorted(checks.items()) if (r, b) == (reset, batch) and a is not None]
        if not arts:
            rows.append(["reset" if reset else "carried", str(batch), None, None, None, None, None])
            continue
        acc = np.array([100 * a.metrics["final_acc"] for a in arts])
        bce = np.array([a.metrics["final_bce"] for a in arts])
        moved = np.array([100 * a.arrays["encoder_change"][0] for a in arts])
        wall = np.median([a.provenance["wall_time_s"] for a in arts])
        rows.append(["reset" if reset else "carried", str(batch), " / ".join(f"{x:.1f}" for x in acc),
                     mean_sd(float(acc.mean()), _sd(acc), 1, "%"), mean_sd(float(bce.mean()), _sd(bce), 3),
                     mean_sd(float(moved.mean()), _sd(moved), 1, "%"), f"{wall:.0f} s"])
    return markdown_table(["state", "batch", "accuracy per trial (%)", "accuracy", "cross-entropy",
                           "hidden weights moved", "wall time"], rows, "lrrrrrr", caption=caption, label=label)


def code_separability(art: Artifact, decoding: str, folds: int = 5) -> float:
    """How well a linear classifier tells the digit from the readout codes of an artifact's random
    test examples: cross-validated accuracy (5 folds, fewer if a class has fewer examples) of a
    logistic regression (scikit-learn) on what the decoder reads (the spike window for VDIB, the
    counts for rate decoding)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    codes = art.arrays["code_spikes"].astype(np.float32)
    features = codes.sum(1) if decoding == "rate" else codes.reshape(len(codes), -1)
    labels = art.arrays["code_labels"]
    folds = max(2, min(folds, int(np.bincount(labels, minlength=10).min())))  # every class in every fold
    model = LogisticRegression(max_iter=2000, C=0.1)
    return float(cross_val_score(model, features, labels, cv=folds).mean())


def dvs_text(runs: Mapping[str, Artifact]) -> list[str]:
    """Section 6.3's findings in numbers: each decoding's best and final test accuracy, its readout
    rate, and how linearly separable its codes are (:func:`code_separability`)."""
    lines = []
    for decoding, art in runs.items():
        m, a = art.metrics, art.arrays
        lines.append(f"{decoding.upper() if decoding == 'vdib' else 'Rate decoding'}: the classifier reads "
                     f"{100 * m['best_acc']:.1f} % of the reconstructions as the right digit at the best test, "
                     f"{100 * m['final_acc']:.1f} % at the last; readouts fire {a['test_rate'][-1]:.2f} spikes per "
                     f"neuron and step; a linear classifier on its codes of {len(a['code_labels'])} test examples: "
                     f"{100 * code_separability(art, decoding):.1f} % (cross-validated).")
    return lines
