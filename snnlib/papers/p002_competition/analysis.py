"""Numbers derived from chapter 002's artifacts, and the generated text that reports them.

Each ``*_markdown`` / ``*_text`` function returns what the chapter displays; ``runs`` is
``{experiment name: artifact}`` as returned by :func:`.experiments.table2`, and ``results`` is
``{Table 2 row: artifact}`` of the rows' networks or of one variant (:func:`table2_rows`).
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping, NamedTuple, Optional, Sequence

import numpy as np
import torch

from snnlib.book.artifacts import Artifact
from snnlib.book.tables import markdown_table, mean_sd
from snnlib.core import stdp
from snnlib.core.coding import poisson_encode
from snnlib.core.neurons import AdaptiveLIFParams, adaptive_lif_init_state, adaptive_lif_step

from . import network as cn
from .config import VARIANTS, experiment_name, row_config
from .experiments import READOUT_KEYS, MnistSplits, replica_state
from .reference import (ANTI_STDP, ARCH_NAME, PAPER_FIG13_UNCLAMPED, REPO_CLAMPED_SCORES, REPO_COMMIT, REPO_CW50,
                        REPO_FIG10, REPO_LC_REFRACTORY, REPO_STRONG, REPO_STRONG_PRINTED, REPO_UNCLAMPED_5000,
                        REPO_VERY_WEAK_NO_DECAY, TABLE2, architecture_networks, best_stored_fixed,
                        learned_search_scores, reference_curve_at, row_network_scores, stored_network,
                        stored_refractory_counts)

Results = Mapping[int, Artifact]
Runs = Mapping[str, Artifact]

_NAME = re.compile(r"table2_row(\d+)(?:_(.+))?$")


def table2_rows(runs: Runs, variant: str = "") -> dict[int, Artifact]:
    """``{row: artifact}`` of the Table 2 networks (``variant`` empty) or of one variant, from
    :func:`.experiments.table2`'s ``{experiment name: artifact}``."""
    return {row: runs[experiment_name(row, variant)] for row in TABLE2 if experiment_name(row, variant) in runs}


def row_of(name: str) -> int:
    """The Table 2 row of experiment ``name`` (``table2_row<N>`` or ``table2_row<N>_<variant>``)."""
    return int(_NAME.match(name).group(1))


def variants_of(runs: Runs) -> dict[int, dict[str, Artifact]]:
    """``{row: {variant: artifact}}`` of the variants (not the rows' networks) in ``runs``."""
    out: dict[int, dict[str, Artifact]] = {}
    for name, art in runs.items():
        match = _NAME.match(name)
        if match and match.group(2):
            out.setdefault(int(match.group(1)), {})[match.group(2)] = art
    return out


# --------------------------------------------------------------------------- the neuron and the rule


class AlifTrajectory(NamedTuple):
    voltage: list[float]
    threshold: list[float]
    spikes: list[float]


def alif_trajectory(rate_hz: float = 200.0, weight_mv: float = 5.0, duration_ms: int = 250,
                    seed: int = 3) -> AlifTrajectory:
    """One adaptive LIF neuron (:func:`snnlib.core.neurons.adaptive_lif_step`, reference
    parameters) driven by Poisson input at ``rate_hz`` through a ``weight_mv`` synapse: its
    voltage, threshold ``thresh + theta`` and spikes per millisecond."""
    alif = AdaptiveLIFParams()
    gen = torch.Generator().manual_seed(seed)
    drive = poisson_encode(torch.full((1,), rate_hz), duration_ms=duration_ms, generator=gen).float()
    state = adaptive_lif_init_state((1,), (1,), alif)
    out = AlifTrajectory([], [], [])
    for x in drive:
        s, state = adaptive_lif_step(weight_mv * x.view(1, 1), state, alif)
        out.voltage.append(state.v.item())
        out.threshold.append(alif.thresh + state.theta.item())
        out.spikes.append(s.item())
    return out


def stdp_windows(half_width_ms: int = 60):
    """``(delta_t, XY window, anti-STDP window)``: the weight change of one pre/post spike pair
    (:func:`snnlib.core.stdp.post_pre_window`) for the XY rule (``nu = (1e-4, 1e-2)``, both
    traces 20 ms) and the strongest learned competition of the paper's Fig. 10 table."""
    delta_t = torch.arange(-half_width_ms, half_width_ms + 1, dtype=torch.float64)
    window = stdp.post_pre_window(delta_t, nu=(1e-4, 1e-2), tau_pre=20.0, tau_post=20.0)
    strong = ANTI_STDP["strong"]
    anti = stdp.post_pre_window(delta_t, nu=stdp.nu_from_paper_amplitudes(strong.a_plus, strong.a_minus),
                                tau_pre=strong.tau_plus, tau_post=strong.tau_minus)
    return delta_t, window, anti


def parameter_count_text() -> str:
    """Neurons and weights (XY + YY) of every Table 2 network, one line per row."""
    lines = []
    for row in TABLE2:
        config = row_config(row)
        count = cn.parameter_count(config)
        lines.append(f"row {row:2d}: {ARCH_NAME[config.arch]:5s} {config.channels:4d} ch, k {config.kernel:2d}: "
                     f"{config.num_neurons:5d} Y neurons, {count.xy:>9,} XY + {count.yy:>9,} YY = "
                     f"{count.total:>10,} weights")
    return "\n".join(lines)


def parameter_count_markdown() -> str:
    """Neurons and weights (XY + YY) of every Table 2 network as a numbered table."""
    rows = []
    for row in TABLE2:
        config = row_config(row)
        count = cn.parameter_count(config)
        rows.append([row, network_name(row), f"{config.num_neurons:,}", f"{count.xy:,}", f"{count.yy:,}",
                     f"{count.total:,}"])
    return markdown_table(["row", "network", "Y neurons", "XY weights", "YY weights", "all weights"], rows,
                          "rlrrrr", caption="Neurons and weights of the networks of paper Table 2 "
                          "(`network.parameter_count`).", label="tab-002-weights")


# --------------------------------------------------------------------------- Table 2


def network_name(row: int) -> str:
    """E.g. ``"LCSNN 25 ch, k 12 (learned YY)"``."""
    entry = TABLE2[row]
    return (f"{ARCH_NAME[entry.arch]} {entry.channels} ch, k {entry.kernel}"
            + (" (learned YY)" if row == 4 else ""))


def percent(metrics: Mapping[str, Any], readout: str) -> tuple[float, Optional[float]]:
    """Mean and sd over replicas of a readout's accuracy, in %."""
    sd = metrics[f"{readout}_sd"]
    return 100 * metrics[f"{readout}_mean"], None if sd is None else 100 * sd


def _nobreak(cell: Optional[str]) -> Optional[str]:
    """A ``mean ± sd`` cell that a narrow column does not break inside."""
    return None if cell is None else cell.replace(" ", "\u00a0")


def silent_share(metrics: Mapping[str, Any]) -> float:
    """Mean over replicas of the share of test images on which no Y neuron fired, in %."""
    return 100 * float(np.mean([r["n_silent"] / r["n_test"] for r in metrics["per_replica"]]))


def table2_markdown(results: Results) -> str:
    """Our accuracies next to paper Table 2's (mean ± sd, %), with the differences of the means in
    percentage points, as a numbered table."""
    rows = []
    for row, art in sorted(results.items()):
        entry, m = TABLE2[row], art.metrics
        cells = [row, network_name(row)]
        for readout in ("best_voting", "linear"):
            paper = entry.paper_value(readout)
            ours, ours_sd = percent(m, readout)
            cells += [f"{_nobreak(mean_sd(ours, ours_sd))} / {_nobreak(mean_sd(paper.mean, paper.sd))}",
                      f"{ours - paper.mean:+.1f}"]
        rows.append(cells)
    return markdown_table(["row", "network", "best voting (%): ours / paper", "Δ (pp)",
                           "linear (%): ours / paper", "Δ (pp)"], rows, "rlcrcr",
                          caption="Test accuracy of every network of paper Table 2: ours (mean ± sd over our "
                          "replicas) / the paper's (mean ± sd, $N = 5$), and the difference of the means, "
                          "ours − paper, in percentage points.", label="tab-002-table2")


def silent_markdown(results: Results) -> str:
    """Weights and the share of silent test images of each network we ran, as a numbered table."""
    rows = [[row, network_name(row), f"{cn.parameter_count(row_config(row)).total:,}",
             f"{silent_share(art.metrics):.1f}"] for row, art in sorted(results.items())]
    return markdown_table(["row", "network", "weights", "silent test images (%)"], rows, "rlrr",
                          caption="Weights (XY + YY) of each network and the share of test images on which "
                          "none of its Y neurons fired (mean over replicas).", label="tab-002-silent")


class Agreement(NamedTuple):
    difference: float  # ours - paper, percentage points
    tolerance: float  # two of the paper's standard deviations
    verdict: str  # "agrees", "above" or "below"


def agreement(results: Results, row: int, readout: str) -> Agreement:
    """Whether our mean is within two of the paper's standard deviations of the paper's mean (the
    criterion of :func:`agreement_count`)."""
    paper = TABLE2[row].paper_value(readout)
    ours, _ = percent(results[row].metrics, readout)
    tolerance = 2 * paper.sd
    delta = ours - paper.mean
    return Agreement(delta, tolerance, "agrees" if abs(delta) <= tolerance else "above" if delta > 0 else "below")


def agreement_markdown(results: Results) -> str:
    """One bullet per readout: the rows that agree and the differences of those that do not."""
    summary = []
    for readout, name in (("best_voting", "best voting"), ("linear", "linear readout")):
        verdicts = {row: agreement(results, row, readout) for row in sorted(results)}
        agree = [str(row) for row, v in verdicts.items() if v.verdict == "agrees"]
        off = [f"row {row} {v.difference:+.1f}" for row, v in verdicts.items() if v.verdict != "agrees"]
        summary.append(f"* **{name}**: rows {', '.join(agree) or 'none'} agree"
                       + (f"; outside the spread: {', '.join(off)} pp" if off else "") + ".")
    return "\n".join(summary)


def results_text(results: Results) -> str:
    """Each row's mean best-voting and linear accuracy (fractions), and whether both exceed 0.3."""
    return "\n".join(
        f"row {row:2d}: best voting {art.metrics['best_voting_mean']:.2f}, linear {art.metrics['linear_mean']:.2f}, "
        f"chance level 0.10 exceeded: {min(art.metrics['best_voting_mean'], art.metrics['linear_mean']) > 0.3}"
        for row, art in sorted(results.items()))


def claims_checked_markdown(results: Results) -> str:
    """The paper's three conclusions from Table 2, paper versus ours, in percentage points."""

    def ours(row_a, row_b, readout):
        if row_a not in results or row_b not in results:
            return None
        return 100 * (results[row_a].metrics[f"{readout}_mean"] - results[row_b].metrics[f"{readout}_mean"])

    checks = [("LC beats C at a similar weight count (row 3 − row 7)", 3, 7),
              ("learned competition beats fixed (row 4 − row 5)", 4, 5)]
    rows = []
    for text, a, b in checks:
        for readout in ("best_voting", "linear"):
            paper = TABLE2[a].paper_value(readout).mean - TABLE2[b].paper_value(readout).mean
            difference = ours(a, b, readout)
            rows.append([text, readout.replace("_", " "), f"{paper:+.1f}",
                         None if difference is None else f"{difference:+.1f}"])
    for row in results:
        gain = 100 * (results[row].metrics["linear_mean"] - results[row].metrics["best_voting_mean"])
        paper_gain = TABLE2[row].linear.mean - TABLE2[row].best_voting.mean
        rows.append([f"linear readout beats voting (row {row})", "linear − voting", f"{paper_gain:+.1f}",
                     f"{gain:+.1f}"])
    return markdown_table(["claim", "readout", "paper (pp)", "ours (pp)"], rows, "llrr",
                          caption="The conclusions the paper draws from paper Table 2: the difference of the "
                          "mean accuracies in percentage points, the paper's and ours.",
                          label="tab-002-claims-checked")


# --------------------------------------------------------------------------- per-row settings and gaps


def settings_markdown() -> str:
    """Each row's network settings (refractory period, mean weight, c_w) and where they come
    from (the reference repository's best stored network of the architecture, or the code's
    defaults where it stores none), as a numbered table."""
    rows, refractory = [], stored_refractory_counts()
    for row in TABLE2:
        config, best = row_config(row), best_stored_fixed(row)
        if row == 4:
            source = f"learned competition: `networks/{REPO_STRONG.directory}…` ({100 * REPO_STRONG.stored_score:.1f})"
        elif best is None:
            source = "code defaults (no stored network of this architecture)"
        else:
            source = (f"`networks/{best.directory}…` ({100 * best.stored_score:.1f}, "
                      f"{best.iterations:,} it.)")
        rows.append([row, network_name(row), f"{config.neuron.refrac:g}", f"{config.mean_weight:g}",
                     f"{config.competition_weight:g}", source])
    return markdown_table(
        ["row", "network", "refractory (ms)", "mean weight", "$c_w$", "source (its stored voting %)"], rows,
        "rlrrrl", caption="The settings of each row's network (`config.row_config`): the reference's paper-era "
        f"refractory period ({refractory.get(5.0, 0)} of the {sum(refractory.values())} stored LCSNNs whose "
        f"pickled network we could read have 5 ms, {refractory.get(2.0, 0)} have 2 ms), and the mean weight and "
        "$c_w$ of the reference repository's best stored network of the architecture (`danielgafni/Bachelor` at "
        f"`{REPO_COMMIT[:8]}`; chosen by its authors on the test set).", label="tab-002-settings")


def _setting(refractory: float, mean_weight: float, competition_weight: float) -> str:
    return f"{refractory:g}, {mean_weight:g}, {competition_weight:.0f}"


def variants_markdown(runs: Runs) -> str:
    """Each row's network next to its paired variants (same seed; the components of a variant's
    name are :data:`.config.VARIANTS`): best voting and linear accuracy, and the variant's
    difference from the row's network, as a numbered table."""
    rows = []
    for row, variants in sorted(variants_of(runs).items()):
        base = runs.get(experiment_name(row))
        config = row_config(row)
        rows.append([row, "row's network", _setting(config.neuron.refrac, config.mean_weight,
                                                    config.competition_weight),
                     None if base is None else mean_sd(*percent(base.metrics, "best_voting")),
                     None if base is None else mean_sd(*percent(base.metrics, "linear")), "", ""])
        for variant, art in sorted(variants.items()):
            net = art.provenance["config"]["net"]
            cells = [row, f"`{variant}`", _setting(net["neuron"][4], net["mean_weight"], net["competition_weight"])]
            cells += [mean_sd(*percent(art.metrics, readout)) for readout in ("best_voting", "linear")]
            cells += [None if base is None else f"{_effect(art, base, readout):+.1f}"
                      for readout in ("best_voting", "linear")]
            rows.append(cells)
    return markdown_table(["row", "run", "ms, $\\bar w$, $c_w$", "voting (%)", "linear (%)", "Δ voting", "Δ linear"],
                          rows, "rllrrrr",
                          caption="Paired comparisons: each row's network and its variants, trained from the same "
                          "seed with one or two settings changed (`refrac2`: refractory 2 ms; `defaults`: the "
                          "code's default mean weight 0.4 and $c_w$ −100; `cw50`: $c_w$ −50): refractory period "
                          "(ms), mean weight and $c_w$; best voting and linear accuracy, mean ± sd over the "
                          "replicas; Δ: the variant minus the row's network, in pp. \"not run\": no artifact yet.",
                          label="tab-002-variants")


def _effect(art: Artifact, base: Artifact, readout: str) -> float:
    return 100 * (art.metrics[f"{readout}_mean"] - base.metrics[f"{readout}_mean"])


def _cell_within(row: int, readout: str, ours: Optional[float]) -> Optional[bool]:
    """Whether ``ours`` (%) lies within two of the paper's standard deviations of its mean."""
    paper = TABLE2[row].paper_value(readout)
    return None if ours is None else abs(ours - paper.mean) <= 2 * paper.sd


def agreement_count(runs: Runs, rows=range(2, 13)) -> tuple[int, int]:
    """``(cells within 2 paper-sd, cells)`` of the rows' networks in ``rows`` (both readouts)."""
    results = table2_rows(runs)
    within = [_cell_within(row, readout, percent(results[row].metrics, readout)[0] if row in results else None)
              for row in rows for readout in ("best_voting", "linear")]
    return sum(bool(w) for w in within), len(within)


def reference_own(row: int, readout: str) -> dict[str, float]:
    """The reference's own numbers (fractions) for Table 2 row ``row``'s ``readout`` at 5 000
    iterations: ``"Fig. 7"``, its learning curve's value (best of its voting readouts for
    ``"best_voting"``), and ``"`<id>`"``, the score stored with the network whose settings the row
    takes (:func:`.reference.row_network_scores`), where the reference has them."""
    own = {}
    curve = (reference_curve_at(row, "lc", 5000) if readout == "linear" else
             max((v for v in (reference_curve_at(row, r, 5000) for r in ("patch_voting", "all_voting", "spikes_first"))
                  if v is not None), default=None))
    if curve is not None:
        own["Fig. 7"] = curve
    stored = row_network_scores(row)
    if stored is not None and stored[readout] is not None:
        own[f"`{stored['id']}`"] = stored[readout]
    return own


def gap_causes(runs: Runs, row: int, readout: str, calibration_replica0: Optional[Artifact] = None
               ) -> list[tuple[str, str, str]]:
    """The measured causes behind a Table 2 cell: ``(cause, evidence, size)`` with ``size`` in
    percentage points (the cause's effect on our number, or for the paper's side the reference's
    own number minus the table's); ``calibration_replica0`` is
    :func:`.experiments.reference_calibration_replica0`'s artifact for rows that predate the
    reference-calibration readout."""
    base, variants = runs.get(experiment_name(row)), variants_of(runs).get(row, {})
    causes = []
    if base is not None:
        for variant, art in sorted(variants.items()):
            if variant == "refrac2":
                causes.append(("refractory 5 ms (paper era) instead of 2 ms", f"paired runs, `{variant}`",
                               f"{-_effect(art, base, readout):+.1f}"))
            elif variant in ("defaults", "defaults_refrac2"):
                what = "stored best mean weight and $c_w$" + (" and 5 ms" if "refrac2" in variant else "")
                causes.append((f"{what} instead of the code's defaults", f"paired runs, `{variant}`",
                               f"{-_effect(art, base, readout):+.1f}"))
            elif variant == "cw50":
                causes.append(("stored best $c_w$ instead of the paper's sentence's −50", f"paired runs, `{variant}`",
                               f"{-_effect(art, base, readout):+.1f}"))
        calibration = "calibration: every calibration image once, not the reference's 5 000 draws with replacement"
        if readout == "linear" and "linear_cal5000_mean" in base.metrics:
            causes.append((calibration, "same networks, `linear_cal5000`",
                           f"{100 * (base.metrics['linear_mean'] - base.metrics['linear_cal5000_mean']):+.1f}"))
        elif readout == "linear" and calibration_replica0 is not None and f"row{row}" in calibration_replica0.metrics:
            m = calibration_replica0.metrics[f"row{row}"]
            causes.append((calibration, "replica 0, `linear_calibration_replica0`",
                           f"{100 * (m['linear'] - m['linear_cal5000']):+.1f}"))
    paper = TABLE2[row].paper_value(readout).mean
    own = reference_own(row, readout)
    for source, value in own.items():
        what = ("its own Fig. 7 data", "reference curve at 5 000 iterations") if source == "Fig. 7" else (
            "the reference's own network of these settings", f"stored network {source} ({row_network_scores(row)['iterations']:,} it.)")
        causes.append((f"the paper's table against {what[0]}", f"{what[1]}: {100 * value:.1f} (table {paper:.1f})",
                       f"{100 * value - paper:+.1f}"))
    if not own and readout == "linear":
        others = {r: 100 * v - TABLE2[r].linear.mean for r in TABLE2 if r != row and TABLE2[r].arch == TABLE2[row].arch
                  for v in reference_own(r, "linear").values()}
        if others:
            causes.append(("the paper's table against the reference's own numbers of the same architecture "
                           "(none stored for this row)", f"rows {', '.join(map(str, sorted(set(others))))}: "
                           f"{min(others.values()):+.1f} to {max(others.values()):+.1f}", "not measured"))
    if row == 4 and readout == "best_voting":
        scores = learned_search_scores()
        causes.append(("the paper's number is the best of the authors' search",
                       f"{len(scores)} stored networks, median {100 * float(np.median(scores)):.1f}, best "
                       f"{100 * scores[-1]:.1f}; same settings retrained {REPO_UNCLAMPED_5000.iterations:,} it.: "
                       f"{100 * REPO_UNCLAMPED_5000.stored_score:.1f}",
                       f"{100 * REPO_UNCLAMPED_5000.stored_score - TABLE2[4].best_voting.mean:+.1f}"))
    return causes


def differences_markdown(runs: Runs, calibration_replica0: Optional[Artifact] = None) -> str:
    """Why our numbers differ: for every cell of rows 2-12 outside 2 paper-sd (or not run), the
    gap and each measured cause with its evidence and size, as a numbered table."""
    results, rows = table2_rows(runs), []
    for row in range(2, 13):
        for readout, label in (("best_voting", "voting"), ("linear", "linear")):
            ours = percent(results[row].metrics, readout)[0] if row in results else None
            if _cell_within(row, readout, ours):
                continue
            gap = None if ours is None else f"{ours - TABLE2[row].paper_value(readout).mean:+.1f}"
            causes = gap_causes(runs, row, readout, calibration_replica0)
            if ours is None:
                earlier = [f"`{variant}`: {100 * art.metrics[f'{readout}_mean']:.1f}"
                           for variant, art in sorted(variants_of(runs).get(row, {}).items())]
                causes.insert(0, ("the row's network has not run yet", "; ".join(earlier), ""))
            causes = causes or [("no cause measured", "", "")]
            for i, (cause, evidence, size) in enumerate(causes):
                rows.append([f"{row} {label}" if i == 0 else "", gap if i == 0 else "", cause, evidence, size])
    within, cells = agreement_count(runs)
    return markdown_table(["cell", "gap (pp)", "cause", "evidence", "size (pp)"], rows, "lrllr",
                          caption=f"Why our numbers differ: the cells of rows 2–12 outside 2 paper-sd ({cells - within} "
                          f"of {cells}), the gap ours − paper, and each cause measured here. Size: the cause's effect on "
                          "our number (paired runs, same seed), or, for the paper's side, the reference's own number "
                          "minus the table's.", label="tab-002-differences")


def row5_markdown() -> str:
    """Why row 5's network takes the stored best c_w and not the paper's sentence's -50."""
    cw50 = stored_network(REPO_CW50)
    near = [n for n in architecture_networks(5) if -150 <= n["c_w"] <= -100 and (n["n_iter"] or 0) >= 4000]
    scores = [100 * n["scores"].get("patch_voting", n["scores"].get("all_voting")) for n in near]
    return (f"Row 5 is, in the paper's words, row 4's configuration with \"fixed competition −50\". The "
            f"reference repository's only such network (`networks/{cw50.directory}…`, mean weight "
            f"{cw50.settings['mean_weight']:g}) stored {100 * cw50.stored_score:.1f} %, while its {len(near)} networks "
            f"of the same architecture with $c_w$ between −100 and −150, trained 4 000 iterations or more, stored {min(scores):.1f}–{max(scores):.1f} %, "
            f"where the paper's {TABLE2[5].best_voting.mean:g} lies. Row 5's network takes the best stored setting "
            "({numref}`tab-002-settings`); the variant `cw50` keeps the sentence's $c_w = -50$.")


def search_spread(row4: Artifact) -> tuple[list[float], list[float], float]:
    """``(stored scores of the authors' learned-competition search, our replicas' best voting,
    the paper's number)`` for :func:`.figures.search_spread`."""
    return (learned_search_scores(), [r["best_voting"] for r in row4.metrics["per_replica"]],
            TABLE2[4].best_voting.mean)


def linear_markdown(runs: Runs, calibration_replica0: Optional[Artifact] = None) -> str:
    """The linear readout of every row: ours, ours calibrated as the reference's default (5 000
    draws with replacement; for rows whose runs predate it, replica 0 re-scored by
    :func:`.experiments.reference_calibration_replica0`), the reference's own paper Fig. 7 value at
    5 000 iterations where it has one, and paper Table 2's, as a numbered table."""
    results, rows = table2_rows(runs), []
    replica0 = calibration_replica0.metrics if calibration_replica0 is not None else {}
    for row in TABLE2:
        m = results[row].metrics if row in results else {}
        if "linear_cal5000_mean" in m:
            cal5000 = mean_sd(*percent(m, "linear_cal5000"))
        elif f"row{row}" in replica0:
            one = replica0[f"row{row}"]
            cal5000 = f"{100 * one['linear_cal5000']:.1f} (replica 0; {100 * one['linear']:.1f} without)"
        else:
            cal5000 = None
        own = [f"{100 * value:.1f} ({source})" for source, value in reference_own(row, "linear").items()]
        rows.append([row, network_name(row), mean_sd(*percent(m, "linear")) if m else None, cal5000,
                     "; ".join(own), mean_sd(TABLE2[row].linear.mean, TABLE2[row].linear.sd)])
    return markdown_table(["row", "network", "ours (%)", "ours, 5 000 draws (%)", "reference's own (%)",
                           "paper Table 2 (%)"], rows, "rlrrrr",
                          caption="The linear readout: ours (fitted on every calibration image once), ours fitted as "
                          "the reference code's default (5 000 draws with replacement from the calibration images), "
                          "the reference's own values (at 5 000 iterations in the raw data of paper Fig. 7, one "
                          "network, `misc/*_SNN-learning-curve.pt`; and the score stored with the network whose "
                          f"settings the row takes, `networks/<id>/score.json`; both at `{REPO_COMMIT[:8]}`), and "
                          "paper Table 2's.", label="tab-002-linear")


def silent_halves_text(runs: Runs) -> str:
    """The share of silent test images in the first and second half of the test set, over the
    runs that record it."""
    first, second = [], []
    for art in runs.values():
        for replica in art.metrics["per_replica"]:
            if "silent_first_half" in replica:
                first.append(replica["silent_first_half"])
                second.append(replica["silent_second_half"])
    if not first:
        return "no run records the silent images per half of the test set yet"
    return (f"silent test images, mean over {len(first)} networks: {100 * np.mean(first):.1f} % in the first half "
            f"of the test set, {100 * np.mean(second):.1f} % in the second")


# --------------------------------------------------------------------------- votes and learning curves


def vote_shares(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(share [10, Y], ranked [10, Y'])``: each neuron's votes normalised to sum 1, and for the
    ``Y'`` neurons that fired, their shares sorted in decreasing order (row 0: top class)."""
    share = votes / np.clip(votes.sum(0, keepdims=True), 1e-12, None)
    ranked = -np.sort(-share[:, votes.sum(0) > 0], axis=0)
    return share, ranked


def votes_text(votes: np.ndarray) -> str:
    _, ranked = vote_shares(votes)
    return (f"{int((votes.sum(0) > 0).sum())} of {votes.shape[1]} neurons fired on the calibration set\n"
            f"mean share of the top class {ranked[0].mean():.2f}, of the second {ranked[1].mean():.2f}")


def plateau_iteration(iterations: np.ndarray, mean: np.ndarray, tolerance: float = 0.02, last: int = 4) -> int:
    """First iteration from which ``mean`` stays within ``tolerance`` of the mean of its last
    ``last`` values (the curve's plateau)."""
    close = np.abs(mean - mean[-last:].mean()) <= tolerance
    first = len(close) - np.argmin(close[::-1]) if not close.all() else 0
    return int(iterations[min(first, len(iterations) - 1)])


def curve_panels(runs: Runs, curves: Mapping[str, str]) -> dict[int, list[tuple[str, str]]]:
    """``{row: [(experiment name, subset), ...]}`` of the learning curves in ``runs`` (``curves``:
    a profile's ``{experiment name: subset}``), the row's network first."""
    panels: dict[int, list[tuple[str, str]]] = {}
    for name in sorted(curves, key=lambda n: (len(n), n)):
        if name in runs:
            panels.setdefault(row_of(name), []).append((name, curves[name]))
    return panels


def plateau_markdown(runs: Runs, panels: Mapping[int, Sequence[tuple[str, str]]]) -> str:
    """Plateau iterations of the best-voting and linear curves of each run with a curve (the
    final point, on the whole calibration and test sets, left out), as a numbered table."""
    rows = []
    for row, curves in sorted(panels.items()):
        for name, subset in curves:
            its = runs[name].arrays["curve_iterations"][:-1]
            acc = runs[name].arrays["curve_accuracy"][:-1]
            rows.append([row, f"`{name}`", subset] + [
                f"{plateau_iteration(its, acc[:, :, READOUT_KEYS.index(key)].mean(1)):,}"
                for key in ("best_voting", "linear")])
    return markdown_table(["row", "run", "test images", "best voting", "linear"], rows, "rllrr",
                          caption="Training iterations after which each learning curve of "
                          "{numref}`fig-002-curves` stays within 2 pp of its plateau.",
                          label="tab-002-plateau")


# --------------------------------------------------------------------------- competition


class CompetitionProbe(NamedTuple):
    """One test image through a trained network with learning off, at the central location."""

    config: cn.CompetitionNetConfig
    counts: torch.Tensor  # [1, Y] spike counts
    voltage: torch.Tensor  # [T, Y] voltages
    at_centre: torch.Tensor  # neuron indices at the central location
    winner: int  # the neuron there that fired most
    loser: Optional[int]  # the silent neuron there with the highest mean voltage (None if all fired)
    threshold: torch.Tensor  # [Y] each neuron's firing threshold theta_0 + theta (mV; fixed, learning off)


def competition_probe(art: Artifact, config: cn.CompetitionNetConfig, data: MnistSplits, seed: int = 1
                      ) -> CompetitionProbe:
    """Show the trained network of ``art`` (replica 0) the first test image."""
    net = replica_state(art.arrays)
    probe = cn.encode_images(data.test[0][:1], config, generator=torch.Generator().manual_seed(seed))
    _, counts, record = cn.simulate(net, probe, config, learning=False)
    centre = config.num_locations // 2
    at_centre = (cn.neuron_locations(config) == centre).nonzero().flatten()
    winner = at_centre[counts[0, at_centre].argmax()].item()
    silent = at_centre[counts[0, at_centre] == 0]
    loser = silent[record.v[:, 0, silent].mean(0).argmax()].item() if len(silent) else None
    threshold = config.neuron.thresh + torch.as_tensor(np.asarray(art.arrays["theta"]))
    return CompetitionProbe(config, counts, record.v[:, 0], at_centre, winner, loser, threshold)


def probe_text(probe: CompetitionProbe) -> str:
    return (f"central location: {int((probe.counts[0, probe.at_centre] > 0).sum())} of {len(probe.at_centre)} "
            f"neurons fired; the winner fired {int(probe.counts[0, probe.winner])} times")


def similarity(w_xy) -> float:
    """Mean over locations of :func:`.network.channel_similarity` (replica 0's weights [L, K, C])."""
    return float(cn.channel_similarity(torch.as_tensor(np.asarray(w_xy))).mean())


def strength_text(strength) -> str:
    return "\n".join(f"c_w = {c_w:6.1f}: best voting {art.metrics['best_voting_mean']:.2f}, "
                     f"linear {art.metrics['linear_mean']:.2f}, feature similarity {similarity(art.arrays['w_xy']):.2f}"
                     for c_w, (_, art) in strength.items())


def strength_markdown(strength, iterations: int) -> str:
    """Feature similarity and accuracy with weak and strong fixed competition (paper Fig. 9)."""
    weak, strong = (strength[c_w][1] for c_w in (-10.0, -100.0))
    sim_weak, sim_strong = similarity(weak.arrays["w_xy"]), similarity(strong.arrays["w_xy"])
    verdict = ("Weak competition leaves the features of a location clearly more alike, as paper "
               "Fig. 9 shows" if sim_weak > sim_strong + 0.05 else
               "Unlike paper Fig. 9, weak competition does not leave the features clearly more alike")
    return (f"After {iterations:,} iterations (one network each): feature similarity "
            f"**{sim_weak:.2f}** with $c_w = -10$ and **{sim_strong:.2f}** with $c_w = -100$ (initial weights: "
            f"{similarity(strong.arrays['w_xy_init']):.2f}). {verdict}. Best voting accuracy "
            f"{100 * weak.metrics['best_voting_mean']:.1f} % vs {100 * strong.metrics['best_voting_mean']:.1f} %, "
            f"linear {100 * weak.metrics['linear_mean']:.1f} % vs {100 * strong.metrics['linear_mean']:.1f} %.")


def local_yy(arrays: Mapping[str, Any], config: cn.CompetitionNetConfig) -> np.ndarray:
    """The learned competition weights between neurons at the same location (replica 0)."""
    mask = cn.competition_mask(config).numpy()
    return np.asarray(arrays["w_yy"])[mask]


def median_yy(config: cn.CompetitionNetConfig, art: Artifact) -> float:
    return float(np.median(local_yy(art.arrays, config)))


def anti_stdp_text(learned) -> str:
    return "\n".join(f"{label:9s}: median YY weight {np.median(local_yy(art.arrays, cfg)):8.1f}, best voting "
                     f"{art.metrics['best_voting_mean']:.2f}, linear {art.metrics['linear_mean']:.2f}"
                     for label, (cfg, art) in learned.items())


def anti_stdp_markdown(learned, iterations: int, results: Mapping[Any, Artifact]) -> str:
    """The paper Fig. 10 settings ordered by the median magnitude of their learned weights, and
    whether that order and the voting accuracy follow the paper's reading; the replica sds of the
    Table 2 rows in ``results`` give the scale of noise."""
    by_strength = sorted(learned.items(), key=lambda item: -median_yy(*item[1]))
    rows = [[label, f"{np.median(local_yy(art.arrays, cfg)):.1f}",
             f"{100 * art.metrics['best_voting_mean']:.1f}", f"{100 * art.metrics['linear_mean']:.1f}"]
            for label, (cfg, art) in by_strength]
    voting = [art.metrics["best_voting_mean"] for _, (cfg, art) in by_strength]
    rising = all(b >= a for a, b in zip(voting, voting[1:]))
    paper_order = [label for label in ANTI_STDP if label in learned]  # the paper's names, weakest first
    ours_order = [label for label, _ in by_strength]
    sds = [100 * art.metrics["best_voting_sd"] for art in results.values() if art.metrics["best_voting_sd"]]
    spread = (" (the best-voting sd over the replicas of each Table 2 run, rows and variants: "
              f"{min(sds):.1f}–{max(sds):.1f} pp)"
              if sds else "")
    return (markdown_table(["setting", "median YY weight", "best voting (%)", "linear (%)"], rows, "lrrr",
                           caption="The four anti-STDP settings of paper Fig. 10 (one network each), ordered "
                           "by the median of their learned competition weights, strongest last.",
                           label="tab-002-anti-stdp") + "\n\n" + (
        "The paper's names say how strong the competition each setting learned was; our runs give the "
        "same order. " if ours_order == paper_order else
        "The paper's names say how strong the competition each setting learned was (weakest first: "
        f"{', '.join(paper_order)}); with the same anti-STDP parameters our networks learned a different "
        f"order ({', '.join(ours_order)}). The printed parameters alone do not fix the paper's networks; "
        "the next section shows what else differed. ") + (
        "Voting accuracy rises with the magnitude of the learned weights, as the paper reports."
        if rising else
        "Voting accuracy does not rise steadily with the magnitude of the learned weights, so our runs "
        "do not bear out the paper's reading of paper Fig. 10.")
        + f" Each setting is one network trained for {iterations:,} iterations; the spread between "
        f"replicas{spread} is the scale on which such differences are noise.")


def repo_fig10_notes_markdown() -> str:
    """How the reference repository's networks behind paper Fig. 10 differ from the paper's
    printed anti-STDP table, from the records of :mod:`.reference` (one bullet per panel)."""
    very_weak, steps = REPO_FIG10["very weak"], row_config(4).time / row_config(4).dt
    decay = very_weak.settings["competition_weight_decay"]
    largest = max(abs(nu) for nu in very_weak.settings["competition_nu"])
    learned, printed = row_config(4), ANTI_STDP["strong"]
    return "\n".join([
        f"* **very weak** (`networks/{very_weak.directory}…`): also a YY *weight decay* of {decay:g}, which "
        f"the code subtracts from every YY weight at every step, so each weight moves {abs(decay):g} towards "
        f"zero per millisecond ({abs(decay) * steps:.3g} per image, while eq. {{eq}}`eq-002-stdp` moves a "
        f"weight by at most about {largest:.1f} per spike pair), with mean weight "
        f"{very_weak.settings['mean_weight']:g} and {very_weak.iterations:,} iterations. The same parameters "
        f"without the decay (`networks/{REPO_VERY_WEAK_NO_DECAY.directory}…`) scored "
        f"{REPO_VERY_WEAK_NO_DECAY.stored_score:.3f} there.",
        f"* **weak** and **medium** (`networks/{REPO_FIG10['weak'].directory}…`, "
        f"`networks/{REPO_FIG10['medium'].directory}…`): trained with an earlier version of the repository's "
        "BindsNET in which the two traces of the Y layer were read the other way round "
        "(`bindsnet/learning/learning.py`; the version is `reference.REPO_EARLY_TRACE_COMMIT`). Each "
        "amplitude then acted with the other time constant; in today's code (and ours) that is the same as "
        "swapping $\\tau_+$ and $\\tau_-$.",
        f"* **strong**: the drawn network (`networks/{REPO_STRONG.directory}…`, {PAPER_FIG13_UNCLAMPED:.3f} in "
        "paper Fig. 13) "
        f"has exactly the parameters of our row 4 ($\\tau$ {learned.competition_tau[0]:g} / "
        f"{learned.competition_tau[1]:g} ms, amplitudes {learned.competition_nu[0]:g} / "
        f"{learned.competition_nu[1]:g}); the printed $\\tau$ values {printed.tau_plus:g} / "
        f"{printed.tau_minus:g} ms and $A_- = {printed.a_minus:g}$ belong to another of its networks "
        f"(`networks/{REPO_STRONG_PRINTED.directory}…`)."])


def repo_fig10_text(trained) -> str:
    return "\n".join(f"{label:9s} (repository settings): median YY weight {np.median(local_yy(art.arrays, cfg)):8.1f}, "
                     f"patch voting {art.metrics['patch_mean']:.2f}, linear {art.metrics['linear_mean']:.2f}"
                     for label, (cfg, art) in trained.items())


def repo_fig10_markdown(trained, results: Results, replicas: int) -> str:
    """Our networks with the repository's Fig. 10 settings next to the scores it stores, and
    whether their learned competition follows the order of the paper's names."""
    rows, medians = [], {}
    for label, (cfg, art) in trained.items():
        medians[label] = np.median(local_yy(art.arrays, cfg))
        rows.append([label, f"`{REPO_FIG10[label].directory}…`", f"{100 * REPO_FIG10[label].stored_score:.1f}",
                     f"{100 * art.metrics['patch_mean']:.1f}", f"{medians[label]:.1f}"])
    if 4 in results:
        medians["strong"] = np.median(local_yy(results[4].arrays, row_config(4)))
        rows.append(["strong", f"`{REPO_STRONG.directory}…`", f"{100 * REPO_STRONG.stored_score:.1f}",
                     f"{100 * results[4].metrics['patch_mean']:.1f} (row 4, mean of {replicas})",
                     f"{medians['strong']:.1f} (replica 0)"])
    order = sorted(medians, key=lambda label: -medians[label])  # weakest competition first
    names = [label for label in ANTI_STDP if label in medians]  # the paper's names, weakest first
    return (markdown_table(["setting", "repository network", "its patch voting (%)", "ours, same settings (%)",
                            "ours: median YY weight"], rows, "llrrr",
                           caption="The reference repository's networks behind the panels of paper Fig. 10: the "
                           "patch-voting accuracy it stores for each (10 000 test images) and ours, trained "
                           "with the same settings (one network each).", label="tab-002-repo-fig10") + "\n\n" + (
        "With the repository's settings our networks learn competition in the order of the paper's names "
        f"({', '.join(order)}), so the different order above comes from settings the printed table leaves "
        "out, not from our simulation." if order == names else
        f"Even with the repository's settings our networks order their learned competition differently "
        f"({', '.join(order)}) from the paper's names, so something else in the reference runs differs from ours."))


def clamp_text(results: Results, clamped) -> str:
    lines = []
    if 4 in results:
        lines.append(f"learned competition, unclamped: best voting {results[4].metrics['best_voting_mean']:.2f}, "
                     f"linear {results[4].metrics['linear_mean']:.2f}")
    lines += [f"clamped to {bounds:13s}: best voting {art.metrics['best_voting_mean']:.2f}, "
              f"linear {art.metrics['linear_mean']:.2f}" for bounds, art in clamped.items()]
    return "\n".join(lines)


def clamp_caveat_markdown() -> str:
    """The caveat the reference repository's own runs put on paper Fig. 13: its unclamped network
    trained as long as the clamped ones scored less than the one the paper shows."""
    return ("The repository's own runs make a caveat visible: its unclamped network trained for "
            f"{REPO_UNCLAMPED_5000.iterations:,} iterations (`networks/{REPO_UNCLAMPED_5000.directory}…`) "
            f"scored {REPO_UNCLAMPED_5000.stored_score:.3f}, not {PAPER_FIG13_UNCLAMPED:.3f} "
            f"({REPO_STRONG.iterations:,} iterations), so part of the drop the paper shows may come from the "
            "longer training.")


def clamp_markdown(results: Results, clamped, clamp_iterations: int, replicas: int) -> str:
    """Clamped against unclamped row-4 networks (paper Fig. 13), with the verdict: both clamps
    lower the voting accuracy by more than a point, or not."""
    base = results[4].metrics
    parts = []
    for bounds, art in clamped.items():
        dv = 100 * (art.metrics["best_voting_mean"] - base["best_voting_mean"])
        dl = 100 * (art.metrics["linear_mean"] - base["linear_mean"])
        parts.append(f"clamped to {bounds}: best voting {dv:+.1f} pp, linear {dl:+.1f} pp")
    drops = [100 * (base["best_voting_mean"] - art.metrics["best_voting_mean"]) for art in clamped.values()]
    return (f"The paper finds that both clamps lower the accuracy of its network ({PAPER_FIG13_UNCLAMPED:.3f} "
            "before clamping; the repository stores "
            f"{' and '.join(f'{score:.3f}' for score in REPO_CLAMPED_SCORES)} all-neuron voting for the two "
            "clamped runs). "
            f"Ours, one network per clamp trained for {clamp_iterations:,} iterations, against the unclamped "
            f"row-4 networks (mean of {replicas}, {results[4].provenance['config']['iterations']:,} "
            "iterations): " + "; ".join(parts) + ". "
            + ("Both clamps lower the voting accuracy by more than a point, as in the paper." if min(drops) > 1 else
               "Not both clamps lower the voting accuracy by more than a point (our threshold for a change "
               "beyond the replica spread), so here the paper's finding does not clearly hold."))


def clamp_thresholds_markdown(scored: Artifact) -> str:
    """Paper Fig. 13's networks scored with their learned thresholds and with them reset to 0
    (as the reference's ``load_network`` scored its clamped runs), as a numbered table."""
    names = sorted({key.rsplit(".", 1)[0] for key in scored.metrics})
    rows = []
    for name in names:
        learned, zero = scored.metrics[f"{name}.learned"], scored.metrics[f"{name}.zero"]
        rows.append([f"`{name}`"] + [f"{100 * m[key]:.1f}" for key in ("all", "best_voting") for m in (learned, zero)])
    return markdown_table(["network (replica 0)", "all-neuron voting, learned θ", "… θ = 0", "best voting, learned θ",
                           "… θ = 0"], rows, "lrrrr",
                          caption="The networks of paper Fig. 13 scored with their learned adaptive thresholds and with "
                          "the thresholds reset to 0, as the reference repository scored its clamped runs (accuracy "
                          f"in %; the repository stores {' and '.join(f'{100 * v:.1f}' for v in REPO_CLAMPED_SCORES)} "
                          "all-neuron voting for its two clamped runs).", label="tab-002-clamp-theta")


# --------------------------------------------------------------------------- cost and speed


def row1_intro_markdown() -> str:
    """The size of Table 2 row 1's network, from its configuration."""
    config = row_config(1)
    count = cn.parameter_count(config)
    return (f"Row 1 ({config.channels:,} channels, {config.num_neurons:,} Y neurons, {count.yy:,} competition "
            f"weights of {count.total:,} in all) is the paper's most accurate network.")


def row1_cost_markdown(cost: Artifact, results: Results, n_train: int, n_infer: int) -> str:
    """The measured cost of the 1000-channel network, what it predicted, and what the run's
    provenance records (wall time, threads, machine, training segments)."""
    m = cost.metrics
    if 1 in results:
        prov = results[1].provenance
        machine = prov.get("machine", {})
        segments = prov.get("segments", [])
        ran = (f"the run of all {len(results[1].metrics['per_replica'])} replicas took "
               f"{prov['wall_time_s'] / 3600:.1f} hours of wall time (recorded: torch threads "
               f"{machine.get('torch_threads', '?')}, CPUs {machine.get('cpu_count', '?')})"
               + (f", trained in {len(segments)} segments (resumed from a checkpoint)" if len(segments) > 1 else "")
               + ". The prediction timed one network; the provenance does not record what else the machine "
               "was running")
    else:
        ran = "it has not run yet in this profile, and row 1 stays without our number"
    return (f"One training iteration of the 1000-channel network took {m['train_s_per_iteration']:.2f} s "
            f"and one test image {m['infer_s_per_image']:.3f} s on this machine (one network, measured on "
            f"{n_train} training and {n_infer} test images), which predicted about "
            f"**{m['full_protocol_hours']:.1f} hours** of this 2-core CPU for the full protocol; {ran}.")


def speed_ratio(bench: Optional[Artifact]) -> Optional[float]:
    """Training throughput of snnlib (5 replicas batched) over BindsNET's, from the benchmark."""
    return None if bench is None else bench.metrics.get("throughput_ratio_replicas")


class BenchmarkLine(NamedTuple):
    """One timing of the benchmark: snnlib's and BindsNET's milliseconds per image (and network),
    BindsNET timed image by image alternately with snnlib in the same measurement."""

    what: str
    snnlib_ms: float
    bindsnet_ms: Optional[float]

    @property
    def ratio(self) -> Optional[float]:
        return None if self.bindsnet_ms is None else self.bindsnet_ms / self.snnlib_ms


def benchmark_lines(bench: Artifact) -> list[BenchmarkLine]:
    """The benchmark's timings as times per image and network.  With R networks batched the
    benchmark records snnlib's throughput (R / step time) and the ratio to BindsNET timed alongside
    ((R / step time) x BindsNET's time per image), so BindsNET's time of that measurement is their
    quotient."""
    m = bench.metrics
    lines = [BenchmarkLine("training, one network", 1e3 * m["snnlib_s_per_image"], 1e3 * m["bindsnet_s_per_image"])]
    for replicas in (5, 10):
        per_s, ratio = m.get(f"snnlib_images_per_s_r{replicas}"), m.get(f"throughput_ratio_r{replicas}")
        if per_s:
            lines.append(BenchmarkLine(f"training, {replicas} networks batched", 1e3 / per_s,
                                       None if ratio is None else 1e3 * ratio / per_s))
    lines.append(BenchmarkLine("inference, 25 channels", 1e3 / m["snnlib_inference_images_per_s_25ch"],
                               1e3 / m["bindsnet_inference_images_per_s_25ch"]
                               if m.get("bindsnet_inference_images_per_s_25ch") else None))
    lines.append(BenchmarkLine("inference, 100 channels", 1e3 / m["snnlib_inference_images_per_s_100ch"], None))
    return lines


def benchmark_markdown(bench: Artifact) -> str:
    """The recorded BindsNET benchmark: what was checked, and the timings as a numbered table in
    which every ratio is the quotient of the two times on its line."""
    m, packages = bench.metrics, bench.provenance["packages"]
    same = "the same" if m["spikes_identical"] else "**not** the same"
    weights = ("bit-identical" if m["xy_bit_identical"] else
               f"**not** bit-identical (largest difference {m['max_abs_dw']:.1e})")
    rows = [[line.what, f"{line.snnlib_ms:.2f}", None if line.bindsnet_ms is None else f"{line.bindsnet_ms:.1f}",
             "—" if line.ratio is None else f"{line.ratio:.1f}×"] for line in benchmark_lines(bench)]
    rows = [[cell if cell is not None else "—" for cell in row] for row in rows]
    return (f"On {m['check_images']} training images both simulators produced {same} output spikes "
            f"({m['check_spikes']:,} Y spikes), and the XY weights after them were {weights}. Timings "
            f"(torch {packages['torch']}, {m['threads']} threads; BindsNET 0.3.4):\n\n"
            + markdown_table(["measurement", "snnlib (ms per image and network)",
                              "BindsNET (ms per image)", "BindsNET ÷ snnlib"], rows, "lrrr",
                             caption="Time per image of the 25-channel, kernel-12 LCSNN (100 channels where "
                             "stated), median over the timed images. BindsNET simulates one network at a "
                             "time and was timed alternately with snnlib within each measurement, so that "
                             "both saw the same machine load; its time therefore differs from line to line, "
                             "and each ratio is the quotient of the two times on its line.",
                             label="tab-002-speed"))
