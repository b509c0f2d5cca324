"""Paper 004's mechanisms in the core. Threshold-dependent batch normalisation: its statistics axes by hand, its relation to an
ordinary batch norm over the merged time and batch axes, running statistics, and the
inference-time fusion into the preceding convolution; and STBP's iterative LIF by hand."""

import math

import pytest
import torch
from torch.nn import functional as F

from snnlib.core.tdbn import TdBN, TdBNParams, fuse_into_conv, td_batch_norm, tdbn_init_state


def test_statistics_are_per_channel_over_time_batch_and_space_by_hand():
    """eq-004-tdbn on x[T=2, N=1, C=2, H=1, W=2]: channel 0 holds 1, 3 (t=0) and 5, 7 (t=1), mean 4,
    biased variance (9 + 1 + 1 + 9) / 4 = 5; channel 1 is constant 2 (variance 0)."""
    x = torch.tensor([[[[[1.0, 3.0]], [[2.0, 2.0]]]], [[[[5.0, 7.0]], [[2.0, 2.0]]]]])
    assert x.shape == (2, 1, 2, 1, 2)
    params = TdBNParams(torch.ones(2), torch.tensor([0.0, 0.5]), alpha=1 / math.sqrt(2), threshold=0.5, eps=1e-12)
    y, state = td_batch_norm(x, params, tdbn_init_state(2))
    scale = 0.5 / math.sqrt(2) / math.sqrt(5)
    torch.testing.assert_close(y[:, 0, 0].flatten(), torch.tensor([-3.0, -1.0, 1.0, 3.0]) * scale)
    # running statistics: 0.9 * (0, 1) + 0.1 * (mean, unbiased variance) = 0.1 * (4, 20/3) + (0, 0.9)
    torch.testing.assert_close(state.running_mean, torch.tensor([0.4, 0.2]))
    torch.testing.assert_close(state.running_var, torch.tensor([0.9 + 0.1 * 20 / 3, 0.9]))
    params_eps = params._replace(eps=1e-5)
    y, _ = td_batch_norm(x, params_eps, tdbn_init_state(2))
    assert torch.all(y[:, 0, 1] == 0.5)  # a constant channel maps to beta


def test_tdbn_equals_batch_norm_over_merged_time_and_batch_with_weight_alpha_vth():
    """SpikingJelly's parameterisation: BatchNorm2d over T*N with weight initialised to alpha*V_th."""
    torch.manual_seed(0)
    x = torch.randn(4, 3, 5, 6, 6) * 2 + 1
    alpha, v_th = 1 / math.sqrt(2), 0.3
    ours = TdBN(5, alpha=alpha, threshold=v_th)
    theirs = torch.nn.BatchNorm2d(5)
    with torch.no_grad():
        theirs.weight.fill_(alpha * v_th)
    torch.testing.assert_close(ours(x), theirs(x.flatten(0, 1)).unflatten(0, (4, 3)), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ours.running_mean, theirs.running_mean)
    torch.testing.assert_close(ours.running_var, theirs.running_var)
    ours.eval(), theirs.eval()
    torch.testing.assert_close(ours(x), theirs(x.flatten(0, 1)).unflatten(0, (4, 3)), rtol=1e-5, atol=1e-5)


def test_fused_convolution_gives_the_unfused_outputs_in_eval_mode():
    """eq-004-tdbn-fusion: conv then tdBN (running statistics, trained lambda and beta) equals
    one convolution with the fused weight and bias."""
    torch.manual_seed(1)
    conv = torch.nn.Conv2d(3, 4, 3, padding=1)
    norm = TdBN(4, alpha=0.7, threshold=0.5)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.2, 0.2)
    for _ in range(5):  # running statistics away from their initial values
        norm(conv(torch.randn(8, 3, 7, 7) * 3).unflatten(0, (2, 4)))
    norm.eval()
    x = torch.randn(6, 3, 7, 7)
    unfused = norm(conv(x).unflatten(0, (2, 3))).flatten(0, 1)
    w, b = fuse_into_conv(conv.weight, conv.bias, norm.params(), norm.state())
    torch.testing.assert_close(F.conv2d(x, w, b, padding=1), unfused, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        td_batch_norm(torch.zeros(3, 4), norm.params(), norm.state())


def test_iterative_lif_by_hand():
    """eq-004-lif: u^t = tau u^{t-1} (1 - o^{t-1}) + x^t, o^t = 1[u^t > V_th] with tau 0.5, V_th 1:
    inputs 0.8, 0.8, 0.8, 0.4 give u = 0.8, 1.2 (spike), 0.8 (reset: the decayed potential is
    dropped), 0.8 -> 0.4 + 0.4 = 0.8 (no spike)."""
    from snnlib.core.neurons import iterative_lif_params, lif_sequence

    params = iterative_lif_params(tau_decay=0.5, threshold=1.0)
    spikes, state = lif_sequence(torch.tensor([0.8, 0.8, 0.8, 0.4])[:, None], params)
    assert spikes.flatten().tolist() == [0, 1, 0, 0]
    assert state.mem.item() == pytest.approx(0.8)
    assert params.surrogate.derivative(torch.tensor([0.0, 0.49, 0.51])).tolist() == [1.0, 1.0, 0.0]
