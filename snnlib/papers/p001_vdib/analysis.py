"""Summaries of chapter 001's artifacts (no training): accuracy per setting over trials."""

from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from snnlib.book.artifacts import Artifact
from snnlib.book.tables import markdown_table, mean_sd

__all__ = ["SettingSummary", "summarise_predictive", "predictive_table", "paired_differences", "predictive_text"]


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
