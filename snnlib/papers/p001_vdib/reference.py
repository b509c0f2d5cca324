"""The authors' training loop of section 6.1 re-stated the way their script runs it: one model at
a time (batch size 1), the encoder's gradient by autograd of its per-step loss and applied as
``SNNSGD`` without baseline does, the decoder a ``torch.nn.Linear`` with a log-softmax trained by
torch's plain Adam on ``NLLLoss``.  :func:`~.predictive.train_predictive_coding` must give the
same weights (a test), and ``benchmarks/vdib_vs_reference_loop.py`` times the two.  The SRM
membrane comes from :func:`snnlib.core.glm.glm_readout_step` (tested on its own), with autograd
through it.  Float64 by default, so that a comparison is not blurred by rounding.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
from torch.nn import functional as F

from snnlib.core.glm import GLMParams, GLMState, glm_init_state, glm_readout_step, log_ratio_to_prior
from snnlib.papers.p001_vdib.blobs import n_pair_classes
from snnlib.papers.p001_vdib.predictive import (Stream, StreamDecoder, StreamEncoder, make_run, stream_generator,
                                                stream_sequence)

__all__ = ["train_stream_reference"]


def train_stream_reference(stream: Stream, settings: Mapping[str, Any], decoding: str, seed: int,
                           dtype: torch.dtype = torch.float64) -> GLMParams:
    """Train one stream on ``n_sequences`` sequences from the same initial weights, data and spike
    noise as :func:`~.predictive.train_predictive_coding` (no tests); returns the readout weights."""
    s = settings
    run = make_run([stream], s, decoding, seed)
    init = stream_generator(seed, stream.trial, 0, 2)
    enc = StreamEncoder(s["n_inputs"], s["n_readout"], s["n_ff_basis"], s["n_fb_basis"], [init])
    params = GLMParams(*(p.clone().to(dtype).requires_grad_() for p in enc.params))
    n_features = s["n_readout"] * (1 if decoding == "rate" else s["tau_d"])
    dec_init = StreamDecoder(n_features, n_pair_classes(s["n_inputs"]), [init])
    linear = torch.nn.Linear(n_features, dec_init.weight.shape[-1]).to(dtype)
    with torch.no_grad():
        linear.weight.copy_(dec_init.weight[0].T)
        linear.bias.copy_(dec_init.bias[0])
    opt = torch.optim.Adam(linear.parameters(), lr=s["lr"])
    state = glm_init_state(1, s["n_inputs"], s["n_readout"], s["ff_length"], s["fb_length"], dtype=dtype)
    ff_basis, fb_basis = run.ff_basis.to(dtype), run.fb_basis.to(dtype)
    for k in range(s["n_sequences"]):
        x, targets, noise = stream_sequence(run, k, s["T"])
        x, noise = x.to(dtype), noise.to(dtype)
        for t in range(s["warmup"]):  # zero input flushes the filters; nothing learns
            _, state = glm_readout_step(torch.zeros(1, s["n_inputs"], dtype=dtype), state, params, ff_basis, fb_basis,
                                        noise[t])
            state = GLMState(*(v.detach() for v in state))
        window = []
        for t in range(s["T"]):
            out, state = glm_readout_step(x[t], state, params, ff_basis, fb_basis, noise[s["warmup"] + t])
            state = GLMState(*(v.detach() for v in state))
            window = (window + [out.spikes.detach()])[-s["tau_d"]:]
            if t < s["tau_d"]:
                continue
            features = sum(window) if decoding == "rate" else torch.cat(window, dim=1)
            nll = F.nll_loss(F.log_softmax(linear(features), dim=-1), targets[t])
            enc_loss = log_ratio_to_prior(out.spikes.detach(), out.u, s["r"]).mean()
            grads = torch.autograd.grad(enc_loss, params)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p -= s["lr"] * (nll.detach() + stream.beta * enc_loss.detach()) * g
            opt.zero_grad()
            nll.backward()
            opt.step()
    return GLMParams(*(p.detach() for p in params))
