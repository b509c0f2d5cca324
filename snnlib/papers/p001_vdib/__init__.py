"""Paper 001: Skatchkovsky, Simeone & Jang (NeurIPS 2021), learning to time-decode in spiking
neural networks through the variational directed information bottleneck (VDIB).

Our copy of the paper has its sections 3-6 elided; the model, loss and settings are
reconstructed from the authors' code (kclip/VDIB at 86d2e93, kclip/snn), and every module says
which parts are reconstructions.  Modules: :mod:`.blobs` (the drifting-blob stimulus of the
predictive-coding experiment), :mod:`.predictive` (its encoder, decoders and online training),
:mod:`.config`, :mod:`.experiments`, :mod:`.figures` and :mod:`.claims`.  The stochastic-threshold
neurons, their filters and the VDIB loss terms are in the core (:mod:`snnlib.core.glm`).
"""

from __future__ import annotations

from snnlib.book.runner import RunContext, paper_run_context

CHAPTER = "001_vdib"
PAPER = "001_c1f07afb5cf548eb"


def run_context(profile: str, train: bool | str = False) -> RunContext:
    """The chapter's run context (:func:`snnlib.book.runner.paper_run_context`)."""
    return paper_run_context(__name__, CHAPTER, profile, train)
