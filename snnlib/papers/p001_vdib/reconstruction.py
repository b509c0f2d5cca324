r"""VDIB's naturalising experiments: a spiking encoder and an ANN decoder trained together to turn
spike trains into a natural image (paper section 6.2 on MNIST, reconstructed from the authors'
``image_reconstruction.py``, ``models/encoders.py`` and ``utils/misc.py`` at kclip/VDIB 86d2e93;
our text elides the section).  The data (:class:`ReconstructionData`) says what the input spikes
are and which image the decoder is to produce, so event-stream input (section 6.3) runs through the
same training.

**Encoder.**  A hidden layer of deterministic DECOLLE LIF neurons
(:func:`snnlib.core.neurons.decolle_lif_step`, eq-001-hidden-lif) feeds a layer of stochastic-threshold
SRM readouts (eq-001-srm: raised-cosine filters of the hidden spikes, a feedback filter, a bias,
:math:`y \sim \mathrm{Bern}(\sigma(u))`), simulated by :func:`run_encoder`.  Every example is
preceded by ``warmup`` steps of zero input, without learning; the neurons' state is never reset.

**Loss, per example** (eq-001-vdib-loss): the decoder's binary cross-entropy of the image from the
``T`` readout samples plus :math:`\beta` times the encoder term
:math:`\frac1T \sum_t \frac1N \sum_i \log\frac{p(y_{i,t} \mid u_{i,t})}{q(y_{i,t})}`.

**Updates, once per example**, in the authors' order:

* the decoder (:class:`ReconstructionDecoder`): one Adam step on its cross-entropy;
* the encoder: kclip/snn's ``SNNSGD`` with its baseline (:func:`snnlib.core.glm.snnsgd_update`) on
  the learning signal :math:`\ell` = cross-entropy + :math:`\beta\,\cdot` encoder term, with the
  gradient of the encoder term at fixed spikes, which is :math:`\frac1{NT}\nabla\log p(y)`:
  :math:`\frac1{NT}\sum_t (y_t - \sigma(u_t))\,a_t` for the readout (eq-001-score-function), and
  for the hidden layer the direct-feedback-alignment signal that the authors' ``TrainingHook``
  puts in place of the gradient at the hidden spikes: :math:`\sum_t \big((e_t B) \odot
  \tilde S'(U_t)\big)\, P_t^\top` with :math:`e_t = y_t - \sigma(u_t)` and a fixed random
  :math:`B` (eq-001-dfa); :func:`encoder_grads`.

**Batching** (ours; the authors train one example at a time).  :func:`train_reconstruction` runs
``batch`` examples side by side, each slot carrying its own neuron state from one example to the
next.  The decoder still takes one Adam step per example, in order, and each example's learning
signal is read before its step, exactly as in batch-1 training; the encoder's per-example
``SNNSGD`` directions (with its moving averages advanced example by example) are summed and applied
once per batch.  The only change is that the examples of a batch see encoder weights up to
``batch - 1`` updates old, and that an image inherits the neuron state of the image ``batch``
places earlier instead of the one just before (the 11 zero steps do not clear it).  With
``batch = 1`` the training is the authors' loop; the chapter's ``mnist_batch_check`` experiments
compare the two on short runs, with and without the state carried between images.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from snnlib.book.classifier import accuracy, load_mnist_classifier
from snnlib.book.data import load_mnist
from snnlib.core.glm import SNNSGDState, filter_history, log_ratio_to_prior, raised_cosine_basis, snnsgd_update
from snnlib.core.neurons import DecolleLIFParams, DecolleLIFState, decolle_lif_init_state, decolle_lif_step
from snnlib.papers.p001_vdib.predictive import DECODINGS

__all__ = ["ENCODINGS", "DECODER_TYPES", "DECODINGS", "encode_image", "example_generator", "EncoderParams",
           "EncoderState", "EncoderPass", "init_encoder", "encoder_init_state", "run_encoder", "encoder_grads",
           "encoder_loss", "ReconstructionDecoder", "ReconstructionData", "reconstruct", "train_reconstruction"]

ENCODINGS = ("rate", "time")
DECODER_TYPES = ("linear", "mlp", "conv")


def encode_image(images: Tensor, encoding: str, steps: int, uniforms: Tensor | None = None) -> Tensor:
    r"""Input spikes ``[steps, B, n]`` of ``images`` ``[B, n]`` in [0, 1], as the authors'
    ``get_encoded_image`` codes them: ``"rate"``, a spike at every step with probability equal to
    the pixel (``uniforms`` ``[steps, B, n]`` i.i.d. :math:`U(0, 1)` decide); ``"time"``, one
    spike at step :math:`T - \mathrm{round}(x (T - 1))` (bright pixels early, from step 1),
    dropped when that is step :math:`T`, so black pixels stay silent."""
    if encoding == "rate":
        return (uniforms < images).to(images.dtype)
    if encoding == "time":
        when = steps - torch.round(images * (steps - 1)).long()  # in 1..T
        spikes = torch.zeros(steps + 1, *images.shape, dtype=images.dtype)
        spikes.scatter_(0, when[None], 1.0)
        return spikes[:steps]
    raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")


def example_generator(seed: int, trial: int, index: int, kind: int) -> torch.Generator:
    """The generator of one trial's example ``index`` (``kind`` 0: input spikes, 1: readout spike
    noise, 2: initial weights, 3: the order of the training set, 4: a test's images; test examples
    have negative indices): the same for every setting of a trial, so settings are compared on the
    same data, and the same whatever the batch size."""
    return torch.Generator().manual_seed(((seed * 1009 + trial) * 5 + kind) * 10_000_019 + index + 10_000_000)


class EncoderParams(NamedTuple):
    """The encoder's trainable weights: the hidden layer's ``hidden_weight`` ``[H, n_in]`` and
    ``hidden_bias`` ``[H]``, the readouts' ``ff`` ``[N, H, K_ff]``, ``fb`` ``[N, K_fb]`` and ``bias``
    ``[N]`` (the layout of :class:`snnlib.core.glm.GLMParams`, one set shared by all examples)."""

    hidden_weight: Tensor
    hidden_bias: Tensor
    ff: Tensor
    fb: Tensor
    bias: Tensor


def init_encoder(n_in: int, n_hidden: int, n_readout: int, n_ff_basis: int, n_fb_basis: int,
                 generator: torch.Generator) -> tuple[EncoderParams, Tensor]:
    r"""Initial weights as the authors' code draws them, and the fixed DFA matrix :math:`B`
    ``[N, H]``: the hidden layer as ``torch.nn.Linear`` (:math:`U(\pm 1/\sqrt{n_{in}})`, which
    ``DFAEncoder`` keeps), :math:`B` Kaiming-uniform (:math:`U(\pm\sqrt{6/H})`), the readouts
    Xavier-uniform as kclip/snn does (:math:`U(\pm\sqrt{6 / (K_{ff}(H + N))})` for all three)."""
    def uniform(bound: float, *shape: int) -> Tensor:
        return (torch.rand(*shape, generator=generator) * 2 - 1) * bound

    a = math.sqrt(6 / (n_ff_basis * (n_hidden + n_readout)))
    params = EncoderParams(uniform(1 / math.sqrt(n_in), n_hidden, n_in), uniform(1 / math.sqrt(n_in), n_hidden),
                           uniform(a, n_readout, n_hidden, n_ff_basis), uniform(a, n_readout, n_fb_basis),
                           uniform(a, n_readout))
    return params, uniform(math.sqrt(6 / n_hidden), n_readout, n_hidden)


class EncoderState(NamedTuple):
    """What carries over between steps: the hidden layer's :class:`~snnlib.core.neurons.DecolleLIFState`,
    the last ``L_ff`` hidden spike vectors ``hidden`` ``[B, L_ff, H]`` and the last ``L_fb``
    readout spike vectors ``readout`` ``[B, L_fb, N]``, most recent first."""

    lif: DecolleLIFState
    hidden: Tensor
    readout: Tensor


def encoder_init_state(batch: int, n_in: int, n_hidden: int, n_readout: int, ff_length: int, fb_length: int,
                       dtype: torch.dtype = torch.float32) -> EncoderState:
    """No trace, no spike."""
    return EncoderState(decolle_lif_init_state(batch, n_in, n_hidden, dtype), torch.zeros(batch, ff_length, n_hidden, dtype=dtype),
                        torch.zeros(batch, fb_length, n_readout, dtype=dtype))


class EncoderPass(NamedTuple):
    """:func:`run_encoder`'s record of ``S`` steps of ``B`` examples: readout ``spikes``, ``prob``
    :math:`\\sigma(u)` and ``u`` ``[S, B, N]``; with ``keep``, what the gradients need: the
    readouts' ``ff_traces`` ``[S, B, H, K_ff]`` and ``fb_traces`` ``[S, B, N, K_fb]``, the hidden
    layer's input traces ``lif_p`` ``[S, B, n_in]`` and surrogate derivatives ``surrogate``
    ``[S, B, H]`` (``None`` otherwise)."""

    spikes: Tensor
    prob: Tensor
    u: Tensor
    ff_traces: Tensor | None = None
    fb_traces: Tensor | None = None
    lif_p: Tensor | None = None
    surrogate: Tensor | None = None


def run_encoder(x: Tensor, state: EncoderState, params: EncoderParams, ff_basis: Tensor, fb_basis: Tensor,
                uniforms: Tensor, keep: bool = False, lif: DecolleLIFParams = DecolleLIFParams()
                ) -> tuple[EncoderPass, EncoderState]:
    r"""``S`` steps of the encoder for input spikes ``x`` ``[S, B, n_in]``: the hidden layer step by
    step (eq-001-hidden-lif), then the readouts' feed-forward drive for all steps at once and their
    feedback step by step (eq-001-srm), :math:`y_t = \mathbb 1[\text{uniforms}_t < \sigma(u_t)]`
    (``uniforms`` ``[S, B, N]``).  The same neurons as :func:`snnlib.core.glm.glm_readout_step`,
    with weights shared by the batch.  No autograd: :func:`encoder_grads` gives the gradients."""
    steps, batch = x.shape[:2]
    layer, hidden, p_trace, slope = state.lif, [], [], []
    for t in range(steps):
        s, layer = decolle_lif_step(x[t], layer, params.hidden_weight, params.hidden_bias, lif)
        hidden.append(s)
        if keep:
            p_trace.append(layer.p)
            slope.append(lif.surrogate.derivative(F.linear(layer.p, params.hidden_weight, params.hidden_bias) + layer.r))
    hidden = torch.stack(hidden)  # [S, B, H]
    length = ff_basis.shape[1]
    past = state.hidden[:, :length - 1].flip(1).transpose(0, 1)  # [L - 1, B, H], oldest first
    ff_traces = filter_history(torch.cat([past, hidden]), ff_basis)[length - 1:]  # [S, B, H, K]
    n_out = params.bias.shape[0]
    drive = (ff_traces.reshape(steps * batch, -1) @ params.ff.reshape(n_out, -1).T).reshape(steps, batch, n_out)
    drive += params.bias
    own, spikes, fb_traces = state.readout, [], []
    for t in range(steps):
        fb = torch.matmul(own.transpose(1, 2), fb_basis.T)  # [B, N, K_fb]
        drive[t] += (params.fb * fb).sum(-1)
        spikes.append((uniforms[t] < torch.sigmoid(drive[t])).to(x.dtype))
        own = torch.cat([spikes[-1][:, None], own[:, :-1]], dim=1)
        fb_traces.append(fb)
    spikes = torch.stack(spikes)
    new_hidden = torch.cat([hidden.flip(0).transpose(0, 1), state.hidden], dim=1)[:, :state.hidden.shape[1]]
    out = EncoderPass(spikes, torch.sigmoid(drive), drive)
    if keep:
        out = out._replace(ff_traces=ff_traces, fb_traces=torch.stack(fb_traces), lif_p=torch.stack(p_trace),
                           surrogate=torch.stack(slope))
    return out, EncoderState(layer, new_hidden.contiguous(), own)


def encoder_loss(out: EncoderPass, r: float) -> Tensor:
    r"""The encoder term of each example's loss ``[B]``: :math:`\frac1T\sum_t \frac1N\sum_i
    \log\frac{p(y_{i,t} \mid u_{i,t})}{q(y_{i,t})}` (eq-001-vdib-loss, the authors' ``enc_loss``)."""
    return log_ratio_to_prior(out.spikes, out.u, r).mean(-1).mean(0)


def encoder_grads(out: EncoderPass, dfa: Tensor) -> EncoderParams:
    r"""Per example (leading dimension ``B``), the gradient of :func:`encoder_loss` at fixed spikes
    for the readouts, :math:`\frac1{NT}\sum_t e_t \otimes (a_t, f_t, 1)` with
    :math:`e_t = y_t - \sigma(u_t)` (eq-001-score-function), and the direct-feedback-alignment
    signal for the hidden layer, :math:`\sum_t \delta_t \otimes (P_t, 1)` with
    :math:`\delta_t = (e_t B) \odot \tilde S'(U_t)` (eq-001-dfa; not scaled, as the authors' hook
    replaces the gradient rather than scaling it)."""
    steps, batch, n_out = out.spikes.shape
    error = out.spikes - out.prob
    scale = 1.0 / (n_out * steps)
    ff = torch.einsum("tbn,tbj->bnj", error, out.ff_traces.flatten(2)).reshape(batch, n_out, *out.ff_traces.shape[2:])
    fb = torch.einsum("tbn,tbnk->bnk", error, out.fb_traces)
    delta = (error @ dfa) * out.surrogate  # [S, B, H]
    hidden = torch.einsum("tbh,tbi->bhi", delta, out.lif_p)
    return EncoderParams(hidden, delta.sum(0), ff * scale, fb * scale, error.sum(0) * scale)


class ReconstructionDecoder(nn.Module):
    r"""The authors' decoders of the ``T`` readout samples ``[B, T, N]`` to a ``[B, n_out]``
    image with a sigmoid (``models/decoders.py``): ``"linear"``; ``"mlp"`` with one ReLU hidden layer of
    :math:`NT/2` units; ``"conv"``, two 1-d convolutions along the neurons (kernel 3, stride 2,
    :math:`T \to T/2 \to 20` channels, the time steps as input channels, a ReLU after the second)
    and a linear layer.  ``decoding="rate"`` sums the samples over time first (the authors'
    rate-decoding baseline); for ``"conv"`` the count vector is then one input channel, our
    choice: the authors' script runs the convolutional decoder with the full window only."""

    def __init__(self, kind: str, decoding: str, steps: int, n_readout: int, n_out: int):
        super().__init__()
        if kind not in DECODER_TYPES or decoding not in DECODINGS:
            raise ValueError(f"kind must be one of {DECODER_TYPES} and decoding one of {DECODINGS}, "
                             f"got {kind!r}, {decoding!r}")
        self.kind, self.rate = kind, decoding == "rate"
        n_in = n_readout * (1 if self.rate else steps)
        if kind == "linear":
            self.net = nn.Linear(n_in, n_out)
        elif kind == "mlp":
            self.net = nn.Sequential(nn.Linear(n_in, n_readout * steps // 2), nn.ReLU(),
                                     nn.Linear(n_readout * steps // 2, n_out))
        else:
            length = ((n_readout - 1) // 2) // 2 + 1  # after two stride-2 convolutions
            self.net = nn.Sequential(nn.Conv1d(1 if self.rate else steps, steps // 2, 3, 2, 1),
                                     nn.Conv1d(steps // 2, 20, 3, 2, 1), nn.ReLU(), nn.Flatten(),
                                     nn.Linear(20 * length, n_out))

    def forward(self, window: Tensor) -> Tensor:
        x = window.sum(1) if self.rate else window
        if self.kind == "conv":
            x = x[:, None] if self.rate else x
        elif not self.rate:
            x = x.flatten(1)  # time-major, as the authors concatenate the samples
        return torch.sigmoid(self.net(x))


class ReconstructionData(NamedTuple):
    """What a naturalising experiment learns from: per training and test example the input that
    :meth:`spikes` turns into spike trains (``*_inputs``: images ``[n, 784]`` in [0, 1] for the
    ``"rate"`` and ``"time"`` codes, event trains ``[n, T, n_in]`` for ``"events"``), the image the
    decoder is to produce (``*_targets`` ``[n, 784]``), and the test examples' digit labels."""

    train_inputs: Tensor
    train_targets: Tensor
    test_inputs: Tensor
    test_targets: Tensor
    test_labels: Tensor
    encoding: str

    @classmethod
    def mnist(cls, encoding: str) -> "ReconstructionData":
        """Section 6.2: MNIST's 60 000 training and 10 000 test images, each its own target."""
        train, _ = load_mnist("train_full", as_float=True)
        test, labels = load_mnist("test", as_float=True)
        return cls(train.flatten(1), train.flatten(1), test.flatten(1), test.flatten(1), labels, encoding)

    def spikes(self, inputs: Tensor, gens: Sequence[torch.Generator], steps: int) -> Tensor:
        """Input spikes ``[steps, B, n_in]`` of ``inputs``, example ``b``'s noise from ``gens[b]``."""
        if self.encoding == "events":
            return inputs[:, :steps].transpose(0, 1).float()
        noise = (torch.stack([torch.rand(steps, inputs.shape[1], generator=g) for g in gens], dim=1)
                 if self.encoding == "rate" else None)
        return encode_image(inputs, self.encoding, steps, noise)


def _n_inputs(data: ReconstructionData) -> int:
    """The number of input neurons: the size of one step of one example's spikes."""
    return data.spikes(data.test_inputs[:1], [torch.Generator()], 1).shape[-1]


def _settings_bases(s: Mapping[str, Any]) -> tuple[Tensor, Tensor]:
    return (raised_cosine_basis(s["ff_length"], s["n_ff_basis"], s["mu"]),
            raised_cosine_basis(s["fb_length"], s["n_fb_basis"], s["mu"]))


def _example(data: ReconstructionData, inputs: Tensor, indices: Sequence[int], s: Mapping[str, Any], seed: int, trial: int,
             state: EncoderState, params: EncoderParams, bases: tuple[Tensor, Tensor], keep: bool
             ) -> tuple[EncoderPass, EncoderState]:
    """Warm-up and ``T`` steps of examples ``indices`` (their noise from :func:`example_generator`)."""
    spikes = data.spikes(inputs, [example_generator(seed, trial, i, 0) for i in indices], s["T"])
    batch, warm = len(inputs), s["warmup"]
    x = torch.cat([torch.zeros(warm, batch, spikes.shape[2]), spikes])
    noise = torch.stack([torch.rand(warm + s["T"], s["n_readout"], generator=example_generator(seed, trial, i, 1))
                         for i in indices], dim=1)
    _, state = run_encoder(x[:warm], state, params, *bases, noise[:warm])
    return run_encoder(x[warm:], state, params, *bases, noise[warm:], keep=keep)


@torch.no_grad()
def reconstruct(data: ReconstructionData, indices: Tensor, s: Mapping[str, Any], seed: int, trial: int,
                params: EncoderParams, decoder: ReconstructionDecoder, chunk: int = 100) -> tuple[Tensor, Tensor]:
    """Reconstructions ``[n, 784]`` of test examples ``indices`` and their readout spikes
    ``[n, T, N]`` (uint8), every example from a fresh state after the warm-up (no update)."""
    bases, images, spikes = _settings_bases(s), [], []
    decoder.eval()
    for start in range(0, len(indices), chunk):
        idx = indices[start:start + chunk]
        state = encoder_init_state(len(idx), _n_inputs(data), s["n_hidden"], s["n_readout"], s["ff_length"],
                                   s["fb_length"])
        out, _ = _example(data, data.test_inputs[idx], [-1 - int(i) for i in idx], s, seed, trial, state, params, bases, False)
        window = out.spikes.transpose(0, 1)
        images.append(decoder(window))
        spikes.append(window.to(torch.uint8))
    decoder.train()
    return torch.cat(images), torch.cat(spikes)


def train_reconstruction(exp, data: ReconstructionData, settings: Mapping[str, Any], decoder_type: str, decoding: str,
                         seed: int, trial: int = 0) -> dict[str, np.ndarray]:
    """Train encoder and decoder on ``n_examples`` training examples, ``batch`` at a time (module
    docstring), in a random order of the training set (reshuffled every epoch); each slot's
    neuron state carries over from one image to the next, as in the authors' loop, unless
    ``settings["reset_state"]`` (an ablation) starts every image from rest; ``settings["baseline"]
    = False`` (an ablation) runs ``SNNSGD`` without its baseline, as the predictive-coding script.  Before the batch
    that completes a multiple of ``test_period`` examples (the authors' schedule) and after the
    last, reconstruct ``n_test`` test images drawn at random for that test and score them with the
    book's MNIST classifier (:func:`snnlib.book.classifier.accuracy`).  Resumable through
    ``exp.steps`` (one step per batch).

    Returns ``encoder_change`` (each encoder parameter's distance from its initial value,
    relative to the initial norm, in :class:`EncoderParams` order), ``test_examples`` (training
    examples seen at each test), ``test_acc``, ``test_bce``,
    ``test_rate`` (readout spikes per neuron and step), ``train_bce`` (mean over the examples since
    the previous test), and after the last update, for ``n_shown`` test examples spread over the
    test set: ``shown_index``, ``shown_labels``, ``shown_targets``, ``shown_recon`` ``[n, 784]``,
    ``shown_spikes`` ``[n, T, N]`` and the input spikes each input neuron sent, ``shown_input_counts``; for ``settings["n_codes"]`` random test examples (default none) their
    readout spikes ``code_spikes`` and ``code_labels`` (for an embedding of the codes)."""
    s, batch = settings, settings["batch"]
    if s["test_period"] % batch or s["n_examples"] % batch:
        raise ValueError("test_period and n_examples must be multiples of batch")
    bases, n_in, n_train = _settings_bases(s), _n_inputs(data), len(data.train_inputs)
    params0, dfa = init_encoder(n_in, s["n_hidden"], s["n_readout"], s["n_ff_basis"], s["n_fb_basis"],
                                example_generator(seed, trial, 0, 2))
    with torch.random.fork_rng():
        torch.manual_seed(int(torch.randint(2**62, (1,), generator=example_generator(seed, trial, 1, 2))))
        decoder = ReconstructionDecoder(decoder_type, decoding, s["T"], s["n_readout"], data.train_targets.shape[1])
    opt = torch.optim.Adam(decoder.parameters(), lr=s["lr"], fused=True)
    classifier = load_mnist_classifier().model
    st = {"params": tuple(params0), "decoder": decoder, "opt": opt, "snnsgd": [None] * len(params0),
          "state": encoder_init_state(batch, n_in, s["n_hidden"], s["n_readout"], s["ff_length"], s["fb_length"]),
          "tests": [], "recent": []}

    def test(j: int) -> None:
        pick = torch.randperm(len(data.test_inputs), generator=example_generator(seed, trial, len(st["tests"]), 4))[:s["n_test"]]
        recon, spikes = reconstruct(data, pick, s, seed, trial, EncoderParams(*st["params"]), decoder)
        bce = F.binary_cross_entropy(recon, data.test_targets[pick]).item()
        acc = accuracy(classifier, recon, data.test_labels[pick])
        recent = float(np.mean(st["recent"])) if st["recent"] else float("nan")
        st["tests"] = st["tests"] + [(j * batch, acc, bce, spikes.float().mean().item(), recent)]
        st["recent"] = []

    for j in exp.steps(s["n_examples"] // batch, st, every=s["checkpoint_every"], desc=exp.name):
        if ((j + 1) * batch) % s["test_period"] == 0:
            test(j)
        indices = list(range(j * batch, (j + 1) * batch))
        orders = {e: torch.randperm(n_train, generator=example_generator(seed, trial, e, 3))
                  for e in {k // n_train for k in indices}}
        picked = [int(orders[k // n_train][k % n_train]) for k in indices]
        inputs, targets = data.train_inputs[picked], data.train_targets[picked]
        params = EncoderParams(*st["params"])
        state = EncoderState(DecolleLIFState(*st["state"][0]), *st["state"][1:])
        if s.get("reset_state", False):  # an ablation: no state carried from one image to the next
            state = encoder_init_state(batch, n_in, s["n_hidden"], s["n_readout"], s["ff_length"], s["fb_length"])
        out, state = _example(data, inputs, indices, s, seed, trial, state, params, bases, True)
        st["state"] = (tuple(state.lif), state.hidden, state.readout)
        grads, enc = encoder_grads(out, dfa), encoder_loss(out, s["r"])
        window = out.spikes.transpose(0, 1)
        directions = [torch.zeros_like(p) for p in params]
        snnsgd = [None if v is None else SNNSGDState(*v) for v in st["snnsgd"]]
        for b in range(batch):  # the authors' per-example order: decoder step, then encoder signal
            bce = F.binary_cross_entropy(decoder(window[b:b + 1]), targets[b:b + 1])
            opt.zero_grad()
            bce.backward()
            opt.step()
            signal = bce.detach() + s["beta"] * enc[b]
            for i, g in enumerate(grads):
                step, snnsgd[i] = snnsgd_update(g[b], signal, snnsgd[i], baseline=s.get("baseline", True))
                directions[i] += step
            st["recent"] = st["recent"] + [bce.item()]
        st["snnsgd"] = [None if v is None else tuple(v) for v in snnsgd]
        st["params"] = tuple(p - s["lr"] * d for p, d in zip(params, directions))
    test(s["n_examples"] // batch)
    n_test = len(data.test_inputs)
    shown = torch.linspace(0, n_test - 1, s["n_shown"]).long()  # spread over the test set
    recon, spikes = reconstruct(data, shown, s, seed, trial, EncoderParams(*st["params"]), decoder)
    coded = torch.randperm(n_test, generator=example_generator(seed, trial, 0, 4))[:s.get("n_codes", 0)]
    codes = (reconstruct(data, coded, s, seed, trial, EncoderParams(*st["params"]), decoder)[1] if len(coded)
             else torch.zeros(0, s["T"], s["n_readout"], dtype=torch.uint8))
    tests = np.array(st["tests"], dtype=np.float64)
    change = [float((p - p0).norm() / p0.norm()) for p, p0 in zip(st["params"], params0)]
    return {"encoder_change": np.array(change), "test_examples": tests[:, 0].astype(np.int64), "test_acc": tests[:, 1], "test_bce": tests[:, 2],
            "test_rate": tests[:, 3], "train_bce": tests[:, 4], "shown_targets": data.test_targets[shown].numpy(),
            "shown_recon": recon.numpy(), "shown_spikes": spikes.numpy(),
            "shown_labels": data.test_labels[shown].numpy(), "shown_index": shown.numpy(),
            "shown_input_counts": data.spikes(data.test_inputs[shown], [example_generator(seed, trial, -1 - int(i), 0)
                                                                       for i in shown], s["T"]).sum(0).numpy(),
            "code_spikes": codes.numpy(),
            "code_labels": data.test_labels[coded].numpy()}
