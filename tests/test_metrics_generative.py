"""Tests for the generative-model metrics in snnlib.core.metrics (closed forms and hand values)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from snnlib.core.metrics import (
    class_share,
    frechet_distance,
    frechet_distance_from_stats,
    inception_score,
    pooled_inception_score,
    sample_spread,
)

# --------------------------------------------------------------------------------------
# Inception score
# --------------------------------------------------------------------------------------


def test_inception_score_of_uniform_predictions_is_one():
    score = inception_score(torch.full((100, 10), 0.1), splits=10)
    assert score.mean == pytest.approx(1.0, abs=1e-12)
    assert score.std == pytest.approx(0.0, abs=1e-12)


def test_inception_score_of_confident_balanced_predictions_is_close_to_c():
    n, c, p = 1000, 10, 0.999
    probs = np.full((n, c), (1 - p) / (c - 1))
    probs[np.arange(n), np.arange(n) % c] = p  # every split of 100 holds 10 of each class
    score = inception_score(probs, splits=10)
    # Balanced marginal (uniform) -> IS = exp(ln C - H(p(y|x))) = C * exp(-H).
    entropy = -(p * math.log(p) + (1 - p) * math.log((1 - p) / (c - 1)))
    assert score.mean == pytest.approx(c * math.exp(-entropy), rel=1e-12)
    assert score.mean > 9.89  # = 9.8995
    assert score.std == pytest.approx(0.0, abs=1e-9)
    # One-hot predictions of a single class score 1 (no diversity).
    collapsed = np.zeros((100, c))
    collapsed[:, 3] = 1.0
    assert inception_score(collapsed, splits=5).mean == pytest.approx(1.0, abs=1e-12)


def test_pooled_inception_score_of_per_class_generators():
    # Ten generators, each confident in its own class (p = 0.999): pooled, they are one
    # class-balanced generator, IS = C exp(-H) = 9.8995, in every split.
    n, c, p = 50, 10, 0.999
    generators = []
    for digit in range(c):
        probs = np.full((n, c), (1 - p) / (c - 1))
        probs[:, digit] = p
        generators.append(probs)
    entropy = -(p * math.log(p) + (1 - p) * math.log((1 - p) / (c - 1)))
    pooled = pooled_inception_score(generators, splits=10)
    assert pooled.mean == pytest.approx(c * math.exp(-entropy), rel=1e-12)
    assert pooled.std == pytest.approx(0.0, abs=1e-9)
    # Concatenated digit by digit, every split holds one class: the score collapses to ~1.
    assert inception_score(np.concatenate(generators), splits=10).mean == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError):
        pooled_inception_score([generators[0], generators[1][:10]])


def test_inception_score_two_class_hand_example():
    # p(y) = [0.75, 0.25]; KL_1 = ln(4/3) = 0.287682; KL_2 = 0.5 ln(2/3) + 0.5 ln 2 = 0.143841;
    # IS = exp(mean KL) = exp(0.215762) = 1.240806.
    score = inception_score(torch.tensor([[1.0, 0.0], [0.5, 0.5]]), splits=1)
    assert score.mean == pytest.approx(math.exp(0.5 * (0.287682072 + 0.143841036)), rel=1e-8)
    assert score.mean == pytest.approx(1.240806, rel=1e-6)


def test_inception_score_mean_and_sd_over_splits():
    # Split 1: confident balanced -> 2; split 2: uniform -> 1. Mean 1.5, population sd 0.5.
    probs = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.5, 0.5]])
    score = inception_score(probs, splits=2)
    assert score.mean == pytest.approx(1.5)
    assert score.std == pytest.approx(0.5)
    with pytest.raises(ValueError):
        inception_score(probs, splits=5)
    with pytest.raises(ValueError):
        inception_score(probs * 2, splits=1)


# --------------------------------------------------------------------------------------
# Fréchet distance
# --------------------------------------------------------------------------------------


def test_frechet_distance_of_identical_sets_is_zero():
    features = torch.randn(200, 16, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_one_dimensional_hand_example():
    # Means 1 and 6, unbiased variances 2 and 8: 25 + 2 + 8 - 2*sqrt(16) = 27.
    assert frechet_distance(np.array([[0.0], [2.0]]), np.array([[4.0], [8.0]])) == pytest.approx(27.0)


def test_frechet_distance_diagonal_gaussians_closed_form():
    mu1, mu2 = np.array([0.0, 0.0]), np.array([1.0, 2.0])
    # |mu1 - mu2|^2 = 5; trace term (1 + 9 - 2*3) + (4 + 1 - 2*2) = 4 + 1.
    value = frechet_distance_from_stats(mu1, np.diag([1.0, 4.0]), mu2, np.diag([9.0, 1.0]))
    assert value == pytest.approx(10.0)


def test_frechet_distance_matches_scipy_sqrtm_for_full_covariances():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    sigma1, sigma2 = a @ a.T + 0.1 * np.eye(5), b @ b.T
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    root = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - 2 * root)
    assert frechet_distance_from_stats(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-9)
    # Singular covariance (rank 1) is fine too: N(0, diag(1, 0)) vs N(0, diag(4, 0)) -> (1 - 2)^2.
    assert frechet_distance_from_stats(np.zeros(2), np.diag([1.0, 0.0]), np.zeros(2),
                                       np.diag([4.0, 0.0])) == pytest.approx(1.0)


def test_frechet_distance_large_samples_approach_closed_form():
    rng = np.random.default_rng(2)
    a = rng.normal([0.0, 0.0], [1.0, 2.0], size=(50_000, 2))
    b = rng.normal([1.0, 2.0], [3.0, 1.0], size=(50_000, 2))
    assert frechet_distance(a, b) == pytest.approx(10.0, abs=0.15)


# --------------------------------------------------------------------------------------
# Class share
# --------------------------------------------------------------------------------------


def test_class_share_hand_values():
    probs = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.5, 0.5]])  # tie -> class 0
    assert class_share(probs, 1) == pytest.approx(0.5)
    assert class_share(probs, 0) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        class_share(probs, 2)


def test_sample_spread_hand_values():
    # Two 2x1 "images": pixel 0 takes 0 and 2 (sample sd sqrt(2)), pixel 1 takes 4 and 4 (sd 0).
    images = torch.tensor([[[0.0], [4.0]], [[2.0], [4.0]]])
    assert sample_spread(images) == pytest.approx(math.sqrt(2) / 2, rel=1e-12)
    # Identical images (a collapsed generator) have no spread.
    assert sample_spread(np.ones((5, 28, 28))) == 0.0
    with pytest.raises(ValueError):
        sample_spread(np.ones(3))
