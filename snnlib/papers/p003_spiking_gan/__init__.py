"""Paper 003: Kotariya & Ganguly, Spiking-GAN, with S4NN-style TTFS classifiers.

Modules: :mod:`.s4nn` (TTFS classifier training and scoring), :mod:`.spiking_gan` (Spiking-GAN
and the ANN GAN), :mod:`.config` (profiles and experiment settings), :mod:`.reference` (the
paper's own numbers), :mod:`.experiments` (the chapter's protocols), :mod:`.analysis` (numbers
and text derived from artifacts), :mod:`.figures` and :mod:`.claims`.
"""

from __future__ import annotations

from snnlib.book.runner import RunContext, paper_run_context

CHAPTER = "003_spiking_gan"
PAPER = "003_35e7ac597fe754ff"


def run_context(profile: str, train: bool | str = False) -> RunContext:
    """The chapter's run context (:func:`snnlib.book.runner.paper_run_context`)."""
    return paper_run_context(__name__, CHAPTER, profile, train)
