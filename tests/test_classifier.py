"""Tests for the shared MNIST classifier (the committed artifact under data/results/shared/full)."""

from __future__ import annotations

import pytest
import torch

from snnlib.book.classifier import (
    MNISTClassifier,
    features,
    load_mnist_classifier,
    predict_proba,
)
from snnlib.book.data import load_mnist


@pytest.fixture(scope="module")
def loaded():
    return load_mnist_classifier()


@pytest.fixture(scope="module")
def test_images():
    images, labels = load_mnist("test")
    return images[:500], labels[:500]


def test_committed_classifier_classifies_test_images(loaded, test_images):
    images, labels = test_images
    assert not loaded.model.training
    assert loaded.test_accuracy >= 0.99  # recorded on all 10 000 test images
    probs = predict_proba(loaded.model, images)  # uint8 input -> /255
    assert probs.shape == (500, 10)
    assert torch.allclose(probs.sum(1), torch.ones(500), atol=1e-5)
    assert (probs.argmax(1) == labels).float().mean() >= 0.98
    # The same images as floats in [0, 1], flattened, give the same probabilities.
    flat = predict_proba(loaded.model, images.flatten(1).float() / 255)
    assert torch.allclose(probs, flat, atol=1e-6)


def test_features_are_penultimate_activations(loaded, test_images):
    images, _ = test_images
    feats = features(loaded.model, images[:20])
    assert feats.shape == (20, 128)
    assert bool((feats >= 0).all())  # after the ReLU
    logits = loaded.model.fc2(feats)
    assert torch.allclose(torch.softmax(logits, 1), predict_proba(loaded.model, images[:20]), atol=1e-6)


def test_inputs_outside_unit_range_are_rejected():
    model = MNISTClassifier()
    with pytest.raises(ValueError):
        predict_proba(model, torch.full((2, 28, 28), 255.0))  # grey levels not divided by 255
    with pytest.raises(ValueError):
        features(model, torch.zeros(2, 27, 28))
