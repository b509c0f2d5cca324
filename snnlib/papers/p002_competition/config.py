"""Profiles and per-experiment network configurations of chapter 002.

``PROFILES`` are the chapter's two protocols (``quick``: a few minutes, checks that the code
works; ``full``: the paper's protocol).  Changing a value here changes the identity of the
experiments that use it (their settings), so the committed full-profile artifacts would no
longer be found.
"""

from __future__ import annotations


from snnlib.book.runner import select_profile
from snnlib.core import stdp

from .network import CompetitionNetConfig
from .reference import ANTI_STDP, REPO_FIG10, TABLE2

__all__ = ["CLAMPS", "COMPETITION_STRENGTHS", "LEARNED_YY", "PROFILES", "anti_stdp_config",
           "profile_settings", "repo_fig10_config", "row_config", "row_iterations", "strength_config"]

PROFILES = {
    "quick": {"rows": [4, 5, 10, 12], "replicas": 2, "train_iterations": 150, "n_calibration": 500,
              "n_test": 500, "curve_every": 50, "curve_calibration": 300, "curve_test": 300,
              "curve_rows": [5], "anti_stdp_iterations": 100, "anti_stdp_replicas": 1,
              "strength_iterations": 100, "clamp_iterations": 100, "row1_cost": (1, 2)},
    "full": {"rows": [5, 4, 6, 10, 11, 2, 3, 8, 7, 9, 12, 1], "replicas": 5, "train_iterations": 5000,
             "n_calibration": 10000, "n_test": 10000, "curve_every": 250,
             "curve_calibration": 5000, "curve_test": 1000, "curve_rows": [2, 9, 12],
             "anti_stdp_iterations": 4000, "anti_stdp_replicas": 1, "strength_iterations": 1000,
             "clamp_iterations": 5000, "row1_cost": (3, 20)},
}

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


def row_config(row: int) -> CompetitionNetConfig:
    """The network of Table 2 row ``row``: the reference code's defaults for its architecture,
    except row 4 (learned competition, ``LEARNED_YY``) and row 5, which the paper compares with
    row 4 as "the same configuration, fixed competition -50"."""
    entry = TABLE2[row]
    config = CompetitionNetConfig(arch=entry.arch, channels=entry.channels, kernel=entry.kernel)
    if row == 4:
        config = config.replace(**LEARNED_YY)
    if row == 5:
        config = config.replace(competition_weight=-50.0)
    return config


def row_iterations(row: int, profile: str, settings: dict) -> int:
    """Training iterations of Table 2 row ``row``: the profile's, except the learned-competition
    row 4 in the full profile, which trains 4000 as its reference run."""
    if row == 4 and profile == "full":
        return LEARNED_ROW_FULL_ITERATIONS
    return settings["train_iterations"]


def anti_stdp_config(label: str) -> CompetitionNetConfig:
    """Row 4's network with the anti-STDP setting ``label`` of the paper's Fig. 10 table."""
    setting = ANTI_STDP[label]
    return row_config(4).replace(
        competition_tau=(setting.tau_plus, setting.tau_minus),
        competition_nu=stdp.nu_from_paper_amplitudes(setting.a_plus, setting.a_minus))


def repo_fig10_config(label: str) -> CompetitionNetConfig:
    """Row 4's network with the reference repository's settings of Fig. 10 panel ``label``."""
    return row_config(4).replace(**REPO_FIG10[label].settings)


def strength_config(competition_weight: float) -> CompetitionNetConfig:
    """Row 5's network with a fixed competition weight ``competition_weight`` (paper Fig. 9)."""
    return row_config(5).replace(competition_weight=competition_weight)


