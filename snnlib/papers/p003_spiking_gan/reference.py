"""The numbers paper 003 (Kotariya & Ganguly, Spiking-GAN) states, as named records."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ClassifierResult", "PAPER_CLF", "InputCost", "PAPER_COST", "PAPER_FRACTION_FIRING",
           "PAPER_DECISION_SHARE", "PAPER_MAX_SPIKES_G_AND_D"]


@dataclass(frozen=True)
class ClassifierResult:
    """One classifier of the paper's section 3.1: test accuracy (%), mean decision step and
    spikes to decision (inputs included); ``None`` where the paper gives no number."""

    accuracy: float
    decision_steps: float | None
    spikes: float | None


PAPER_CLF: dict[str, ClassifierResult] = {
    "clf400_aggressive": ClassifierResult(accuracy=96.7, decision_steps=59.7, spikes=194.0),
    "clf400_s4nn": ClassifierResult(accuracy=97.4, decision_steps=89.7, spikes=218.3),
    "clf1000_aggressive": ClassifierResult(accuracy=97.6, decision_steps=None, spikes=None),
}


@dataclass(frozen=True)
class InputCost:
    """Section 3.2: spikes per MNIST image for a 256-step presentation under each code."""

    count: int
    """The "lossless" count code."""
    inverted: int
    """The count code of the inverted image."""
    ttfs: int
    """TTFS (one spike per pixel)."""


PAPER_COST = InputCost(count=173745, inverted=26175, ttfs=784)

PAPER_FRACTION_FIRING = 16.2
"""% of the 784-400-10 Aggressive network's neurons that fired up to its decision."""
PAPER_DECISION_SHARE = 23.3
"""The 784-400-10 Aggressive network's decision step as a % of t_max."""
PAPER_MAX_SPIKES_G_AND_D = 2470
"""The most spikes G and D together can emit (the paper's only spike count for its GAN)."""
