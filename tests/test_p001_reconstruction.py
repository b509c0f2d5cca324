"""Paper 001's section 6.2 (VDIB naturalising MNIST): the input codes by hand, the encoder against
the tested step functions, its gradients against autograd and the DFA rule, the decoders, a trained
model above a bar, and resumption."""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from snnlib.book.data import load_mnist
from snnlib.book.runner import Experiment
from snnlib.core.glm import GLMParams, GLMState, glm_readout_step, raised_cosine_basis
from snnlib.core.neurons import DecolleLIFParams, decolle_lif_step
from snnlib.papers.p001_vdib import config, reconstruction as rec

F64 = torch.float64
SIZES = {"n_in": 5, "n_hidden": 4, "n_readout": 3, "ff_length": 4, "fb_length": 3}


def _tiny(batch=2, seed=0):
    """Weights large enough that every neuron type spikes, a random state and input spikes."""
    gen = torch.Generator().manual_seed(seed)
    params = rec.EncoderParams(torch.randn(4, 5, generator=gen, dtype=F64) * 0.02, torch.randn(4, generator=gen, dtype=F64) * 0.3,
                               torch.randn(3, 4, 2, generator=gen, dtype=F64), torch.randn(3, 1, generator=gen, dtype=F64),
                               torch.randn(3, generator=gen, dtype=F64) * 0.5)
    dfa = torch.randn(3, 4, generator=gen, dtype=F64)
    x = (torch.rand(7, batch, 5, generator=gen) < 0.5).to(F64)
    uniforms = torch.rand(7, batch, 3, generator=gen, dtype=F64)
    state = rec.encoder_init_state(batch, **SIZES, dtype=F64)
    return params, dfa, x, uniforms, state, (raised_cosine_basis(4, 2, dtype=F64), raised_cosine_basis(3, 1, dtype=F64))


def test_input_codes_by_hand():
    """Time code: pixel 1 -> step 1, 0.9 -> 30 - round(26.1) = 4, 0.5 -> 30 - round(14.5) = 16 (half to even),
    0 -> step 30, dropped. Rate code: a spike wherever the uniform is below the pixel."""
    images = torch.tensor([[1.0, 0.9, 0.5, 0.0]])
    spikes = rec.encode_image(images, "time", 30)
    assert spikes.shape == (30, 1, 4)
    assert [torch.nonzero(spikes[:, 0, i]).flatten().tolist() for i in range(4)] == [[1], [4], [16], []]
    uniforms = torch.tensor([[[0.5, 0.95, 0.2, 0.0]], [[1.0, 0.1, 0.6, 0.5]]])
    assert rec.encode_image(images, "rate", 2, uniforms)[:, 0].tolist() == [[1, 0, 1, 0], [0, 1, 0, 0]]
    with pytest.raises(ValueError):
        rec.encode_image(images, "phase", 2)
    events = (torch.rand(2, 5, 3) < 0.5).to(torch.uint8)  # [B, T, n] event trains pass through, time-major
    data = rec.ReconstructionData(events, images, events, images, torch.zeros(2), "events")
    assert torch.equal(data.spikes(events, [], 4), events[:, :4].transpose(0, 1).float())


def test_encoder_follows_the_tested_step_functions():
    """eq-001-hidden-lif, eq-001-srm. Two calls of run_encoder (3 + 4 steps) give the spikes, membranes and state of
    decolle_lif_step followed by glm_readout_step (its weights repeated per example), step by step."""
    params, _, x, uniforms, state, (ffb, fbb) = _tiny()
    first, mid = rec.run_encoder(x[:3], state, params, ffb, fbb, uniforms[:3])
    second, end = rec.run_encoder(x[3:], mid, params, ffb, fbb, uniforms[3:])
    glm = GLMParams(*(p.expand(2, *p.shape) for p in params[2:]))
    lif, readout = state.lif, GLMState(state.hidden, state.readout)
    for t in range(7):
        hidden, lif = decolle_lif_step(x[t], lif, params.hidden_weight, params.hidden_bias)
        step, readout = glm_readout_step(hidden, readout, glm, ffb, fbb, uniforms[t])
        got = first if t < 3 else second
        torch.testing.assert_close(got.u[t % 3 if t < 3 else t - 3], step.u)
        assert torch.equal(got.spikes[t if t < 3 else t - 3], step.spikes)
    assert 0 < torch.cat([first.spikes, second.spikes]).sum() < 42
    torch.testing.assert_close(end.hidden, readout.inputs)
    torch.testing.assert_close(end.readout, readout.spikes)
    torch.testing.assert_close(end.lif.p, lif.p)


def test_encoder_grads_match_autograd_and_the_dfa_rule():
    """eq-001-score-function: per example, the readouts' gradient equals autograd of the encoder loss at fixed spikes.
    eq-001-dfa: the hidden layer's equals autograd through the surrogate of sum_t s_t . (e_t B), e_t held fixed."""
    params, dfa, x, uniforms, state, bases = _tiny(seed=1)
    params = rec.EncoderParams(*(p.clone().requires_grad_() for p in params))
    out, _ = rec.run_encoder(x, state, params, *bases, uniforms, keep=True)
    got = rec.encoder_grads(rec.EncoderPass(*(None if t is None else t.detach() for t in out)), dfa)
    loss = rec.encoder_loss(out, 0.3)
    error = (out.spikes - out.prob).detach()
    assert 0 < out.spikes.sum() < out.spikes.numel() and got.hidden_weight.abs().sum() > 0
    for b in range(2):
        readout = torch.autograd.grad(loss[b], params[2:], retain_graph=True)
        for g, e in zip(got[2:], readout):
            torch.testing.assert_close(g[b], e)
        lif, total = state.lif, 0.0
        for t in range(7):
            s, lif = decolle_lif_step(x[t], lif, params.hidden_weight, params.hidden_bias, DecolleLIFParams())
            total = total + (s[b] * (error[t, b] @ dfa)).sum()
        hidden = torch.autograd.grad(total, params[:2])
        torch.testing.assert_close(got.hidden_weight[b], hidden[0])
        torch.testing.assert_close(got.hidden_bias[b], hidden[1])


def test_decoders_read_the_window_or_its_counts():
    """The authors' layer sizes (the MLP's hidden layer N T / 2, the convolutional decoder's 20 x N/4 features), a
    [B, 784] image in [0, 1]; rate decoding depends on the counts only, VDIB's window on the timing too."""
    torch.manual_seed(0)
    window = (torch.rand(3, 30, 256) < 0.05).float()
    shuffled = window[:, torch.randperm(30)]
    for kind in rec.DECODER_TYPES:
        for decoding in rec.DECODINGS:
            dec = rec.ReconstructionDecoder(kind, decoding, 30, 256, 784)
            out = dec(window)
            assert out.shape == (3, 784) and 0 <= out.min() and out.max() <= 1
            same = torch.allclose(dec(shuffled), out)
            assert same == (decoding == "rate"), (kind, decoding)
    assert rec.ReconstructionDecoder("mlp", "vdib", 30, 256, 784).net[0].weight.shape == (3840, 7680)
    assert rec.ReconstructionDecoder("conv", "vdib", 30, 256, 784).net[-1].weight.shape == (784, 1280)


def _settings(**kw):
    return {**config.RECONSTRUCTION, "n_examples": 64, "batch": 16, "test_period": 32, "n_test": 100,
            "checkpoint_every": 1, "n_shown": 2, **kw}


def _exp(tmp_path, name, s):
    return Experiment("001_vdib", name, s, "quick", root=tmp_path)


def test_training_resumes_where_it_stopped(tmp_path, interrupt_after):
    """Killed after two batches (checkpoint every batch), resumed: the same result as one run."""
    s, data = _settings(), rec.ReconstructionData.mnist("time")
    whole = rec.train_reconstruction(_exp(tmp_path, "whole", s), data, s, "linear", "vdib", 0)
    exp = _exp(tmp_path, "killed", s)
    interrupt_after(exp, 2)
    with pytest.raises(KeyboardInterrupt):
        rec.train_reconstruction(exp, data, s, "linear", "vdib", 0)
    resumed = rec.train_reconstruction(_exp(tmp_path, "killed", s), data, s, "linear", "vdib", 0)
    for key in ("test_acc", "test_bce", "train_bce", "shown_recon"):
        np.testing.assert_array_equal(whole[key], resumed[key])


def test_reconstructions_are_recognised_above_chance(tmp_path):
    """A trained model above a bar: after 480 examples (time code, convolutional decoder, VDIB), the book's
    classifier recognises the reconstructions of 200 random test images at over twice chance, and the
    cross-entropy has fallen from its first test."""
    s = _settings(n_examples=480, test_period=240, n_test=200, checkpoint_every=100)
    out = rec.train_reconstruction(_exp(tmp_path, "bar", s), rec.ReconstructionData.mnist("time"), s, "conv", "vdib", 0)
    assert out["test_acc"][-1] > 0.2
    assert out["test_bce"][-1] < out["test_bce"][0] - 0.02


def test_mnist_claims_tables_and_batch_check_from_artifacts(tmp_path):
    """Tiny runs through the experiments: claims carry each run's best test accuracy, the tables and the findings
    read the same artifacts, and the batch check runs the same protocol at batch 1 and 16."""
    from snnlib.book.runner import RunContext
    from snnlib.papers.p001_vdib import analysis, claims, experiments

    ctx = RunContext("001_vdib", "quick", train=True, root=tmp_path)
    settings = {**config.profile_settings("quick"), "mnist_examples": 32, "mnist_test_period": 16, "mnist_n_test": 20,
                "mnist_decoders": ("linear",), "mnist_encodings": ("time",), "mnist_check_examples": 16}
    runs = claims.mnist_runs(ctx, settings)
    assert list(runs) == [("time", "linear", "vdib"), ("time", "linear", "rate")]
    art = runs[("time", "linear", "vdib")]
    assert art.metrics["best_acc"] == pytest.approx(art.arrays["test_acc"].max())
    found = {c.id: c for c in claims.claims_from("quick", (), {}, None, runs)}
    assert found["mnist.time.linear.vdib.acc"].ours == pytest.approx(100 * art.metrics["best_acc"])
    assert found["mnist.time.linear.rate.acc"].paper is None
    table = analysis.mnist_table(runs)
    assert f"{100 * art.metrics['final_acc']:.1f} %" in table
    assert analysis.mnist_text(runs)[0].startswith("time code, linear decoder: VDIB")
    first = int(art.arrays["test_examples"][0])  # the first test, inside a longer run
    assert analysis.accuracy_at(art, first + 1) == art.arrays["test_acc"][0] != art.arrays["test_acc"][-1]
    checks = {(False, b, 0): experiments.mnist_batch_check(ctx, settings, b, 0) for b in (1, 16)}
    checks[(True, 16, 0)] = experiments.mnist_batch_check(ctx, settings, 16, 0, reset=True)
    assert checks[(False, 1, 0)].provenance["config"]["settings"]["batch"] == 1
    assert checks[(True, 16, 0)].provenance["config"]["settings"]["reset_state"] is True
    assert checks[(False, 1, 0)].arrays["test_examples"][-1] == checks[(False, 16, 0)].arrays["test_examples"][-1] == 16
    table = analysis.batch_check_table(checks)
    assert "| carried | 16 |" in table and "| reset | 16 |" in table


def test_batching_changes_only_the_state_an_image_inherits(tmp_path):
    """Nothing learned (lr 0): with every image starting from rest, batch 1 and batch 4 give the same per-image
    losses; with the state carried over (the authors' loop), an image inherits a different predecessor's state in
    a batch of 4, and the losses differ."""
    data = rec.ReconstructionData.mnist("rate")
    out = {}
    for reset in (False, True):
        for batch in (1, 4):
            s = _settings(n_examples=8, batch=batch, test_period=16, n_test=10, lr=0.0, reset_state=reset)
            run = rec.train_reconstruction(_exp(tmp_path, f"b{batch}{reset}", s), data, s, "linear", "vdib", 0)
            out[(batch, reset)] = run["train_bce"][0]
    assert out[(1, True)] == pytest.approx(out[(4, True)], abs=1e-6)
    assert abs(out[(1, False)] - out[(4, False)]) > 1e-4


def test_synthetic_event_streams_follow_the_authors_layout_and_targets():
    """Section 6.3's synthetic data: 900 / 100 examples per class, targets the first training image of the class,
    spikes [T, B, 2 x 26 x 26] (polarity, x, y) that depend on the example's generator only, and more events where
    the digit is than in the corners."""
    from snnlib.papers.p001_vdib import dvs

    data = dvs.dvs_data({**config.EVENTS, "dvs_source": "synthetic"})
    assert len(data.train_inputs) == 9000 and len(data.test_inputs) == 1000
    assert torch.equal(data.test_targets[0], data.train_targets[0]) and int(data.test_labels[0]) == 0
    images, labels = load_mnist("train_full", as_float=True)
    first_one = images[int(torch.nonzero(labels == 1)[0])].flatten()
    assert torch.equal(data.train_targets[900], first_one) and torch.equal(data.train_targets[1799], first_one)
    gens = lambda: [rec.example_generator(0, 0, i, 0) for i in range(3)]
    spikes = data.spikes(data.test_inputs[:3], gens(), 20)
    assert spikes.shape == (20, 3, 1352) and torch.equal(spikes, data.spikes(data.test_inputs[:3], gens(), 20))
    grid = spikes.sum((0, 1)).reshape(2, 26, 26).sum(0)
    assert grid[8:18, 8:18].sum() > 10 * grid[:4, :4].sum()
    with pytest.raises(ValueError):
        dvs.dvs_data({**config.EVENTS, "dvs_source": "camera"})


def test_without_the_baseline_the_readouts_move_by_the_whole_signal(tmp_path):
    """SNNSGD with its baseline centres the signal on its own running average (the first direction is ~0 and the
    rest small); without it every update is the whole signal times the gradient: over the same 16 images the
    readout weights move several times further (both little: the gradient is scaled by 1 / (N T))."""
    data = rec.ReconstructionData.mnist("rate")
    moved = {}
    for baseline in (True, False):
        s = _settings(n_examples=16, batch=1, test_period=32, n_test=10, baseline=baseline)
        moved[baseline] = rec.train_reconstruction(_exp(tmp_path, f"b{baseline}", s), data, s, "linear", "vdib", 0)[
            "encoder_change"][2]
    assert 0 < moved[True] < moved[False] / 3 and moved[False] < 1e-3
