"""Tests for snnlib.papers.p002_competition.readouts (paper 002 readouts); every expected value is hand-computed."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from snnlib.papers.p002_competition.readouts import (
    NO_DECISION,
    accuracy,
    as_locations,
    binomial_sd,
    class_votes,
    evaluate_readouts,
    fit_linear_readout,
    linear_predict,
    mean_sd,
    silent_images,
    undecided,
    vote_all,
    vote_patch,
    vote_preselect,
)

# --------------------------------------------------------------------------------------
# Toy: 2 locations x 2 channels, location-major: n0=(L0,C0) n1=(L0,C1) n2=(L1,C0) n3=(L1,C1)
# 3 classes.  One test image with counts s = [2, 1, 2, 1].
# --------------------------------------------------------------------------------------
TOY_VOTES = torch.tensor(
    [
        [3.0, 8.0, 3.0, 8.0],  # class 0: broad support
        [0.0, 10.0, 0.0, 10.0],  # class 1: strong on the less active channel 1
        [4.0, 0.0, 4.0, 0.0],  # class 2: only on the most active channel 0
    ]
)
TOY_COUNTS = torch.tensor([[2, 1, 2, 1]])
# s * v per class:   c0 = [6, 8, 6, 8]   c1 = [0, 10, 0, 10]   c2 = [8, 0, 8, 0]
# all-voting:        c0 = 28, c1 = 20, c2 = 16                      -> class 0
# patch (per class max over each location's 2 channels, summed over locations):
#                    c0 = max(6,8)+max(6,8) = 16, c1 = 10+10 = 20, c2 = 8+8 = 16 -> class 1
# preselection: most active channel per location = n0 (2 > 1) and n2 (2 > 1):
#                    c0 = 6+6 = 12, c1 = 0+0 = 0, c2 = 8+8 = 16      -> class 2


def test_three_voting_schemes_disagree_on_the_toy():
    assert vote_all(TOY_COUNTS, TOY_VOTES).tolist() == [0]
    assert vote_patch(TOY_COUNTS, TOY_VOTES, n_locations=2).tolist() == [1]
    assert vote_preselect(TOY_COUNTS, TOY_VOTES, n_locations=2).tolist() == [2]


def test_layout_matters_and_channel_major_is_supported():
    # Reading the same flat vector as channel-major groups {n0, n2} (location 0) and {n1, n3}:
    # preselection ties 2 = 2 -> n0 and 1 = 1 -> n1: c0 = 6+8 = 14, c1 = 0+10 = 10, c2 = 8+0 = 8 -> 0
    assert vote_preselect(TOY_COUNTS, TOY_VOTES, 2, layout="channel_major").tolist() == [0]
    # patch, channel-major: c0 = max(6,6)+max(8,8) = 14, c1 = 0+10 = 10, c2 = 8+0 = 8 -> 0
    assert vote_patch(TOY_COUNTS, TOY_VOTES, 2, layout="channel_major").tolist() == [0]
    # The toy permuted into channel-major order [n0, n2, n1, n3] gives the location-major answers.
    perm = [0, 2, 1, 3]
    cm_counts, cm_votes = TOY_COUNTS[:, perm], TOY_VOTES[:, perm]
    assert vote_patch(cm_counts, cm_votes, 2, layout="channel_major").tolist() == [1]
    assert vote_preselect(cm_counts, cm_votes, 2, layout="channel_major").tolist() == [2]
    assert torch.equal(as_locations(cm_counts, 2, "channel_major"), as_locations(TOY_COUNTS, 2))
    # A [N, L, C] tensor is accepted as is.
    assert vote_patch(TOY_COUNTS.reshape(1, 2, 2), TOY_VOTES.reshape(3, 2, 2)).tolist() == [1]
    with pytest.raises(ValueError):
        vote_patch(TOY_COUNTS, TOY_VOTES, n_locations=3)  # 4 neurons not divisible by 3


def test_patch_voting_maximises_separately_per_class():
    # 2 locations x 2 channels, 2 classes, all counts 1.
    # L0: a = (c0: 5, c1: 0), b = (c0: 0, c1: 4);  L1: a' = (c0: 2, c1: 0), b' = (c0: 0, c1: 4)
    votes = torch.tensor([[5.0, 0.0, 2.0, 0.0], [0.0, 4.0, 0.0, 4.0]])
    counts = torch.ones(1, 4)
    # reference (per-class max): c0 = 5 + 2 = 7, c1 = 4 + 4 = 8 -> class 1.
    # (Picking ONE neuron per location by its best score would pick a (5) and b' (4):
    #  c0 = 5, c1 = 4 -> class 0.)
    assert vote_patch(counts, votes, 2).tolist() == [1]


def test_class_votes_are_per_class_means():
    # pins eq-002-votes (chapter 002): v_{c,i} = mean spike count of neuron i over images of class c
    counts = torch.tensor([[2, 0], [4, 2], [1, 1], [0, 3], [0, 5]])
    labels = torch.tensor([0, 0, 1, 2, 2])
    votes = class_votes(counts, labels, n_classes=4)
    expected = torch.tensor(
        [
            [3.0, 1.0],  # class 0: (2+4)/2, (0+2)/2
            [1.0, 1.0],  # class 1: one image
            [0.0, 4.0],  # class 2: (0+0)/2, (3+5)/2
            [0.0, 0.0],  # class 3: no calibration image -> zero votes
        ],
        dtype=torch.float64,
    )
    assert torch.equal(votes, expected)
    # numpy input, 3-D counts keep their shape
    v3 = class_votes(counts.numpy().reshape(5, 1, 2), labels.numpy(), n_classes=4)
    assert v3.shape == (4, 1, 2) and torch.equal(v3.reshape(4, 2), expected)
    with pytest.raises(ValueError):
        class_votes(counts, torch.tensor([0, 0, 1, 2, 4]), n_classes=4)


def test_ties_go_to_the_lowest_index():
    votes = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # 1 location x 2 channels, 2 classes
    counts = torch.tensor([[3, 3]])
    # scores c0 = 3, c1 = 3 (all and patch) -> tie -> class 0
    assert vote_all(counts, votes).tolist() == [0]
    assert vote_patch(counts, votes, 1).tolist() == [0]
    # preselection: channel tie 3 = 3 -> channel 0 -> c0 = 3, c1 = 0 -> class 0; with the votes
    # swapped the same channel-0 choice gives c0 = 0, c1 = 3 -> class 1 (channel 1 would give 0)
    assert vote_preselect(counts, votes, 1).tolist() == [0]
    assert vote_preselect(counts, votes.flip(0), 1).tolist() == [1]


def test_silent_images_and_no_decision():
    votes = torch.tensor([[1.0, 0.0, 2.0, 0.0], [0.0, 0.0, 1.0, 0.0]])  # neuron 3 never voted
    counts = torch.tensor(
        [
            [0, 0, 0, 0],  # silent -> -1
            [0, 0, 0, 5],  # spikes only on a zero-vote neuron: all scores 0 -> -1, not "silent"
            [0, 0, 1, 0],  # c0 = 2, c1 = 1 -> 0
            [0, 0, 0, 0],  # silent -> -1
        ]
    )
    labels = torch.tensor([0, 0, 0, 1])
    assert silent_images(counts).tolist() == [True, False, False, True]
    for pred in (
        vote_all(counts, votes),
        vote_patch(counts, votes, 2),
        vote_preselect(counts, votes, 2),
    ):
        assert pred.tolist() == [NO_DECISION, NO_DECISION, 0, NO_DECISION]
        assert undecided(pred).tolist() == [True, True, False, True]
        # undecided images stay in the denominator and count as wrong: 1 of 4 correct
        assert accuracy(pred, labels) == 0.25
    # Preselection on a partly silent image: location 0 silent -> channel 0 with 0 spikes,
    # location 1: n2 (1 spike) -> c0 = 2, c1 = 1 -> 0
    assert vote_preselect(torch.tensor([[0, 0, 1, 0]]), votes, 2).tolist() == [0]


def _reference_loop(counts_cm, votes_cm):
    """Per-image transcription of the reference formulas on BindsNET-shaped [C, H, W] data."""
    preds = {"all": [], "patch": [], "preselect": []}
    for s in counts_cm:
        res = {
            "all": (s * votes_cm).sum(dim=(1, 2, 3)),
            "patch": (s * votes_cm).max(1).values.sum(dim=(1, 2)),
        }
        sel = torch.zeros(votes_cm.shape[0], dtype=torch.float64)
        for i, row in enumerate(s.max(0).indices):
            for j, f in enumerate(row):
                sel += s[f, i, j] * votes_cm[:, f, i, j]
        res["preselect"] = sel
        for k, r in res.items():
            preds[k].append(-1 if r.sum().item() == 0 else int(r.argmax()))
    return {k: torch.tensor(v) for k, v in preds.items()}


def test_vectorised_readouts_match_a_per_image_loop_on_bindsnet_layout():
    gen = torch.Generator().manual_seed(0)
    n, c, h, w = 40, 5, 2, 2  # 5 channels x 4 locations, channel-major like BindsNET [C, H, W]
    counts_cm = torch.poisson(torch.full((n, c, h, w), 1.5), generator=gen).to(torch.float64)
    counts_cm[:3] = 0  # a few silent images
    labels = torch.randint(0, 10, (n,), generator=gen)
    votes_flat = class_votes(counts_cm.reshape(n, -1), labels)
    votes_cm = votes_flat.reshape(10, c, h, w)
    expected = _reference_loop(counts_cm, votes_cm)
    flat = counts_cm.reshape(n, -1)  # flat index = channel * 4 + location
    assert torch.equal(vote_all(flat, votes_flat), expected["all"])
    assert torch.equal(vote_patch(flat, votes_flat, 4, layout="channel_major"), expected["patch"])
    assert torch.equal(vote_preselect(flat, votes_flat, 4, layout="channel_major"), expected["preselect"])


def _separable_counts(n, seed):
    """10 classes x 20 neurons: class c drives neurons 2c and 2c+1 (8-15 spikes), others 0-2."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n)
    counts = rng.integers(0, 3, size=(n, 20))
    counts[np.arange(n), 2 * labels] = rng.integers(8, 16, size=n)
    counts[np.arange(n), 2 * labels + 1] = rng.integers(8, 16, size=n)
    return torch.from_numpy(counts), torch.from_numpy(labels)


def test_linear_readout_separates_and_is_deterministic():
    x_cal, y_cal = _separable_counts(300, seed=1)
    x_test, y_test = _separable_counts(200, seed=2)
    model = fit_linear_readout(x_cal, y_cal, seed=3)
    assert model.loss == "hinge" and model.penalty == "l2" and model.alpha == 1e-4
    assert model.n_jobs == 1 and model.random_state == 3
    assert accuracy(linear_predict(model, x_cal), y_cal) == 1.0
    assert accuracy(linear_predict(model, x_test), y_test) == 1.0
    again = fit_linear_readout(x_cal.numpy(), y_cal.numpy(), seed=3)
    assert np.array_equal(model.coef_, again.coef_) and np.array_equal(model.intercept_, again.intercept_)
    other = fit_linear_readout(x_cal, y_cal, seed=4)
    assert not np.array_equal(model.coef_, other.coef_)  # the seed is actually used
    # a silent image still gets a class from the linear readout
    assert linear_predict(model, torch.zeros(1, 20)).item() in range(10)


def test_evaluate_readouts_on_toy_split():
    x_cal, y_cal = _separable_counts(300, seed=5)
    x_test, y_test = _separable_counts(100, seed=6)
    x_test[0] = 0  # one silent test image
    out = evaluate_readouts(x_cal, y_cal, x_test, y_test, n_locations=10, seed=0)
    # Class c's strongest votes sit on its own neurons, so every non-silent image is right.
    for key in ("all", "patch", "preselect", "linear"):
        assert out[key] >= 0.99
    assert out["all"] == 0.99 and out["n_silent"] == 1 and out["n_undecided_all"] == 1
    assert out["best_voting"] == max(out["all"], out["patch"], out["preselect"])


def test_accuracy_binomial_sd_and_mean_sd():
    assert accuracy(torch.tensor([1, 2, 3, -1]), np.array([1, 2, 0, 0])) == 0.5
    assert binomial_sd(0.9, 10_000) == pytest.approx(0.003)  # sqrt(0.9*0.1/1e4)
    assert binomial_sd(0.5, 100) == pytest.approx(0.05)  # sqrt(0.25/100)
    assert binomial_sd(1.0, 10) == 0.0
    with pytest.raises(ValueError):
        binomial_sd(1.2, 10)
    mean, sd = mean_sd([1.0, 2.0, 3.0, 4.0, 5.0])
    # mean 3; squared deviations 4+1+0+1+4 = 10; ddof=1 -> 10/4 = 2.5 -> sd = sqrt(2.5)
    assert mean == 3.0 and sd == pytest.approx(math.sqrt(2.5))
    m1, sd1 = mean_sd([0.8])
    assert m1 == 0.8 and math.isnan(sd1)
