"""Numbers and tables of chapter 004 from its artifacts (no training here)."""

from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from snnlib.book.artifacts import Artifact
from snnlib.book.tables import markdown_table, mean_sd
from snnlib.papers.p004_tdbn.config import NORM_LABELS
from snnlib.papers.p004_tdbn.models import NORMS

__all__ = ["CellSummary", "summarise_grid", "grid_table", "grid_conclusions", "PAIRS", "deeper", "paired_differences",
           "paired_table", "depth_table", "paired_findings", "gradient_spread", "balance_text", "PAPER_TABLE", "paper_table"]


class CellSummary(NamedTuple):
    """Test accuracy (%) of one depth and normalisation over its seeds: mean, sd (``None`` for
    one seed), number of seeds, and the worst seed."""

    mean: float
    sd: float | None
    n: int
    worst: float


def summarise_grid(runs: Mapping[tuple[int, str, int], Artifact]) -> dict[tuple[int, str], CellSummary]:
    """:class:`CellSummary` of every ``(depth, norm)`` that has at least one finished seed."""
    cells: dict[tuple[int, str], list[float]] = {}
    for (depth, norm, _), art in sorted(runs.items()):
        cells.setdefault((depth, norm), []).append(100 * art.metrics["test_acc"])
    return {key: CellSummary(float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else None, len(v),
                             float(min(v)))
            for key, v in cells.items()}


def grid_table(summary: Mapping[tuple[int, str], CellSummary], depths, *, caption: str | None = None,
               label: str | None = None) -> str:
    """Depth by normalisation: test accuracy, mean ± sd over seeds (n), "not run" where absent."""
    rows = []
    for depth in depths:
        row = [str(depth)]
        for norm in NORMS:
            cell = summary.get((depth, norm))
            row.append(None if cell is None else f"{mean_sd(cell.mean, cell.sd, 1, '%')} (n = {cell.n})")
        rows.append(row)
    return markdown_table(["depth", *(NORM_LABELS[n] for n in NORMS)], rows, "r" * (1 + len(NORMS)),
                          caption=caption, label=label)


def grid_conclusions(summary: Mapping[tuple[int, str], CellSummary], depths) -> list[str]:
    """One sentence per depth, in numbers: the normalisations ranked by mean test accuracy, the
    gap between the best and each other one, and whether the gap exceeds twice the larger sd (or,
    with one seed in both cells, that there is no spread to judge it by: once per line where every
    cell of the depth has one seed, per gap otherwise)."""
    out = []
    for depth in depths:
        cells = {n: summary[(depth, n)] for n in NORMS if (depth, n) in summary}
        if len(cells) < 2:
            continue
        ranked = sorted(cells, key=lambda n: -cells[n].mean)
        best = ranked[0]
        single = all(c.sd is None for c in cells.values())
        parts = []
        for other in ranked[1:]:
            gap = cells[best].mean - cells[other].mean
            sds = [s for s in (cells[best].sd, cells[other].sd) if s is not None]
            verdict = ("" if single else " (one seed each, no spread to judge it by)" if not sds
                       else " (more than twice the larger sd)" if gap > 2 * max(sds)
                       else " (within twice the larger sd)")
            parts.append(f"{gap:.1f} points above {NORM_LABELS[other]}{verdict}")
        out.append(f"Depth {depth}: {NORM_LABELS[best]} is best at {cells[best].mean:.1f} %, "
                   + "; ".join(parts) + ("; one seed per cell, no spread to judge the gaps by" if single else "") + ".")
    return out


PAIRS = (("tdbn", "none"), ("bn", "none"), ("tdbn", "bn"))
"""The seed-paired comparisons between normalisations of :func:`paired_differences`: each
normalisation against none, and tdBN against per-step BN."""

_SHORT = {"none": "none", "bn": "BN", "tdbn": "tdBN"}


def deeper(norm: str) -> tuple[str, str]:
    """The key of :func:`paired_differences` for ``norm`` against itself one depth shallower."""
    return ("deeper", norm)


def paired_differences(runs: Mapping[tuple[int, str, int], Artifact], depths
                       ) -> dict[tuple[str, str], dict[int, list[tuple[int, float]]]]:
    """Differences of test accuracy (points) between runs of the same seed (same initialisation
    seed and batch order), by comparison and depth, as ``(seed, a - b)`` in seed order over the
    seeds that have both runs: for each pair ``(a, b)`` of :data:`PAIRS` at that depth, and for
    :func:`deeper` of each normalisation, that normalisation at this depth minus at the previous
    one of ``depths``.  Depths with no such seed are left out."""
    acc = {cell: 100 * art.metrics["test_acc"] for cell, art in runs.items()}
    seeds = sorted({seed for _, _, seed in acc})
    out: dict[tuple[str, str], dict[int, list[tuple[int, float]]]] = {}

    def add(key, depth, first, second):
        diffs = [(s, acc[first + (s,)] - acc[second + (s,)]) for s in seeds
                 if first + (s,) in acc and second + (s,) in acc]
        if diffs:
            out.setdefault(key, {})[depth] = diffs

    for i, depth in enumerate(depths):
        for a, b in PAIRS:
            add((a, b), depth, (depth, a), (depth, b))
        for norm in NORMS:
            if i:
                add(deeper(norm), depth, (depth, norm), (depths[i - 1], norm))
    return out


def _signed(points: float) -> str:
    return f"{points:+.1f}".replace("-", "\u2212")  # a minus sign, as wide as the plus


def _seed_cell(pairs, all_seeds) -> str:
    """Signed differences in seed order (with the seed where one is missing); "–" for none."""
    if pairs is None:
        return "–"
    full = [s for s, _ in pairs] == all_seeds
    return ", ".join(_signed(d) if full else f"{_signed(d)} (seed {s})" for s, d in pairs)


def _all_seeds(diffs) -> list[int]:
    return sorted({s for by_depth in diffs.values() for pairs in by_depth.values() for s, _ in pairs})


def paired_table(diffs: Mapping[tuple[str, str], Mapping[int, list[tuple[int, float]]]], depths, *,
                 caption: str | None = None, label: str | None = None) -> str:
    """The :data:`PAIRS` of :func:`paired_differences` as a table: one row per depth, one column
    per pair, each cell the signed differences in seed order."""
    seeds = _all_seeds(diffs)
    rows = [[str(depth), *(_seed_cell(diffs.get(pair, {}).get(depth), seeds) for pair in PAIRS)] for depth in depths]
    return markdown_table(["depth", *(f"{_SHORT[a]} − {_SHORT[b]}" for a, b in PAIRS)], rows, "r" * (1 + len(PAIRS)),
                          caption=caption, label=label)


def depth_table(diffs: Mapping[tuple[str, str], Mapping[int, list[tuple[int, float]]]], depths, *,
                caption: str | None = None, label: str | None = None) -> str:
    """The :func:`deeper` differences of :func:`paired_differences` as a table: one row per step in
    depth, one column per normalisation, each cell the signed differences in seed order."""
    seeds = _all_seeds(diffs)
    rows = [[f"{depths[i - 1]} → {depth}", *(_seed_cell(diffs.get(deeper(n), {}).get(depth), seeds) for n in NORMS)]
            for i, depth in enumerate(depths) if i]
    return markdown_table(["depth", *(NORM_LABELS[n] for n in NORMS)], rows, "r" * (1 + len(NORMS)),
                          caption=caption, label=label)


def _share(pairs) -> str:
    return f"{sum(d > 0 for _, d in pairs)} of {len(pairs)}"


def paired_findings(diffs: Mapping[tuple[str, str], Mapping[int, list[tuple[int, float]]]], depths) -> list[str]:
    """The seed-paired comparisons in counts: how often each normalisation ends above none (with
    the smallest difference), per depth how often tdBN ends above BN, and per step in depth how
    often each normalisation ends above itself one depth shallower."""
    out = []
    for a, b in PAIRS[:2]:
        pairs = [(depth, s, d) for depth, ps in sorted(diffs.get((a, b), {}).items()) for s, d in ps]
        if pairs:
            depth, seed, low = min(pairs, key=lambda x: x[2])
            out.append(f"{NORM_LABELS[a]} ends above no normalisation in {_share([(s, d) for _, s, d in pairs])} "
                       f"seed pairs (smallest difference {_signed(low)} points: depth {depth}, seed {seed}).")
    tdbn_bn = diffs.get(("tdbn", "bn"), {})
    if tdbn_bn:
        out.append("tdBN ends above BN (per step) " + "; ".join(
            f"at depth {depth} in {_share(tdbn_bn[depth])} seeds" for depth in depths if depth in tdbn_bn) + ".")
    for i, depth in enumerate(depths):
        gains = [(n, diffs.get(deeper(n), {}).get(depth)) for n in NORMS]
        gains = [(n, pairs) for n, pairs in gains if pairs]
        if i and gains:
            out.append(f"From depth {depths[i - 1]} to {depth}, accuracy rises in " + ", ".join(
                f"{_share(pairs)} seeds with {NORM_LABELS[n]}" for n, pairs in gains) + ".")
    return out


def gradient_spread(grad_norms: np.ndarray) -> float:
    """How unevenly the loss gradient reaches the weight layers: the ratio of the largest to the
    smallest gradient norm over the layers before the decoder (1: perfectly even)."""
    inner = np.asarray(grad_norms)[:-1]
    return float(inner.max() / inner.min())


def balance_text(art: Artifact) -> str:
    """The norm-balance measurements in numbers, per normalisation: for the shallowest and the
    deepest network, the gradient spread (:func:`gradient_spread`), the range of the layers' firing
    rates and of the sd of their input current over :math:`V_{th}`; and which layers' gradients
    are largest (first or last)."""
    depths = art.metrics["depths"]
    lines = []
    for norm in NORMS:
        parts = []
        for depth in (min(depths), max(depths)):
            a = {k: art.arrays[f"d{depth}_{norm}_{k}"] for k in ("grad_norm", "rate", "current_sd")}
            parts.append(f"depth {depth}: gradient spread {gradient_spread(a['grad_norm']):.1f}, firing rates "
                         f"{a['rate'].min():.2f}-{a['rate'].max():.2f}, current sd "
                         f"{a['current_sd'].min():.2f}-{a['current_sd'].max():.2f} $V_{{th}}$")
        g = art.arrays[f"d{max(depths)}_{norm}_grad_norm"][:-1]
        where = "the last layers" if g[-1] > g[0] else "the first layers"
        lines.append(f"- **{NORM_LABELS[norm]}** — " + "; ".join(parts) + f". Largest gradients at {where}.")
    return ("Gradient spread: the largest over the smallest gradient norm of the weight layers before "
            "the decoder (1 is even).\n\n" + "\n".join(lines))


PAPER_TABLE = [
    ("CIFAR-10", "Sengupta et al. 2019", "ANN-SNN", 2500, 90.53, None),
    ("CIFAR-10", "Hu et al. 2018", "ANN-SNN", 350, 91.32, None),
    ("CIFAR-10", "Rathi et al. 2020", "hybrid training", 200, 91.01, None),
    ("CIFAR-10", "Lee et al. 2020", "spike-based BP", 100, 89.93, None),
    ("CIFAR-10", "Wu et al. 2019", "STBP", 12, 89.49, 90.53),
    ("CIFAR-10", "\"our model\" (Zheng et al. 2021, ResNet-19)", "STBP-tdBN", 4, 91.89, 92.92),
    ("ImageNet", "Sengupta et al. 2019", "ANN-SNN", 2500, 68.86, None),
    ("ImageNet", "Sengupta et al. 2019", "ANN-SNN", 2500, 64.47, None),
    ("ImageNet", "Han, Srinivasan and Roy 2020", "ANN-SNN", 1024, 65.63, None),
    ("ImageNet", "Hu et al. 2018", "ANN-SNN", 768, 71.53, None),
    ("ImageNet", "Rathi et al. 2020", "hybrid training", 250, 65.38, None),
    ("ImageNet", "Rathi et al. 2020", "hybrid training", 250, 61.35, None),
    ("ImageNet", "\"our model\" (Zheng et al. 2021, ResNet-34)", "\"hybrid training\" (sic)", 6, 65.72, 63.72),
]
"""Paper 004's table as printed (dataset, model, method, time steps, accuracy %), beside the
number the original tdBN paper reports where ``../shared/notes/papers.md`` §5.2 confirmed it
(Zheng et al.'s own rows; Wu et al. 2019 as usually quoted); ``None``: not checked here."""


def paper_table() -> str:
    """:data:`PAPER_TABLE` as Markdown (the table directive and its caption stay in the chapter)."""
    rows = [(d, m, t, str(s), f"{a:.2f} %", None if o is None else f"{o:.2f} %") for d, m, t, s, a, o in PAPER_TABLE]
    return markdown_table(["dataset", "model", "training", "steps", "in paper 004", "in the original"],
                          rows, "lllrrr").replace("not run", "—")
