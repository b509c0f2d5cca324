"""Tests for the protocols, analysis and claims of chapter 003 (snnlib.papers.p003_spiking_gan).

Every protocol the chapter runs is run here on a tiny configuration (a 784-20-10 classifier on 30
images for one epoch, GANs for a few steps) in a temporary results root: the artifacts have the
expected keys and shapes, a stored artifact is read back instead of retrained, a resumed GAN run
equals an uninterrupted one, and with ``train=False`` nothing trains and the experiment is
listed as pending.  The full-profile claims are re-derived from the committed artifacts."""

from __future__ import annotations


import numpy as np
import pytest
import torch

from snnlib.book.artifacts import Artifact
from snnlib.book.data import DataError
from snnlib.book.claims import read_claims
from snnlib.book.runner import RunContext
from snnlib.papers import p003_spiking_gan as paper003
from snnlib.core import coding, metrics
from snnlib.papers.p003_spiking_gan import analysis, claims, config, experiments, published, spiking_gan
from snnlib.papers.p003_spiking_gan.s4nn import S4NNClassifierConfig

TINY = {"n_train": 30, "n_val": 20, "n_test": 20, "epochs": 1,
        "gan_epochs": 1, "gan_images": 5, "gan_checkpoint_every": 2,
        "ann_epochs": 1, "n_samples": 12, "gan_watch": 6, "gan_pilot_steps": 4, "gan_pilot_every": 2,
        "pilot_images": 20, "pilot_val": 10, "pilot_d_steps": 3, "readings_epochs": 2}


@pytest.fixture(scope="module")
def data():
    full = experiments.load_data()
    return experiments.MnistSplits(full.train_x[:300], full.train_y[:300], full.val_x[:50], full.val_y[:50],
                                   full.test_x[:400], full.test_y[:400], full.full_x[:300], full.full_y[:300])


@pytest.fixture(scope="module")
def scorer(data):
    return experiments.DigitScorer(data)


def context(tmp_path, train=True, seed=0):
    return RunContext(paper003.CHAPTER, "quick", train, seed=seed, root=tmp_path, code=(paper003.__name__,))


def test_package_interface():
    ctx = paper003.run_context("full")
    assert (ctx.chapter, ctx.profile, ctx.train, ctx.seed) == ("003_spiking_gan", "full", False, 0)
    assert paper003.PAPER == read_claims(paper003.CHAPTER, "full")[0]
    assert set(config.profile_settings("quick")) == set(config.profile_settings("full"))


def test_train_classifier_tiny_artifact_then_read_back(tmp_path, data, monkeypatch):
    ctx = context(tmp_path)
    net = S4NNClassifierConfig(hidden=20, loss="aggressive")
    art = experiments.train_classifier(ctx, "clf_tiny", net, TINY, data)
    assert set(art.metrics) == {"test_strict", "test_s4nn", "test_tie", "test_silent", "decision_time",
                                "spikes_to_decision", "fraction_firing", "hidden_firing", "best_epoch",
                                "best_val", "epochs_trained", "stopped_on_plateau"}
    assert art.arrays["curve"].shape == (1, len(experiments.CURVE_COLUMNS)) == (1, 7)
    assert art.arrays["filters"].shape == (15, 784)
    assert "patience" not in art.provenance["config"]  # no early stopping: the identity is unchanged
    # the per-epoch test scores of the (only) epoch are those of the best-validation weights
    assert art.arrays["curve"][0, 5] == pytest.approx(art.metrics["test_strict"])
    assert art.arrays["curve"][0, 6] == pytest.approx(art.metrics["test_s4nn"])
    assert art.arrays["test_decision_time"].shape == (20,)
    assert 0 <= art.metrics["test_strict"] <= art.metrics["test_s4nn"] + 1e-9
    assert art.metrics["best_epoch"] == 1
    assert art.provenance["config"]["net"]["hidden"] == 20
    # a second call reads the artifact back and trains nothing
    monkeypatch.setattr(experiments, "train_epoch", lambda *a, **k: pytest.fail("retrained"))
    again = experiments.train_classifier(ctx, "clf_tiny", net, TINY, data)
    assert again.metrics == art.metrics


def test_train_classifier_runs_the_fast_paths(tmp_path, data, monkeypatch):
    # training (s4nn_train_image_ through train_epoch) and scoring (s4nn_forward_times through
    # evaluate) never reach the time-binned forward pass or the batched backward
    from snnlib.core import temporal

    calls = {"kernel": 0}
    kernel = temporal.s4nn_train_image_

    def counted(*args, **kwargs):
        calls["kernel"] += 1
        return kernel(*args, **kwargs)

    monkeypatch.setattr(temporal, "s4nn_train_image_", counted)
    for slow in ("if_layer_forward", "s4nn_forward", "s4nn_backward"):
        monkeypatch.setattr(temporal, slow, lambda *a, **k: pytest.fail("slow path"))
    art = experiments.train_classifier(context(tmp_path), "clf_fast", S4NNClassifierConfig(hidden=20),
                                       TINY, data)
    assert calls["kernel"] == TINY["n_train"] * TINY["epochs"]
    assert art.arrays["test_prediction"].shape == (TINY["n_test"],)


def test_train_classifier_stops_on_a_validation_plateau(tmp_path, data, monkeypatch):
    """Early stopping: with patience p the run ends once the strict validation accuracy has not
    exceeded its best for p consecutive epochs; the test-selected (S4NN protocol) score is the best
    per-epoch lenient test score."""
    net = S4NNClassifierConfig(hidden=20)
    settings = {**TINY, "epochs": 6, "patience": 2}
    # validation accuracies by call: best at epoch 2, then two epochs without a gain -> stop before 5
    scores = iter([0.5, 0.7, 0.7, 0.6, 0.9, 0.95])
    real_evaluate = experiments.evaluate
    val_labels = data.val_y[:settings["n_val"]]
    assert not torch.equal(val_labels, data.test_y[:settings["n_test"]])

    def scripted(weights, times, labels, config):
        result = real_evaluate(weights, times, labels, config)
        if torch.equal(labels, val_labels):
            return result._replace(strict_accuracy=next(scores))
        return result

    monkeypatch.setattr(experiments, "evaluate", scripted)
    art = experiments.train_classifier(context(tmp_path), "clf_plateau", net, settings, data)
    assert art.provenance["config"]["patience"] == 2
    assert art.metrics["epochs_trained"] == 4 and art.metrics["stopped_on_plateau"] is True
    assert art.metrics["best_epoch"] == 2 and art.metrics["best_val"] == 0.7
    assert art.arrays["curve"][:, 0].tolist() == [1, 2, 3, 4]
    chosen = analysis.test_selected(art)
    assert chosen.accuracy == art.arrays["curve"][:, 6].max()
    assert chosen.epoch == 1 + int(np.argmax(art.arrays["curve"][:, 6]))

    # without a plateau the same settings run all epochs
    scores = iter([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    full = experiments.train_classifier(context(tmp_path / "rising"), "clf_plateau", net, settings, data)
    assert full.metrics["epochs_trained"] == 6 and full.metrics["stopped_on_plateau"] is False


def test_train_classifier_with_patience_resumes_from_its_checkpoint(tmp_path, data):
    """A run killed in its second epoch resumes from the checkpoint of the first to the artifact
    of an uninterrupted run."""
    net = S4NNClassifierConfig(hidden=20)
    settings = {**TINY, "epochs": 3, "patience": 1}
    whole = experiments.train_classifier(context(tmp_path / "a"), "clf_r", net, settings, data)

    class Killed(Exception):
        pass

    ctx = context(tmp_path / "b")
    real_train_epoch = experiments.train_epoch
    done = {"n": 0}

    def dies_in_second_epoch(*args, **kwargs):
        done["n"] += 1
        if done["n"] == 2:
            raise Killed
        return real_train_epoch(*args, **kwargs)

    experiments.train_epoch = dies_in_second_epoch
    try:
        with pytest.raises(Killed):
            experiments.train_classifier(ctx, "clf_r", net, settings, data)
    finally:
        experiments.train_epoch = real_train_epoch
    assert (ctx.artifact_directory("clf_r") / "checkpoint.pt").exists()
    resumed = experiments.train_classifier(ctx, "clf_r", net, settings, data)
    assert resumed.metrics == whole.metrics
    assert np.array_equal(resumed.arrays["curve"], whole.arrays["curve"])


def test_test_selected_needs_per_epoch_test_scores():
    old = Artifact({}, {"curve": np.zeros((3, 5))}, {})
    assert analysis.test_selected(old) is None
    curve = np.array([[1, 0, 0, 0, 0, 0.8, 0.90], [2, 0, 0, 0, 0, 0.9, 0.95], [3, 0, 0, 0, 0, 0.85, 0.95]])
    assert analysis.test_selected(Artifact({}, {"curve": curve}, {})) == (0.95, 2)  # the first best


def test_nothing_trains_without_train_and_pending_is_listed(tmp_path, data):
    ctx = context(tmp_path, train=False)
    assert experiments.train_classifiers(ctx, TINY, data) == {}
    assert experiments.norm_pilot(ctx, TINY, data) is None
    assert experiments.gan_lr_pilot(ctx, TINY, data) is None
    spiking, ann = experiments.train_gans(ctx, config.GAN_BASE, TINY, data, digits=[3])
    assert spiking == {} and ann == {}
    assert ctx.pending == ["clf400_aggressive", "clf400_s4nn", "clf1000_aggressive", "norm_pilot",
                           "gan_lr_pilot", "gan_ann_digit3", "gan_spiking_digit3"]


def test_norm_pilot_tiny(tmp_path, data):
    art = experiments.norm_pilot(context(tmp_path), TINY, data)
    assert art.provenance["config"] == {"pilot_images": 20, "pilot_val": 10, "pilot_d_steps": 3}
    for norm in ("l1", "l2"):
        for key in ("classifier_{}", "classifier_{}_silent", "discriminator_{}_real", "discriminator_{}_fake"):
            assert 0.0 <= art.metrics[key.format(norm)] <= 1.0
    table = analysis.norm_pilot_table(art)
    assert "L2" in table and ":name: tab-003-norm-pilot" in table and "l1: classifier" in analysis.norm_pilot_lines(art)
    assert analysis.norm_pilot_text(art).startswith("In the pilot (20 training images, 10 validation images; 3 ")


def test_aggressive_readings_pilot_is_matched(tmp_path, data):
    readings = experiments.aggressive_readings_pilot(context(tmp_path), TINY, data)
    assert list(readings) == ["s4nn", "aggressive", "aggressive_label_silent", "aggressive_margin", "aggressive_zero"]
    for loss, art in readings.items():  # same images, the pilot's epochs, each reading's own loss
        assert art.provenance["config"]["epochs"] == 2 and art.provenance["config"]["n_train"] == 30
        assert art.provenance["config"]["net"]["loss"] == loss and art.metrics["epochs_trained"] == 2
    fake = {loss: Artifact({"decision_time": steps, "test_strict": 0.9, "spikes_to_decision": 300.0,
                            "test_silent": 0.0}, {}, {})
            for loss, steps in (("s4nn", 100.0), ("aggressive", 150.0), ("aggressive_zero", 60.0))}
    text = analysis.readings_text(fake)
    assert "ours `aggressive` 1.50, `aggressive_zero` 0.60." in text
    assert text.endswith("paper: -0.7 pp): `aggressive_zero` (0.60, 90.0 %, +0.0 pp).")
    assert "| `aggressive_zero` | 0 | 90.0 | 60.0 | 300 | 0.0 |" in analysis.readings_table(fake, 5)
    assert analysis.readings_text({"aggressive": fake["aggressive"]}) is None


def test_gan_mask_pilot_tiny(tmp_path, data):
    art = experiments.gan_mask_pilot(context(tmp_path), TINY, data)
    for key in ("strict", "silent_pairs"):
        assert art.arrays[key].shape == (2, 3)
        assert art.arrays[key][:, 0].tolist() == [2, 4]
        assert art.arrays[f"{key}_samples"].shape == (8, 784)
        assert art.arrays[f"{key}_samples"].dtype == np.uint8
    assert "steps with a blank generator" in analysis.mask_pilot_lines(art)
    assert analysis.mask_pilot_text(art).startswith("With the strict mask")
    assert ":name: tab-003-mask-pilot" in analysis.mask_pilot_table(art)


def test_gan_lr_pilot_tiny_and_the_chosen_rates(tmp_path, data, scorer):
    art = experiments.gan_lr_pilot(context(tmp_path), TINY, data, scorer)
    assert art.provenance["config"]["candidates"] == [list(c) for c in config.G_LR_CANDIDATES]
    assert art.provenance["config"]["n_images"] == 5
    for k in range(len(config.G_LR_CANDIDATES)):
        assert art.arrays[f"lr{k}"].shape == (2, len(config.PILOT_COLUMNS))
        assert art.arrays[f"lr{k}_samples"].shape == (8, 784)
    assert experiments.chosen_g_rates(art) in config.G_LR_CANDIDATES
    assert "chosen: G rates" in analysis.lr_pilot_lines(art, experiments.chosen_g_rates(art))
    table = analysis.lr_pilot_table(art, experiments.chosen_g_rates(art))
    assert table.count("(chosen)") == 1 and ":name: tab-003-lr-pilot" in table


def test_chosen_rates_have_the_lowest_median_fd_of_the_second_half():
    def rows(fd):  # four checks; only the last column (FD) matters, the second half counts
        out = np.zeros((4, len(config.PILOT_COLUMNS)))
        out[:, -1] = fd
        return out

    pilot = Artifact({}, {"lr0": rows([1, 1, 50, 60]), "lr1": rows([90, 90, 30, 40]),
                          "lr2": rows([1, 1, 45, 20])}, {})
    assert experiments.lr_pilot_median_fd(pilot) == {0: 55.0, 1: 35.0, 2: 32.5}
    assert experiments.chosen_g_rates(pilot) == config.G_LR_CANDIDATES[2]
    assert experiments.chosen_g_rates(None) == config.GAN_BASE.lr_g
    assert experiments.gan_config(pilot).lr_g == config.G_LR_CANDIDATES[2]


SMALL_GAN = spiking_gan.SpikingGANConfig(g_hidden=20, d_hidden=20, lr_g=(0.02, 2.0))


def test_spiking_gan_tiny_and_resumed_equals_uninterrupted(tmp_path, data, scorer, monkeypatch):
    art = experiments.train_spiking_gan(context(tmp_path / "a"), 3, SMALL_GAN, TINY, data, scorer)
    assert art.provenance["seed"] == 3  # seed = context seed + digit
    assert art.provenance["config"]["net"]["lr_g"] == [0.02, 2.0]
    assert set(art.metrics) == {"target_acc", "fid", "spikes_per_sample", "pixels_spiking"}
    assert art.arrays["log"].shape == (1, 6) and art.arrays["snapshots"].shape == (1, 4, 784)
    assert art.arrays["samples"].shape == (12, 784) and art.arrays["probs"].shape == (12, 10)
    assert 0 <= art.metrics["spikes_per_sample"] <= 100 + 20 + 784

    real_step, calls = spiking_gan.spiking_gan_step, []

    def dies_at_step_four(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(spiking_gan, "spiking_gan_step", dies_at_step_four)
    with pytest.raises(KeyboardInterrupt):
        experiments.train_spiking_gan(context(tmp_path / "b"), 3, SMALL_GAN, TINY, data, scorer)
    monkeypatch.setattr(spiking_gan, "spiking_gan_step", real_step)
    resumed = experiments.train_spiking_gan(context(tmp_path / "b"), 3, SMALL_GAN, TINY, data, scorer)
    assert resumed.provenance["segments"][0]["steps"] == [0, 2]
    for key in ("samples", "probs", "log", "snapshots"):
        assert np.array_equal(resumed.arrays[key], art.arrays[key]), key


def test_gan_fix_pilot_tiny_logs_every_epoch_and_resumes(tmp_path, data, scorer, monkeypatch):
    settings = {**TINY, "fix_epochs": 2}
    name = "signed_decay_dbound_l1"
    art = experiments.gan_fix_pilot(context(tmp_path / "a"), name, settings, data, SMALL_GAN, scorer)
    prov = art.provenance["config"]
    assert prov["net"]["norm"] == "l1" and prov["net"]["lr_g"] == pytest.approx([0.02 * 20 ** 0.5, 2.0 * 28])
    assert prov["variant"] == {"g_init": "signed", "g_init_gain": 2.0, "g_decay_epochs": 1.0, "d_bound": 0.75,
                               "d_window": 200}
    log = art.arrays["log"]
    assert log.shape == (2, len(config.FIX_PILOT_COLUMNS)) and log[:, 0].tolist() == [1, 2]
    assert ((0 <= log[:, 1:6]) & (log[:, 1:6] <= 1)).all()
    assert log[:, 4].tolist() == [1.0, 1.0]  # D's running accuracy starts at 0.5 < 0.75: it learns
    assert art.arrays["snapshots"].shape == (2, 4, 784)
    assert art.metrics["fd_best"] == log[:, -1].min() and art.metrics["fd_last"] == log[-1, -1]
    assert art.metrics["fooled_last"] == log[-1, 3]

    real_step, calls = spiking_gan.variant_gan_step, []

    def dies_at_step_seven(*args, **kwargs):
        calls.append(1)
        if len(calls) == 7:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(spiking_gan, "variant_gan_step", dies_at_step_seven)
    with pytest.raises(KeyboardInterrupt):
        experiments.gan_fix_pilot(context(tmp_path / "b"), name, settings, data, SMALL_GAN, scorer)
    monkeypatch.setattr(spiking_gan, "variant_gan_step", real_step)
    resumed = experiments.gan_fix_pilot(context(tmp_path / "b"), name, settings, data, SMALL_GAN, scorer)
    assert resumed.provenance["segments"][0]["steps"] == [0, 6]
    for key in ("log", "snapshots"):
        assert np.array_equal(resumed.arrays[key], art.arrays[key]), key
    # without training it is pending, under its own name
    ctx = context(tmp_path / "c", train=False)
    assert experiments.gan_fix_pilots(ctx, settings, data, SMALL_GAN, scorer) == {}
    assert ctx.pending == [f"gan_fix_{n}" for n in config.GAN_FIX_CANDIDATES]


def test_fixed_gan_keeps_the_best_fd_epoch_and_waits_for_the_pilots(tmp_path, data, scorer):
    settings = {**TINY, "gan_epochs": 3}
    art = experiments.train_fixed_gan(context(tmp_path / "a"), 3, "signed", SMALL_GAN, settings, data, scorer)
    assert art.provenance["config"]["candidate"] == "signed" and art.provenance["config"]["digit"] == 3
    log = art.arrays["log"]
    assert log[:, 0].tolist() == [1, 2, 3]
    best = int(log[np.argmin(log[:, -1]), 0])  # the lowest FD to the training images
    assert art.metrics["best_epoch"] == best
    if best == 3:  # the last epoch's G is the best one: scored twice, the same
        assert all(art.metrics[f"best_{k}"] == art.metrics[k] for k in ("target_acc", "fid", "spread"))
    else:  # an earlier G was kept
        assert art.metrics["best_fid"] != art.metrics["fid"]
    assert art.arrays["samples"].shape == art.arrays["best_samples"].shape == (12, 784)
    assert art.metrics["spread"] == pytest.approx(art.arrays["samples"].astype(np.float64).std(0, ddof=1).mean())
    # the chosen candidate: the lowest FD at the pilot's last epoch, once every candidate has run
    pilots = {name: Artifact({"fd_last": 100.0 + i}, {}, {}) for i, name in enumerate(config.GAN_FIX_CANDIDATES)}
    pilots["dbound"] = Artifact({"fd_last": 50.0}, {}, {})
    for i, name in enumerate(config.GAN_FIX_CANDIDATES):  # the spread each left at its last epoch
        pilots[name].metrics["spread_last"] = 10.0 if name in ("dbound", "base") else 60.0
    assert experiments.chosen_fix(pilots) == "dbound"
    # only candidates that spread at least min_spread count: the lowest FD of the others (signed: 101)
    assert experiments.chosen_fix(pilots, min_spread=50.0) == "signed"
    assert experiments.chosen_fix(pilots, min_spread=99.0) == "dbound"  # none does: all count
    assert experiments.fix_min_spread(data, settings) == pytest.approx(
        0.5 * metrics.sample_spread(experiments.real_by_digit(data, settings, 0)[:64]))
    del pilots["l1"]
    assert experiments.chosen_fix(pilots) is None
    ctx = context(tmp_path / "b", train=False)
    assert experiments.train_fixed_gans(ctx, pilots, SMALL_GAN, settings, data, scorer) == {} and ctx.pending == []


def test_ann_gan_tiny(tmp_path, data, scorer):
    art = experiments.train_ann_gan(context(tmp_path), 1, TINY, data, scorer)
    assert art.provenance["seed"] == 1
    assert art.provenance["config"] == {"digit": 1, "epochs": 1, "batch": 64, "lr": 2e-4,
                                        "betas": [0.5, 0.999], "n_images": 5, "n_samples": 12}
    assert set(art.metrics) == {"target_acc", "fid"}
    assert art.arrays["samples"].shape == (12, 784) and art.arrays["probs"].shape == (12, 10)


def test_if_peak_rate_matches_the_simulated_neuron():
    """pins eq-003-peak-rate: r_peak = 1/(τ_ref + 1) spikes per step."""
    assert analysis.if_peak_rate(0) == 1.0 and analysis.if_peak_rate(3) == 0.25
    assert np.allclose(analysis.if_peak_rate(np.array([1, 4])), [0.5, 0.2])
    steps = 40
    trains = analysis.refractory_trains([0, 1, 2, 4, 8], steps)
    for r, train in trains.items():
        assert abs(train.sum() / steps - analysis.if_peak_rate(r)) <= 1 / steps
        spikes = np.flatnonzero(train)
        assert (np.diff(spikes) == r + 1).all()  # fires every τ_ref + 1 steps


def test_input_code_cost_hand_values():
    images = torch.zeros(2, 28, 28, dtype=torch.uint8)
    images[0, 0, :3] = torch.tensor([255, 10, 1], dtype=torch.uint8)
    images[1, 5, 5] = 100
    cost = analysis.input_code_cost(images)
    assert cost.stored == pytest.approx((266 + 100) / 2)
    assert cost.inverted == pytest.approx(784 * 255 - (266 + 100) / 2)
    assert cost.ttfs == pytest.approx(2.0)


def test_claims_from_nothing_say_not_run_yet():
    cost = analysis.InputCodeCost(stored=1.0, inverted=2.0, ttfs=3.0)
    built = claims.claims_from("quick", {}, cost, {}, {}, 0.99)
    by_id = {c.id: c for c in built}
    assert len(built) == 90  # 59 + the fixed Spiking-GAN's 3 per digit and pooled IS
    assert by_id["speed.s4nn_ratio"].ours is None and "not recorded" in by_id["speed.s4nn_ratio"].what
    assert by_id["clf400.s4nn.acc"].ours is None and "not run yet" in by_id["clf400.s4nn.acc"].what
    assert by_id["clf400.s4nn.acc"].paper == 97.4
    assert by_id["gan.spiking.pooled_is"].ours is None
    assert by_id["input.count_code.spikes"].ours == 2.0 and by_id["input.count_code.spikes"].paper == 173745.0
    assert by_id["classifier.test_acc"].ours == pytest.approx(99.0)
    per_digit = [c.id for c in built if claims.is_per_digit_gan(c)]
    assert len(per_digit) == 70 and "gan.spiking.digit3.fid" in per_digit
    assert "not run yet" in by_id["gan.spiking.fixed.digit3.fid"].what and by_id["gan.spiking.fixed.pooled_is"].ours is None
    assert not claims.is_per_digit_gan(by_id["gan.spiking.pooled_is"])


def _bench(identical=True):
    return Artifact({"threads": 1, "train_images": 100, "train_times_identical": identical,
                     "train_max_abs_dw": 0.0 if identical else 1e-3, "port_train_ms": 6.0,
                     "snnlib_train_ms": 1.5, "port_train_ms_median": 5.0, "snnlib_train_ms_median": 1.0,
                     "train_ratio": 4.0, "snnlib_train_ms_float32": 0.5, "eval_images": 50,
                     "eval_output_times_identical": identical, "eval_s4nn_correct_identical": identical,
                     "port_eval_ms": 6.0, "snnlib_eval_ms": 0.3},
                    {}, {"packages": {"torch": "2.x", "numpy": "2.y"}})


def test_s4nn_benchmark_claim_and_table_come_from_the_record():
    cost = analysis.InputCodeCost(stored=1.0, inverted=2.0, ttfs=3.0)
    by_id = {c.id: c for c in claims.claims_from("full", {}, cost, {}, {}, 0.99, _bench())}
    assert by_id["speed.s4nn_ratio"].ours == 4.0 and by_id["speed.s4nn_ratio"].unit == "×"
    text = analysis.s4nn_benchmark_markdown(_bench(), 1000)
    # every ratio is the quotient of the two times on its line
    assert "| training, float64 (mean) | 1.50 | 6.00 | 4.0× |" in text
    assert "| evaluation (best of the timed passes) | 0.30 | 6.00 | 20.0× |" in text
    assert "bit-identical weights" in text and "costs about 0.5 s of one core" in text
    assert analysis.epoch_cost_s(_bench(), 1000) == pytest.approx(0.5)
    broken = analysis.s4nn_benchmark_markdown(_bench(identical=False), 1000)
    assert "**not** identical" in broken and "bit-identical" not in broken


def test_count_groups_thousands():
    assert analysis.count(60000) == "60 000"


def _gan(target_acc, read_as, n=10):
    """A stand-in generator artifact: ``target_acc`` of its samples read as its digit, the rest as
    ``read_as``; a training log of three epochs."""
    probs = np.zeros((n, 10))
    probs[:, read_as] = 1.0
    log = np.array([[1, 0.5, 0.5, 0.2, 1.0, 300.0], [2, 0.99, 0.98, 0.01, 1.0, 100.0],
                    [3, 0.99, 0.99, 0.03, 1.0, 200.0]])
    samples = np.zeros((4, 784), dtype=np.uint8)
    return Artifact({"target_acc": target_acc, "fid": 100.0, "spikes_per_sample": 500.0, "pixels_spiking": 0.5},
                    {"probs": probs, "log": log, "samples": samples}, {})


def test_samples_text_counts_the_rows_read_as_their_digit():
    spiking = {0: _gan(0.0, 8), 1: _gan(1.0, 1), 2: _gan(0.0, 3)}
    ann = {d: _gan(0.9, d) for d in range(3)}
    text = analysis.samples_text(spiking, ann)
    assert text.startswith("**Most Spiking-GAN rows are not digits.**")
    assert "in 1 of the 3 Spiking-GAN rows (digit 1)" in text
    assert "in the other 2 rows it reads none of the samples as their digit (mostly as 3 or 8 instead)" in text
    assert "For the ANN GAN it is 3 of 3 rows" in text
    assert analysis.samples_text({}, ann) is None
    assert analysis.read_as(spiking[0]) == (8, 1.0)


def test_gan_tables_are_numbered_and_fit_the_column():
    spiking = {0: _gan(0.0, 8), 1: _gan(1.0, 1)}
    ann = {0: _gan(0.9, 0)}
    real = {d: 40.0 for d in range(10)}
    for table, label in ((analysis.gan_quality_table(spiking, ann), "tab-003-gan-quality"),
                         (analysis.gan_spread_table(spiking, ann, real), "tab-003-gan-spread"),
                         (analysis.gan_training_table(spiking), "tab-003-gan-training")):
        assert f":name: {label}" in table
        header = next(line for line in table.splitlines() if line.startswith("| "))
        assert header.count("|") - 1 <= 6, header
    training = analysis.gan_training_table(spiking).replace("\xa0", " ")
    assert "| 0 | 100 (2) | 200 | 2 | 2 of 2 | 3.0 % |" in training
    assert analysis.gan_training_text(spiking).startswith(
        "The Spiking-GAN's training does not settle: for 2 of the 2 digits")


def _fake_published_file(path, monkeypatch, hidden, output, extra_global=None):
    """A file shaped like SRKH/S4NN's weights_pretrained.npy: np.save of an object array of two
    CuPy arrays (pickled as ``cupy.core.core.array(numpy_array)``), made with a stand-in cupy module."""
    import hashlib
    import sys
    import types

    cupy_core = types.ModuleType("cupy.core.core")

    def array(a):
        return a

    array.__module__, array.__qualname__ = "cupy.core.core", "array"
    cupy_core.array = array
    for name in ("cupy", "cupy.core", "cupy.core.core"):
        monkeypatch.setitem(sys.modules, name, cupy_core if name == "cupy.core.core" else types.ModuleType(name))

    class CupyLike:
        def __init__(self, a):
            self.a = a

        def __reduce__(self):
            return (extra_global, ("echo hi",)) if extra_global else (array, (self.a,))

    layers = np.empty(2, dtype=object)
    layers[0], layers[1] = CupyLike(hidden), CupyLike(output)
    np.save(path, layers, allow_pickle=True)
    for name in ("cupy", "cupy.core", "cupy.core.core"):  # the loader must not need cupy
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(published, "PUBLISHED_WEIGHTS_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())


def test_published_weights_load_in_digit_order_without_cupy_or_other_globals(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    hidden, output = rng.normal(size=(400, 28, 28)), rng.normal(size=(10, 400, 1))
    path = tmp_path / "weights_pretrained.npy"
    _fake_published_file(path, monkeypatch, hidden, output)
    w_hidden, w_out = published.load_published_weights(path)
    assert w_hidden.dtype == torch.float64 and w_hidden.shape == (400, 784)
    assert np.array_equal(w_hidden.numpy(), hidden.reshape(400, 784))  # pixels in row-major order
    for digit in range(10):  # S4NN.py trains digit d as class cats.index(d)
        assert np.array_equal(w_out[digit].numpy(), output[published.S4NN_CATS.index(digit), :, 0])
    monkeypatch.setenv(published.PUBLISHED_WEIGHTS_ENV, str(path))  # the same file through the variable
    assert torch.equal(published.load_published_weights()[1], w_out)
    import os

    evil = tmp_path / "evil.npy"
    _fake_published_file(evil, monkeypatch, hidden, output, extra_global=os.system)
    with pytest.raises(DataError, match="refused to unpickle"):
        published.load_published_weights(evil)


def test_published_weights_offline_without_a_copy_say_what_to_do(tmp_path, monkeypatch):
    from snnlib.book import data as book_data

    def offline(url, timeout):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(book_data, "_urlopen", offline)
    monkeypatch.setenv("SNN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(published.PUBLISHED_WEIGHTS_ENV, raising=False)
    with pytest.raises(DataError) as info:
        published.load_published_weights()
    assert published.PUBLISHED_WEIGHTS_URL in str(info.value)
    assert published.PUBLISHED_WEIGHTS_SHA256 in str(info.value)
    assert "Connect to the internet" in str(info.value) and published.PUBLISHED_WEIGHTS_ENV in str(info.value)
    with pytest.raises(DataError, match="no file at"):
        published.load_published_weights(tmp_path / "missing.npy")


def test_score_published_scores_the_file_with_our_evaluate(tmp_path, monkeypatch, data):
    rng = np.random.default_rng(1)
    hidden, output = rng.uniform(0, 5, size=(400, 28, 28)), rng.uniform(0, 48, size=(10, 400, 1))
    path = tmp_path / "weights_pretrained.npy"
    _fake_published_file(path, monkeypatch, hidden, output)
    assert experiments.score_published(context(tmp_path), TINY, data, path) is None  # not in this profile
    art = experiments.score_published(context(tmp_path), {**TINY, "published": True}, data, path)
    direct = experiments.evaluate(published.load_published_weights(path),
                                  coding.ttfs_encode(data.test_x[:TINY["n_test"]].flatten(1)),
                                  data.test_y[:TINY["n_test"]], S4NNClassifierConfig())
    assert art.metrics["test_strict"] == direct.strict_accuracy
    assert art.metrics["test_s4nn"] == direct.s4nn_accuracy
    assert art.provenance["config"]["sha256"] == published.PUBLISHED_WEIGHTS_SHA256
    assert np.array_equal(art.arrays["test_prediction"], direct.prediction.numpy())
    cost = analysis.InputCodeCost(stored=1.0, inverted=2.0, ttfs=3.0)
    by_id = {c.id: c for c in claims.claims_from("quick", {}, cost, {}, {}, 0.99, None, art)}
    assert by_id["clf400.published.acc"].ours == pytest.approx(100 * direct.strict_accuracy)
    assert by_id["clf400.published.acc_lenient"].ours == pytest.approx(100 * direct.s4nn_accuracy)
    assert "published weights" in analysis.scoring_table({}, art)


def test_fixed_gan_verdict_and_claims_hand_values():
    def fixed(acc, fid, spread):
        m = {"target_acc": acc, "fid": fid, "spread": spread, "best_epoch": 7}
        return Artifact({**m, **{f"best_{k}": v for k, v in m.items() if k != "best_epoch"}},
                        {"probs": torch.eye(10)[[0] * 5]}, {})
    fixed_gans = {d: fixed(0.9 if d % 2 else 0.7, 60.0, 40.0) for d in range(10)}  # mean share 0.8
    ann = {d: Artifact({"fid": 30.0 if d < 5 else 10.0}, {}, {}) for d in range(10)}  # mean FD 20
    real = {d: 100.0 for d in range(10)}
    assert analysis.fixed_gan_verdict(fixed_gans, ann, real) == pytest.approx(
        {"target_acc": 0.8, "fid_over_ann": 3.0, "spread_over_real": 0.4})
    assert "short of the bar" in analysis.fixed_gan_text(fixed_gans, ann, real)  # spread 0.4 < 0.5
    assert analysis.fixed_gan_verdict({0: fixed_gans[0]}, ann, real) is None
    assert "(digits done: 0, 3)" in analysis.fixed_gan_text({0: fixed_gans[0], 3: fixed_gans[3]}, ann, real)
    table = analysis.fixed_gan_table({3: fixed_gans[3]}, "signed", real)
    assert ":name: tab-003-fixed-gan" in table and "| 3 | 90.0\u00a0% | 60.0 | 40.0 | 7 |" in table
    by_id = {c.id: c for c in claims.claims_from("full", {}, analysis.InputCodeCost(1.0, 1.0, 1.0), {}, {}, 0.99,
                                                 fixed_gans=fixed_gans)}
    assert by_id["gan.spiking.fixed.digit1.target_acc"].ours == pytest.approx(90.0)
    assert by_id["gan.spiking.fixed.digit4.spread"].ours == 40.0
    assert by_id["gan.spiking.fixed.pooled_is"].ours is not None  # all ten digits
    assert claims.is_per_digit_gan(by_id["gan.spiking.fixed.digit4.fid"])
    assert not claims.is_per_digit_gan(by_id["gan.spiking.fixed.pooled_is"])


def test_fix_pilot_table_lists_every_candidate_and_marks_missing_runs():
    """The chapter cites the table by its label, so it must render before any pilot has run."""
    table = analysis.fix_pilot_table({}).splitlines()
    assert table[1] == ":name: tab-003-fix-pilot"
    body = table[4:-1]
    assert len(body) == len(config.GAN_FIX_CANDIDATES)
    assert all(line.count("not run") == 7 for line in body)
    assert body[0].startswith("| the GAN as trained above (baseline) |")


def _latency_classifier(decisions, strict, epochs=30):
    from snnlib.book.artifacts import Artifact

    decisions = np.array(decisions)
    metrics = {"decision_time": decisions.mean(), "spikes_to_decision": 180.0, "test_strict": strict,
               "test_s4nn": strict + 0.02, "fraction_firing": 0.15, "test_silent": float((decisions == 256).mean()),
               "epochs_trained": epochs, "stopped_on_plateau": True}
    curve = np.zeros((epochs, 7))
    curve[:, 2] = 0.9 + 0.001 * (np.arange(epochs) % 2)  # validation moves by 0.1 pp
    return Artifact(metrics, {"test_decision_time": decisions, "curve": curve},
                    {"config": {"epochs": 100, "n_train": 50000, "n_val": 10000}})


def test_latency_notes_follow_the_direction_of_both_means():
    # with the silent image (step 256) Aggressive TTFS is later (118.7 vs 60); without it earlier (50 vs 60)
    mixed = {"clf400_aggressive": _latency_classifier([50, 50, 256], 0.93, 34),
             "clf400_s4nn": _latency_classifier([60, 60, 60], 0.932, 38)}
    claim, notes = analysis.latency_text(mixed)
    assert "at 0.2 pp lower strict accuracy (0.2 pp lower with the S4NN code's scoring)" in claim
    assert ("we do not reproduce the paper's speed-up: counted with the silent images Aggressive TTFS decides "
            "58.7 steps later than the S4NN loss, without them 10.0 steps earlier, against 30.0 steps earlier") in notes
    assert "until the validation accuracy stopped improving (34-38 epochs" in notes
    assert "moves by 0.1 pp from one epoch to the next" in notes
    later = {"clf400_aggressive": _latency_classifier([90, 90, 90], 0.93),
             "clf400_s4nn": _latency_classifier([70, 70, 70], 0.93)}
    assert "the opposite of the paper's" in analysis.latency_text(later)[1]
    higher = {"clf400_aggressive": _latency_classifier([90, 90, 90], 0.94),
              "clf400_s4nn": _latency_classifier([70, 70, 70], 0.93)}
    assert "at 1.0 pp higher strict accuracy" in analysis.latency_text(higher)[0]
    earlier = {"clf400_aggressive": _latency_classifier([50, 50, 50], 0.93),
               "clf400_s4nn": _latency_classifier([70, 70, 70], 0.93)}
    assert "decides earlier, as in the paper: by 20.0 steps" in analysis.latency_text(earlier)[1]
