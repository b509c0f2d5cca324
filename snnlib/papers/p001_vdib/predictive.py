r"""VDIB's efficient predictive coding (paper section 6.1, reconstructed from the authors'
``predictive_coding_softmax.py``; our text elides the section).

A layer of ``n_readout`` stochastic-threshold SRM neurons (:func:`snnlib.core.glm.glm_readout_step`;
no hidden layer) encodes the drifting-blob stimulus (:mod:`.blobs`); a linear decoder with a
softmax reads the last :math:`\tau_d` readout samples and predicts which pair of input neurons is
active :math:`\delta` steps ahead (eq-001-vdib-loss):

.. math::
    \mathcal L_t = -\log q_\phi\big(c_{t+\delta} \mid y_{t-\tau_d+1}^{t}\big)
        + \beta\, \frac1N \sum_i \log\frac{p_\theta(y_{i,t} \mid u_{i,t})}{q(y_{i,t})},
    \qquad q = \mathrm{Bern}(r).

Training is online, one update per time step, as in the authors' code: the decoder by Adam on
the negative log-likelihood; the encoder by the score-function rule of the authors' ``SNNSGD``
(eq-001-score-function), :math:`\theta \leftarrow \theta - \eta\, \ell_t\, \nabla_\theta
\frac1N\sum_i \log p_\theta(y_{i,t} \mid u_{i,t})` with the learning signal :math:`\ell_t =
\mathcal L_t` (the script builds ``SNNSGD`` with ``baseline=False``, and the optimiser's moving
average of :math:`\ell` is never stored in that case, so the current value is used as is).
``decoding="rate"`` is the baseline that sums the window before the decoder.

Every stream is an independent model (one setting of horizon and :math:`\beta`, one trial);
they are simulated side by side, which changes nothing in any stream's updates (tested): a
stream's data and spike noise come from generators seeded by its trial and sequence number only.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from snnlib.core.glm import (GLMParams, GLMState, SNNSGDState, glm_init_state, glm_log_prob_grads, glm_readout_step,
                             log_ratio_to_prior, raised_cosine_basis, snnsgd_update)
from snnlib.papers.p001_vdib.blobs import drifting_blobs, n_pair_classes, pair_class

__all__ = ["DECODINGS", "Stream", "StreamEncoder", "StreamDecoder", "PredictiveRun", "make_run", "stream_generator",
           "stream_sequence", "evaluate", "train_predictive_coding"]

DECODINGS = ("vdib", "rate")


class Stream(NamedTuple):
    r"""One independent model: prediction ``horizon`` :math:`\delta`, ``beta`` and ``trial``."""

    horizon: int
    beta: float
    trial: int


def stream_generator(seed: int, trial: int, index: int, kind: int) -> torch.Generator:
    """The generator of one trial's sequence ``index`` (``kind`` 0: the stimulus, 1: the spike
    noise, 2: the initial weights; test sequences have negative indices): shared by every stream of the trial, whatever
    its setting or decoding, so that settings are compared on the same data."""
    return torch.Generator().manual_seed(((seed * 1009 + trial) * 2 + kind) * 10_000_019 + index + 10_000)


class StreamEncoder(nn.Module):
    r"""The readout weights of every stream (:class:`snnlib.core.glm.GLMParams`), Xavier-uniform
    as kclip/snn initialises them: :math:`U(-a, a)`, :math:`a = \sqrt{6 / (K_{ff}(n_{in} +
    n_{out}))}` for the feed-forward, feedback and bias weights alike."""

    def __init__(self, n_in: int, n_out: int, n_ff_basis: int, n_fb_basis: int, generators: Sequence[torch.Generator]):
        super().__init__()
        a = math.sqrt(6 / (n_ff_basis * (n_in + n_out)))

        def uniform(*shape: int) -> Tensor:
            return torch.stack([(torch.rand(*shape, generator=g) * 2 - 1) * a for g in generators])

        self.register_buffer("ff", uniform(n_out, n_in, n_ff_basis))
        self.register_buffer("fb", uniform(n_out, n_fb_basis))
        self.register_buffer("bias", uniform(n_out))

    @property
    def params(self) -> GLMParams:
        return GLMParams(self.ff, self.fb, self.bias)


class StreamDecoder(nn.Module):
    r"""A linear decoder with a log-softmax per stream (``weight`` ``[M, inputs, classes]``, the
    layout that makes the batched product fast), initialised as ``torch.nn.Linear``:
    :math:`U(\pm 1/\sqrt{\text{inputs}})`."""

    def __init__(self, n_in: int, n_classes: int, generators: Sequence[torch.Generator]):
        super().__init__()
        bound = 1 / math.sqrt(n_in)
        self.weight = nn.Parameter(torch.stack([(torch.rand(n_in, n_classes, generator=g) * 2 - 1) * bound for g in generators]))
        self.bias = nn.Parameter(torch.stack([(torch.rand(n_classes, generator=g) * 2 - 1) * bound for g in generators]))
        self.weight.grad, self.bias.grad = torch.zeros_like(self.weight), torch.zeros_like(self.bias)

    def log_probs(self, features: Tensor) -> Tensor:
        return F.log_softmax(torch.baddbmm(self.bias[:, None, :], features[:, None, :], self.weight)[:, 0], dim=-1)

    def set_nll_grads(self, features: Tensor, log_probs: Tensor, targets: Tensor) -> None:
        r"""The gradient of each stream's own NLL (the streams' losses summed), written in place:
        :math:`(\mathrm{softmax} - \text{one-hot}) \otimes \text{features}`."""
        error = log_probs.exp()
        error[torch.arange(len(targets)), targets] -= 1
        torch.mul(features[:, :, None], error[:, None, :], out=self.weight.grad)
        self.bias.grad.copy_(error)


def _features(window: Tensor, decoding: str) -> Tensor:
    """The decoder's input from the window ``[M, tau_d, N]`` (oldest first): the samples in time
    order, or their sum for rate decoding."""
    return window.sum(1) if decoding == "rate" else window.flatten(1)


class PredictiveRun(NamedTuple):
    """What every step of a predictive-coding run reads: the streams, the settings, the decoding,
    the seed and the two filter bases (:func:`make_run`)."""

    streams: Sequence[Stream]
    settings: Mapping[str, Any]
    decoding: str
    seed: int
    ff_basis: Tensor
    fb_basis: Tensor


def make_run(streams: Sequence[Stream], settings: Mapping[str, Any], decoding: str, seed: int) -> PredictiveRun:
    """A :class:`PredictiveRun` with the raised-cosine bases of ``settings``."""
    if decoding not in DECODINGS:
        raise ValueError(f"decoding must be one of {DECODINGS}, got {decoding!r}")
    return PredictiveRun(tuple(streams), settings, decoding, seed,
                         raised_cosine_basis(settings["ff_length"], settings["n_ff_basis"], settings["mu"]),
                         raised_cosine_basis(settings["fb_length"], settings["n_fb_basis"], settings["mu"]))


def stream_sequence(run: "PredictiveRun", index: int, steps: int) -> tuple[Tensor, Tensor, Tensor]:
    """Stimulus ``[steps, M, n]``, targets ``[steps, M]`` (class of the input ``horizon`` steps
    ahead) and spike noise ``[warm-up + steps, M, N]`` of sequence ``index`` for every stream."""
    s = run.settings
    trials = sorted({st.trial for st in run.streams})
    ahead = max(st.horizon for st in run.streams)
    x = drifting_blobs(steps + ahead, s["n_inputs"], [stream_generator(run.seed, k, index, 0) for k in trials])
    noise = torch.stack([torch.rand(s["warmup"] + steps, s["n_readout"], generator=stream_generator(run.seed, k, index, 1))
                         for k in trials], dim=1)
    col = torch.tensor([trials.index(st.trial) for st in run.streams])
    classes = pair_class(x)[:, col]  # [steps + ahead, M]
    shift = torch.tensor([st.horizon for st in run.streams])
    targets = classes[torch.arange(steps)[:, None] + shift, torch.arange(len(run.streams))]
    return x[:steps, col], targets, noise[:, col]


def _warm_up(run: PredictiveRun, encoder: StreamEncoder, state: GLMState, noise: Tensor) -> GLMState:
    """``warmup`` steps of zero input (the authors flush the filters before every sequence)."""
    zero = torch.zeros(len(run.streams), run.settings["n_inputs"])
    for t in range(run.settings["warmup"]):
        _, state = glm_readout_step(zero, state, encoder.params, run.ff_basis, run.fb_basis, noise[t])
    return state


def _run_sequence(run: PredictiveRun, encoder: StreamEncoder, decoder: StreamDecoder, state: GLMState, index: int,
                  steps: int, opt: torch.optim.Optimizer | None, enc_state: list | None = None
                  ) -> tuple[GLMState, Tensor, Tensor, Tensor, Tensor]:
    """One sequence through every stream, training (``opt`` given: one update per step) or not;
    with ``settings["baseline"]`` the encoder's optimiser keeps its averages in ``enc_state`` (one
    :class:`~snnlib.core.glm.SNNSGDState` or ``None`` per parameter, updated in place).
    Returns the state, per stream the number of correct predictions and the spike count, and the
    sequence's input ``[steps, M, n]`` and readout spikes ``[steps, M, N]``."""
    s, m = run.settings, len(run.streams)
    x, targets, noise = stream_sequence(run, index, steps)
    state = _warm_up(run, encoder, state, noise)
    betas = torch.tensor([st.beta for st in run.streams])[:, None]
    window = torch.zeros(m, s["tau_d"], s["n_readout"])
    correct, spikes, raster = torch.zeros(m), torch.zeros(m), []
    for t in range(steps):
        out, state = glm_readout_step(x[t], state, encoder.params, run.ff_basis, run.fb_basis, noise[s["warmup"] + t])
        window = torch.cat([window[:, 1:], out.spikes[:, None]], dim=1)
        spikes += out.spikes.sum(1)
        raster.append(out.spikes)
        if t < s["tau_d"]:
            continue
        features = _features(window, run.decoding)
        with torch.no_grad():
            log_probs = decoder.log_probs(features)
        correct += (log_probs.argmax(1) == targets[t]).float()
        if opt is None:
            continue
        nll = -log_probs[torch.arange(m), targets[t]]
        enc_loss = log_ratio_to_prior(out.spikes, out.u, s["r"]).mean(1)
        signal = (nll + betas[:, 0] * enc_loss)[:, None]  # the learning signal l_t of each stream
        grads = glm_log_prob_grads(out, 1.0 / s["n_readout"])
        for i, (param, grad) in enumerate(zip(encoder.params, grads)):
            per_param = signal.view(-1, *([1] * (grad.dim() - 1)))
            if s.get("baseline", False):  # SNNSGD with its baseline (an ablation; the script has none)
                direction, enc_state[i] = snnsgd_update(grad, per_param, enc_state[i])
                param -= s["lr"] * direction
            else:  # SNNSGD without baseline, as the script runs it: the step's own signal
                param -= s["lr"] * per_param * grad
        decoder.set_nll_grads(features, log_probs, targets[t])
        opt.step()
    return state, correct, spikes, x, torch.stack(raster)


def evaluate(run: PredictiveRun, encoder: StreamEncoder, decoder: StreamDecoder, state: GLMState, test_index: int
             ) -> tuple[GLMState, Tensor, Tensor, Tensor, Tensor]:
    """Accuracy of every stream on test sequence ``test_index`` (``T_test`` steps, no update;
    predictions from step ``tau_d`` on), its readout spike rate per neuron and step, and the
    sequence's input and readout spikes."""
    s = run.settings
    state, correct, spikes, x, raster = _run_sequence(run, encoder, decoder, state, -1 - test_index, s["T_test"], None)
    return state, correct / (s["T_test"] - s["tau_d"]), spikes / (s["T_test"] * s["n_readout"]), x, raster


def train_predictive_coding(exp, streams: Sequence[Stream], settings: Mapping[str, Any], decoding: str, seed: int
                            ) -> dict[str, np.ndarray]:
    """Train every stream online on ``n_sequences`` sequences of ``T`` steps; before sequence
    ``k`` with ``(k + 1) % test_period == 0`` (the authors' schedule) and after the last, score
    all streams on a fresh test sequence (:func:`evaluate`; test sequence ``j`` is the same for
    every stream of a trial).  Resumable through ``exp.steps`` (one step per sequence).

    Returns ``test_sequences`` (training sequences seen at each test), ``test_acc`` and
    ``test_rate`` ``[tests, M]``, ``train_acc`` ``[M]`` over the sequences since the last test,
    and the first ``raster_steps`` steps of the final test's input and readout spikes
    (``final_inputs`` ``[steps, M, n]``, ``final_spikes`` ``[steps, M, N]``, uint8), and the
    trained readout weights ``encoder_ff``, ``encoder_fb``, ``encoder_bias``."""
    s, m = settings, len(streams)
    run = make_run(streams, settings, decoding, seed)
    inits = [stream_generator(seed, st.trial, 0, 2) for st in streams]  # a trial's streams start alike
    encoder = StreamEncoder(s["n_inputs"], s["n_readout"], s["n_ff_basis"], s["n_fb_basis"], inits)
    n_features = s["n_readout"] * (1 if decoding == "rate" else s["tau_d"])
    decoder = StreamDecoder(n_features, n_pair_classes(s["n_inputs"]), inits)
    opt = torch.optim.Adam(decoder.parameters(), lr=s["lr"], fused=True)  # elementwise: per stream
    st = {"encoder": encoder, "decoder": decoder, "opt": opt,
          "glm": tuple(glm_init_state(m, s["n_inputs"], s["n_readout"], s["ff_length"], s["fb_length"])),
          "tests": [], "recent": torch.zeros(m), "enc_opt": [None, None, None]}
    per_train = s["T"] - s["tau_d"]
    for k in exp.steps(s["n_sequences"], st, every=s["checkpoint_every"], desc=exp.name):
        if (k + 1) % s["test_period"] == 0:
            glm, acc, rate, _, _ = evaluate(run, encoder, decoder, GLMState(*st["glm"]), len(st["tests"]))
            st["glm"] = tuple(glm)
            st["tests"] = st["tests"] + [(k, acc, rate)]
            st["recent"] = torch.zeros(m)
        enc_state = [None if v is None else SNNSGDState(*v) for v in st["enc_opt"]]
        glm, correct, _, _, _ = _run_sequence(run, encoder, decoder, GLMState(*st["glm"]), k, s["T"], opt, enc_state)
        st["enc_opt"] = [None if v is None else tuple(v) for v in enc_state]
        st["glm"] = tuple(glm)
        st["recent"] = st["recent"] + correct / per_train
    _, acc, rate, x, raster = evaluate(run, encoder, decoder, GLMState(*st["glm"]), len(st["tests"]))
    tests = st["tests"] + [(s["n_sequences"], acc, rate)]
    since_test = s["n_sequences"] - tests[-2][0] if len(tests) > 1 else s["n_sequences"]
    return {"test_sequences": np.array([t[0] for t in tests]),
            "test_acc": torch.stack([t[1] for t in tests]).numpy(),
            "test_rate": torch.stack([t[2] for t in tests]).numpy(),
            "train_acc": (st["recent"] / since_test).numpy(),
            "final_inputs": x[:s["raster_steps"]].to(torch.uint8).numpy(),
            "final_spikes": raster[:s["raster_steps"]].to(torch.uint8).numpy(),
            **{f"encoder_{k}": v.numpy() for k, v in encoder.params._asdict().items()}}
