"""Profiles and per-experiment network configurations of chapter 002.

``PROFILES`` are the chapter's two protocols (``quick``: a few minutes, checks that the code
works; ``full``: the paper's protocol).  Changing a value here changes the identity of the
experiments that use it (their settings), so the committed full-profile artifacts would no
longer be found.
"""

from __future__ import annotations


from snnlib.book.runner import select_profile
from snnlib.core import stdp
from snnlib.core.neurons import AdaptiveLIFParams

from .network import CompetitionNetConfig
from .reference import (ANTI_STDP, REPO_CW50, REPO_FIG10, REPO_LC_REFRACTORY, TABLE2, best_stored_fixed,
                        stored_network)

__all__ = ["CLAMPS", "COMPETITION_STRENGTHS", "FIGURE_VARIANT", "LEARNED_YY", "PROFILES", "VARIANTS",
           "anti_stdp_config", "clamp_config", "experiment_name", "profile_settings", "repo_fig10_config", "row_config",
           "row_iterations", "strength_config"]

PROFILES = {
    "quick": {"rows": [4, 5, 10, 12], "variants": {5: ["refrac2"]}, "replicas": 2, "train_iterations": 150,
              "n_calibration": 500, "n_test": 500, "curve_every": 50, "curve_calibration": 300,
              "curve_test": 300, "curves": {"table2_row5": "random"}, "anti_stdp_iterations": 100,
              "anti_stdp_replicas": 1, "strength_iterations": 100, "clamp_iterations": 100,
              "row1_cost": (1, 2), "calibration_rows": [12]},
    "full": {"rows": [5, 4, 6, 10, 11, 2, 3, 8, 7, 9, 12, 1],
             "variants": {5: ["refrac2", "cw50", "cw50_defaults_refrac2"], 4: ["refrac2"],
                          10: ["defaults"], 11: ["defaults"], 6: ["defaults_refrac2"], 8: ["defaults"],
                          12: ["defaults"], 3: ["defaults_refrac2"], 2: ["defaults_refrac2"], 1: ["refrac2"]},
             "replicas": 5, "train_iterations": 5000, "n_calibration": 10000, "n_test": 10000,
             "curve_every": 250, "curve_calibration": 5000, "curve_test": 1000,
             "curves": {"table2_row12": "random", "table2_row2": "random",
                        "table2_row9": "first", "table2_row12_defaults": "first",
                        "table2_row2_defaults_refrac2": "first"},
             "anti_stdp_iterations": 4000, "anti_stdp_replicas": 1, "strength_iterations": 1000,
             "clamp_iterations": 5000, "row1_cost": (3, 20), "calibration_rows": [7, 9]},
}
"""``variants`` lists, per Table 2 row, the paired comparisons trained beside the row's network
(:data:`VARIANTS`; same seed); ``curves`` names the experiments that record a learning curve and on
which images (``"random"``: a fixed random subset of the calibration and test splits; ``"first"``:
their first images, as the earliest runs did); ``calibration_rows`` are rows whose artifacts predate
the reference-calibration readout, re-scored on replica 0."""

LEARNED_ROW_FULL_ITERATIONS = 4000  # row 4 in the full profile, as the reference repository's run

# Row 4 learns its competition weights; we use the hyper-parameters of the reference repository's
# best such network (the "0.823" network of paper Fig. 13, `networks/a00fb88c`): mean weight 0.46,
# c_w init -100, anti-STDP A+ = -1.626, A- = 0.0556, tau+ = 17.72 ms, tau- = 16.48 ms.
LEARNED_YY = dict(mean_weight=0.46, competition_weight=-100.0, learn_competition=True,
                  competition_nu=(-0.0556, -1.626), competition_tau=(17.72, 16.48))

COMPETITION_STRENGTHS = (-10.0, -100.0)  # the fixed c_w of paper Fig. 9: weak, strong

# Paper Fig. 13's clamps of the learned competition weights: bounds -> (experiment name, clamp)
CLAMPS = {"(-inf, -100]": ("clamped_wmax_-100", dict(competition_wmax=-100.0)),
          "[-350, 0]": ("clamped_wmin_-350", dict(competition_wmin=-350.0))}


def profile_settings(profile: str) -> dict:
    """A copy of profile ``profile``'s settings (``quick`` or ``full``)."""
    return select_profile(PROFILES, profile)


VARIANTS = {
    "refrac2": "refractory period 2 ms (the reference's later code) instead of the paper-era 5 ms",
    "defaults": "the code's default mean weight 0.4 and c_w -100 instead of the stored best",
    "cw50": "fixed c_w -50 (the paper's sentence; the reference's network c55f1129) instead of the stored best",
}
"""The components a Table 2 variant is built from (joined by ``_``, e.g. ``defaults_refrac2``):
each changes one thing of the row's network (:func:`row_config`)."""

FIGURE_VARIANT = "refrac2"
"""The figure experiments built on rows 4 and 5 (paper Figs. 9, 10 and 13) were trained with the
2 ms refractory period; they compare settings with each other, all at 2 ms."""


def row_config(row: int, variant: str = "") -> CompetitionNetConfig:
    """The network of Table 2 row ``row`` (``variant`` empty) or of one of its paired variants.

    The row's network: its architecture with the reference's paper-era Y refractory period
    (5 ms, :data:`.reference.REPO_LC_REFRACTORY`; conv and fc networks always had it) and the
    mean weight and c_w of the reference repository's best stored network of the architecture
    (:func:`.reference.best_stored_fixed`; the code's defaults where it stores none); row 4 learns
    its competition (``LEARNED_YY``).  ``variant`` joins components of :data:`VARIANTS` with
    ``_``: ``refrac2`` (2 ms), ``defaults`` (mean weight 0.4, c_w -100, as the code's defaults),
    ``cw50`` (row 5 only: c_w -50 with the row's mean weight, the paper's sentence and
    :data:`.reference.REPO_CW50`)."""
    parts = [p for p in variant.split("_") if p]
    unknown = set(parts) - set(VARIANTS)
    if unknown:
        raise ValueError(f"unknown variant component(s) {sorted(unknown)}; known: {sorted(VARIANTS)}")
    if "cw50" in parts and row != 5:
        raise ValueError("the c_w -50 variant belongs to row 5")
    entry = TABLE2[row]
    refractory = REPO_LC_REFRACTORY["later" if "refrac2" in parts else "paper_era"]
    if entry.arch != "lc" and "refrac2" in parts:
        raise ValueError(f"row {row} is a {entry.arch} network: its refractory period was always 5 ms")
    config = CompetitionNetConfig(arch=entry.arch, channels=entry.channels, kernel=entry.kernel,
                                  neuron=AdaptiveLIFParams(refrac=refractory, dt=1.0))
    if row == 4:
        return config.replace(**LEARNED_YY)
    best = best_stored_fixed(row)
    if best is not None and "defaults" not in parts:
        config = config.replace(**best.settings)
    if "cw50" in parts:
        config = config.replace(competition_weight=stored_network(REPO_CW50).settings["competition_weight"])
    return config


def experiment_name(row: int, variant: str = "") -> str:
    """The experiment (and artifact folder) of Table 2 row ``row`` or its ``variant``."""
    return f"table2_row{row}" + (f"_{variant}" if variant else "")


def row_iterations(row: int, profile: str, settings: dict) -> int:
    """Training iterations of Table 2 row ``row``: the profile's, except the learned-competition
    row 4 in the full profile, which trains 4000 as its reference run."""
    if row == 4 and profile == "full":
        return LEARNED_ROW_FULL_ITERATIONS
    return settings["train_iterations"]


def anti_stdp_config(label: str) -> CompetitionNetConfig:
    """Row 4's network (at :data:`FIGURE_VARIANT`) with the anti-STDP setting ``label`` of the
    paper's Fig. 10 table."""
    setting = ANTI_STDP[label]
    return row_config(4, FIGURE_VARIANT).replace(
        competition_tau=(setting.tau_plus, setting.tau_minus),
        competition_nu=stdp.nu_from_paper_amplitudes(setting.a_plus, setting.a_minus))


def repo_fig10_config(label: str) -> CompetitionNetConfig:
    """Row 4's network (at :data:`FIGURE_VARIANT`) with the reference repository's settings of
    Fig. 10 panel ``label``."""
    return row_config(4, FIGURE_VARIANT).replace(**REPO_FIG10[label].settings)


def clamp_config(clamp: dict) -> CompetitionNetConfig:
    """Row 4's network (at :data:`FIGURE_VARIANT`) with its learned competition clamped
    (:data:`CLAMPS`, paper Fig. 13)."""
    return row_config(4, FIGURE_VARIANT).replace(**clamp)


def strength_config(competition_weight: float) -> CompetitionNetConfig:
    """Row 5's network with the code's default mean weight, at :data:`FIGURE_VARIANT`, and a
    fixed competition weight ``competition_weight`` (paper Fig. 9)."""
    return row_config(5, "defaults_" + FIGURE_VARIANT).replace(competition_weight=competition_weight)


