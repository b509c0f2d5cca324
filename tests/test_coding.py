"""Tests for snnlib.core.coding: hand-computed values, documented examples, and
statistical checks with fixed generators and bounds taken from the distributions."""

from __future__ import annotations

import math

import pytest
import torch

from snnlib.core.coding import (
    decode_ttfs_class,
    first_spike_time,
    latency_encode,
    latency_times,
    poisson_encode,
    rate_encode,
    spike_count,
    spike_rate,
    times_to_spikes,
    ttfs_decode,
    ttfs_encode,
)


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------------------
# rate_encode (snnTorch spikegen.rate)
# --------------------------------------------------------------------------------------


def test_rate_encode_clips_gain_offset_to_probabilities_zero_and_one():
    x = torch.tensor([[-1.0, 2.0], [0.25, 0.75]])
    spikes = rate_encode(x, num_steps=50, gain=2.0, offset=-0.5, generator=seeded(0))
    assert spikes.shape == (50, 2, 2)
    assert spikes.dtype == torch.float32
    # 2*(-1)-0.5 < 0 -> never; 2*2-0.5 > 1 -> always; 2*0.25-0.5 = 0 -> never; 2*0.75-0.5 = 1 -> always.
    assert torch.equal(spikes[:, 0, 0], torch.zeros(50))
    assert torch.equal(spikes[:, 0, 1], torch.ones(50))
    assert torch.equal(spikes[:, 1, 0], torch.zeros(50))
    assert torch.equal(spikes[:, 1, 1], torch.ones(50))


def test_rate_encode_mean_matches_probability_within_binomial_bounds():
    # pins eq-rate-code (toolkit chapter)
    p = torch.tensor([0.1, 0.5, 0.9])
    num_steps = 20_000
    spikes = rate_encode(p, num_steps, generator=seeded(1))
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}
    sigma = torch.sqrt(p * (1 - p) / num_steps)
    assert torch.all((spikes.mean(0) - p).abs() < 5 * sigma)


def test_rate_encode_steps_are_independent():
    # P(S[t] = 1 and S[t+1] = 1) = p^2 for i.i.d. Bernoulli steps.
    p, num_steps = 0.5, 40_000
    spikes = rate_encode(torch.tensor([p]), num_steps, generator=seeded(2))[:, 0]
    both = (spikes[1:] * spikes[:-1]).mean().item()
    sigma = math.sqrt(p**2 * (1 - p**2) / (num_steps - 1))
    assert abs(both - p**2) < 5 * sigma


def test_rate_encode_is_reproducible_with_a_seeded_generator():
    x = torch.rand(3, 4, generator=seeded(3))
    a = rate_encode(x, 30, generator=seeded(7))
    b = rate_encode(x, 30, generator=seeded(7))
    c = rate_encode(x, 30, generator=seeded(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


# --------------------------------------------------------------------------------------
# poisson_encode (BindsNET encodings.poisson)
# --------------------------------------------------------------------------------------


def bindsnet_interval_pmf(mean_interval: float, max_interval: int) -> torch.Tensor:
    """pmf of the bumped interval I = P + 1[P = 0], P ~ Poisson(mean), on 0..max_interval."""
    i = torch.arange(max_interval + 1, dtype=torch.float64)
    pmf = torch.exp(i * math.log(mean_interval) - mean_interval - torch.lgamma(i + 1))
    pmf[1] += pmf[0]
    pmf[0] = 0.0
    return pmf


def bindsnet_count_moments(rate_hz: float, num_steps: int, dt: float = 1.0) -> tuple[float, float]:
    """Exact mean and variance of the spike count of one BindsNET Poisson train.

    Spikes are the renewal times S_k = I_1 + ... + I_k <= T (integer intervals
    with the zero bump), so P(N >= k) = P(S_k <= T); the law of S_k is the k-fold
    convolution of the interval pmf, done here as a lower-triangular Toeplitz matvec.
    """
    pmf = bindsnet_interval_pmf(1000.0 / (rate_hz * dt), num_steps)
    n = torch.arange(num_steps + 1)
    lag = n.unsqueeze(1) - n.unsqueeze(0)
    convolve = torch.where(lag >= 0, pmf[lag.clamp(min=0)], torch.zeros((), dtype=torch.float64))
    law = torch.zeros(num_steps + 1, dtype=torch.float64)
    law[0] = 1.0  # S_0 = 0
    mean = second_moment = 0.0
    for k in range(1, num_steps + 1):
        law = convolve @ law
        p_at_least_k = law.sum().item()
        if p_at_least_k < 1e-16:
            break
        mean += p_at_least_k
        second_moment += (2 * k - 1) * p_at_least_k
    return mean, second_moment - mean**2


def test_bindsnet_count_expectation_for_the_paper_002_white_pixel():
    # 127.5 Hz over 250 ms: naive rate*T = 31.875, BindsNET's scheme gives ~31.50.
    mean, variance = bindsnet_count_moments(127.5, 250)
    assert mean == pytest.approx(31.5008, abs=1e-3)
    assert variance == pytest.approx(4.160, abs=1e-2)


@pytest.mark.parametrize(
    ("rate_hz", "duration_ms", "dt"),
    [(127.5, 250.0, 1.0), (1000.0, 100.0, 1.0), (100.0, 100.0, 0.5)],
)
def test_poisson_encode_mean_count_matches_derived_expectation(rate_hz, duration_ms, dt):
    num_elements = 20_000
    spikes = poisson_encode(
        torch.full((num_elements,), rate_hz), duration_ms, dt=dt, generator=seeded(11)
    )
    num_steps = int(duration_ms / dt)
    assert spikes.shape == (num_steps, num_elements)
    counts = spikes.sum(0, dtype=torch.float64)
    mean, variance = bindsnet_count_moments(rate_hz, num_steps, dt)
    assert abs(counts.mean().item() - mean) < 5 * math.sqrt(variance / num_elements)
    # The sample variance has relative sd ~ sqrt(2 / n) ~ 1% (normal counts); 10%
    # leaves room for the counts' excess kurtosis.
    assert counts.var().item() == pytest.approx(variance, rel=0.1)
    if rate_hz == 127.5:
        assert mean < rate_hz * duration_ms / 1000 - 0.3  # distinguishable from rate * T


def test_poisson_encode_first_spike_step_follows_bumped_interval_law():
    # The first spike sits at output step I_1 - 1 (row 0 of the cumulative times is
    # dropped), with P(I_1 = 1) = e^-lam (1 + lam) because zero intervals become 1.
    rate_hz, num_elements = 500.0, 20_000  # lam = 2 steps
    spikes = poisson_encode(torch.full((num_elements,), rate_hz), 50.0, generator=seeded(12))
    first = first_spike_time(spikes)
    pmf = bindsnet_interval_pmf(2.0, 10)
    for step in range(6):
        expected = pmf[step + 1].item()
        observed = (first == step).double().mean().item()
        sigma = math.sqrt(expected * (1 - expected) / num_elements)
        assert abs(observed - expected) < 5 * sigma, step
    assert pmf[1].item() == pytest.approx(3 * math.exp(-2))


def test_poisson_encode_zero_rate_is_silent_and_spikes_are_binary():
    rates = torch.tensor([[0.0, 800.0, 0.0], [50.0, 0.0, 1000.0]])
    spikes = poisson_encode(rates, 200.0, generator=seeded(13))
    assert spikes.shape == (200, 2, 3)
    assert spikes.dtype == torch.uint8
    assert spikes.max().item() == 1
    assert spikes[:, rates == 0].sum().item() == 0
    assert torch.all(spikes[:, rates > 0].sum(0) > 0)


def test_poisson_encode_is_reproducible_with_a_seeded_generator():
    rates = torch.tensor([10.0, 100.0, 300.0])
    a = poisson_encode(rates, 250.0, generator=seeded(5))
    assert torch.equal(a, poisson_encode(rates, 250.0, generator=seeded(5)))
    assert not torch.equal(a, poisson_encode(rates, 250.0, generator=seeded(6)))


def test_poisson_encode_rejects_negative_rates():
    with pytest.raises(ValueError):
        poisson_encode(torch.tensor([1.0, -1.0]), 10.0)


# --------------------------------------------------------------------------------------
# latency (snnTorch spikegen.latency)
# --------------------------------------------------------------------------------------


def test_latency_linear_normalized_snntorch_docstring_example():
    x = torch.tensor([0.02, 0.5, 1.0])
    times = latency_times(x, num_steps=5, normalize=True, linear=True)
    assert torch.allclose(times, torch.tensor([3.92, 2.0, 0.0]))
    spikes = latency_encode(x, num_steps=5, normalize=True, linear=True)
    expected = torch.tensor(
        [[0, 0, 1], [0, 0, 0], [0, 1, 0], [0, 0, 0], [1, 0, 0]], dtype=torch.float32
    )
    assert torch.equal(spikes, expected)


def test_latency_log_normalized_snntorch_docstring_example():
    times = latency_times(torch.tensor([0.02, 0.5, 1.0]), num_steps=5, normalize=True)
    assert torch.allclose(times, torch.tensor([4.0, 0.1166, 0.0580]), atol=1e-4)


def test_latency_log_code_hand_values():
    # t = tau ln(x / (x - theta)): 3 ln(0.02/0.01) = 2.079 -> step 2; 3 ln(1.25) = 0.669 -> step 1.
    x = torch.tensor([0.02, 0.05])
    times = latency_times(x, num_steps=5, tau=3.0)
    assert torch.allclose(times, torch.tensor([3 * math.log(2.0), 3 * math.log(1.25)]))
    spikes = latency_encode(x, num_steps=5, tau=3.0)
    assert torch.equal(first_spike_time(spikes), torch.tensor([2, 1]))
    assert torch.equal(spike_count(spikes), torch.tensor([1.0, 1.0]))


def test_latency_first_spike_time_shifts_linear_code():
    # normalize: tau = 7 - 1 - 2 = 4; t = min(4(1-x), 4*0.99) + 2 = [2, 4, 5.96].
    x = torch.tensor([1.0, 0.5, 0.0])
    times = latency_times(x, num_steps=7, first_spike_time=2, normalize=True, linear=True)
    assert torch.allclose(times, torch.tensor([2.0, 4.0, 5.96]))
    spikes = latency_encode(x, num_steps=7, first_spike_time=2, normalize=True, linear=True)
    assert torch.equal(first_spike_time(spikes), torch.tensor([2, 4, 6]))


def test_latency_rounds_half_to_even():
    # linear, tau = 5: t = 5 (1 - 0.5) = 2.5 -> torch.round -> 2; 5 (1 - 0.3) = 3.5 -> 4.
    spikes = latency_encode(torch.tensor([0.5, 0.3]), num_steps=6, tau=5.0, linear=True)
    assert torch.equal(first_spike_time(spikes), torch.tensor([2, 4]))


def test_latency_below_threshold_fires_last_unless_clipped():
    x = torch.tensor([0.001, 0.5, 1.0])
    spikes = latency_encode(x, num_steps=10, normalize=True)
    assert torch.equal(first_spike_time(spikes), torch.tensor([9, 0, 0]))
    clipped = latency_encode(x, num_steps=10, normalize=True, clip=True)
    assert torch.equal(spike_count(clipped), torch.tensor([0.0, 1.0, 1.0]))


def test_latency_out_of_window_raises_or_is_dropped_with_bypass():
    # ln(0.0105 / 0.0005) = 3.04 -> step 3 > num_steps - 1 = 2.
    x = torch.tensor([0.0105, 1.0])
    with pytest.raises(ValueError):
        latency_encode(x, num_steps=3)
    spikes = latency_encode(x, num_steps=3, bypass=True)
    assert torch.equal(spike_count(spikes), torch.tensor([0.0, 1.0]))


def test_latency_rejects_inputs_outside_unit_interval():
    with pytest.raises(ValueError):
        latency_encode(torch.tensor([1.5]), num_steps=5)


# --------------------------------------------------------------------------------------
# TTFS (S4NN / Spiking-GAN)
# --------------------------------------------------------------------------------------


def test_ttfs_encode_hand_values():
    # pins eq-ttfs (toolkit chapter) and eq-003-ttfs (chapter 003), encoder
    x = torch.tensor([255, 0, 128, 1], dtype=torch.uint8)
    # floor(256 * (255 - x) / 255): 0, 256, floor(127.498) = 127, floor(254.996) = 254.
    assert torch.equal(ttfs_encode(x), torch.tensor([0, 256, 127, 254]))
    assert torch.equal(ttfs_encode(x.float()), torch.tensor([0, 256, 127, 254]))


def test_ttfs_round_trip_error_is_below_one_quantisation_step():
    grey = torch.arange(256)
    times = ttfs_encode(grey)
    assert torch.all(times[1:] <= times[:-1])  # brighter -> earlier
    assert times.min().item() == 0 and times.max().item() == 256
    error = ttfs_decode(times) - grey
    assert torch.all(error >= 0)
    assert torch.all(error < 255 / 256)


def test_ttfs_decode_hand_values():
    # pins eq-ttfs (toolkit chapter) and eq-003-ttfs (chapter 003), decoder
    decoded = ttfs_decode(torch.tensor([0, 256, 128]))
    assert torch.allclose(decoded, torch.tensor([255.0, 0.0, 127.5]))


def test_times_to_spikes_one_hot_and_out_of_window_silent():
    times = torch.tensor([[0, 3], [256, 255]])
    spikes = times_to_spikes(times, 256)
    assert spikes.shape == (256, 2, 2)
    assert torch.equal(spike_count(spikes), torch.tensor([[1.0, 1.0], [0.0, 1.0]]))
    assert spikes[0, 0, 0] == 1 and spikes[3, 0, 1] == 1 and spikes[255, 1, 1] == 1


def test_ttfs_image_round_trip_through_dense_spikes():
    image = torch.randint(0, 256, (4, 28, 28), generator=seeded(21))
    times = ttfs_encode(image)
    spikes = times_to_spikes(times, 256)
    assert torch.equal(first_spike_time(spikes), times)  # black pixels: 256 = T
    assert spike_count(spikes).sum().item() == (image > 0).sum().item()


# --------------------------------------------------------------------------------------
# Decoders
# --------------------------------------------------------------------------------------


def test_spike_count_rate_and_first_spike_time_hand_values():
    spikes = torch.tensor([[0, 1, 0], [1, 1, 0], [0, 0, 0], [1, 0, 0]], dtype=torch.uint8)
    assert torch.equal(spike_count(spikes), torch.tensor([2, 2, 0]))
    assert torch.allclose(spike_rate(spikes), torch.tensor([0.5, 0.5, 0.0]))
    assert torch.equal(first_spike_time(spikes), torch.tensor([1, 0, 4]))
    assert torch.equal(first_spike_time(spikes.bool(), no_spike=-1), torch.tensor([1, 0, -1]))
    assert torch.equal(first_spike_time(spikes.float()), torch.tensor([1, 0, 4]))


FIRST_TIMES = torch.tensor(
    [
        [3, 5, 7],  # clear winner 0
        [6, 2, 2],  # tie between 1 and 2
        [10, 10, 10],  # silent
        [10, 4, 10],  # winner 1
    ]
)
POTENTIALS = torch.tensor(
    [
        [0.0, 9.0, 9.0],
        [5.0, 0.1, 0.9],  # 0 has the highest potential but did not win the race
        [0.2, 0.1, 0.7],
        [1.0, 1.0, 1.0],
    ]
)


def test_decode_ttfs_class_default_rules_and_masks():
    decision = decode_ttfs_class(FIRST_TIMES, no_spike_time=10)
    assert torch.equal(decision.prediction, torch.tensor([0, 1, -1, 1]))
    assert torch.equal(decision.tie, torch.tensor([False, True, False, False]))
    assert torch.equal(decision.silent, torch.tensor([False, False, True, False]))
    expected_winners = torch.tensor(
        [[True, False, False], [False, True, True], [False, False, False], [False, True, False]]
    )
    assert torch.equal(decision.winners, expected_winners)
    # S4NN's lenient scoring: correct iff the label is among the winners.
    labels = torch.tensor([0, 2, 1, 1])
    s4nn_correct = decision.winners.gather(1, labels.unsqueeze(1)).squeeze(1)
    assert torch.equal(s4nn_correct, torch.tensor([True, True, False, True]))


def test_decode_ttfs_class_potential_rules():
    decision = decode_ttfs_class(
        FIRST_TIMES, 10, tie_break="potential", silent="potential", potentials=POTENTIALS
    )
    # tie {1, 2} -> 2 (0.9 > 0.1); silent -> argmax over all = 2; sample 0 ignores potentials.
    assert torch.equal(decision.prediction, torch.tensor([0, 2, 2, 1]))
    lowest = decode_ttfs_class(FIRST_TIMES, 10, silent="lowest_index")
    assert torch.equal(lowest.prediction, torch.tensor([0, 1, 0, 1]))


def test_decode_ttfs_class_equal_potentials_fall_back_to_lowest_index():
    decision = decode_ttfs_class(
        torch.tensor([[4, 1, 1, 1]]), 5, tie_break="potential", potentials=torch.tensor([[9.0, 2.0, 3.0, 3.0]])
    )
    assert decision.prediction.item() == 2


def test_decode_ttfs_class_requires_potentials_for_potential_rules():
    with pytest.raises(ValueError):
        decode_ttfs_class(FIRST_TIMES, 10, tie_break="potential")
    with pytest.raises(ValueError):
        decode_ttfs_class(FIRST_TIMES, 10, silent="potential", potentials=POTENTIALS[:, :2])


def test_count_encode_is_lossless_and_evenly_spread():
    from snnlib.core.coding import count_encode

    # x = 2 in 8 steps: spikes at floor(0*8/2) = 0 and floor(1*8/2) = 4; x = 3: 0, 2, 5.
    spikes = count_encode(torch.tensor([2, 3, 0, 8]), t_max=8)
    assert spikes.shape == (8, 4)
    assert torch.equal(spikes[:, 0].nonzero().flatten(), torch.tensor([0, 4]))
    assert torch.equal(spikes[:, 1].nonzero().flatten(), torch.tensor([0, 2, 5]))
    assert spikes[:, 2].sum() == 0 and torch.equal(spikes[:, 3], torch.ones(8))
    image = torch.randint(0, 256, (3, 28, 28), generator=torch.Generator().manual_seed(0))
    coded = count_encode(image, t_max=256)
    assert torch.equal(coded.sum(0), image.float()) and coded.max() == 1  # one spike per step at most
    with pytest.raises(ValueError):
        count_encode(torch.tensor([9]), t_max=8)
