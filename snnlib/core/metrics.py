"""Metrics for spiking networks.

Spike and latency counters
    All inputs are time-major spike tensors ``[T, B, *neurons]`` (``T`` steps,
    ``B`` samples, any number of neuron dims, possibly none); every counter returns
    one value per sample, shape ``[B]``.  They implement the cost measures that the
    chapters compare, e.g. Spiking-GAN's "decision time" (first output spike) and
    "spikes to decision" (all spikes emitted up to that step).

Generative-model metrics
    :func:`inception_score`, :func:`frechet_distance` (and
    :func:`frechet_distance_from_stats`) and :func:`class_share` score generated
    images from the class probabilities / features of a classifier, in this
    project the shared MNIST CNN of :mod:`snnlib.book.classifier` (not Inception-v3, so
    the numbers are comparable only with each other); :func:`sample_spread` measures
    how much the images differ from one another (0 for a collapsed generator).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

import torch
from torch import Tensor

from snnlib.core.coding import first_spike_time

__all__ = [
    "count_spikes",
    "decision_time",
    "spikes_until",
    "firing_fraction",
    "ttfs_spikes_until",
    "InceptionScore",
    "inception_score",
    "frechet_distance_from_stats",
    "frechet_distance",
    "class_share",
    "sample_spread",
]


# --------------------------------------------------------------------------------------
# Spike and latency counters
# --------------------------------------------------------------------------------------


def _check_time_batch(spikes: Tensor) -> None:
    if spikes.dim() < 2:
        raise ValueError(f"expected a time-major [T, B, ...] tensor, got shape {tuple(spikes.shape)}")


def _spikes_per_sample(spikes: Tensor) -> Tensor:
    """``sum over t and neurons`` of a ``[T, B, ...]`` tensor -> ``[B]``."""
    _check_time_batch(spikes)
    return spikes.sum(dim=(0, *range(2, spikes.dim())))


def _as_tensor_list(spike_tensors: Tensor | Sequence[Tensor]) -> list[Tensor]:
    tensors = [spike_tensors] if isinstance(spike_tensors, Tensor) else list(spike_tensors)
    if not tensors:
        raise ValueError("need at least one spike tensor")
    for tensor in tensors:
        _check_time_batch(tensor)
    batch_sizes = {tensor.shape[1] for tensor in tensors}
    if len(batch_sizes) != 1:
        raise ValueError(f"spike tensors disagree on the batch size: {sorted(batch_sizes)}")
    return tensors


def count_spikes(*spike_tensors: Tensor) -> Tensor:
    r"""Total spikes per sample, summed over time, neurons and all given layers.

    .. math:: N_b = \sum_{\ell} \sum_{t} \sum_{i} S^{\ell}[t, b, i]

    Args:
        *spike_tensors: one or more ``[T_l, B, *neurons_l]`` tensors (layers may
            differ in length and width, not in ``B``).

    Returns:
        ``[B]`` counts (``torch.long`` for bool/integer spikes, float otherwise).
    """
    tensors = _as_tensor_list(spike_tensors)
    total = _spikes_per_sample(tensors[0])
    for spikes in tensors[1:]:
        total = total + _spikes_per_sample(spikes)
    return total


def decision_time(output_spikes: Tensor) -> Tensor:
    r"""Per sample, the first step at which any output neuron fires.

    .. math:: t^{dec}_b = \min\{t : \exists i,\ S[t, b, i] \neq 0\},\quad T \text{ if no output fires.}

    This is the decision latency of first-to-fire read-outs (S4NN, Spiking-GAN).

    Args:
        output_spikes: ``[T, B, *outputs]``.

    Returns:
        ``[B]`` ``torch.long`` steps in ``[0, T]``.
    """
    _check_time_batch(output_spikes)
    any_output = (output_spikes != 0).flatten(start_dim=2).any(dim=2)  # [T, B]
    return first_spike_time(any_output)


def spikes_until(spike_tensors: Tensor | Sequence[Tensor], t_stop: Tensor | int) -> Tensor:
    r"""Spikes per sample emitted at steps ``0..t_stop`` (inclusive), over all layers.

    .. math:: N_b = \sum_{\ell}\sum_{t \le t^{stop}_b}\sum_i S^{\ell}[t, b, i]

    With ``t_stop = decision_time(output_spikes)`` this is Spiking-GAN's
    "spikes to decision" count.  A ``t_stop >= T - 1`` (e.g. ``T`` for a sample
    that never decided) counts every spike of that sample.

    Args:
        spike_tensors: one ``[T_l, B, ...]`` tensor or a sequence of them.
        t_stop: last step counted; an int for all samples or a ``[B]`` tensor.

    Returns:
        ``[B]`` counts (``torch.long`` for bool/integer spikes, float otherwise).
    """
    tensors = _as_tensor_list(spike_tensors)
    batch_size = tensors[0].shape[1]
    t_stop = torch.as_tensor(t_stop, device=tensors[0].device)
    if t_stop.dim() > 1 or (t_stop.dim() == 1 and t_stop.shape[0] != batch_size):
        raise ValueError(f"t_stop must be an int or a [B={batch_size}] tensor, got {tuple(t_stop.shape)}")
    total = None
    for spikes in tensors:
        steps = torch.arange(spikes.shape[0], device=spikes.device)
        counted = steps.unsqueeze(1) <= t_stop.reshape(1, -1)  # [T, B] or [T, 1]
        counted = counted.view(*counted.shape, *([1] * (spikes.dim() - 2)))
        per_sample = _spikes_per_sample(spikes * counted)
        total = per_sample if total is None else total + per_sample
    return total


def firing_fraction(spikes: Tensor) -> Tensor:
    r"""Per sample, the fraction of neurons that fired at least once.

    .. math:: f_b = \frac{1}{n}\sum_i \mathbb 1\big[\exists t: S[t, b, i] \neq 0\big]

    Args:
        spikes: ``[T, B, *neurons]`` (``n`` = number of neurons per sample).

    Returns:
        ``[B]`` floats in ``[0, 1]``.
    """
    _check_time_batch(spikes)
    fired = (spikes != 0).any(dim=0).flatten(start_dim=1)  # [B, n]
    return fired.to(torch.get_default_dtype()).mean(dim=1)


def ttfs_spikes_until(times: Sequence[Tensor], t_stop: Tensor | int, t_max: int) -> Tensor:
    r"""Spikes per sample up to step ``t_stop`` (inclusive) in a network of single-spike
    (TTFS) neurons given by their firing times, without building spike trains.

    .. math:: N_b = \sum_{\ell}\sum_i \mathbb 1\big[t^{\ell}_{b,i} \le t^{stop}_b\big]\,
              \mathbb 1\big[t^{\ell}_{b,i} < t_{max}\big]

    A time ``>= t_max`` means "no spike" (S4NN's forced spike at ``t_max`` is not counted).
    With ``t_stop`` = the first output spike this is Spiking-GAN's "spikes to decision";
    list the input layer's times too to count input spikes, as the paper does (its
    1 194 neurons are 784 inputs, 400 hidden and 10 outputs).

    Args:
        times: per layer ``[B, n_l]`` integer firing times.
        t_stop: last step counted; an int or ``[B]``.
        t_max: simulation length.

    Returns:
        ``[B]`` ``torch.long`` counts.
    """
    if not times:
        raise ValueError("need at least one layer of times")
    batch = times[0].shape[0]
    stop = torch.as_tensor(t_stop, device=times[0].device)
    if stop.dim() > 1 or (stop.dim() == 1 and stop.shape[0] != batch):
        raise ValueError(f"t_stop must be an int or a [B={batch}] tensor, got {tuple(stop.shape)}")
    stop = stop.reshape(-1, 1)
    total = torch.zeros(batch, dtype=torch.long, device=times[0].device)
    for layer in times:
        if layer.dim() != 2 or layer.shape[0] != batch:
            raise ValueError(f"every layer must be [B={batch}, n], got {tuple(layer.shape)}")
        total += ((layer <= stop) & (layer < t_max)).sum(dim=1)
    return total


# --------------------------------------------------------------------------------------
# Generative-model metrics
# --------------------------------------------------------------------------------------


def _as_float64_matrix(values: Tensor | np.ndarray, name: str) -> np.ndarray:
    if isinstance(values, Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be [N, D], got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains non-finite values")
    return array


class InceptionScore(NamedTuple):
    """Result of :func:`inception_score`."""

    mean: float
    """Mean of the per-split scores."""
    std: float
    """Standard deviation of the per-split scores (population sd, ``np.std``, as Salimans et al.)."""


def inception_score(probs: Tensor | np.ndarray, splits: int = 10) -> InceptionScore:
    r"""Inception score of Salimans et al. (2016) from classifier probabilities.

    .. math::

        \mathrm{IS} = \exp\Big(\mathbb E_x\, \mathrm{KL}\big(p(y|x)\,\|\,p(y)\big)\Big),
        \qquad p(y) = \mathbb E_x\, p(y|x),

    computed separately on ``splits`` consecutive, (nearly) equal parts of the samples
    (part ``k`` = rows ``k*N//splits .. (k+1)*N//splits - 1``, each with its own
    marginal :math:`p(y)`), and summarised by the mean and the standard deviation of the
    per-split scores -- the procedure of the reference implementation
    (``openai/improved-gan``, ``inception_score.py``).  :math:`0\log 0 = 0`.

    Bounds: 1 (every :math:`p(y|x)` equals the marginal, e.g. uniform) to :math:`C`
    (confident and class-balanced predictions).  Example: ``[[1, 0], [0.5, 0.5]]`` with
    one split has :math:`p(y) = [0.75, 0.25]` and
    :math:`\mathrm{IS} = \exp\big(\tfrac12[\ln\tfrac43 + \tfrac12\ln\tfrac23 + \tfrac12\ln 2]\big) \approx 1.2408`.

    Args:
        probs: ``[N, C]`` class probabilities :math:`p(y|x)` (rows sum to 1).
        splits: number of parts (``1 <= splits <= N``).

    Returns:
        :class:`InceptionScore` ``(mean, std)``.
    """
    p = _as_float64_matrix(probs, "probs")
    n = p.shape[0]
    if isinstance(splits, bool) or not isinstance(splits, int) or not 1 <= splits <= n:
        raise ValueError(f"splits must be an int in [1, N={n}], got {splits!r}")
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-5):
        raise ValueError("probs must be non-negative with rows summing to 1")
    scores = []
    for k in range(splits):
        part = p[k * n // splits:(k + 1) * n // splits]
        marginal = part.mean(axis=0, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(part > 0, part * (np.log(part) - np.log(marginal)), 0.0)
        scores.append(float(np.exp(terms.sum(axis=1).mean())))
    return InceptionScore(mean=float(np.mean(scores)), std=float(np.std(scores)))


def pooled_inception_score(
    probs_per_generator: Sequence[Tensor | np.ndarray], splits: int = 10
) -> InceptionScore:
    """Inception score of several generators pooled into one that uses each equally often
    (e.g. ten per-digit GANs as one class-balanced generator).

    Every generator gives ``[n, C]`` probabilities for ``n`` samples (the same ``n`` for all).
    The samples are interleaved -- sample 0 of every generator, then sample 1, ... -- so that each
    of the ``splits`` consecutive parts of :func:`inception_score` holds every generator in (nearly)
    equal shares.  Concatenating them instead would give parts of one generator each and, for
    per-class generators, a score near 1 however good they are.
    """
    arrays = [_as_float64_matrix(p, "probs") for p in probs_per_generator]
    if not arrays or len({a.shape for a in arrays}) != 1:
        raise ValueError(f"need one or more [n, C] arrays of one shape, got {[a.shape for a in arrays]}")
    stacked = np.stack(arrays, axis=1)  # [n, G, C]
    return inception_score(stacked.reshape(-1, stacked.shape[-1]), splits)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix (negative
    eigenvalues from rounding are clipped to 0)."""
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T


def frechet_distance_from_stats(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    r"""Fréchet distance between the Gaussians :math:`\mathcal N(\mu_1,\Sigma_1)` and
    :math:`\mathcal N(\mu_2,\Sigma_2)` (Heusel et al. 2017, the "FID" formula):

    .. math::

        d^2 = \lVert\mu_1 - \mu_2\rVert^2
              + \mathrm{Tr}\big(\Sigma_1 + \Sigma_2 - 2(\Sigma_1\Sigma_2)^{1/2}\big).

    :math:`\mathrm{Tr}(\Sigma_1\Sigma_2)^{1/2}` is computed as
    :math:`\sum_k \sqrt{\lambda_k}` over the eigenvalues of the symmetric PSD matrix
    :math:`\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}` (similar to :math:`\Sigma_1\Sigma_2`),
    which avoids ``scipy.linalg.sqrtm``'s complex round-off parts and its failures on
    singular covariances.  For diagonal covariances the trace term is
    :math:`\sum_d(\sigma_{1d} + \sigma_{2d} - 2\sqrt{\sigma_{1d}\sigma_{2d}})` (variances
    :math:`\sigma`).  The result is clipped at 0 (it is a squared distance; round-off can
    make identical inputs give about ``-1e-13``).

    Returns:
        The squared Fréchet distance :math:`d^2` (a float).
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    dim = mu1.shape[0]
    if mu2.shape != (dim,) or sigma1.shape != (dim, dim) or sigma2.shape != (dim, dim):
        raise ValueError(
            f"inconsistent shapes: mu1 {mu1.shape}, mu2 {mu2.shape}, sigma1 {sigma1.shape}, "
            f"sigma2 {sigma2.shape}"
        )
    root1 = _psd_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = float(np.sqrt(np.clip(eigenvalues, 0, None)).sum())
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt)
    return max(value, 0.0)


def frechet_distance(features_a: Tensor | np.ndarray, features_b: Tensor | np.ndarray) -> float:
    r"""Fréchet distance between two feature sets ``[N_a, D]`` and ``[N_b, D]``.

    Fits a Gaussian to each set -- sample mean and unbiased sample covariance
    (``np.cov(..., rowvar=False)``, ``N - 1`` in the denominator, as ``pytorch-fid``) --
    and returns :func:`frechet_distance_from_stats`.  Example (``D = 1``): ``[[0], [2]]``
    (mean 1, variance 2) vs ``[[4], [8]]`` (mean 6, variance 8) gives
    :math:`25 + 2 + 8 - 2\sqrt{16} = 27`.

    With features from :func:`snnlib.book.classifier.features` this is an "MNIST-classifier
    FD", not the Inception-v3 FID.  It is biased upwards for small sets; compare
    distances computed with the same ``N``.
    """
    a = _as_float64_matrix(features_a, "features_a")
    b = _as_float64_matrix(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature dimensions differ: {a.shape[1]} vs {b.shape[1]}")
    if a.shape[0] < 2 or b.shape[0] < 2:
        raise ValueError("need at least two samples per set for a covariance")
    return frechet_distance_from_stats(
        a.mean(axis=0), np.cov(a, rowvar=False), b.mean(axis=0), np.cov(b, rowvar=False)
    )


def class_share(probs: Tensor | np.ndarray, target_class: int) -> float:
    r"""Share of samples whose most probable class is ``target_class``:
    :math:`\frac1N\sum_n \mathbb 1[\arg\max_c p_{nc} = \text{target}]`.

    For a per-digit GAN (Spiking-GAN trains one per class) this is the fraction of
    generated images that the classifier reads as the intended digit.  Works on
    probabilities or logits (only the argmax matters; ties go to the lowest index).
    """
    p = _as_float64_matrix(probs, "probs")
    if not 0 <= target_class < p.shape[1]:
        raise ValueError(f"target_class must lie in [0, {p.shape[1]}), got {target_class}")
    if p.shape[0] == 0:
        raise ValueError("need at least one sample")
    return float((p.argmax(axis=1) == target_class).mean())


def sample_spread(images: Tensor | np.ndarray) -> float:
    r"""How different a set of images are from one another: the grey-level standard
    deviation across the images, averaged over pixels,
    :math:`\frac1D\sum_d \operatorname{sd}_n(x_{nd})` (sample sd, ``ddof=1``).

    0 when every image is the same (a mode-collapsed generator); compare a generator's
    samples with the same number of real images of the class.  ``images`` is ``[N, ...]``
    with ``N >= 2``; the trailing dimensions are flattened into pixels.
    """
    if images.ndim < 2:
        raise ValueError(f"images must be [N, ...] with pixels, got shape {tuple(images.shape)}")
    pixels = _as_float64_matrix(images.reshape(len(images), -1), "images")
    return float(pixels.std(axis=0, ddof=1).mean())
