"""Readouts of spike-count networks (paper 002: Gafni, Demin & Nekhaev, LCSNN/CSNN/FCSNN).

An unsupervised STDP network is read out from the **spike counts** of its ``Y`` layer: for
each image, ``counts[n, i]`` = number of spikes neuron ``i`` emitted during the presentation
(``sum over t`` of its spike train).  Every function accepts a ``torch.Tensor`` or a NumPy
array (ints or floats) and returns torch tensors; internally all scores are float64.

Neuron layout
    The voting schemes that work per *location* (patch voting, spike-count preselection)
    need to know which neurons share a location.  Counts are ``[N, Y]`` with
    ``Y = L * C`` (``L = n_locations`` receptive-field locations, ``C`` channels = filters
    per location) and, by default, **location-major** order::

        neuron index i = location * C + channel        (layout="location_major")

    i.e. ``counts.reshape(N, L, C)``.  The reference code (BindsNET ``LocalConnection``)
    stores its ``Y`` layer as ``[C, H, W]``, i.e. **channel-major**
    (``i = channel * L + location``); pass ``layout="channel_major"`` for such data.
    A 3-D ``[N, L, C]`` tensor is also accepted as is (then ``n_locations`` may be
    omitted; if given it must equal ``L``).  An FCSNN is the special case ``L = 1``.

Reference semantics (``thesis/nets.py`` of github.com/danielgafni/Bachelor, the paper's code)
    * votes -- ``AbstractSNN.calibrate``: ``votes[c] = sum of counts of calibration images of
      class c / number of such images`` -- the plain per-class mean spike count, with **no
      further normalisation** (not per neuron, not per class).  :func:`class_votes`.
    * ``"all_voting"`` -- ``LC_SNN.class_from_spikes``: ``(spikes * votes).sum`` over all
      neurons, score_c = sum_i s_i v_{c,i}.  :func:`vote_all`.
    * ``"patch_voting"`` -- ``res = spikes * votes`` (shape ``[10, C, H, W]``),
      ``res.max(1).values.sum([1, 2])``: for **each class separately** and each location,
      the maximum over channels of ``s_i v_{c,i}``; summed over locations.  The maximising
      neuron may differ from class to class (it is *not* one neuron picked per location).
      For the FCSNN (one location) it is ``max_i s_i v_{c,i}``.  :func:`vote_patch`.
    * ``"spikes_first"`` (the paper's "spike-count preselection") -- per location the
      channel with the most spikes, ``spikes.max(0).indices``; score_c = sum over
      locations of ``s_k v_{c,k}`` for those neurons only (still weighted by the count).
      Only ``LC_SNN`` offers it.  :func:`vote_preselect`.
    * ``"lc"`` -- ``AbstractSNN.calibrate_lc``: ``SGDClassifier(n_jobs=-1)`` (all other
      arguments default: hinge loss, L2, alpha 1e-4, ``learning_rate="optimal"``,
      max_iter 1000, tol 1e-3, shuffle) fitted on the **raw** (unscaled) flattened spike
      counts of the calibration images; prediction = ``classifier.predict``.
      :func:`fit_linear_readout` / :func:`linear_predict` (here ``n_jobs=1`` and
      ``random_state=seed``; the reference left ``random_state`` unset).
    * accuracy / error -- ``AbstractSNN.calculate_accuracy``: ``(labels == predictions).mean()``
      over all test images and ``error = sqrt(a (1 - a) / n)``.  :func:`accuracy`,
      :func:`binomial_sd`.

Ties and silent images (explicit rules)
    * **No decision** -- the reference returns label ``-1`` when the class scores sum to
      zero (``res.sum(0).item() == 0``); with non-negative counts and votes that happens
      iff every class score is 0: the image is *silent* (no ``Y`` spike at all) or only
      neurons with all-zero votes spiked.  The voting functions return
      :data:`NO_DECISION` ``= -1`` for such images; :func:`accuracy` counts them as wrong
      (they stay in the denominator).  :func:`silent_images` flags the images without any
      spike; :func:`undecided` flags the ``-1`` predictions.  The linear readout always
      returns a class (for a silent image: the class with the largest intercept).
    * **Class ties** -- the reference used ``argsort(descending=True)[0]``, whose order
      among equal scores is unspecified.  Here: the **lowest class index** wins.
    * **Preselection ties** -- the reference's ``max(0).indices``; here: the **lowest
      channel index** among the channels with the most spikes.  A silent location picks
      channel 0 with 0 spikes, so it contributes nothing.
    * **Classes absent from calibration** -- the reference would divide by zero (NaN
      votes); here such a class gets all-zero votes.

Seed statistics
    :func:`mean_sd` returns the mean and the **sample** standard deviation (``ddof=1``) of
    per-seed accuracies (the paper reports N = 5 measurements as mean ± sd).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "NO_DECISION",
    "Layout",
    "as_locations",
    "class_votes",
    "vote_all",
    "vote_patch",
    "vote_preselect",
    "fit_linear_readout",
    "linear_predict",
    "silent_images",
    "undecided",
    "accuracy",
    "binomial_sd",
    "mean_sd",
    "evaluate_readouts",
]

NO_DECISION = -1
"""Prediction of a voting readout when every class score is zero (reference: label -1)."""

Layout = Literal["location_major", "channel_major"]


# --------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------


def _as_float(x: Any, name: str) -> Tensor:
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, Tensor) else x)
    if t.dtype == torch.bool:
        t = t.to(torch.int64)
    if t.is_complex():
        raise TypeError(f"{name} must be real, got {t.dtype}")
    return t.detach().to(device="cpu", dtype=torch.float64)


def _counts(counts: Any) -> Tensor:
    c = _as_float(counts, "counts")
    if c.dim() not in (2, 3):
        raise ValueError(f"counts must be [N, Y] or [N, L, C], got shape {tuple(c.shape)}")
    if torch.isnan(c).any() or (c < 0).any():
        raise ValueError("counts must be non-negative spike counts")
    return c


def _labels(labels: Any, n: int, n_classes: int) -> Tensor:
    y = torch.as_tensor(np.asarray(labels) if not isinstance(labels, Tensor) else labels)
    if y.dim() != 1 or y.shape[0] != n:
        raise ValueError(f"labels must have shape [{n}], got {tuple(y.shape)}")
    if y.is_floating_point():
        if not torch.equal(y, y.round()):
            raise ValueError("labels must be integers")
    y = y.to(torch.int64)
    if n and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got range [{int(y.min())}, {int(y.max())}]")
    return y


def as_locations(x: Any, n_locations: int | None = None, layout: Layout = "location_major") -> Tensor:
    """View ``[..., Y]`` counts or votes as ``[..., L, C]`` (float64), following ``layout``.

    ``layout="location_major"``: neuron ``i = location * C + channel`` (a plain reshape);
    ``layout="channel_major"``: ``i = channel * L + location`` (BindsNET ``[C, H, W]``).
    An input that is already ``[N, L, C]`` (3-D for counts, or votes ``[K, L, C]``) is
    returned unchanged; ``n_locations``, if given, must equal its ``L``.
    """
    t = _as_float(x, "x")
    if t.dim() == 3:
        if n_locations is not None and t.shape[1] != n_locations:
            raise ValueError(f"n_locations={n_locations} but the input has L={t.shape[1]}")
        return t
    if t.dim() != 2:
        raise ValueError(f"expected [N, Y] or [N, L, C], got shape {tuple(t.shape)}")
    if n_locations is None:
        raise ValueError("n_locations is required for flat [N, Y] input")
    if isinstance(n_locations, bool) or not isinstance(n_locations, int) or n_locations < 1:
        raise ValueError(f"n_locations must be a positive int, got {n_locations!r}")
    y = t.shape[1]
    if y % n_locations:
        raise ValueError(f"Y={y} neurons are not divisible by n_locations={n_locations}")
    channels = y // n_locations
    if layout == "location_major":
        return t.reshape(t.shape[0], n_locations, channels)
    if layout == "channel_major":
        return t.reshape(t.shape[0], channels, n_locations).transpose(1, 2)
    raise ValueError(f"layout must be 'location_major' or 'channel_major', got {layout!r}")


def _check_votes(counts: Tensor, votes: Tensor) -> None:
    if votes.dim() != counts.dim() or votes.shape[1:] != counts.shape[1:]:
        raise ValueError(
            f"votes {tuple(votes.shape)} do not match counts {tuple(counts.shape)}: "
            "expected [n_classes, *counts.shape[1:]]"
        )


def _decide(scores: Tensor) -> Tensor:
    """``[N, K]`` scores -> ``[N]`` int64: argmax with lowest-index ties; all-zero rows -> -1."""
    pred = torch.from_numpy(np.argmax(scores.numpy(), axis=1)).to(torch.int64)  # first max
    pred[(scores == 0).all(dim=1)] = NO_DECISION
    return pred


# --------------------------------------------------------------------------------------
# Calibration (votes)
# --------------------------------------------------------------------------------------


def class_votes(counts: Any, labels: Any, n_classes: int = 10) -> Tensor:
    r"""Votes ``v[c, i]`` = mean spike count of neuron ``i`` over calibration images of class ``c``.

    Implements eq-002-votes of chapter 002 (paper 002's calibration votes).

    ``counts`` ``[N, Y]`` (or ``[N, L, C]``), ``labels`` ``[N]`` ints in ``[0, n_classes)``.
    Returns float64 ``[n_classes, *counts.shape[1:]]``.  No further normalisation
    (reference ``AbstractSNN.calibrate``).  A class without calibration images gets
    zero votes.
    """
    c = _counts(counts)
    y = _labels(labels, c.shape[0], n_classes)
    flat = c.reshape(c.shape[0], -1)
    sums = torch.zeros(n_classes, flat.shape[1], dtype=torch.float64).index_add_(0, y, flat)
    n_per_class = torch.bincount(y, minlength=n_classes).to(torch.float64)
    votes = sums / n_per_class.clamp(min=1).unsqueeze(1)
    return votes.reshape(n_classes, *c.shape[1:])


# --------------------------------------------------------------------------------------
# Voting readouts
# --------------------------------------------------------------------------------------


def vote_all(counts: Any, votes: Any) -> Tensor:
    r"""All-neuron (global) voting: ``argmax_c sum_i s_i v_{c,i}`` -> int64 ``[N]``.

    Layout-free: ``counts`` ``[N, ...]`` and ``votes`` ``[n_classes, ...]`` only need the
    same neuron order.  All-zero scores -> :data:`NO_DECISION`; ties -> lowest class.
    """
    c, v = _counts(counts), _as_float(votes, "votes")
    _check_votes(c, v)
    scores = c.reshape(c.shape[0], -1) @ v.reshape(v.shape[0], -1).T
    return _decide(scores)


def _patch_scores(c: Tensor, v: Tensor) -> Tensor:
    # [N, 1, L, C] * [1, K, L, C] -> max over channels -> sum over locations -> [N, K]
    return (c.unsqueeze(1) * v.unsqueeze(0)).amax(dim=3).sum(dim=2)


def vote_patch(
    counts: Any, votes: Any, n_locations: int | None = None, layout: Layout = "location_major"
) -> Tensor:
    r"""Patch voting: ``argmax_c sum_l max_{i in l} s_i v_{c,i}`` -> int64 ``[N]``.

    The maximum over a location's channels is taken **separately for every class**
    (reference ``res = spikes * votes; res.max(1).values.sum(...)``), so different classes
    may use different neurons of the same location.  ``votes`` as returned by
    :func:`class_votes` on counts of the same shape/layout.
    """
    c = as_locations(_counts(counts), n_locations, layout)
    v = _as_float(votes, "votes")
    v = as_locations(v, c.shape[1], layout) if v.dim() == 2 else v
    _check_votes(c, v)
    out = torch.empty(c.shape[0], dtype=torch.int64)
    chunk = max(1, (1 << 22) // max(1, v.numel()))  # bounded memory: chunk x K x L x C float64
    for start in range(0, c.shape[0], chunk):
        out[start : start + chunk] = _decide(_patch_scores(c[start : start + chunk], v))
    return out


def vote_preselect(
    counts: Any, votes: Any, n_locations: int | None = None, layout: Layout = "location_major"
) -> Tensor:
    r"""Spike-count preselection ("spikes first"): per location keep the most active neuron.

    ``k_l = argmax_{i in l} s_i`` (ties -> lowest channel); score_c = ``sum_l s_{k_l} v_{c,k_l}``
    (reference ``LC_SNN.class_from_spikes(method="spikes_first")``).  Silent locations
    contribute 0.  All-zero scores -> :data:`NO_DECISION`; ties -> lowest class.
    """
    c = as_locations(_counts(counts), n_locations, layout)
    v = _as_float(votes, "votes")
    v = as_locations(v, c.shape[1], layout) if v.dim() == 2 else v
    _check_votes(c, v)
    k = torch.from_numpy(np.argmax(c.numpy(), axis=2))  # [N, L], first max = lowest channel
    s_k = torch.gather(c, 2, k.unsqueeze(2)).squeeze(2)  # [N, L]
    loc = torch.arange(c.shape[1])
    v_k = v[:, loc.unsqueeze(0), k]  # [K, N, L]: votes of the selected neuron
    scores = (s_k.unsqueeze(0) * v_k).sum(dim=2).T  # [N, K]
    return _decide(scores)


# --------------------------------------------------------------------------------------
# Linear readout
# --------------------------------------------------------------------------------------


def _features(counts: Any) -> np.ndarray:
    c = _counts(counts)
    return c.reshape(c.shape[0], -1).numpy()


def fit_linear_readout(counts: Any, labels: Any, seed: int, n_classes: int = 10):
    """Fit ``sklearn.linear_model.SGDClassifier`` on raw calibration spike counts.

    Reference ``AbstractSNN.calibrate_lc``: ``SGDClassifier(n_jobs=-1)`` with all other
    arguments at their defaults (hinge loss, L2 penalty, alpha 1e-4, learning_rate
    "optimal", max_iter 1000, tol 1e-3, shuffle=True), trained on the **unscaled**
    flattened counts.  Here ``random_state=seed`` and ``n_jobs=1`` for determinism.
    The feature order (layout) does not matter.  Returns the fitted classifier.
    """
    from sklearn.linear_model import SGDClassifier

    x = _features(counts)
    y = _labels(labels, x.shape[0], n_classes).numpy()
    model = SGDClassifier(random_state=int(seed), n_jobs=1)
    return model.fit(x, y)


def linear_predict(model, counts: Any) -> Tensor:
    """Class predictions ``[N]`` (int64) of a :func:`fit_linear_readout` model; never -1."""
    return torch.from_numpy(np.asarray(model.predict(_features(counts)))).to(torch.int64)


# --------------------------------------------------------------------------------------
# Silent images, accuracy, error bars
# --------------------------------------------------------------------------------------


def silent_images(counts: Any) -> Tensor:
    """Bool ``[N]``: images on which no neuron spiked (always a :data:`NO_DECISION` for voting)."""
    c = _counts(counts)
    return c.reshape(c.shape[0], -1).sum(dim=1) == 0


def undecided(pred: Any) -> Tensor:
    """Bool ``[N]``: predictions equal to :data:`NO_DECISION` (counted as wrong by :func:`accuracy`)."""
    return torch.as_tensor(np.asarray(pred) if not isinstance(pred, Tensor) else pred) == NO_DECISION


def accuracy(pred: Any, labels: Any) -> float:
    """Fraction of ``pred == labels`` over **all** images (:data:`NO_DECISION` counts as wrong)."""
    p = torch.as_tensor(np.asarray(pred) if not isinstance(pred, Tensor) else pred).to(torch.int64)
    y = torch.as_tensor(np.asarray(labels) if not isinstance(labels, Tensor) else labels).to(torch.int64)
    if p.shape != y.shape or p.dim() != 1:
        raise ValueError(f"pred {tuple(p.shape)} and labels {tuple(y.shape)} must be equal 1-D shapes")
    if p.numel() == 0:
        raise ValueError("accuracy of zero images is undefined")
    return float((p == y).to(torch.float64).mean())


def binomial_sd(acc: float, n: int) -> float:
    """Binomial standard error of an accuracy, ``sqrt(a (1 - a) / n)`` (the reference's error bar)."""
    if not 0.0 <= acc <= 1.0:
        raise ValueError(f"acc must lie in [0, 1], got {acc}")
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    return math.sqrt(acc * (1.0 - acc) / n)


def mean_sd(values: Sequence[float] | Tensor | np.ndarray) -> tuple[float, float]:
    """``(mean, sample sd with ddof=1)`` of per-seed values; sd is NaN for a single value."""
    a = np.asarray(values.detach().cpu() if isinstance(values, Tensor) else values, dtype=np.float64).ravel()
    if a.size == 0:
        raise ValueError("mean_sd needs at least one value")
    sd = float(np.std(a, ddof=1)) if a.size > 1 else float("nan")
    return float(np.mean(a)), sd


def evaluate_readouts(
    cal_counts: Any,
    cal_labels: Any,
    test_counts: Any,
    test_labels: Any,
    n_locations: int,
    seed: int,
    layout: Layout = "location_major",
    n_classes: int = 10,
    linear: bool = True,
) -> dict[str, float]:
    """Calibrate on one split, score the other with every readout.

    Returns accuracies ``{"all", "patch", "preselect", "linear"}`` (``"linear"`` only if
    ``linear``), the best voting accuracy ``"best_voting"`` (max of all/patch/preselect,
    as the paper's "best voting" column), ``"n_test"``, ``"n_silent"`` and
    ``"n_undecided_all"`` (test images without a voting decision).
    """
    votes = class_votes(cal_counts, cal_labels, n_classes)
    test_labels = _labels(test_labels, _counts(test_counts).shape[0], n_classes)
    preds = {
        "all": vote_all(test_counts, votes),
        "patch": vote_patch(test_counts, votes, n_locations, layout),
        "preselect": vote_preselect(test_counts, votes, n_locations, layout),
    }
    out: dict[str, float] = {k: accuracy(p, test_labels) for k, p in preds.items()}
    out["best_voting"] = max(out["all"], out["patch"], out["preselect"])
    if linear:
        model = fit_linear_readout(cal_counts, cal_labels, seed, n_classes)
        out["linear"] = accuracy(linear_predict(model, test_counts), test_labels)
    out["n_test"] = float(test_labels.shape[0])
    out["n_silent"] = float(silent_images(test_counts).sum())
    out["n_undecided_all"] = float(undecided(preds["all"]).sum())
    return out
