"""Chapter 002's protocols, analysis and claims on tiny configurations (paper 002, Gafni et al.).

The protocols run in a temporary results root; a 4-channel network trains for 3 iterations and
is evaluated on 20 calibration and 20 test images.  The committed full-profile artifacts are
checked to be found under the experiment names and settings the protocols produce.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from snnlib.book.artifacts import to_jsonable
from snnlib.book.runner import RunContext
from snnlib.papers import p002_competition
from snnlib.papers.p002_competition import analysis, claims, config, experiments, figures, reference
from snnlib.papers.p002_competition.network import CompetitionNetConfig
from snnlib.papers.p002_competition.reference import TABLE2

CHAPTER = p002_competition.CHAPTER
TINY = CompetitionNetConfig(arch="lc", channels=4, kernel=12)  # 9 locations, 36 Y neurons
TINY_PROFILE = {"rows": [5, 4], "replicas": 1, "train_iterations": 2, "n_calibration": 20, "n_test": 20,
                "curve_every": 1, "curve_calibration": 10, "curve_test": 10,
                "variants": {5: ["refrac2"]}, "curves": {"table2_row5": "random"},
                "anti_stdp_iterations": 2, "anti_stdp_replicas": 1, "strength_iterations": 2,
                "clamp_iterations": 2, "row1_cost": (1, 2)}


@pytest.fixture(scope="module")
def data():
    return experiments.MnistSplits().subset(n_train=50, n_calibration=20, n_test=20)


def _train_tiny(root, data, train=True):
    ctx = RunContext(CHAPTER, "quick", train, root=root, code=(p002_competition.__name__,))
    art = experiments.train_network(ctx, data, "tiny", TINY, 3, replicas=2, n_calibration=20, n_test=20,
                                    curve=experiments.CurveSettings(every=2, calibration=10, test=10),
                                    keep_votes=True)
    return ctx, art


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("results")
    return root, _train_tiny(root, data)[1]


def test_train_network_writes_the_artifact_with_its_settings(tiny):
    _, art = tiny
    assert art.provenance["config"] == to_jsonable({"net": dataclasses.asdict(TINY),
                                        "replicas": 2, "iterations": 3, "n_calibration": 20, "n_test": 20,
                                        "curve_every": 2, "curve_calibration": 10, "curve_test": 10,
                                        "curve_subset": "random"})
    assert art.provenance["code"]["roots"] == ["snnlib.papers.p002_competition"]
    m = art.metrics
    assert len(m["per_replica"]) == 2 and all(r["n_test"] == 20 for r in m["per_replica"])
    for key in experiments.READOUT_KEYS:
        assert 0.0 <= m[f"{key}_mean"] <= 1.0 and m[f"{key}_sd"] is not None
    assert m["best_voting_mean"] >= max(m["all_mean"], m["patch_mean"], m["preselect_mean"]) - 1e-12
    a = art.arrays
    assert a["w_xy"].shape == a["w_xy_init"].shape == (9, 144, 4)
    assert a["theta"].shape == (36,) and a["votes"].shape == (10, 36)
    assert "w_yy" not in a  # fixed competition keeps no YY weights
    assert not np.array_equal(a["w_xy"], a["w_xy_init"])  # STDP changed the weights
    np.testing.assert_allclose(a["w_xy"].sum(1), TINY.norm, rtol=1e-4)  # normalised per neuron
    np.testing.assert_array_equal(a["curve_iterations"], [0, 2, 3])  # last point: final evaluation
    assert a["curve_accuracy"].shape == (3, 2, len(experiments.READOUT_KEYS))
    np.testing.assert_allclose(a["curve_accuracy"][-1, :, 4], [r["linear"] for r in m["per_replica"]])


def test_a_finished_experiment_is_reused_and_an_untrained_one_is_pending(tiny, data, tmp_path):
    root, art = tiny
    ctx, again = _train_tiny(root, data, train=False)  # found on disk: not pending, same numbers
    assert ctx.pending == [] and again.metrics == art.metrics
    ctx, missing = _train_tiny(tmp_path, data, train=False)
    assert missing is None and ctx.pending == ["tiny"]


def test_training_is_seeded(tiny, data, tmp_path):
    _, art = tiny
    _, other = _train_tiny(tmp_path, data)
    np.testing.assert_array_equal(other.arrays["w_xy"], art.arrays["w_xy"])
    assert other.metrics == art.metrics


def test_protocols_name_their_experiments(data, tmp_path):
    ctx = RunContext(CHAPTER, "quick", False, root=tmp_path)
    assert experiments.table2(ctx, data, TINY_PROFILE) == {}
    assert experiments.competition_strength(ctx, data, TINY_PROFILE) == {}
    assert experiments.anti_stdp(ctx, data, TINY_PROFILE) == {}
    assert experiments.repo_fig10(ctx, data, TINY_PROFILE) == {}
    assert experiments.clamps(ctx, data, TINY_PROFILE) == {}
    assert experiments.row1_cost(ctx, data, 1, 2) is None
    assert ctx.pending == [
        "table2_row5", "table2_row5_refrac2", "table2_row4", "competition_strength_10", "competition_strength_100",
        "anti_stdp_very_weak", "anti_stdp_weak", "anti_stdp_medium", "anti_stdp_strong",
        "anti_stdp_repo_very_weak", "anti_stdp_repo_weak", "anti_stdp_repo_medium",
        "clamped_wmax_-100", "clamped_wmin_-350", "row1_cost"]


def test_clamp_protocol_trains_the_learned_competition_network(data, tmp_path):
    ctx = RunContext(CHAPTER, "quick", "clamped_wmax_*", root=tmp_path)
    clamped = experiments.clamps(ctx, data, TINY_PROFILE)
    assert list(clamped) == ["(-inf, -100]"] and ctx.pending == ["clamped_wmin_-350"]
    art = clamped["(-inf, -100]"]
    assert art.provenance["config"]["net"]["competition_wmax"] == -100.0
    assert art.provenance["config"]["iterations"] == 2
    local = analysis.local_yy(art.arrays, config.row_config(4))
    assert local.size == 9 * 25 * 24 and local.max() <= -100.0  # the clamp holds
    text = analysis.clamp_text({}, clamped)
    assert text.startswith("clamped to (-inf, -100] : best voting")


def test_row1_cost_times_training_and_inference(data, tmp_path):
    ctx = RunContext(CHAPTER, "quick", True, root=tmp_path)
    art = experiments.row1_cost(ctx, data, 1, 2, config=TINY)
    m = art.metrics
    assert m["train_s_per_iteration"] > 0 and m["infer_s_per_image"] > 0
    assert m["full_protocol_hours"] == pytest.approx(
        (25000 * m["train_s_per_iteration"] + 100000 * m["infer_s_per_image"]) / 3600)
    assert art.provenance["config"] == to_jsonable({"net": dataclasses.asdict(TINY), "n_train": 1, "n_infer": 2})


def test_full_profile_protocols_find_every_committed_artifact():
    """The experiment identities (names, settings, seed) of the committed full-profile runs."""
    ctx = p002_competition.run_context("full")
    settings = config.profile_settings("full")
    data = experiments.MnistSplits()  # never loaded: nothing trains
    results = experiments.table2(ctx, data, settings)
    committed = sorted(p.name for p in ctx.artifact_directory("x").parent.glob("table2_row*")
                       if (p / "metrics.json").exists())
    assert sorted(results) == committed and len(committed) >= 12
    assert "w_xy" not in results["table2_row1_refrac2"].arrays
    for name, art in results.items():
        row = int(name.split("_")[1][3:])
        assert art.provenance["config"]["iterations"] == (4000 if row == 4 else 5000)
    if "table2_row4" in results:
        assert results["table2_row4"].weights is not None
    if "table2_row5" in results:
        assert "votes" in results["table2_row5"].arrays
    assert len(experiments.competition_strength(ctx, data, settings)) == 2
    assert len(experiments.anti_stdp(ctx, data, settings)) == 4
    assert len(experiments.repo_fig10(ctx, data, settings)) == 3
    assert len(experiments.clamps(ctx, data, settings)) == 2
    assert experiments.row1_cost(ctx, data, *settings["row1_cost"]) is not None
    assert experiments.bindsnet_benchmark(ctx) is not None
    # only Table 2 experiments can still be pending, and each is either committed or pending
    names = [config.experiment_name(row, variant) for row in settings["rows"]
             for variant in ["", *settings["variants"].get(row, [])]]
    assert sorted(committed + ctx.pending) == sorted(names)


# --------------------------------------------------------------------------- analysis and claims


def _fake(best_voting, linear, sd=0.01, **extra):
    metrics = {"best_voting_mean": best_voting, "best_voting_sd": sd, "linear_mean": linear, "linear_sd": sd,
               "per_replica": [{"n_silent": 1.0, "n_test": 100.0}], **extra}
    return SimpleNamespace(metrics=metrics, arrays={}, provenance={})


def test_variant_claims_and_causes_come_from_the_paired_runs():
    runs = {"table2_row5": _fake(0.80, 0.86, linear_cal5000_mean=0.84, linear_cal5000_sd=0.01),
            "table2_row5_refrac2": _fake(0.78, 0.85), "table2_row5_cw50": _fake(0.70, 0.80),
            "table2_row9": _fake(0.77, 0.876)}
    assert analysis.table2_rows(runs) == {5: runs["table2_row5"], 9: runs["table2_row9"]}
    assert analysis.table2_rows(runs, "refrac2") == {5: runs["table2_row5_refrac2"]}
    assert analysis.variants_of(runs) == {5: {"refrac2": runs["table2_row5_refrac2"], "cw50": runs["table2_row5_cw50"]}}
    by_id = {c.id: c for c in claims.chapter_claims("full", runs, None)}
    assert by_id["table2.row5.refrac2.voting"].ours == pytest.approx(78.0)
    assert by_id["table2.row5.refrac2.voting"].paper == TABLE2[5].best_voting.mean
    assert by_id["table2.row5.cw50.linear"].ours == pytest.approx(80.0)
    assert by_id["table2.row5.cal5000.linear"].ours == pytest.approx(84.0)
    causes = {cause: size for cause, _, size in analysis.gap_causes(runs, 5, "linear")}
    assert causes["refractory 5 ms (paper era) instead of 2 ms"] == "+1.0"  # 86 - 85
    assert causes["stored best $c_w$ instead of the paper's sentence's −50"] == "+6.0"
    assert [size for cause, _, size in analysis.gap_causes(runs, 5, "linear") if cause.startswith("calibration")] == ["+2.0"]
    # row 9's linear cell: the reference's own Fig. 7 data at 5000 iterations against the table
    (cause, evidence, size), = analysis.gap_causes(runs, 9, "linear")
    assert size == f"{100 * reference.reference_curve_at(9, 'lc', 5000) - 82.1:+.1f}" and "(table 82.1)" in evidence
    within, cells = analysis.agreement_count(runs)
    # row 5: voting 80.0 (paper 80.1 ± 2 × 1.0), linear 86.0 (85.5 ± 2 × 0.8); row 9 voting 77.0 (77.4 ± 2 × 1.9)
    assert cells == 22 and within == 3
    assert "| 9 linear | +5.5 |" in analysis.differences_markdown(runs)
    # row 10's cells: the score stored with the network whose settings the row takes, against the table
    assert analysis.reference_own(10, "linear") == {"`522ee18c`": 0.8585}
    (cause, evidence, size), = analysis.gap_causes(runs, 10, "linear")
    assert cause.endswith("network of these settings") and size == "+8.8"  # 85.85 - 77.1
    # row 7 stores nothing: the other CSNN rows' reference-own gaps are shown, not measured for row 7
    (cause, evidence, size), = analysis.gap_causes(runs, 7, "linear")
    assert evidence.startswith("rows 8, 9, 10: ") and size == "not measured"


def test_reference_data_gives_the_rows_settings():
    assert reference.best_stored_fixed(5) == reference.RepositoryNetwork(
        "4d590394", 0.8179, 4000, {"mean_weight": 0.46, "competition_weight": -126.6667})
    assert reference.best_stored_fixed(1) is None and reference.best_stored_fixed(7) is None
    assert reference.row_network_scores(5) == {"id": "4d590394", "iterations": 4000, "best_voting": 0.8179,
                                               "linear": 0.8757}
    assert reference.row_network_scores(9) is None  # its best stored network trained 250 iterations
    assert reference.row_network_scores(7) is None
    assert reference.stored_network(reference.REPO_CW50).settings == {"mean_weight": 0.46, "competition_weight": -50.0}
    counts = reference.stored_refractory_counts()
    assert counts[5.0] > 100 * counts.get(2.0, 0)  # the paper-era networks ran at 5 ms
    scores = reference.learned_search_scores()
    assert scores[-1] == reference.REPO_STRONG.stored_score and len(scores) > 200
    assert reference.reference_curves()["source"]["commit"] == reference.REPO_COMMIT


def test_curve_subsets_and_test_halves():
    first = experiments.curve_indices(100, 10, "first")
    assert first.tolist() == list(range(10))
    random = experiments.curve_indices(100, 10, "random")
    assert random.tolist() == experiments.curve_indices(100, 10, "random").tolist()  # fixed
    assert len(set(random.tolist())) == 10 and random.max() < 100 and random.tolist() != first.tolist()
    with pytest.raises(ValueError, match="first' or 'random"):
        experiments.curve_indices(100, 10, "last")
    counts = torch.zeros(1, 4, 3)
    counts[0, 1, 0] = counts[0, 2, 2] = counts[0, 3, 1] = 1.0  # image 0 silent: first half 1/2, second 0/2
    assert experiments.test_halves(counts) == [{"silent_first_half": 0.5, "silent_second_half": 0.0}]


def test_reference_calibration_draws_with_replacement():
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(200) % 10
    counts = torch.nn.functional.one_hot(labels, 10).float()[None] * 5 + torch.rand(1, 200, 10, generator=gen)
    scores = experiments.linear_with_reference_calibration(counts, labels, counts, labels, draws=300)
    assert scores == [1.0]  # separable counts: any reasonable calibration classifies them all
    few = experiments.linear_with_reference_calibration(counts, labels, counts, labels, draws=3)
    assert few[0] < 0.5  # three draws see at most three classes


def test_thresholds_reset_to_zero_make_the_network_fire_more(tiny, data, tmp_path):
    _, art = tiny
    ctx = RunContext(CHAPTER, "quick", True, root=tmp_path)
    settings = {"n_calibration": 20, "n_test": 20}
    scored = experiments.clamps_without_thresholds(ctx, data, settings, {"tiny": (TINY, art)})
    learned, zero = scored.metrics["tiny.learned"], scored.metrics["tiny.zero"]
    assert art.arrays["theta"].max() > 0  # the network did adapt its thresholds
    assert zero["n_silent"] <= learned["n_silent"]
    assert analysis.clamp_thresholds_markdown(scored).splitlines()[1] == ":name: tab-002-clamp-theta"


def test_agreement_uses_two_paper_sd():
    results = {5: _fake(0.801, 0.70), 2: _fake(0.80, 0.915)}
    assert analysis.agreement(results, 5, "best_voting").verdict == "agrees"  # 80.1 vs 80.1
    below = analysis.agreement(results, 5, "linear")  # 70.0 vs 85.5 ± 0.8
    assert below.verdict == "below" and below.difference == pytest.approx(-15.5)
    assert below.tolerance == pytest.approx(1.6)
    # 84.2 is 1.3 below 85.5: within 2 paper-sd (1.6), as agreement_count counts it
    assert analysis.agreement({5: _fake(0.801, 0.842)}, 5, "linear").verdict == "agrees"
    text = analysis.agreement_markdown(results)
    assert "* **best voting**: rows 5 agree; outside the spread: row 2 -7.5 pp." in text


def test_table2_markdown_and_claims_checked():
    results = {5: _fake(0.742, 0.848)}
    table = analysis.table2_markdown(results).splitlines()
    assert table[0].startswith(":::{table} Test accuracy") and table[1] == ":name: tab-002-table2"
    assert table[2] == "| row | network | best voting (%): ours / paper | Δ (pp) | linear (%): ours / paper | Δ (pp) |"
    nb = "\u00a0"
    assert table[4] == (f"| 5 | LCSNN 25 ch, k 12 | 74.2{nb}±{nb}1.0 / 80.1{nb}±{nb}1.0 | -5.9 "
                        f"| 84.8{nb}±{nb}1.0 / 85.5{nb}±{nb}0.8 | -0.7 |")
    silent = analysis.silent_markdown(results).splitlines()
    assert silent[1] == ":name: tab-002-silent" and silent[4] == "| 5 | LCSNN 25 ch, k 12 | 37,800 | 1.0 |"
    checked = analysis.claims_checked_markdown(results)
    assert ":name: tab-002-claims-checked" in checked
    assert "| learned competition beats fixed (row 4 − row 5) | linear | +2.7 | not run |" in checked
    assert "| learned competition beats fixed (row 4 − row 5) | best voting | +2.2 | not run |" in checked
    assert "| linear readout beats voting (row 5) | linear − voting | +5.4 | +10.6 |" in checked


def test_benchmark_ratios_follow_from_the_times_shown():
    metrics = {"check_images": 10, "check_spikes": 4009, "spikes_identical": True, "xy_bit_identical": True,
               "threads": 2, "bindsnet_s_per_image": 0.129, "snnlib_s_per_image": 0.030,
               "snnlib_images_per_s_r5": 100.0, "throughput_ratio_r5": 14.5,
               "snnlib_inference_images_per_s_25ch": 700.0, "snnlib_inference_images_per_s_100ch": 250.0,
               "bindsnet_inference_images_per_s_25ch": 16.0}
    bench = SimpleNamespace(metrics=metrics, provenance={"packages": {"torch": "2.x"}})
    lines = analysis.benchmark_lines(bench)
    assert [line.what for line in lines] == ["training, one network", "training, 5 networks batched",
                                             "inference, 25 channels", "inference, 100 channels"]
    assert lines[1].snnlib_ms == pytest.approx(10.0)  # 1000 ms / 100 images x networks
    assert lines[1].bindsnet_ms == pytest.approx(145.0)  # BindsNET timed alongside: ratio / throughput
    assert lines[1].ratio == pytest.approx(14.5) and lines[0].ratio == pytest.approx(4.3)
    assert lines[3].ratio is None
    text = analysis.benchmark_markdown(bench)
    assert ":name: tab-002-speed" in text and "| training, 5 networks batched | 10.00 | 145.0 | 14.5× |" in text
    assert "were bit-identical" in text
    rounded = SimpleNamespace(metrics={**metrics, "xy_bit_identical": False, "max_abs_dw": 1.19e-7},
                              provenance=bench.provenance)
    assert "were **not** bit-identical (largest difference 1.2e-07)" in analysis.benchmark_markdown(rounded)


def test_chapter_claims_mark_rows_not_run():
    found = claims.chapter_claims("quick", {"table2_row5": _fake(0.742, 0.848)}, None)
    by_id = {c.id: c for c in found}
    assert len(found) == 2 * len(TABLE2) + 1
    assert by_id["table2.row5.voting"].ours == pytest.approx(74.2) and by_id["table2.row5.voting"].n == 1
    assert by_id["table2.row4.linear"].ours is None
    assert by_id["table2.row4.linear"].what.endswith("(learned YY): linear readout — not run yet in this profile")
    assert by_id["speed.bindsnet_ratio"].ours is None


def test_plateau_iteration():
    its = np.arange(0, 1000, 100)
    mean = np.array([0.1, 0.5, 0.7, 0.79, 0.80, 0.81, 0.80, 0.81, 0.80, 0.81])
    assert analysis.plateau_iteration(its, mean) == 300  # from 0.79 on within 0.02 of 0.805
    assert analysis.plateau_iteration(its, np.full(10, 0.5)) == 0
    assert analysis.plateau_iteration(its, np.r_[np.zeros(9), 1.0]) == 900


def test_parameter_counts_and_row_configs():
    table = analysis.parameter_count_markdown().splitlines()
    assert table[1] == ":name: tab-002-weights"
    assert table[4] == "| 1 | LCSNN 1000 ch, k 12 | 9,000 | 1,296,000 | 8,991,000 | 10,287,000 |"
    assert "8,991,000 competition weights" in analysis.row1_intro_markdown()
    lines = analysis.parameter_count_text().splitlines()
    assert lines[0] == "row  1: LCSNN 1000 ch, k 12:  9000 Y neurons, 1,296,000 XY + 8,991,000 YY = 10,287,000 weights"
    assert lines[11] == "row 12: FCSNN  100 ch, k 20:   100 Y neurons,    40,000 XY +     9,900 YY =     49,900 weights"
    assert config.row_config(4).learn_competition and config.row_config(5).competition_weight == -126.6667
    # the paper-era refractory period for LC rows, and the earlier runs' settings as variants
    assert config.row_config(3).neuron.refrac == 5.0 and config.row_config(3, "refrac2").neuron.refrac == 2.0
    earlier_row5 = config.row_config(5, "cw50_defaults_refrac2")
    assert (earlier_row5.mean_weight, earlier_row5.competition_weight, earlier_row5.neuron.refrac) == (0.4, -50.0, 2.0)
    assert config.row_config(5, "cw50").mean_weight == 0.46
    assert (config.row_config(7).mean_weight, config.row_config(7).competition_weight) == (0.4, -100.0)
    assert config.row_config(10, "defaults") == config.row_config(10).replace(mean_weight=0.4, competition_weight=-100.0)
    with pytest.raises(ValueError, match="always 5 ms"):
        config.row_config(10, "refrac2")
    with pytest.raises(ValueError, match="unknown variant"):
        config.row_config(5, "refrac3")
    assert config.strength_config(-10.0).neuron.refrac == 2.0
    assert config.row_iterations(4, "full", config.PROFILES["full"]) == 4000
    assert config.row_iterations(4, "quick", config.PROFILES["quick"]) == 150
    assert config.anti_stdp_config("strong").competition_nu == (-0.1, -1.6)


def test_votes_and_similarity():
    votes = np.array([[2.0, 0.0, 1.0], [0.0, 0.0, 3.0]] + [[0.0] * 3] * 8)
    share, ranked = analysis.vote_shares(votes)
    np.testing.assert_allclose(share[:, [0, 2]].sum(0), 1.0)
    np.testing.assert_allclose(ranked[:2], [[1.0, 0.75], [0.0, 0.25]])
    assert analysis.votes_text(votes).startswith("2 of 3 neurons fired")
    w = np.random.default_rng(0).random((9, 144, 1)).repeat(3, axis=2)  # identical channels
    assert analysis.similarity(w) == pytest.approx(1.0)


def test_xy_mosaic_places_every_tile():
    w = np.arange(9 * 144 * 4, dtype=float).reshape(9, 144, 4)
    image = figures.xy_mosaic(w, TINY)
    assert image.shape == (3 * (2 * 13 + 2), 3 * (2 * 13 + 2))
    assert np.isfinite(image).sum() == w.size
    np.testing.assert_array_equal(image[0:12, 0:12], w[0, :, 0].reshape(12, 12))


def test_alif_trajectory_and_stdp_windows():
    trajectory = analysis.alif_trajectory()
    assert len(trajectory.voltage) == 250 and sum(trajectory.spikes) > 0
    assert trajectory.threshold[-1] == pytest.approx(-52.0 + 0.05 * sum(trajectory.spikes), abs=1e-3)
    delta_t, window, anti = analysis.stdp_windows()
    assert window[delta_t == 1].item() > 0 > window[delta_t == -1].item()  # STDP
    assert anti[delta_t == 1].item() < 0 < anti[delta_t == -1].item()  # anti-STDP: flipped
