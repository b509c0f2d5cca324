"""Paper 000: Agliukov, Antonov & Sukhov, spiking GANs with rate (frequency) coding.

Modules: :mod:`.models` (the spiking generator, literal snnTorch and fast path; its analog twin;
the discriminator), :mod:`.gan` (one training step and the optimisers), :mod:`.config`
(profiles and the chapter's runs), :mod:`.experiments` (the chapter's protocols),
:mod:`.analysis`, :mod:`.figures` and :mod:`.claims`.
"""

from __future__ import annotations

from snnlib.book.runner import RunContext, paper_run_context

CHAPTER = "000_spiking_dcgan"
PAPER = "000_b0fe40ac25bb6f9f"


def run_context(profile: str, train: bool | str = False) -> RunContext:
    """The chapter's run context (:func:`snnlib.book.runner.paper_run_context`)."""
    return paper_run_context(__name__, CHAPTER, profile, train)
