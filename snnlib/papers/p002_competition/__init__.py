"""Paper 002 (Gafni, Demin & Nekhaev): competition in locally connected spiking networks.

Modules: :mod:`.network` (the simulator), :mod:`.readouts` (votes and readouts),
:mod:`.reference` (the paper's numbers), :mod:`.config` (profiles and per-experiment
configurations), :mod:`.experiments` (the protocols), :mod:`.analysis` (derived numbers and
generated text), :mod:`.figures` and :mod:`.claims`.
"""

from __future__ import annotations

from snnlib.book.runner import RunContext, paper_run_context

CHAPTER = "002_competition"
PAPER = "002_beb5750adab34e3c"


def run_context(profile: str, train: bool | str = False) -> RunContext:
    """The chapter's run context (:func:`snnlib.book.runner.paper_run_context`)."""
    return paper_run_context(__name__, CHAPTER, profile, train)
