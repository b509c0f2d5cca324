"""Tests of snnlib.papers.p002_competition.network (paper 002 networks) against hand-worked values and a slow,
literal re-implementation of BindsNET's Network.run (dense matrices, one step at a time)."""

import math

import pytest
import torch
import torch.nn.functional as F

from snnlib.papers.p002_competition import network as competition
from snnlib.papers.p002_competition.network import (
    CompetitionNetConfig,
    CompetitionState,
    competition_mask,
    crop_images,
    dense_xy,
    dense_yy,
    encode_images,
    geometry,
    infer,
    init_state,
    neuron_channels,
    neuron_locations,
    parameter_count,
    simulate,
    train_step,
    xy_from_dense,
)

F32 = torch.float32


def f32exp(tau: float, dt: float = 1.0) -> float:
    """BindsNET's decay: torch.exp(-dt / tc) with tc a float32 tensor."""
    return float(torch.exp(-dt / torch.tensor(tau, dtype=F32)))


# --------------------------------------------------------------------------------------------------
# Configuration, geometry, parameter counts
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arch, channels, kernel, xy, yy, total, neurons",
    [
        ("lc", 1000, 12, 1_296_000, 8_991_000, 10_287_000, 9000),
        ("lc", 100, 12, 129_600, 89_100, 218_700, 900),
        ("lc", 100, 8, 102_400, 158_400, 260_800, 1600),
        ("lc", 25, 12, 32_400, 5_400, 37_800, 225),
        ("lc", 25, 8, 25_600, 9_600, 35_200, 400),
        ("conv", 169, 12, 24_336, 255_528, 279_864, 1521),
        ("conv", 81, 12, 11_664, 58_320, 69_984, 729),
        ("conv", 100, 8, 6_400, 158_400, 164_800, 1600),
        ("conv", 25, 12, 3_600, 5_400, 9_000, 225),
        ("conv", 25, 8, 1_600, 9_600, 11_200, 400),
        ("fc", 100, 20, 40_000, 9_900, 49_900, 100),
    ],
)
def test_parameter_counts_of_table_2(arch, channels, kernel, xy, yy, total, neurons):
    config = CompetitionNetConfig(arch=arch, channels=channels, kernel=kernel)
    assert tuple(parameter_count(config)) == (xy, yy, total)
    assert config.num_neurons == neurons


def test_per_architecture_reference_defaults():
    lc = CompetitionNetConfig(arch="lc")
    conv = CompetitionNetConfig(arch="conv")
    fc = CompetitionNetConfig(arch="fc", kernel=5)
    assert lc.neuron.refrac == 2.0 and conv.neuron.refrac == 5.0 and fc.neuron.refrac == 5.0
    assert (lc.normalize_init, conv.normalize_init, fc.normalize_init) == (True, False, True)
    assert (lc.competition_init, conv.competition_init) == ("uniform", "constant")
    assert (lc.mask_competition_after_image, conv.mask_competition_after_image) == (True, False)
    assert fc.kernel == 20 and fc.num_locations == 1
    assert lc.num_locations == 9 and CompetitionNetConfig(kernel=8).num_locations == 16
    assert lc.norm == pytest.approx(0.4 * 144)
    assert lc.neuron.tc_decay == 20.0 and lc.neuron.thresh == -52.0 and lc.neuron.tc_theta_decay == 1e6
    # replace re-resolves the architecture defaults
    assert lc.replace(arch="conv").neuron.refrac == 5.0
    assert lc.replace(channels=7).neuron.refrac == 2.0
    assert lc.replace(dt=0.5).neuron.dt == 0.5 and lc.replace(dt=0.5).num_steps == 500
    # C_SNN starts from U(0, 1) weights (its initial normalisation is commented out)
    g = torch.Generator().manual_seed(0)
    assert not torch.allclose(init_state(conv, 1, g).w_xy.sum(1), torch.full((1, 25), conv.norm))
    assert torch.allclose(init_state(lc, 1, g).w_xy.sum(2), torch.full((1, 9, 25), lc.norm), rtol=1e-5)
    with pytest.raises(ValueError):
        CompetitionNetConfig(arch="dense")


def test_geometry_matches_bindsnet_local_connection():
    config = CompetitionNetConfig(kernel=12, stride=4)
    index = geometry(config).patch_index
    assert index.shape == (9, 144)
    # BindsNET: location = c1*stride*n + c2*stride + k1*n + k2, neuron = f*conv_prod + c
    for c1 in range(3):
        for c2 in range(3):
            for k1 in (0, 5, 11):
                for k2 in (0, 7, 11):
                    assert index[c1 * 3 + c2, k1 * 12 + k2] == c1 * 4 * 20 + c2 * 4 + k1 * 20 + k2
    assert neuron_locations(config)[:10].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 0]
    assert neuron_channels(config)[8:10].tolist() == [0, 1]
    mask = competition_mask(config)
    assert mask.shape == (225, 225) and int(mask.sum()) == 9 * 25 * 24
    assert not mask.diagonal().any()
    assert bool(mask[0, 9]) and not bool(mask[0, 1])  # (c0, l0) -> (c1, l0) yes; -> (c0, l1) no


def test_crop_and_encode_follow_torchvision_center_crop_and_to_tensor():
    image = torch.zeros(28, 28, dtype=torch.uint8)
    image[4, 4] = 255
    image[23, 23] = 51
    image[3, 3] = 255  # outside the crop
    rates = crop_images(image, CompetitionNetConfig())
    assert rates.shape == (400,)
    assert float(rates[0]) == float(torch.tensor(255.0) / 255 * 127.5) == 127.5
    assert float(rates[399]) == float(torch.tensor(51.0) / 255 * 127.5)
    assert float(rates.sum()) == pytest.approx(127.5 + 25.5)
    spikes = encode_images(image.expand(3, 28, 28), CompetitionNetConfig(), torch.Generator().manual_seed(0))
    assert spikes.shape == (250, 3, 400) and spikes.dtype == torch.uint8
    assert int(spikes[:, :, 1:399].sum()) == 0
    assert 20 <= float(spikes[:, :, 0].float().sum(0).mean()) <= 45  # ~31.5 spikes at 127.5 Hz


def test_dense_layout_round_trip():
    config = CompetitionNetConfig(channels=3, kernel=8)
    state = init_state(config, 2, torch.Generator().manual_seed(0))
    dense = dense_xy(state.w_xy, config)
    assert dense.shape == (2, 400, config.num_neurons)
    assert torch.equal(xy_from_dense(dense, config), state.w_xy)
    # every neuron sees exactly its k x k patch, normalised to mean_weight * k^2 at init
    assert torch.equal((dense > 0).sum(1), torch.full((2, config.num_neurons), 64))
    assert torch.allclose(dense.sum(1), torch.full((2, config.num_neurons), 0.4 * 64), rtol=1e-5)
    yy = dense_yy(state, config)
    assert torch.equal(yy[0], torch.where(competition_mask(config), -100.0, 0.0))


# --------------------------------------------------------------------------------------------------
# (1) Hand-worked tiny LC network
# --------------------------------------------------------------------------------------------------


def test_fixed_competition_current_hand_worked():
    # One location, four channels; channels 0 and 2 spiked: every other channel gets 2 c_w, each
    # spiking channel gets c_w from the other one.
    s = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    assert torch.equal(competition.fixed_competition_current(s, -50.0),
                       torch.tensor([[-50.0, -100.0, -50.0, -100.0]]))
    # equals the product with the [C, C] block c_w (1 - I) it replaces
    spikes = (torch.rand(3, 7, 25, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    block = torch.full((25, 25), -100.0).fill_diagonal_(0.0)
    assert torch.equal(competition.fixed_competition_current(spikes, -100.0), spikes @ block)


def test_channel_similarity_hand_worked():
    # Location 0: channels 0 and 1 carry the same feature up to scale and offset (r = 1), channel 2
    # its mirror image (r = -1): pairs (0,1) = 1, (0,2) = -1, (1,2) = -1 -> mean -1/3.
    # Location 1: three orthogonal zero-mean features -> 0.
    f = torch.tensor([1.0, 2.0, 3.0, 4.0])
    loc0 = torch.stack([f, 2 * f + 5, -f], dim=1)
    a, b, c = torch.tensor([1.0, -1, 0, 0]), torch.tensor([0.0, 0, 1, -1]), torch.tensor([1.0, 1, -1, -1])
    loc1 = torch.stack([a, b, c], dim=1)
    sim = competition.channel_similarity(torch.stack([loc0, loc1]))
    assert torch.allclose(sim, torch.tensor([-1 / 3, 0.0]), atol=1e-6)


def test_hand_worked_tiny_lc_network():
    # 4x4 input, kernel 2, stride 2 -> 4 locations x 2 channels; location 0 sees pixels 0, 1, 4, 5.
    config = CompetitionNetConfig(
        arch="lc", channels=2, kernel=2, stride=2, input_size=4, time=5, nu=(0.1, 0.2), wmax=10.0
    )
    w = torch.ones(1, 4, 4, 2)
    w[0, 0, :, 0] = 7.0
    w[0, 0, :, 1] = 3.0
    state = CompetitionState(w_xy=w, theta=torch.zeros(1, 8), w_yy=None)
    spikes = torch.zeros(5, 1, 16)
    spikes[0, 0, [0, 1]] = 1  # two pixels of location 0 at t = 0
    spikes[2, 0, 0] = 1  # pixel 0 again at t = 2
    new, counts, rec = simulate(state, spikes, config)

    dv = dx = dp = f32exp(20.0)
    dth = f32exp(1e6)
    a, b = 0, 4  # reference order y = c * L + l: (c0, l0) -> 0, (c1, l0) -> 4
    v = rec.v[:, 0]
    # t=0: no input yet (one-step delay)
    assert torch.all(v[0] == -65.0) and rec.spikes[0].sum() == 0
    # t=1: input of t=0: (c0,l0) gets 7+7 = 14 -> -51 >= -52: spike, reset; (c1,l0) gets 3+3
    assert rec.spikes[1, 0].nonzero().flatten().tolist() == [a]
    assert float(v[1, a]) == -65.0 and float(v[1, b]) == -59.0
    # t=2: (c1,l0) receives c_w = -100 from the t=1 spike; (c0,l0) is refractory
    v2 = dv * 6.0 - 165.0
    assert float(v[2, b]) == pytest.approx(v2, abs=1e-4) and float(v[2, a]) == -65.0
    # t=3: input of t=2 (pixel 0): (c1,l0) gets 3; (c0,l0) still refractory (refrac 2)
    v3 = dv * (v2 + 65.0) - 62.0
    assert float(v[3, b]) == pytest.approx(v3, abs=1e-4) and float(v[3, a]) == -65.0
    v4 = dv * (v3 + 65.0) - 65.0
    assert float(v[4, b]) == pytest.approx(v4, abs=1e-4)
    assert rec.spikes.sum() == 1 and float(counts[0, a]) == 1.0 and float(counts.sum()) == 1.0
    # STDP: t=1 post spike potentiates k=0,1 (pixels 0,1, pre trace dx) by 0.2*dx;
    # t=2 pre spike on pixel 0 depresses (c0,l0) by 0.1 * x_post (= dp); (c1,l0) has x_post 0.
    w000 = 7.0 + 0.2 * dx - 0.1 * dp
    w010 = 7.0 + 0.2 * dx
    total = w000 + w010 + 14.0
    norm = 0.4 * 4
    expected = torch.full((4, 4, 2), norm / 4)  # all other neurons: 4 equal weights -> 0.4 each
    expected[0, :, 0] = torch.tensor([w000, w010, 7.0, 7.0]) * norm / total
    assert torch.allclose(new.w_xy[0], expected, rtol=1e-6)
    # theta: +0.05 at t=1, decayed at t=2,3,4
    expected_theta = torch.zeros(8)
    expected_theta[a] = 0.05 * dth**3
    assert torch.allclose(new.theta[0], expected_theta, rtol=1e-6, atol=0)
    # the input state is unchanged (pure function)
    assert torch.equal(state.w_xy, w)


# --------------------------------------------------------------------------------------------------
# (2) Slow literal reference (BindsNET Network.run order, dense matrices)
# --------------------------------------------------------------------------------------------------


class Reference:
    """One network, BindsNET semantics as vendored in danielgafni/Bachelor, written plainly."""

    def __init__(self, config: CompetitionNetConfig, state: CompetitionState, replica: int = 0):
        self.c = config
        self.conv = config.arch == "conv"
        if self.conv:
            self.w = state.w_xy[replica].t().clone()  # Conv2dConnection.w [C, 1*k*k]
        else:
            self.w = dense_xy(state.w_xy, config)[replica].clone()  # LocalConnection.w [P, Y]
            self.local = self.w != 0
        self.w_yy = dense_yy(state, config)[replica].clone()  # Connection.w [Y, Y]
        self.theta = state.theta[replica].clone()
        self.mask = competition_mask(config).float()

    def patches(self, x):  # im2col: [L, K]
        n, k = self.c.input_size, self.c.kernel
        return F.unfold(x.view(1, 1, n, n), k, stride=self.c.stride)[0].t()

    def xy_input(self, s):
        if self.conv:
            n, k, C = self.c.input_size, self.c.kernel, self.c.channels
            out = F.conv2d(s.view(1, 1, n, n), self.w.view(C, 1, k, k), stride=self.c.stride)
            return out.reshape(-1)
        return s @ self.w

    def run(self, spikes, learning=True):
        c, nrn = self.c, self.c.neuron
        T, P, Y = spikes.shape[0], c.num_inputs, c.num_neurons
        s_x, s_y = torch.zeros(P), torch.zeros(Y)
        x_x, x_pre_y, x_post_y = torch.zeros(P), torch.zeros(Y), torch.zeros(Y)
        v, refrac = torch.full((Y,), nrn.rest), torch.zeros(Y)
        d_v, d_theta = f32exp(nrn.tc_decay), f32exp(nrn.tc_theta_decay)
        d_x = f32exp(c.input_trace_tau)
        d_pre, d_post = f32exp(c.competition_tau[0]), f32exp(c.competition_tau[1])
        nu0, nu1 = c.nu
        a_pos, a_neg = c.competition_nu
        out = []
        for t in range(T):
            inp = torch.zeros(Y) + self.xy_input(s_x) + s_y @ self.w_yy  # Network._get_inputs
            # Input.forward + Nodes.forward (trace)
            s_x = spikes[t].float()
            x_x = x_x * d_x
            x_x[s_x != 0] = 1.0
            # AdaptiveLIFNodes.forward
            v = d_v * (v - nrn.rest) + nrn.rest
            if learning:
                self.theta = self.theta * d_theta
            v = v + (refrac == 0).float() * inp
            refrac = (refrac > 0).float() * (refrac - nrn.dt)
            s = v >= nrn.thresh + self.theta
            refrac[s] = nrn.refrac
            v[s] = nrn.reset
            if learning:
                self.theta = self.theta + nrn.theta_plus * s.float()
            s_y = s.float()
            x_pre_y = x_pre_y * d_pre
            x_pre_y[s] = 1.0
            x_post_y = x_post_y * d_post
            x_post_y[s] = 1.0
            out.append(s_y)
            if not learning:
                continue
            # Connection.update -> PostPre, XY
            if self.conv:
                C, L = c.channels, c.num_locations
                pre = x_post_y.view(C, L) @ self.patches(s_x)
                self.w -= nu0 * pre
                post = s_y.view(C, L) @ self.patches(x_x)
                self.w += nu1 * post
                self.w.clamp_(c.wmin, c.wmax)
            else:
                self.w -= nu0 * torch.outer(s_x, x_post_y)
                self.w += nu1 * torch.outer(x_x, s_y)
                self.w.clamp_(c.wmin, c.wmax)
                self.w[~self.local] = 0.0  # LocalConnection mask
            # YY (learned)
            if c.learn_competition:
                self.w_yy -= a_pos * torch.outer(s_y, x_post_y)
                self.w_yy += a_neg * torch.outer(x_pre_y, s_y)
                if c.competition_weight_decay:
                    self.w_yy -= c.competition_weight_decay
                low = None if c.competition_wmin == -math.inf else c.competition_wmin
                self.w_yy.clamp_(low, c.competition_wmax)
        if learning:  # Connection.normalize at the end of run, then the YY mask (LC_SNN.train)
            if self.conv:
                for f in range(c.channels):
                    self.w[f] *= c.norm / self.w[f].sum(0)
            else:
                self.w *= c.norm / self.w.sum(0).view(1, -1)
            if c.learn_competition and c.mask_competition_after_image:
                self.w_yy *= self.mask
        return torch.stack(out)

    def w_xy_dense(self):
        if not self.conv:
            return self.w
        dense = torch.zeros(self.c.num_inputs, self.c.num_neurons)
        index = geometry(self.c).patch_index
        L = self.c.num_locations
        for f in range(self.c.channels):
            for loc in range(L):
                dense[index[loc], f * L + loc] = self.w[f]
        return dense


def small_config(arch, learned, **extra):
    base = dict(arch=arch, channels=4, kernel=4, stride=2, input_size=8, time=60, mean_weight=1.2)
    if arch == "fc":
        base.update(channels=5, mean_weight=0.3)
    if learned:
        base.update(
            learn_competition=True,
            competition_weight=-20.0,
            competition_nu=(-0.0556, -1.626),
            competition_tau=(17.72, 16.48),
            nu=(1e-3, 5e-2),
        )
    base.update(extra)
    return CompetitionNetConfig(**base)


CASES = [
    ("lc", False, {}),
    ("lc", True, {}),
    ("lc", True, dict(competition_weight_decay=0.01, competition_wmin=-30.0)),
    ("conv", False, {}),
    ("conv", True, {}),
    ("fc", False, {}),
    ("fc", True, {}),
]


@pytest.mark.parametrize("clamp_all", [None, 0], ids=["auto-clamp", "indexed-clamp"])
@pytest.mark.parametrize("arch, learned, extra", CASES)
def test_matches_literal_bindsnet_reference(arch, learned, extra, clamp_all, monkeypatch):
    # clamp_all=0 forces the clamping of only the changed weights (used for large matrices)
    monkeypatch.setattr(competition, "_CLAMP_ALL_MAX_ELEMENTS", clamp_all)
    config = small_config(arch, learned, **extra)
    g = torch.Generator().manual_seed(11)
    state = init_state(config, 1, g)
    ref = Reference(config, state)
    total_spikes = 0
    for image in range(3):
        rate = 0.25 if arch != "fc" else 0.15
        spikes = (torch.rand(config.num_steps, 1, config.num_inputs, generator=g) < rate).to(torch.uint8)
        state, counts, rec = simulate(state, spikes, config)
        ref_spikes = ref.run(spikes[:, 0])
        assert torch.equal(rec.spikes[:, 0], ref_spikes), f"image {image}: spikes differ"
        assert torch.equal(counts[0], ref_spikes.sum(0))
        total_spikes += int(ref_spikes.sum())
        assert torch.equal(state.theta[0], ref.theta)
        if arch == "conv":  # BindsNET sums the shared update over locations first: rounding differs
            assert torch.allclose(dense_xy(state.w_xy, config)[0], ref.w_xy_dense(), rtol=1e-6, atol=1e-7)
        else:  # same float operations in the same order: bit-identical
            assert torch.equal(dense_xy(state.w_xy, config)[0], ref.w_xy_dense())
        if learned:
            assert torch.equal(state.w_yy[0], ref.w_yy)
    assert total_spikes > 30  # the comparison exercised spikes, competition and learning
    if learned and not config.mask_competition_after_image:
        assert (state.w_yy[0][~competition_mask(config)] != 0).any()  # reference artefact kept
    # frozen inference equals the reference without learning
    spikes = (torch.rand(config.num_steps, 4, config.num_inputs, generator=g) < 0.25).to(torch.uint8)
    counts = infer(state, spikes, config)
    for b in range(4):
        assert torch.equal(counts[0, b], ref.run(spikes[:, b], learning=False).sum(0))


def test_bindsnet_lc_mask_rezeroes_nonlocal_yy_only_after_the_image():
    config = small_config("lc", True)
    state = init_state(config, 1, torch.Generator().manual_seed(5))
    mask = competition_mask(config)
    assert (state.w_yy[0][mask] < 0).all() and (state.w_yy[0][mask] >= -20.0).all()  # U(c_w, 0)
    assert (state.w_yy[0][~mask] == 0).all()
    spikes = (torch.rand(60, 1, 64, generator=torch.Generator().manual_seed(6)) < 0.3).to(torch.uint8)
    new, _ = train_step(state, spikes, config)
    assert (new.w_yy[0][~mask] == 0).all()  # re-zeroed after the image
    # ... but during the image plasticity made non-local/self entries negative (the artefact)
    no_mask = config.replace(mask_competition_after_image=False)
    new2, _ = train_step(state, spikes, no_mask)
    assert (new2.w_yy[0][~mask] < 0).any()
    assert torch.equal(new2.w_yy[0][mask], new.w_yy[0][mask])


# --------------------------------------------------------------------------------------------------
# (3) Replicas are independent networks
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("arch, learned", [("lc", False), ("lc", True), ("conv", True), ("fc", False)])
def test_replicas_are_independent(arch, learned):
    config = small_config(arch, learned)
    g = torch.Generator().manual_seed(21)
    states = init_state(config, 3, g)
    singles = [
        CompetitionState(
            states.w_xy[r : r + 1],
            states.theta[r : r + 1],
            None if states.w_yy is None else states.w_yy[r : r + 1],
        )
        for r in range(3)
    ]
    for _ in range(2):
        spikes = (torch.rand(config.num_steps, 3, config.num_inputs, generator=g) < 0.25).to(torch.uint8)
        states, counts = train_step(states, spikes, config)
        for r in range(3):
            singles[r], c = train_step(singles[r], spikes[:, r : r + 1], config)
            assert torch.equal(counts[r], c[0])
            assert torch.equal(states.w_xy[r], singles[r].w_xy[0])
            assert torch.equal(states.theta[r], singles[r].theta[0])
            if learned:
                assert torch.equal(states.w_yy[r], singles[r].w_yy[0])
    # batched inference: shared images, per-replica images and chunking agree
    spikes = (torch.rand(config.num_steps, 5, config.num_inputs, generator=g) < 0.25).to(torch.uint8)
    shared = infer(states, spikes, config)
    per_replica = infer(states, spikes.unsqueeze(1).expand(-1, 3, -1, -1), config)
    chunked = infer(states, spikes, config, max_chunk_bytes=1)
    assert shared.shape == (3, 5, config.num_neurons)
    assert torch.equal(shared, per_replica) and torch.equal(shared, chunked)
    for r in range(3):
        assert torch.equal(shared[r], infer(singles[r], spikes, config)[0])


# --------------------------------------------------------------------------------------------------
# (5) A little training of the paper's 25-channel k12 LCSNN
# --------------------------------------------------------------------------------------------------


def bar_images(count: int, generator: torch.Generator) -> torch.Tensor:
    """Synthetic 28x28 digits-like images: one bright bar each (row or column)."""
    images = torch.zeros(count, 28, 28, dtype=torch.uint8)
    where = torch.randint(6, 22, (count,), generator=generator)
    for i in range(count):
        if i % 2:
            images[i, 5:23, where[i] - 1 : where[i] + 2] = 255
        else:
            images[i, where[i] - 1 : where[i] + 2, 5:23] = 255
    return images


def test_short_training_moves_weights_and_raises_thresholds():
    config = CompetitionNetConfig(arch="lc", channels=25, kernel=12)
    g = torch.Generator().manual_seed(0)
    state = init_state(config, 1, g)
    initial = state.w_xy.clone()
    images = bar_images(100, g)
    total = 0.0
    for i in range(100):
        state, counts = train_step(state, encode_images(images[i : i + 1], config, g), config)
        total += float(counts.sum())
    assert total > 100  # the network responds
    assert float(state.theta.max()) > 0.3  # adaptive thresholds grew
    assert float((state.w_xy - initial).abs().max()) > 0.05  # weights moved
    assert torch.allclose(state.w_xy.sum(2), torch.full((1, 9, 25), config.norm), rtol=1e-5)  # normalised
    assert float(state.w_xy.min()) >= 0.0 and float(state.w_xy.max()) <= 1.0
