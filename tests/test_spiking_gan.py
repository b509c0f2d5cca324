"""Tests for snnlib.papers.p003_spiking_gan.spiking_gan: hand-worked D and G updates, and short training runs."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from snnlib.papers.p003_spiking_gan import spiking_gan
from snnlib.core.coding import ttfs_encode
from snnlib.core.temporal import FAKE, REAL

# D: 2 pixels -> 1 hidden (weights [1, 1]) -> outputs FAKE (weight 1) and REAL (0.4);
# G: 2 noise inputs -> 2 pixels, identity weights.  t_max = 8, thresholds 0.5 (strict).
HAND = spiking_gan.SpikingGANConfig(noise=2, image=2, threshold=0.5, lr_g=0.1, lr_d=0.1,
                           weight_decay=0.0, t_max=8, norm="l1")
HAND_GAN = spiking_gan.SpikingGAN(
    generator=[torch.eye(2, dtype=torch.float64)],
    discriminator=[torch.tensor([[1.0, 1.0]], dtype=torch.float64),
                   torch.tensor([[1.0], [0.4]], dtype=torch.float64)],
)
IMAGE = torch.tensor([[2, 5]])  # pixel times
NOISE = torch.tensor([[1, 4]])  # G(NOISE) = IMAGE: each pixel fires one step after its input


def test_discriminator_update_hand_worked():
    # Hidden crosses at tau = 2 -> t_h = 3; FAKE crosses at 3 -> 4; REAL (0.4) never -> 8.
    # On a real image the targets are [t_max, t_min] = [8, 4]; error (t - T)/8 = [-0.5, 0.5]
    # (L1 norm 1).  Output layer: dL/dw_kh = -delta_k [t_h < t_k] -> [0.5, -0.5], so
    # delta_w = -lr * grad = [-0.05, 0.05].  Hidden: delta_h = -0.5*1 + 0.5*0.4 = -0.3 -> -1
    # after L1 normalisation; only pixel 0 (t = 2 < 3) contributed: grad [1, 0] -> [-0.1, 0].
    delta_w, out = spiking_gan.discriminator_update(HAND_GAN, IMAGE, True, HAND)
    assert torch.equal(out, torch.tensor([[4, 8]]))
    assert torch.allclose(delta_w[1], torch.tensor([[-0.05], [0.05]], dtype=torch.float64))
    assert torch.allclose(delta_w[0], torch.tensor([[-0.1, 0.0]], dtype=torch.float64))
    # On a generated image D is already right (FAKE first, target [4, 8]): no update.
    delta_w, _ = spiking_gan.discriminator_update(HAND_GAN, IMAGE, False, HAND)
    assert all(float(d.abs().max()) == 0 for d in delta_w)


def test_generator_update_through_frozen_discriminator_hand_worked():
    # G(NOISE) = IMAGE, D's outputs [4, 8]; G's targets are D's flipped: [8, 4] -> the same
    # error [-0.5, 0.5] -> hidden delta -1 -> D's input delta [-1, 0] (pixel 1 fired after
    # the hidden neuron and gets nothing).  G: dL/dw_ji = -delta_j [z_i < t_j]; pixel 0
    # (t = 2) saw z_0 = 1 only -> grad [[1, 0], [0, 0]], delta_w = -0.1 * grad: pixel 0 is
    # pushed later, away from the hidden neuron that makes D say "fake".
    pixel_error, _ = spiking_gan.generator_pixel_error(HAND_GAN, IMAGE, HAND)
    assert torch.allclose(pixel_error, torch.tensor([[-1.0, 0.0]], dtype=torch.float64))
    delta_w, d_out, g_times = spiking_gan.generator_update(HAND_GAN, NOISE, HAND)
    assert torch.equal(g_times[-1], IMAGE)
    assert torch.equal(d_out, torch.tensor([[4, 8]]))
    assert torch.allclose(delta_w[0], torch.tensor([[-0.1, 0.0], [0.0, 0.0]], dtype=torch.float64))


def test_generator_learning_rate_per_layer():
    # A two-layer G: its update with lr_g = (a, b) is, layer by layer, the update with the
    # scalar a (hidden) and b (output); L2 decay included, so the rates enter it too.
    config = spiking_gan.SpikingGANConfig(noise=20, g_hidden=30, image=40, d_hidden=30, t_max=64,
                                 threshold=10.0, weight_decay=1e-3)
    gen = torch.Generator().manual_seed(3)
    gan = spiking_gan.init_spiking_gan(config, generator=gen, dtype=torch.float64)
    gan = spiking_gan.SpikingGAN([w / 4 for w in gan.generator], [w / 4 for w in gan.discriminator])
    z = spiking_gan.noise_times(4, config, generator=gen)
    per_layer, _, _ = spiking_gan.generator_update(gan, z, replace(config, lr_g=(0.02, 2.0)))
    slow, _, _ = spiking_gan.generator_update(gan, z, replace(config, lr_g=0.02))
    fast, _, _ = spiking_gan.generator_update(gan, z, replace(config, lr_g=2.0))
    assert float(slow[0].abs().max()) > 0 and float(fast[1].abs().max()) > 0
    assert torch.allclose(per_layer[0], slow[0]) and torch.allclose(per_layer[1], fast[1])
    assert not torch.allclose(per_layer[0], fast[0])


def test_noise_and_decoded_images():
    config = spiking_gan.SpikingGANConfig()
    z = spiking_gan.noise_times(500, config, generator=torch.Generator().manual_seed(0))
    assert z.shape == (500, 100) and int(z.min()) >= 0 and int(z.max()) <= 256
    assert 120 < z.float().mean() < 136  # U{0..255} encoded: mean floor(256(255-z)/255) ~ 127.5
    gan = spiking_gan.SpikingGAN([torch.zeros(1, 100), torch.zeros(784, 1)], [])
    images = spiking_gan.generate_images(gan, z[:2], config)
    assert torch.equal(images, torch.zeros(2, 784))  # silent pixels decode to black


@pytest.fixture(scope="module")
def digits():
    from snnlib.book.data import load_mnist

    images, labels = load_mnist("train")
    return ttfs_encode(images[labels == 1][:1300].flatten(1))


def d_outputs(gan, times, config):
    return spiking_gan.tp.s4nn_forward(times, gan.discriminator, config.threshold, config.t_max).times[-1]


def test_discriminator_verdicts_need_a_strictly_earlier_spike():
    times = torch.zeros(4, 2, dtype=torch.long)
    times[:, REAL] = torch.tensor([2, 5, 3, 8])
    times[:, FAKE] = torch.tensor([4, 1, 3, 8])  # real first, fake first, tie, both silent (t_max 8)
    assert spiking_gan.says_real(times).tolist() == [True, False, False, False]
    assert spiking_gan.says_fake(times).tolist() == [False, True, False, False]


def test_discriminator_learns_real_digits_from_untrained_samples(digits):
    torch.set_num_threads(1)
    config = spiking_gan.SpikingGANConfig(g_hidden=50, d_hidden=50)
    gen = torch.Generator().manual_seed(0)
    gan = spiking_gan.init_spiking_gan(config, generator=gen)
    for i in range(1000):  # with the silent-pair mask (default) 300 steps are not enough
        for times, real in ((digits[i:i + 1], True),
                            (spiking_gan.generate_times(gan, spiking_gan.noise_times(1, config, generator=gen),
                                               config).times[-1], False)):
            delta_w, _ = spiking_gan.discriminator_update(gan, times, real, config)
            gan = spiking_gan.SpikingGAN(gan.generator, [w + d for w, d in zip(gan.discriminator, delta_w)])
    fake = spiking_gan.generate_times(gan, spiking_gan.noise_times(200, config, generator=gen), config).times[-1]
    real_acc = spiking_gan.says_real(d_outputs(gan, digits[1000:1300], config)).float().mean()
    fake_acc = spiking_gan.says_fake(d_outputs(gan, fake, config)).float().mean()
    assert real_acc > 0.9 and fake_acc > 0.9, (real_acc, fake_acc)


def test_ann_gan_learns_a_single_image():
    torch.manual_seed(0)
    target = torch.linspace(-0.9, 0.9, 784)
    g, d = spiking_gan.ANNGenerator(), spiking_gan.ANNDiscriminator()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    gen = torch.Generator().manual_seed(0)
    before = (g(torch.randn(64, 100, generator=gen)) - target).pow(2).mean()
    for _ in range(300):
        spiking_gan.ann_gan_step(g, d, opt_g, opt_d, target.expand(32, 784), generator=gen)
    after = (g(torch.randn(64, 100, generator=gen)) - target).pow(2).mean()
    # 0.32 -> 0.04 with this seed; a generator that outputs zeros scores mean(target^2) = 0.27.
    assert after < 0.2 * before, (before, after)


def test_gan_training_on_the_fast_forward_equals_the_time_binned_path_bit_for_bit(digits, monkeypatch):
    """spiking_gan_step runs every forward pass (G, D on real and generated images, D for G's
    update) through s4nn_forward_times; with the time-binned s4nn_forward in its place (the path
    the GAN used before) 300 full-size training steps give the same weights bit for bit and the same
    D verdicts, and the fast path is what runs (the time-binned forward is never reached)."""
    torch.set_num_threads(1)
    config = spiking_gan.SpikingGANConfig(lr_g=(0.02, 2.0))

    def train(steps=300):
        gen = torch.Generator().manual_seed(3)
        gan = spiking_gan.init_spiking_gan(config, generator=gen)
        verdicts = []
        for i in range(steps):
            out = spiking_gan.spiking_gan_step(gan, digits[i:i + 1], config, generator=gen)
            gan = out.gan
            verdicts.append(torch.cat([out.d_real, out.d_fake, out.d_for_g], dim=1))
        return gan, torch.cat(verdicts)

    tp = spiking_gan.tp
    with monkeypatch.context() as patched:
        patched.setattr(tp, "s4nn_forward", lambda *a, **k: pytest.fail("time-binned forward reached"))
        fast, fast_verdicts = train()
    binned = tp.s4nn_forward
    with monkeypatch.context() as patched:
        patched.setattr(tp, "s4nn_forward_times",
                        lambda x, w, thr, t_max: tp.S4NNTimes(binned(x, w, thr, t_max).times, None))
        slow, slow_verdicts = train()
    assert torch.equal(fast_verdicts, slow_verdicts)
    for a, b in zip(fast.generator + fast.discriminator, slow.generator + slow.discriminator):
        assert torch.equal(a, b)
    assert (fast_verdicts < config.t_max).any()  # D's outputs spike: the comparison is not vacuous


def test_variant_step_with_the_default_variant_is_spiking_gan_step(digits):
    """The pilot's step adds measurements, not changes: with GANVariant() its weights follow
    spiking_gan_step bit for bit, and its "G fools D" is D's verdict on the fresh sample before the
    step's updates (not on the sample D was just trained to reject)."""
    config = spiking_gan.SpikingGANConfig(g_hidden=30, d_hidden=30, lr_g=(0.02, 2.0))
    variant = spiking_gan.GANVariant()
    gen_a, gen_b = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a = spiking_gan.init_variant_gan(config, variant, generator=gen_a)
    b = spiking_gan.init_spiking_gan(config, generator=gen_b)
    accuracy, fooled = 0.5, []
    for i in range(40):
        probe = torch.Generator().set_state(gen_a.get_state())
        z = spiking_gan.noise_times(1, config, generator=probe)  # the sample the step will draw
        d_before = d_outputs(a, spiking_gan.generate_times(a, z, config).times[-1], config)[0]
        out = spiking_gan.variant_gan_step(a, digits[i:i + 1], config, variant, epoch=i / 40,
                                           d_accuracy=accuracy, generator=gen_a)
        assert out.g_fooled == bool(spiking_gan.says_real(d_before)) and out.d_updated
        a, accuracy = out.gan, out.d_accuracy
        fooled.append(out.g_fooled)
        b = spiking_gan.spiking_gan_step(b, digits[i:i + 1], config, generator=gen_b).gan
    for x, y in zip(a.generator + a.discriminator, b.generator + b.discriminator):
        assert torch.equal(x, y)
    assert 0 < accuracy < 1


def test_variant_gates_d_decays_g_and_draws_a_signed_generator(digits):
    config = spiking_gan.SpikingGANConfig(g_hidden=30, d_hidden=30, lr_g=(0.02, 2.0))
    gan = spiking_gan.init_spiking_gan(config, generator=torch.Generator().manual_seed(0))
    # D at or above its bound is not updated; G still is
    gated = spiking_gan.GANVariant(d_bound=0.75)
    out = spiking_gan.variant_gan_step(gan, digits[:1], config, gated, epoch=0.0, d_accuracy=0.8,
                                       generator=torch.Generator().manual_seed(1))
    assert not out.d_updated and all(torch.equal(x, y) for x, y in zip(out.gan.discriminator, gan.discriminator))
    assert not torch.equal(out.gan.generator[-1], gan.generator[-1])
    below = spiking_gan.variant_gan_step(gan, digits[:1], config, gated, epoch=0.0, d_accuracy=0.7,
                                         generator=torch.Generator().manual_seed(1))
    assert below.d_updated
    # the running accuracy moves by 1/d_window towards this step's score
    score = (below.d_right_real + below.d_right_fake) / 2
    assert below.d_accuracy == pytest.approx(0.7 + (score - 0.7) / gated.d_window)
    # a decayed G step at epoch e equals a fixed step at rates lr_g / (1 + e / g_decay_epochs)
    decayed = spiking_gan.variant_gan_step(gan, digits[:1], config, spiking_gan.GANVariant(g_decay_epochs=1.0),
                                           epoch=3.0, d_accuracy=0.5, generator=torch.Generator().manual_seed(1))
    slower = replace(config, lr_g=(0.02 / 4, 2.0 / 4))
    fixed = spiking_gan.variant_gan_step(gan, digits[:1], slower, spiking_gan.GANVariant(), epoch=3.0,
                                         d_accuracy=0.5, generator=torch.Generator().manual_seed(1))
    for x, y in zip(decayed.gan.generator, fixed.gan.generator):
        assert torch.equal(x, y)
    # signed, zero-mean G with std g * threshold / sqrt(n_in); D keeps S4NN's positive init
    signed = spiking_gan.init_variant_gan(spiking_gan.SpikingGANConfig(), spiking_gan.GANVariant(g_init="signed"),
                                          generator=torch.Generator().manual_seed(0))
    for w, n_in in zip(signed.generator, (100, 400)):
        assert abs(float(w.mean())) < 0.02 * float(w.std())
        assert float(w.std()) == pytest.approx(2.0 * 100 / n_in ** 0.5, rel=0.02)
    assert all(float(w.min()) >= 0 for w in signed.discriminator)


def test_l1_equivalent_rates_scale_each_layer_by_the_root_of_its_size():
    l1 = spiking_gan.l1_equivalent_rates(spiking_gan.SpikingGANConfig(lr_g=(0.02, 2.0), lr_d=0.2))
    assert l1.norm == "l1"
    assert l1.lr_g == pytest.approx((0.02 * 20, 2.0 * 28))
    assert l1.lr_d == pytest.approx((0.2 * 20, 0.2 * 2 ** 0.5))
