"""Paper 004: Vuvunikian & Chen's summary of STBP-tdBN (Zheng et al., AAAI 2021): directly
training deep spiking networks with threshold-dependent batch normalisation.

Modules: :mod:`.models` (the spiking ResNets with no normalisation, per-step BN or tdBN),
:mod:`.config` (profiles, the grid, the CIFAR-10 recipe), :mod:`.experiments` (the chapter's
protocols), :mod:`.analysis`, :mod:`.figures` and :mod:`.claims`.  tdBN itself and STBP's
neuron are in the core (:mod:`snnlib.core.tdbn`, :func:`snnlib.core.neurons.iterative_lif_params`).
"""

from __future__ import annotations

from snnlib.book.runner import RunContext, paper_run_context

CHAPTER = "004_tdbn"
PAPER = "004_6c367f3ea0e05047"


def run_context(profile: str, train: bool | str = False) -> RunContext:
    """The chapter's run context (:func:`snnlib.book.runner.paper_run_context`)."""
    return paper_run_context(__name__, CHAPTER, profile, train)
