"""The shared MNIST classifier behind the generative metrics (inception score, Fréchet distance).

Generated MNIST digits are scored with a small convolutional network trained **in this
project** (no downloaded Inception weights): the inception score uses its class
probabilities, the Fréchet distance its penultimate-layer activations.  Because the
network differs from the ImageNet Inception-v3 of Salimans et al. / Heusel et al., the
numbers are an "MNIST-classifier IS/FD", comparable only with each other and not with
Inception-v3 scores in the literature.

* :class:`MNISTClassifier` -- LeNet-style CNN: conv 3x3 (32) - pool - conv 3x3 (64) - pool -
  dropout - fc 128 - dropout - fc 10 (about 225 k parameters, 0.9 MB in float32).
* :func:`train_mnist_classifier` -- trained on the ``train`` split (50 000), the epoch with the
  best ``calibration`` accuracy (10 000) is kept, reported on ``test`` (10 000).  Runs through
  :class:`snnlib.book.runner.Experiment` (chapter ``shared``, experiment ``mnist_classifier``,
  profile ``full``): progress bar, resumable checkpoints, artifact with provenance.
* :func:`load_mnist_classifier` -- the committed weights, in eval mode, with their test accuracy.
* :func:`predict_proba`, :func:`features` -- batched, no-grad inference on images in [0, 1].
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from snnlib.book import runner
from snnlib.book.artifacts import Artifact, read_artifact
from snnlib.book.paths import project_root, results_root

__all__ = [
    "MNIST_MEAN",
    "MNIST_STD",
    "CHAPTER",
    "EXPERIMENT",
    "MNISTClassifier",
    "LoadedClassifier",
    "classifier_directory",
    "train_mnist_classifier",
    "load_mnist_classifier",
    "predict_proba",
    "features",
    "accuracy",
]

MNIST_MEAN = 0.1307
"""Mean pixel value of the MNIST training images (in [0, 1]); standardisation inside the model."""
MNIST_STD = 0.3081
"""Standard deviation of the MNIST training pixels."""
CHAPTER = "shared"
EXPERIMENT = "mnist_classifier"
PROFILE = "full"
FEATURE_DIM = 128


class MNISTClassifier(nn.Module):
    """LeNet-style CNN for 28x28 grey images in [0, 1] (standardised inside ``forward``).

    ``conv(1->32, 3x3) - ReLU - maxpool 2 - conv(32->64, 3x3) - ReLU - maxpool 2 - dropout -
    fc(1600->128) - ReLU [features] - dropout - fc(128->10) [logits]``.
    """

    def __init__(self, dropout_conv: float = 0.25, dropout_fc: float = 0.5) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(64 * 5 * 5, FEATURE_DIM)
        self.fc2 = nn.Linear(FEATURE_DIM, 10)
        self.drop_conv = nn.Dropout(dropout_conv)
        self.drop_fc = nn.Dropout(dropout_fc)

    def features(self, x: Tensor) -> Tensor:
        """Penultimate activations ``[N, 128]`` (after the ReLU of ``fc1``)."""
        x = (x - MNIST_MEAN) / MNIST_STD
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # [N, 32, 13, 13]
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # [N, 64, 5, 5]
        x = self.drop_conv(x).flatten(1)
        return F.relu(self.fc1(x))

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``[N, 10]`` of images ``[N, 1, 28, 28]`` in [0, 1]."""
        return self.fc2(self.drop_fc(self.features(x)))


def _as_images(images: Tensor) -> Tensor:
    """``[N, 1, 28, 28]`` float32 in [0, 1] from ``[N, 28, 28]``, ``[N, 784]`` or ``[N, 1, 28, 28]``.

    ``torch.uint8`` images are divided by 255; floating images must already lie in [0, 1]
    (e.g. divide decoded TTFS grey levels by ``x_max``), otherwise ``ValueError``.
    """
    if images.dtype == torch.uint8:
        images = images.to(torch.float32) / 255.0
    elif not images.is_floating_point():
        raise ValueError(f"images must be uint8 or floating point, got {images.dtype}")
    else:
        if images.numel() and (images.min() < -1e-6 or images.max() > 1 + 1e-6):
            raise ValueError(
                f"floating images must lie in [0, 1], got [{images.min().item():.4g}, "
                f"{images.max().item():.4g}]; divide grey levels by their maximum (e.g. 255)"
            )
        images = images.to(torch.float32)
    if images.dim() == 2 and images.shape[1] == 784:
        images = images.view(-1, 28, 28)
    if images.dim() == 3 and images.shape[1:] == (28, 28):
        images = images.unsqueeze(1)
    if images.dim() != 4 or images.shape[1:] != (1, 28, 28):
        raise ValueError(f"expected [N, 28, 28], [N, 784] or [N, 1, 28, 28], got {tuple(images.shape)}")
    return images


@torch.no_grad()
def _batched(model: nn.Module, images: Tensor, fn, batch_size: int) -> Tensor:
    was_training = model.training
    model.eval()
    try:
        images = _as_images(images)
        outputs = [fn(images[i:i + batch_size]) for i in range(0, len(images), batch_size)]
    finally:
        model.train(was_training)
    if not outputs:
        return torch.empty(0)
    return torch.cat(outputs)


def predict_proba(model: MNISTClassifier, images: Tensor, batch_size: int = 1000) -> Tensor:
    """Class probabilities :math:`p(y|x)` ``[N, 10]`` (softmax of the logits, eval mode, no grad)."""
    return _batched(model, images, lambda x: F.softmax(model(x), dim=1), batch_size)


def features(model: MNISTClassifier, images: Tensor, batch_size: int = 1000) -> Tensor:
    """Penultimate-layer activations ``[N, 128]`` (for the Fréchet distance; eval mode, no grad)."""
    return _batched(model, images, model.features, batch_size)


def accuracy(model: MNISTClassifier, images: Tensor, labels: Tensor, batch_size: int = 1000) -> float:
    """Fraction of ``images`` whose most probable class equals ``labels``."""
    probs = predict_proba(model, images, batch_size)
    return (probs.argmax(dim=1) == labels).double().mean().item()


# --------------------------------------------------------------------------------------
# Training and loading
# --------------------------------------------------------------------------------------


def _experiment(config: dict[str, Any], seed: int, root: Path | None) -> runner.Experiment:
    return runner.Experiment(CHAPTER, EXPERIMENT, config, PROFILE, seed=seed, root=root,
                             code=(__name__,))


def train_mnist_classifier(
    epochs: int = 10,
    seed: int = 0,
    *,
    batch_size: int = 128,
    lr: float = 1e-3,
    lr_decay: float = 0.7,
    root: Path | None = None,
    progress: bool = True,
    checkpoint_every: int = 200,
) -> Artifact:
    """Train the shared classifier (Adam, cross-entropy, learning rate × ``lr_decay`` per epoch).

    Trains on ``load_mnist('train')`` (50 000 images) in shuffled minibatches, evaluates the
    ``calibration`` split (10 000) after every epoch and keeps the weights of the best
    epoch (model selection), which are finally scored on ``test`` (10 000).  Each step
    reseeds torch's global generator from ``(seed, step)`` (dropout masks) and each epoch
    draws its permutation from ``(seed, epoch)``, so a run resumed from a checkpoint
    continues exactly as an uninterrupted one.

    Returns the :class:`~snnlib.book.artifacts.Artifact`; an existing artifact with the same config
    and seed is loaded instead of retraining.  Metrics: ``test_accuracy``,
    ``calibration_accuracy`` (best epoch), ``best_epoch``, ``history`` (per-epoch train loss
    and calibration accuracy), ``n_parameters``.
    """
    from snnlib.book.data import load_mnist

    config = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "lr_decay": lr_decay,
              "optimizer": "adam", "architecture": "conv32-pool-conv64-pool-fc128-fc10",
              "train_split": "train", "selection_split": "calibration", "report_split": "test"}
    exp = _experiment(config, seed, root)
    if exp.is_complete():
        return exp.load()

    runner.seed_everything(seed)
    train_x, train_y = load_mnist("train", as_float=True)
    cal_x, cal_y = load_mnist("calibration", as_float=True)
    train_x = train_x.unsqueeze(1)
    n_train = len(train_y)
    steps_per_epoch = -(-n_train // batch_size)

    model = MNISTClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=lr_decay)
    state: dict[str, Any] = {"model": model, "optimizer": optimizer, "scheduler": scheduler,
                             "best_state": None, "best_accuracy": -1.0, "best_epoch": -1,
                             "history": [], "epoch_loss": 0.0}
    order = None
    for step in exp.steps(epochs * steps_per_epoch, state, every=checkpoint_every,
                          desc="MNIST classifier", progress=progress):
        epoch, index = divmod(step, steps_per_epoch)
        if order is None or index == 0:
            order = torch.randperm(n_train, generator=torch.Generator().manual_seed(
                seed * 100_003 + epoch))
        torch.manual_seed(seed * 1_000_003 + step)
        batch = order[index * batch_size:(index + 1) * batch_size]
        model.train()
        loss = F.cross_entropy(model(train_x[batch]), train_y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        state["epoch_loss"] += loss.item() * len(batch)
        if index == steps_per_epoch - 1:  # end of epoch: model selection on calibration
            scheduler.step()
            cal_accuracy = accuracy(model, cal_x, cal_y)
            state["history"].append({"epoch": epoch, "train_loss": state["epoch_loss"] / n_train,
                                     "calibration_accuracy": cal_accuracy})
            state["epoch_loss"] = 0.0
            if cal_accuracy > state["best_accuracy"]:
                state["best_accuracy"] = cal_accuracy
                state["best_epoch"] = epoch
                state["best_state"] = {k: v.detach().clone() for k, v in model.state_dict().items()}

    model.load_state_dict(state["best_state"])
    test_x, test_y = load_mnist("test", as_float=True)
    metrics = {
        "test_accuracy": accuracy(model, test_x, test_y),
        "calibration_accuracy": state["best_accuracy"],
        "best_epoch": state["best_epoch"],
        "history": state["history"],
        "n_parameters": sum(p.numel() for p in model.parameters()),
    }
    return exp.finish(metrics, weights=model.state_dict())


class LoadedClassifier(NamedTuple):
    """Result of :func:`load_mnist_classifier`."""

    model: MNISTClassifier
    """The classifier in eval mode."""
    test_accuracy: float
    """Accuracy on the 10 000 MNIST test images recorded when it was trained."""
    metrics: dict[str, Any]
    """All recorded metrics (history, calibration accuracy, ...)."""
    provenance: dict[str, Any]
    """Config, seed, git commit, package versions and wall time of the training run."""


def classifier_directory() -> Path:
    """Where the committed classifier lives: ``<results root>/shared/full/mnist_classifier``,
    falling back to the project's ``data/results`` when ``SNN_RESULTS_DIR`` points elsewhere."""
    for root in (results_root(), project_root() / "data" / "results"):
        directory = Path(root) / CHAPTER / PROFILE / EXPERIMENT
        if (directory / "weights.pt").exists():
            return directory
    return project_root() / "data" / "results" / CHAPTER / PROFILE / EXPERIMENT


def load_mnist_classifier(directory: Path | None = None) -> LoadedClassifier:
    """Load the committed classifier (``weights.pt`` + ``metrics.json`` of the runner layout).

    Raises ``FileNotFoundError`` with the command that trains it when the artifact is missing.
    """
    directory = Path(directory) if directory is not None else classifier_directory()
    if not (directory / "weights.pt").exists() or not (directory / "metrics.json").exists():
        raise FileNotFoundError(
            f"no trained MNIST classifier in {directory}; run "
            "`python -m snnlib.book.classifier` (a few minutes on one CPU core) to train it")
    artifact = read_artifact(directory, arrays=False)
    model = MNISTClassifier()
    model.load_state_dict(artifact.weights)
    model.eval()
    return LoadedClassifier(model=model, test_accuracy=float(artifact.metrics["test_accuracy"]),
                            metrics=artifact.metrics, provenance=artifact.provenance)


def main() -> None:  # pragma: no cover - the training entry point
    torch.set_num_threads(1)
    artifact = train_mnist_classifier()
    print(f"test accuracy {artifact.metrics['test_accuracy']:.4f}, "
          f"wall time {artifact.provenance['wall_time_s']:.0f} s")


if __name__ == "__main__":  # pragma: no cover
    main()
