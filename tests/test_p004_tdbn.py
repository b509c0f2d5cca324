"""Paper 004's package: the spiking ResNets (normalisations, residual alpha, decoding, fusion), the
norm-balance measurements, the resumable training loop, the CIFAR-10 recipe's offline failure and
the claims."""

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from snnlib.book import data
from snnlib.book.artifacts import Artifact
from snnlib.book.runner import Experiment, RunContext
from snnlib.core.tdbn import TdBN
from snnlib.papers.p004_tdbn import analysis, claims, config, experiments, models

F64 = torch.float64


def tiny(norm: str, depth: int = 8) -> models.SpikingResNet:
    torch.manual_seed(0)
    return models.SpikingResNet(models.fashion_resnet(depth, norm, stem=4, widths=(4, 8, 8))).double()


def test_depths_count_weight_layers_on_the_main_path():
    assert [models.fashion_resnet(d, "tdbn").depth for d in (8, 14, 20)] == [8, 14, 20]
    assert models.RESNET19.depth == 19
    with pytest.raises(ValueError):
        models.fashion_resnet(10, "tdbn")
    with pytest.raises(ValueError):
        models.fashion_resnet(8, "layernorm")


def test_residual_branches_use_alpha_one_over_root_two_and_the_rest_alpha_one():
    net = tiny("tdbn")
    assert net.stem_norm.alpha == 1.0
    assert all(b.norm1.alpha == 1.0 and b.norm2.alpha == pytest.approx(1 / math.sqrt(2)) for b in net.blocks)
    shortcuts = [b.shortcut for b in net.blocks if b.shortcut is not None]
    assert len(shortcuts) == 2  # stage 2 and stage 3 change the shape
    assert all(s["norm"].alpha == pytest.approx(1 / math.sqrt(2)) for s in shortcuts)
    assert all(isinstance(m, TdBN) and m.threshold == 0.5 for m in net.modules() if hasattr(m, "alpha"))
    assert all(not any(isinstance(m, TdBN) for m in tiny(n).modules()) for n in ("none", "bn"))


def test_per_step_bn_normalises_each_step_with_its_own_statistics():
    """Step 0 holds 1, 3 and step 1 holds 10, 30 in one channel: each maps to -1, +1 (scale 1)."""
    bn = models.PerStepBN(1)
    x = torch.tensor([1.0, 3.0, 10.0, 30.0]).view(2, 1, 1, 1, 2)
    y = bn(x)
    torch.testing.assert_close(y.flatten(), torch.tensor([-1.0, 1.0, -1.0, 1.0]), atol=1e-4, rtol=0)


def test_decoding_averages_the_decoder_over_steps_of_the_pooled_last_spikes():
    """eq-004-decoding: Q = (1/T) sum_t M o^t, from the recorded spikes of the last block."""
    net = tiny("tdbn")
    images = torch.randn(5, 1, 12, 12, dtype=F64)
    record = []
    logits = net(images, record)
    last = record[-1][2]  # [T, N, C, H, W]
    assert last.shape[0] == 4 and set(last.unique().tolist()) <= {0.0, 1.0}
    per_step = torch.stack([net.decoder(last[t].mean((2, 3))) for t in range(4)])
    torch.testing.assert_close(logits, per_step.mean(0))
    assert len(record) == 1 + 2 * 3  # the stem and two spiking layers per block


def test_fused_network_gives_the_same_outputs_in_eval_mode():
    """eq-004-tdbn-fusion on a whole network with trained-like statistics and affine parameters."""
    net = tiny("tdbn")
    x = torch.randn(16, 1, 12, 12, dtype=F64)
    net(x)
    net(1.5 * x + 0.3)
    gen = torch.Generator().manual_seed(1)
    for m in net.modules():
        if isinstance(m, TdBN):
            m.weight.data = torch.rand(m.weight.shape, generator=gen, dtype=F64) + 0.5
            m.bias.data = 0.2 * torch.randn(m.bias.shape, generator=gen, dtype=F64)
    net.eval()
    fused = models.fused_for_inference(net)
    assert not any(isinstance(m, TdBN) for m in fused.modules())
    rec_a, rec_b = [], []
    torch.testing.assert_close(net(x, rec_a), fused(x, rec_b), rtol=1e-12, atol=1e-12)
    assert all(torch.equal(a[2], b[2]) for a, b in zip(rec_a, rec_b))
    assert 0.02 < float(torch.cat([r[2].flatten() for r in rec_a]).mean()) < 0.9  # spikes happen
    with pytest.raises(ValueError):
        models.fused_for_inference(tiny("bn"))


def test_layer_statistics_against_the_recorded_currents_and_autograd():
    net = tiny("none")
    images, labels = torch.randn(6, 1, 12, 12, dtype=F64), torch.tensor([0, 1, 2, 3, 4, 5])
    stats = experiments.layer_statistics(net, images, labels)
    record = []
    loss = F.cross_entropy(net(images, record), labels)
    loss.backward()
    rel = record[2][1] / 0.5
    assert stats["above"][2] == pytest.approx(float((rel > 1).double().mean()))
    assert stats["current_sd"][2] == pytest.approx(float(rel.flatten().std()))
    assert stats["rate"][2] == pytest.approx(float(record[2][2].mean()))
    assert stats["hist"][2].sum() == pytest.approx(1.0)
    assert stats["grad_norm"][0] == pytest.approx(float(net.stem.weight.grad.norm()))
    assert stats["grad_norm"][-1] == pytest.approx(float(net.decoder.weight.grad.norm()))
    assert len(stats["grad_norm"]) == 8 and len(stats["rate"]) == 7


def test_gradient_spread():
    assert analysis.gradient_spread(np.array([0.1, 0.4, 0.2, 9.0])) == pytest.approx(4.0)


def _fit_settings():
    return {"epochs": 5, "batch": 8, "lr": 1e-2, "n_eval": 16, "n_test": 32, "checkpoint_every": 3}


def _blobs(n, seed):
    """Two classes of 8x8 images: a bright left or right half, plus noise."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=gen)
    images = 0.3 * torch.randn(n, 1, 8, 8, generator=gen)
    images[labels == 0, :, :, :4] += 1.5
    images[labels == 1, :, :, 4:] += 1.5
    return images, labels


def _fit(tmp_path, crash_at=None):
    """The loss of eq-004-decoding through fit on a 2-class task; ``crash_at``: a simulated kill at that step."""
    torch.manual_seed(3)
    net = models.SpikingResNet(models.fashion_resnet(8, "tdbn", stem=4, widths=(4, 4, 4), classes=2))
    exp = Experiment("ch", "fit", {}, "quick", 0, tmp_path)
    x, y = _blobs(64, 1)
    xt, yt = _blobs(32, 2)
    if crash_at is not None:
        calls = {"n": 0}
        forward = net.forward

        def dying(images, record=None):
            if record is None and images.shape[0] == 8:
                calls["n"] += 1
                if calls["n"] > crash_at:
                    raise KeyboardInterrupt("simulated kill")
            return forward(images, record)

        net.forward = dying
    out = experiments.fit(exp, net, (x, y, xt, yt), _fit_settings(), seed=0)
    return out, net


def test_fit_learns_a_separable_task_and_resumes_after_a_kill(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        _fit(tmp_path / "a", crash_at=10)
    resumed, net_a = _fit(tmp_path / "a")
    straight, net_b = _fit(tmp_path / "b")
    np.testing.assert_array_equal(resumed["log"], straight["log"])
    assert resumed["test_acc"] == straight["test_acc"]
    for p, q in zip(net_a.parameters(), net_b.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    assert straight["log"].shape == (6, 4) and np.isnan(straight["log"][0, 1])
    assert straight["test_acc"] >= 0.9  # a trained model above a bar
    assert straight["final"]["grad_norm"].shape == straight["init"]["grad_norm"].shape


def test_cifar10_recipe_fails_offline_with_instructions(tmp_path, monkeypatch):
    monkeypatch.setenv("SNN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SNN_CIFAR10_TARBALL", raising=False)

    def no_network(url, timeout):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(data, "_urlopen", no_network)
    ctx = RunContext("004_tdbn", "full", train=True, root=tmp_path / "results")
    with pytest.raises(data.DataError) as info:
        experiments.cifar10_resnet19(ctx)
    assert "SNN_CIFAR10_TARBALL" in str(info.value) or "cifar-10-python.tar.gz" in str(info.value)
    assert not (tmp_path / "results" / "004_tdbn" / "full" / "cifar10_resnet19_t4" / "metrics.json").exists()


def test_grid_names_and_order():
    settings = config.profile_settings("full")
    cells = config.grid(settings)
    assert len(cells) == 27 and cells[:3] == [(8, "none", 0), (8, "bn", 0), (8, "tdbn", 0)]
    assert config.grid_name(20, "tdbn", 2) == "depth20_tdbn_seed2"


def _art(acc):
    return Artifact({"test_acc": acc}, {}, {})



def test_seed_paired_differences_tables_and_counts():
    runs = {(8, "none", 0): _art(0.70), (8, "bn", 0): _art(0.80), (8, "tdbn", 0): _art(0.82),
            (8, "none", 1): _art(0.72), (8, "bn", 1): _art(0.81), (8, "tdbn", 1): _art(0.79),
            (14, "none", 0): _art(0.75), (14, "bn", 0): _art(0.74), (14, "tdbn", 0): _art(0.78),
            (14, "none", 1): _art(0.71), (14, "tdbn", 1): _art(0.80)}  # seed 1 of BN at 14 not run
    diffs = analysis.paired_differences(runs, (8, 14, 20))
    assert [s for s, _ in diffs[("tdbn", "bn")][14]] == [0] and 20 not in diffs[("tdbn", "none")]
    assert [round(d, 6) for _, d in diffs[analysis.deeper("none")][14]] == [5.0, -1.0]  # none at 14 minus at 8
    assert analysis.paired_table(diffs, (8, 14, 20)).splitlines()[2:] == [
        "| 8 | +12.0, +7.0 | +10.0, +9.0 | +2.0, \u22122.0 |",
        "| 14 | +3.0, +9.0 | \u22121.0 (seed 0) | +4.0 (seed 0) |",
        "| 20 | – | – | – |"]
    assert analysis.depth_table(diffs, (8, 14, 20)).splitlines()[2:] == [
        "| 8 → 14 | +5.0, \u22121.0 | \u22126.0 (seed 0) | \u22124.0, +1.0 |",
        "| 14 → 20 | – | – | – |"]
    assert analysis.paired_findings(diffs, (8, 14, 20)) == [
        "tdBN ends above no normalisation in 4 of 4 seed pairs (smallest difference +3.0 points: depth 14, seed 0).",
        "BN (per step) ends above no normalisation in 2 of 3 seed pairs (smallest difference \u22121.0 points: "
        "depth 14, seed 0).",
        "tdBN ends above BN (per step) at depth 8 in 1 of 2 seeds; at depth 14 in 1 of 1 seeds.",
        "From depth 8 to 14, accuracy rises in 1 of 2 seeds with no normalisation, 0 of 1 seeds with BN (per step), "
        "1 of 2 seeds with tdBN."]


def test_claims_and_conclusions_from_the_grid():
    runs = {(8, "tdbn", 0): _art(0.90), (8, "tdbn", 1): _art(0.88), (8, "none", 0): _art(0.50),
            (8, "none", 1): _art(0.52)}
    out = {c.id: c for c in claims.claims_from("full", (8, 14), runs, None, None, None)}
    assert out["depth8.tdbn.acc"].ours == pytest.approx(89.0)
    assert out["depth8.tdbn.acc"].ours_sd == pytest.approx(math.sqrt(2))
    assert out["depth8.tdbn.acc"].n == 2 and out["depth8.bn.acc"].ours is None
    assert out["depth14.none.acc"].ours is None
    assert out["cifar10.resnet19.t4.acc"].paper == 92.92 and out["cifar10.resnet19.t4.acc"].ours is None
    assert out["cifar10.resnet19.t4.acc_as_printed"].paper == 91.89
    assert out["speed.spikingjelly_ratio"].ours is None
    summary = analysis.summarise_grid(runs)
    (line,) = analysis.grid_conclusions(summary, (8, 14))
    assert line.startswith("Depth 8: tdBN is best at 89.0 %, 38.0 points above no normalisation")
    assert "more than twice the larger sd" in line
    single = analysis.summarise_grid({(8, "tdbn", 0): _art(0.90), (8, "bn", 0): _art(0.89)})
    (line,) = analysis.grid_conclusions(single, (8,))
    assert line == ("Depth 8: tdBN is best at 90.0 %, 1.0 points above BN (per step); "
                    "one seed per cell, no spread to judge the gaps by.")
    # partway through the seeds: a pair of one-seed cells beside a cell with two
    mixed = analysis.summarise_grid({(8, "tdbn", 0): _art(0.90), (8, "tdbn", 1): _art(0.88),
                                     (8, "bn", 0): _art(0.80), (8, "none", 0): _art(0.70)})
    (line,) = analysis.grid_conclusions(mixed, (8,))
    assert line == ("Depth 8: tdBN is best at 89.0 %, 9.0 points above BN (per step) (more than twice the larger sd); "
                    "19.0 points above no normalisation (more than twice the larger sd).")
    mixed = analysis.summarise_grid({(8, "tdbn", 0): _art(0.90), (8, "none", 1): _art(0.60),
                                     (8, "none", 0): _art(0.62), (8, "bn", 0): _art(0.80)})
    (line,) = analysis.grid_conclusions(mixed, (8,))
    assert line == ("Depth 8: tdBN is best at 90.0 %, 10.0 points above BN (per step) (one seed each, no spread "
                    "to judge it by); 29.0 points above no normalisation (more than twice the larger sd).")


def test_the_committed_cpu_cost_is_found_whatever_the_readers_thread_count():
    """Its identity once held the reading process's thread count: a fresh clone's tests (2 threads)
    did not find the artifact made with one."""
    from snnlib.papers import p004_tdbn

    threads = torch.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            ctx = p004_tdbn.run_context("full")
            cost = experiments.cifar10_cpu_cost(ctx, config.profile_settings("full"))
            assert ctx.pending == [] and cost.provenance["config"]["threads"] == 1
    finally:
        torch.set_num_threads(threads)
