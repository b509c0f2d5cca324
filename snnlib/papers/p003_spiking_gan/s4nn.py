r"""Training and scoring of S4NN-style TTFS classifiers (S4NN loss or "Aggressive TTFS").

The mechanisms (exact IF forward pass, targets, temporal backprop, dead-neuron reset) are
in :mod:`snnlib.core.temporal`; this module wires them into the per-image training loop of
the S4NN code (one image, one update) and into a scorer that reports every number
Spiking-GAN (Kotariya & Ganguly 2021) quotes for its classifier: accuracy under an
explicit tie/silent rule, decision time and spikes to decision.

Scoring.  The S4NN code counts a test image correct when the label's neuron is among the
outputs that fire first, so a tie of several outputs that contains the label counts as
correct (S4NN issue #4), and when no output fires it takes the argmax of the potentials at
``t_max - 3`` (issue #5).  :func:`evaluate` reports that *lenient* accuracy and the
*strict* one (correct iff the label's neuron alone fires first; ties and silence are
wrong); the book quotes the strict one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import torch
from torch import Tensor

from snnlib.core import temporal as tp
from snnlib.core.coding import TTFSDecision, decode_ttfs_class
from snnlib.core.metrics import ttfs_spikes_until

__all__ = [
    "S4NNClassifierConfig",
    "TrainStep",
    "Evaluation",
    "train_step",
    "evaluate",
    "EpochResult",
    "train_epoch",
    "reset_dead_hidden",
]


@dataclass(frozen=True)
class S4NNClassifierConfig:
    """Settings of a one-hidden-layer TTFS classifier; defaults are the S4NN code's."""

    hidden: int = tp.S4NN_HIDDEN
    loss: str = "s4nn"
    """``'s4nn'``: relative-margin targets (:func:`snnlib.core.temporal.s4nn_relative_targets`);
    ``'aggressive'``: Spiking-GAN's dynamic targets (:func:`snnlib.core.temporal.aggressive_ttfs_targets`);
    the other names of :data:`snnlib.core.temporal.AGGRESSIVE_READINGS`: other readings of them."""
    norm: Literal["l2", "l1"] = "l2"
    """Per-layer error normalisation (S4NN code: L2; Spiking-GAN text: L1)."""
    threshold: float = tp.S4NN_THRESHOLD
    lr: float = tp.S4NN_LR
    weight_decay: float = tp.S4NN_WEIGHT_DECAY
    t_max: int = tp.S4NN_T_MAX
    gamma: int = tp.S4NN_GAMMA
    backprop_weights: Literal["current", "updated"] = "updated"
    """``'updated'`` is the S4NN code's order (hidden error through the updated output weights)."""

    def __post_init__(self) -> None:
        if self.loss != "s4nn" and self.loss not in tp.AGGRESSIVE_READINGS:
            raise ValueError(f"unknown loss {self.loss!r}; use 's4nn' or one of {sorted(tp.AGGRESSIVE_READINGS)}")
        if self.hidden < 1:
            raise ValueError("hidden must be positive")

    def layer_sizes(self, n_in: int = 784, n_out: int = 10) -> list[int]:
        return [n_in, self.hidden, n_out]

    def targets(self, out_times: Tensor, labels: Tensor) -> Tensor:
        """Target output times of the configured loss."""
        if self.loss in tp.AGGRESSIVE_READINGS:
            return tp.aggressive_ttfs_targets(out_times, labels, self.t_max, self.loss, self.gamma)
        return tp.s4nn_relative_targets(out_times, labels, self.t_max, self.gamma)


class TrainStep(NamedTuple):
    """Result of :func:`train_step`."""

    weights: list[Tensor]
    """The updated weights (new tensors)."""
    times: list[Tensor]
    """``[B, n_l]`` firing times of every layer before the update."""


def _check_network(weights: list[Tensor], input_times: Tensor, labels: Tensor) -> None:
    """Shapes and values the fast paths rely on (checked once per call, not per image)."""
    if input_times.dim() != 2 or input_times.is_floating_point() or input_times.dtype == torch.bool:
        raise ValueError(f"input_times must be [B, n] integer times, got {input_times.dtype} "
                         f"{tuple(input_times.shape)}")
    if input_times.numel() and int(input_times.min()) < 0:
        raise ValueError("input_times must be non-negative")
    if labels.shape != (input_times.shape[0],):
        raise ValueError(f"labels must be [B={input_times.shape[0]}], got {tuple(labels.shape)}")
    n_in = input_times.shape[1]
    for layer, w in enumerate(weights):
        if w.dim() != 2 or w.shape[1] != n_in or not w.is_floating_point():
            raise ValueError(f"layer {layer}: weight must be a float [n_out, {n_in}], got "
                             f"{w.dtype} {tuple(w.shape)}")
        n_in = w.shape[0]
    if labels.numel() and not (0 <= int(labels.min()) and int(labels.max()) < n_in):
        raise ValueError(f"labels must lie in [0, {n_in})")


def _to_fast(weights: list[Tensor]) -> list[np.ndarray]:
    """Transposed, C-contiguous numpy copies ``[n_in, n_out]`` for :func:`_train_images`."""
    return [np.array(w.detach().cpu().numpy().T, order="C") for w in weights]


def _from_fast(weights_t: list[np.ndarray]) -> list[Tensor]:
    return [torch.from_numpy(np.ascontiguousarray(w.T)) for w in weights_t]


def _train_images(weights_t: list[np.ndarray], input_times: np.ndarray, labels: np.ndarray,
                  order: list[int], config: S4NNClassifierConfig) -> list[list[np.ndarray]]:
    """S4NN's per-image loop over ``order`` with the in-place kernel
    :func:`snnlib.core.temporal.s4nn_train_image_`; returns each image's layer times."""
    n_layers = len(weights_t)
    settings = dict(thresholds=[config.threshold] * n_layers, t_max=config.t_max,
                    lr=[config.lr] * n_layers, weight_decay=[config.weight_decay] * n_layers,
                    norm=config.norm, loss=config.loss, gamma=config.gamma,
                    backprop_weights=config.backprop_weights)
    return [tp.s4nn_train_image_(weights_t, input_times[i], int(labels[i]), **settings)
            for i in order]


def train_step(weights: list[Tensor], input_times: Tensor, labels: Tensor,
               config: S4NNClassifierConfig) -> TrainStep:
    """One S4NN update: forward, targets of ``config.loss``, temporal backprop, apply.

    With one image (``B = 1``) this is exactly one iteration of the S4NN training loop
    (checked against a dense re-statement of ``S4NN.py`` in the tests), computed by the fast
    kernel :func:`snnlib.core.temporal.s4nn_train_image_`; with ``B > 1`` the per-image
    updates are averaged (:func:`snnlib.core.temporal.s4nn_backward`).
    """
    if input_times.shape[0] == 1:
        _check_network(weights, input_times, labels)
        weights_t = _to_fast(weights)
        (times,) = _train_images(weights_t, input_times.cpu().numpy(), labels.cpu().numpy(), [0],
                                 config)
        return TrainStep(_from_fast(weights_t), [torch.from_numpy(t).unsqueeze(0) for t in times])
    forward = tp.s4nn_forward(input_times, weights, config.threshold, config.t_max)
    out = forward.times[-1]
    error = tp.temporal_error(out, config.targets(out, labels), config.t_max,
                              dtype=weights[-1].dtype)
    back = tp.s4nn_backward(input_times, forward.times, weights, error, lr=config.lr,
                            weight_decay=config.weight_decay, norm=config.norm,
                            backprop_weights=config.backprop_weights)
    return TrainStep([w + d for w, d in zip(weights, back.delta_w)], forward.times)


class Evaluation(NamedTuple):
    """Result of :func:`evaluate`; per-sample tensors are ``[N]``."""

    strict_accuracy: float
    """Label's neuron fires first and alone; ties and silent outputs are wrong."""
    s4nn_accuracy: float
    """The S4NN code's scoring: label among the first to fire; if silent, argmax of V(t_max - 3)."""
    tie_rate: float
    silent_rate: float
    prediction: Tensor
    """Strict prediction (``-1`` for a tie or silence)."""
    decision_time: Tensor
    """First output spike time (``t_max`` if no output fires)."""
    spikes_to_decision: Tensor
    """Spikes of all layers, input included, at steps ``<= decision_time``."""
    hidden_times: Tensor
    """``[N, hidden]`` hidden firing times (for firing statistics)."""


def strict_prediction(decision: TTFSDecision) -> Tensor:
    """The class of a strict first-to-fire decision: ``-1`` for a tie or a silent output
    layer, so that neither can count as correct."""
    return torch.where(decision.tie, torch.full_like(decision.prediction, -1), decision.prediction)


def evaluate(weights: list[Tensor], input_times: Tensor, labels: Tensor,
             config: S4NNClassifierConfig, *, batch_size: int = 1000) -> Evaluation:
    """Score a classifier on ``input_times`` (batched exact forward pass,
    :func:`snnlib.core.temporal.s4nn_forward_times`)."""
    parts = []
    for start in range(0, len(input_times), batch_size):
        t_in = input_times[start:start + batch_size]
        y = labels[start:start + batch_size]
        fwd = tp.s4nn_forward_times(t_in, weights, config.threshold, config.t_max)
        out = fwd.times[-1]
        strict = decode_ttfs_class(out, config.t_max)
        prediction = strict_prediction(strict)
        lenient = decode_ttfs_class(out, config.t_max, silent="potential",
                                    potentials=fwd.output_probe)
        label_first = lenient.winners.gather(1, y.unsqueeze(1)).squeeze(1)
        lenient_ok = torch.where(lenient.silent, lenient.prediction == y, label_first)
        decision = out.min(dim=1).values
        spikes = ttfs_spikes_until([t_in, *fwd.times], decision, config.t_max)
        parts.append((prediction, lenient_ok, strict.tie, strict.silent, decision, spikes,
                      fwd.times[0]))
    prediction, lenient_ok, tie, silent, decision, spikes, hidden = (
        torch.cat(column) for column in zip(*parts))
    return Evaluation(
        strict_accuracy=float((prediction == labels).float().mean()),
        s4nn_accuracy=float(lenient_ok.float().mean()),
        tie_rate=float(tie.float().mean()),
        silent_rate=float(silent.float().mean()),
        prediction=prediction,
        decision_time=decision,
        spikes_to_decision=spikes,
        hidden_times=hidden,
    )


class EpochResult(NamedTuple):
    """Result of :func:`train_epoch`."""

    weights: list[Tensor]
    """The weights after the epoch's updates (before any dead-neuron reset)."""
    online_accuracy: float
    """Strict accuracy of the network on each training image just before its update."""
    hidden_fire_counts: Tensor
    """``[hidden]``: on how many of the epoch's images each hidden neuron fired."""


def train_epoch(weights: list[Tensor], input_times: Tensor, labels: Tensor,
                config: S4NNClassifierConfig, *, generator: torch.Generator) -> EpochResult:
    """One pass over the training set in a random order, one update per image (S4NN).

    S4NN then scores the network and only afterwards re-initialises dead hidden neurons
    (:func:`reset_dead_hidden`), so the scored weights never contain freshly drawn rows.
    """
    if len(weights) != 2:
        raise ValueError("train_epoch trains one-hidden-layer classifiers")
    order = torch.randperm(len(input_times), generator=generator)
    _check_network(weights, input_times, labels)
    weights_t = _to_fast(weights)
    times = _train_images(weights_t, input_times.cpu().numpy(), labels.cpu().numpy(),
                          order.tolist(), config)
    weights = _from_fast(weights_t)
    if not times:
        return EpochResult(weights, 0.0, torch.zeros(weights[0].shape[0], dtype=torch.long))
    # output times of each image, as the network saw it just before its update
    hidden = torch.from_numpy(np.stack([t[0] for t in times]))
    fired = (hidden < config.t_max).sum(dim=0)
    outputs = torch.from_numpy(np.stack([t[-1] for t in times]))
    prediction = strict_prediction(decode_ttfs_class(outputs, config.t_max))
    return EpochResult(weights, float((prediction == labels[order]).float().mean()), fired)


def reset_dead_hidden(weights: list[Tensor], epoch: EpochResult, n_images: int, *,
                      generator: torch.Generator) -> tuple[list[Tensor], int]:
    """S4NN's end-of-epoch reset: hidden neurons that fired on fewer than 0.1 % of the
    epoch's images get new input weights (:func:`snnlib.core.temporal.reinit_dead_neurons`).

    Returns:
        ``(weights, number of neurons reset)``.
    """
    reset = tp.reinit_dead_neurons(weights[0], epoch.hidden_fire_counts, n_images,
                                   generator=generator)
    return [reset.weight, *weights[1:]], int(reset.dead.sum())
