"""Paper 000's networks and protocols: the neuron against hand-computed values, the fast generator
against the literal snnTorch model, the GAN step's direction, and the scorer against real images."""

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from snnlib.core.neurons import if_params, lif_sequence
from snnlib.papers.p000_spiking_dcgan import experiments, gan, models
from snnlib.papers.p000_spiking_dcgan.config import DCGAN_OPTIMISER, GANRun, profile_settings

snntorch = pytest.importorskip("snntorch")


def test_if_neuron_at_the_papers_threshold_by_hand():
    """eq-000-if: U[t] = U[t-1] + I[t] - R U_thr, R = 1[U[t-1] > 0.4], spike S[t] = 1[U[t] > 0.4];
    currents 0.3, 0.3, 0.3, 0, 0.5 give U = 0.3, 0.6 (spike), 0.5 (reset, spike), 0.1 (reset),
    0.6 (spike)."""
    currents = torch.tensor([0.3, 0.3, 0.3, 0.0, 0.5])[:, None]
    neuron = models.neuron_params()
    spikes, state = lif_sequence(currents, neuron)
    assert spikes.flatten().tolist() == [0, 1, 1, 0, 1]
    assert state.mem.item() == pytest.approx(0.6)
    leaky = snntorch.Leaky(beta=1.0, threshold=0.4, spike_grad=snntorch.surrogate.fast_sigmoid(slope=25))
    mem, theirs = leaky.init_leaky(), []
    for current in currents:
        spike, mem = leaky(current, mem)
        theirs.append(spike.item())
    assert theirs == [0, 1, 1, 0, 1]


@pytest.mark.parametrize("config", [models.GeneratorConfig(), models.GeneratorConfig(output="sigmoid"),
                                    models.GeneratorConfig(noise="fresh")],
                         ids=["spikes", "sigmoid", "fresh-noise"])
def test_fast_generator_gives_the_snntorch_models_spikes_and_gradients(config):
    """eq-000-image: the fast path (first layer hoisted, all steps in one convolution, the mean
    moved before a last linear layer) and the per-step snnTorch loop on the same weights."""
    torch.manual_seed(0)
    fast = models.SpikingGenerator(config)
    literal = models.SnntorchGenerator(config, fast.layers)
    z = models.sample_noise(3, config, generator=torch.Generator().manual_seed(1))
    ours, our_spikes = fast(z)
    theirs, their_spikes = literal(z)
    assert len(our_spikes) == len(their_spikes) == (4 if config.output == "spikes" else 3)
    for a, b in zip(our_spikes, their_spikes):
        assert torch.equal(a, b) and 0 < a.mean() < 1
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-6)
    weight = torch.linspace(-1, 1, 784).view(1, 1, 28, 28)
    our_grads = torch.autograd.grad((ours * weight).sum(), list(fast.layers.parameters()))
    their_grads = torch.autograd.grad((theirs * weight).sum(), list(literal.layers.parameters()))
    for a, b in zip(our_grads, their_grads):
        assert b.abs().max() > 0
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5 * float(b.abs().max()))


def test_equivalence_check_reports_a_fast_path_with_another_threshold(monkeypatch):
    assert models.snntorch_equivalence(models.GeneratorConfig()) == (True, 0.0)
    monkeypatch.setattr(models, "neuron_params", lambda config: if_params(threshold=0.41))
    identical, difference = models.snntorch_equivalence(models.GeneratorConfig())
    assert not identical and difference > 0


def test_generator_and_discriminator_shapes_follow_the_papers_tables():
    torch.manual_seed(0)
    sizes = []
    h = torch.zeros(2, 128, 1, 1)
    for conv in models.GeneratorLayers().convs:
        h = conv(h)
        sizes.append(tuple(h.shape[1:]))
    assert sizes == [(128, 4, 4), (64, 7, 7), (32, 14, 14), (1, 28, 28)]
    images, _ = models.SpikingGenerator()(torch.randn(2, 128))
    assert images.shape == (2, 1, 28, 28) and 0 <= images.min() and images.max() <= 1
    assert set((images * 30).round().unique().tolist()) <= set(range(31))  # means of 30 spikes
    assert models.Discriminator()(images).shape == (2,)


def test_gan_step_losses_and_directions():
    """eq-000-gan: the returned losses are the BCE of D's verdicts before the updates, D's step
    lowers its loss on the same batch, and G's step raises D's logit on G's new images."""
    torch.manual_seed(0)
    g, d = models.AnalogGenerator(), models.Discriminator()
    opt = gan.OptimiserConfig(lr=1e-3, betas=(0.5, 0.999), weight_decay=0.0)
    opt_g, opt_d = gan.make_optimiser(g, opt), gan.make_optimiser(d, opt)
    real, z = torch.rand(16, 1, 28, 28), torch.randn(16, 128)
    with torch.no_grad():
        fake = g(z)[0]
        by_hand_d = -(F.logsigmoid(d(real)).mean() + F.logsigmoid(-d(fake)).mean())
        by_hand_g = -F.logsigmoid(d(fake)).mean()
    d_before = [p.detach().clone() for p in d.parameters()]
    losses = gan.gan_step(g, d, opt_g, opt_d, real, z)
    assert losses.d == pytest.approx(float(by_hand_d), rel=1e-5)
    with torch.no_grad():
        fake_before = fake
        fake_after = g(z)[0]
        assert -(F.logsigmoid(d(real)).mean() + F.logsigmoid(-d(fake_before)).mean()) < by_hand_d
        assert d(fake_after).mean() > d(fake_before).mean()
    assert any(not torch.equal(a, b) for a, b in zip(d_before, d.parameters()))
    assert math.isfinite(losses.g) and losses.g > 0 and by_hand_g > 0


def test_scorer_rates_real_digits_far_above_noise():
    """eq-000-is under the book's classifier: real test images score near the 10-class ceiling,
    uniform noise near 1, and the real images' Fréchet distance to the test set is small."""
    settings = profile_settings("quick")
    scorer = experiments.GANScorer(experiments.test_images())
    real = experiments.real_ceiling(settings, scorer)
    noise = scorer.score(torch.rand(settings["n_eval"], 1, 28, 28, generator=torch.Generator().manual_seed(0)))
    assert real.inception > 8.5 and noise.inception < 3
    assert real.fd < 0.05 * noise.fd
    assert real.largest_class < 0.2


def test_train_gan_logs_every_epoch_and_resumes_to_the_same_result(tmp_path, monkeypatch):
    """A tiny analog GAN: one log row per epoch (row 0 before training), and a run killed after
    a checkpoint and resumed ends with the same generator as an uninterrupted one."""
    from snnlib.book.runner import RunContext

    settings = {"n_train": 64, "batch": 16, "epochs": 2, "n_eval": 40, "checkpoint_every": 3, "pilot_epochs": 1}
    scorer = experiments.GANScorer(experiments.test_images()[:200])
    run = GANRun("analog", optimiser=DCGAN_OPTIMISER)

    def train(root):
        ctx = RunContext("000_spiking_dcgan", "quick", train=True, root=root)
        return experiments.train_gan(ctx, "tiny", run, settings, scorer)

    whole = train(tmp_path / "a")
    assert whole.arrays["log"].shape == (3, 9) and list(whole.arrays["log"][:, 0]) == [0, 1, 2]
    assert whole.arrays["losses"].shape == (8, 2)

    calls = {"n": 0}
    original = gan.gan_step

    def dies_after_four(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(experiments, "gan_step", dies_after_four)
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "b")
    monkeypatch.setattr(experiments, "gan_step", original)
    resumed = train(tmp_path / "b")
    for key, value in whole.weights["generator"].items():
        torch.testing.assert_close(resumed.weights["generator"][key], value, rtol=0, atol=0)
    np.testing.assert_array_equal(resumed.arrays["log"], whole.arrays["log"])  # NaN: no loss before training


def _run_with_is(values):
    from snnlib.book.artifacts import Artifact

    log = np.zeros((len(values) + 1, 9))
    log[:, 0] = np.arange(len(values) + 1)
    log[1:, 1] = values
    return Artifact({}, {"log": log}, {}, None)


def test_the_papers_claim_is_judged_by_best_score_and_epochs_to_reach_it():
    from snnlib.papers.p000_spiking_dcgan import analysis

    # analog best 5.0; 90 % of it is 4.5: reached at epoch 2 (analog) and epoch 3 (spiking)
    similar = analysis.compare(_run_with_is([3.0, 4.0, 4.6, 4.8]), _run_with_is([4.0, 4.7, 5.0, 5.0]))
    # best epochs: 4 (spiking) and 3 (analog, the first of two equal scores), of 4
    assert similar == analysis.Comparison(4.8, 5.0, 3, 2, True, 0, 4, 3, 4)
    # the spiking GAN reaches 4.5 only at epoch 4, twice as late: not similar in speed
    slow = analysis.compare(_run_with_is([2.0, 3.0, 4.0, 4.8]), _run_with_is([4.0, 4.7, 5.0, 5.0]))
    assert slow.spiking_epoch_to_90 == 4 and not slow.similar
    # a spiking GAN that never gets near: not similar in quality
    weak = analysis.compare(_run_with_is([2.0, 2.5, 3.0, 3.5]), _run_with_is([4.0, 4.7, 5.0, 5.0]))
    assert weak.spiking_epoch_to_90 is None and not weak.similar
    # ahead for the first two epochs, then behind, then tied (counts for neither); the analog GAN
    # needs twice the spiking one's epochs to reach 4.5, so not similar the other way round
    early = analysis.compare(_run_with_is([4.5, 4.8, 4.9, 5.0]), _run_with_is([4.0, 4.7, 5.0, 5.0]))
    assert early.spiking_ahead == 2 and early.analog_epoch_to_90 == 2 and not early.similar


def _run_with(is_, fd, spread):
    from snnlib.book.artifacts import Artifact

    log = np.zeros((len(is_), 9))
    log[:, 0], log[:, 1], log[:, 3], log[:, 4] = np.arange(len(is_)), is_, fd, spread
    return Artifact({}, {"log": log}, {}, None)


def test_pilots_are_read_against_the_baseline_at_the_same_epoch():
    from snnlib.papers.p000_spiking_dcgan import analysis

    baseline = _run_with([1.0, 2.0, 3.0, 4.0], [900, 700, 500, 300], [0.1, 0.1, 0.1, 0.1])
    better = _run_with([1.0, 2.5, 3.5], [900, 650, 450], [0.1, 0.1, 0.12])
    # epoch 2 of both, not the baseline's last epoch (where it is ahead)
    assert analysis.pilot_change(better, baseline, 2) == analysis.PilotChange(3.5, 3.0, 450, 500, 0.12, 0.1, "better")
    assert analysis.pilot_change(baseline, better, 2).verdict == "worse"
    mixed = _run_with([1.0, 2.0, 3.5], [900, 700, 600], [0.1, 0.1, 0.1])
    assert analysis.pilot_change(mixed, baseline, 2).verdict == "mixed"
    text = analysis.pilots_text({"pilot_batch_64": better, "pilot_noise_fresh": mixed}, baseline, 2)
    assert "IS 3.50 against 3.00 (+0.50), FD 450 against 500 (-10 %)" in text and "mixed" in text
    # a baseline that has not reached the pilots' epoch: nothing is read
    assert analysis.pilots_text({"pilot_batch_64": better}, _run_with([1.0, 2.0], [9, 8], [0, 0]), 2).startswith("No pilot")


def test_cost_per_epoch_divides_the_summed_wall_time_by_the_epochs_trained():
    from snnlib.book.artifacts import Artifact
    from snnlib.papers.p000_spiking_dcgan import analysis

    run = Artifact({}, {"log": np.zeros((5, 9))}, {}, None)  # epoch 0 and four trained epochs
    run.provenance["wall_time_s"] = 4 * 600.0
    assert analysis.minutes_per_epoch(run) == 10.0
    assert analysis.cost_text({"analog": run}) == ("Minutes of one CPU core per epoch, scoring included, "
                                                  "from each run's provenance: analog G, paper's lr 10.0.")


def _spiking_artifact(generator, output="spikes"):
    from snnlib.book.artifacts import Artifact

    config = {"kind": "spiking", "generator": {**vars(generator.config), "output": output}}
    return Artifact({}, {"log": np.zeros((3, 9))}, {"config": config}, {"generator": generator.state_dict()})


def test_generator_activity_tells_a_silent_output_layer_from_a_live_one():
    from snnlib.papers.p000_spiking_dcgan import analysis

    torch.manual_seed(0)
    g = models.SpikingGenerator(models.GeneratorConfig(num_steps=8))
    for conv in g.layers.convs:
        torch.nn.init.normal_(conv.weight, 0.0, 0.3)
    live = analysis.generator_activity(_spiking_artifact(g), n=8)
    assert live.pixels_spiking > 0 and live.mean_grey > 0 and live.gradient_norm > 0
    assert len(live.firing) == 4 and all(0 < f < 1 for f in live.firing)
    # an output layer driven far below threshold: no pixel spikes, the image is black, and the
    # fast sigmoid's slope there, 1 / (1 + 25 |U - 0.4|)^2, leaves almost no gradient
    with torch.no_grad():
        g.layers.convs[3].weight.copy_(-g.layers.convs[3].weight.abs() * 50)
    silent = analysis.generator_activity(_spiking_artifact(g), n=8)
    assert silent.pixels_spiking == 0 and silent.mean_grey == 0 and silent.firing[3] == 0
    assert silent.firing[:3] == live.firing[:3]  # the hidden layers are untouched
    assert silent.gradient_norm < 1e-3 * live.gradient_norm


def test_a_silent_generator_is_reported_with_its_last_epoch_losses():
    from snnlib.papers.p000_spiking_dcgan import analysis

    torch.manual_seed(0)
    g = models.SpikingGenerator(models.GeneratorConfig(num_steps=8))
    for conv in g.layers.convs:
        torch.nn.init.normal_(conv.weight, 0.0, 0.3)
    art = _spiking_artifact(g)  # two epochs of three steps each
    art.arrays["losses"] = np.array([[9.0, 9.0]] * 3 + [[0.6, 0.7], [0.8, 0.7], [0.7, 0.7]])
    art.metrics.update(best_is=3.5, best_is_epoch=1)
    assert analysis.last_epoch_losses(art) == pytest.approx((0.7, 0.7))
    runs = {"spiking_dcgan_lr": art}
    assert analysis.silent_output_text(runs, analysis.generator_activities(runs, n=8)) is None  # its output spikes
    with torch.no_grad():
        g.layers.convs[3].weight.copy_(-g.layers.convs[3].weight.abs() * 50)
    art.weights = {"generator": g.state_dict()}
    text = analysis.silent_output_text(runs, analysis.generator_activities(runs, n=8))
    assert "peaked at epoch 1 (3.50); after epoch 2 only 0 % of its output pixels spike on 8 samples" in text
    assert "D's loss averaged 0.700 and G's 0.700, against ln 2 = 0.693" in text


def test_an_all_black_image_gets_a_logit_of_zero_from_any_discriminator():
    # no biases (the DCGAN template): D(0) = 1/2 whatever D has learned, so neither loss can
    # push a black generator anywhere through D
    torch.manual_seed(0)
    d = models.Discriminator()
    for p in d.parameters():
        torch.nn.init.normal_(p, 0.0, 1.0)
    assert torch.equal(d(torch.zeros(3, 1, 28, 28)), torch.zeros(3))
    assert d(torch.full((1, 1, 28, 28), 0.1)).abs().item() > 0


def test_the_claim_is_tested_in_each_setting_and_missing_runs_are_named():
    from snnlib.papers.p000_spiking_dcgan import analysis

    runs = {"spiking": _run_with_is([3.0, 4.0, 4.6, 4.8]), "analog": _run_with_is([4.0, 4.7, 5.0, 5.0])}
    text = analysis.comparison_text(runs)
    assert text.startswith("- **The paper's learning rate**, 4 epochs: after the first epoch IS 3.00 (spiking) "
                           "against 4.00 (analog); best IS 4.80 against 5.00; the spiking GAN ahead after 0 "
                           "of the 4 epochs; 90 % of the higher one reached "
                           "at epoch 3 (spiking) and at epoch 2 (analog)")
    assert "**similar**, as the paper says (the spiking run still at its best in the last epoch: not converged)." in text
    both = analysis.comparison_text({"spiking": _run_with_is([3.0, 4.0, 5.0]), "analog": _run_with_is([4.0, 4.5, 5.0])})
    assert "(both runs still at their best in the last epoch: not converged)." in both
    # a pair that is not similar says which half of the criterion it misses
    slow = analysis.comparison_text({"spiking": _run_with_is([2.0, 3.0, 4.0, 4.8]), "analog": _run_with_is([4.0, 4.7, 5.0, 5.0])})
    assert ("**not similar** by our criterion: lower best score 0.96 of the higher (≥ 0.9), epochs to 90 % 2.00 "
            "times apart (> 1.5) (the spiking run still at its best") in slow
    weak = analysis.comparison_text({"spiking": _run_with_is([2.0, 2.5, 3.0, 3.5]), "analog": _run_with_is([4.0, 4.7, 5.0, 5.0])})
    assert "lower best score 0.70 of the higher (< 0.9), one run never at 90 % of the higher" in weak
    levelled = analysis.comparison_text({"spiking": _run_with_is([3.0, 5.0, 4.9]), "analog": _run_with_is([5.0, 4.5, 4.0])})
    assert "not converged" not in levelled
    assert "\n- **DCGAN's learning rate**: not run yet.\n" in text
    assert "- **DCGAN's learning rate, spiking generator with the sigmoid output**: not run yet." in text
    assert text.endswith("without BatchNorm** (not the paper's baseline): not run yet.")


def test_claims_name_every_run_count_its_epochs_and_flag_missing_ones():
    from snnlib.papers.p000_spiking_dcgan import claims

    run = _run_with_is([3.0, 4.0, 4.5])
    run.metrics.update(best_is=4.5, best_is_epoch=3, fd=300.0, spikes_per_image=1234.0)
    by_id = {c.id: c for c in claims.claims_from("full", {"spiking_sigmoid_dcgan_lr": run}, 9.8)}
    assert by_id["epochs.spiking_sigmoid_dcgan_lr"].ours == 3  # three epochs after row 0
    assert by_id["epochs.spiking_sigmoid_dcgan_lr"].paper == 150.0
    assert by_id["is.spiking_sigmoid_dcgan_lr.best"].ours == 4.5
    assert by_id["spikes_per_image.spiking_sigmoid_dcgan_lr"].ours == 1234.0
    assert "sigmoid" in by_id["is.spiking_sigmoid_dcgan_lr.best"].what
    assert "sigmoid" not in by_id["is.spiking_dcgan_lr.best"].what
    assert "longer" in by_id["is.analog_dcgan_lr_long.best"].what and "longer" not in by_id["is.analog_dcgan_lr.best"].what
    for prefix in ("spiking", "analog", "spiking_dcgan_lr", "analog_dcgan_lr", "spiking_sigmoid_dcgan_lr_long",
                   "analog_dcgan_lr_long"):
        assert by_id[f"epochs.{prefix}"].ours is None and "not run yet" in by_id[f"epochs.{prefix}"].what
    assert "spikes_per_image.analog_dcgan_lr" not in by_id  # an analog G has no spikes
    assert by_id["is.real_test"].ours == 9.8 and by_id["speed.snntorch_ratio"].ours is None


def test_the_analog_ablation_is_the_same_generator_with_relu_alone():
    torch.manual_seed(0)
    plain = experiments.make_generator("analog_nonorm", models.GeneratorConfig())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in plain.modules())
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in experiments.make_generator("analog", plain.config).modules()) == 3
    z = torch.randn(4, 128)
    h = z[:, :, None, None]
    for conv in plain.layers.convs[:3]:
        h = torch.relu(conv(h))
    assert torch.equal(plain(z)[0], torch.sigmoid(plain.layers.convs[3](h)))


def test_grey_levels_are_read_from_the_8_bit_snapshots_per_epoch():
    from snnlib.book.artifacts import Artifact
    from snnlib.papers.p000_spiking_dcgan import analysis

    snaps = np.zeros((3, 16, 28, 28), dtype=np.uint8)
    snaps[0] = 255  # white before training, then a quarter of the pixels white, then black
    snaps[1, :, :7] = 255
    art = Artifact({}, {"snapshots": snaps}, {}, None)
    np.testing.assert_allclose(analysis.mean_grey(art), [1.0, 0.25, 0.0])
    table = analysis.grey_table({"analog_nonorm_dcgan_lr": art}, ["analog_dcgan_lr", "analog_nonorm_dcgan_lr"], 0.13)
    assert "| epoch | analog G without BatchNorm, DCGAN's lr |" in table
    assert "| 0 | 1.000 |" in table and "| 1 | 0.250 |" in table and "| 2 | 0.000 |" in table
    assert "analog G, DCGAN's lr" not in table and "(real test images: 0.130)" in table


def test_the_longer_pair_repeats_the_sigmoid_comparison_for_more_epochs(monkeypatch):
    from snnlib.papers.p000_spiking_dcgan import analysis, config

    seen = {}
    monkeypatch.setattr(experiments, "train_gans",
                        lambda ctx, settings, scorer, runs, epochs: seen.update(runs=runs, epochs=epochs) or {})
    experiments.long_runs(None, profile_settings("full"))
    assert seen["epochs"] == 2 * profile_settings("full")["epochs"]
    assert seen["runs"] == {"spiking_sigmoid_dcgan_lr_long": config.RUNS["spiking_sigmoid_dcgan_lr"],
                            "analog_dcgan_lr_long": config.RUNS["analog_dcgan_lr"]}
    assert analysis.comparison_text({}, analysis.LONG_PAIRS) == ("- **DCGAN's learning rate, spiking generator with "
                                                                  "the sigmoid output, longer**: not run yet.")


def test_a_rerun_is_compared_step_by_step_and_a_machine_change_named_as_the_likely_cause():
    from snnlib.book.artifacts import Artifact
    from snnlib.papers.p000_spiking_dcgan import analysis

    def run(is_, losses, segments=None):
        art = _run_with_is(is_)
        return Artifact({}, {**art.arrays, "losses": np.asarray(losses, float)},
                        {"segments": segments} if segments else {}, None)

    losses = np.arange(400, dtype=float).reshape(200, 2)
    first = run([2.0, 3.0], losses[:100])  # 2 epochs of 50 steps
    moved = losses.copy()
    moved[70, 1] += 1e-7  # step 70's G loss differs: 70 identical steps
    segments = [{"steps": [0, 66], "machine": {"platform": "a"}}, {"steps": [66, 200], "machine": {"platform": "b"}}]
    again = run([2.0, 3.5, 4.0, 4.2], moved, segments)
    diff = analysis.rerun_difference(first, again)
    assert diff == analysis.RerunDifference(70, 100, 0.5, 2, (66,))
    text = analysis.rerun_text(first, again)
    assert text.startswith("For its first 70 steps (1.4 epochs) the longer run repeats the 2-epoch run bit for bit")
    assert "resumed at step 66 on another machine" in text and text.endswith("differ by up to 0.50 (epoch 2).")
    # a machine change long before the first difference is not named as its cause
    far = run([2.0, 3.5], moved, [{**segments[0], "steps": [0, 20]}, {**segments[1], "steps": [20, 200]}])
    assert "then parts from it; its provenance does not say why." in analysis.rerun_text(first, far)
    # different from the first step, and already before training: the arithmetic differed
    early = run([2.0, 3.5], moved + 1e-7)
    early.arrays["log"][0, 3] = 1.0
    assert analysis.rerun_text(first, early).startswith(
        "The longer run differs from the 2-epoch run (same seed and settings) from its first step, in the "
        "last bits and already in the scores of the untrained generator")
    same = run([2.0, 3.0, 3.3], losses, segments)
    assert analysis.rerun_text(first, same) == "Over their 100 common steps the two runs are identical bit for bit."
