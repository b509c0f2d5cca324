"""Paper 002 (Gafni, Demin & Nekhaev): competition in locally connected spiking networks.

Modules: :mod:`.network` (the simulator), :mod:`.readouts` (votes and readouts),
:mod:`.reference` (the paper's numbers), :mod:`.config` (profiles and per-experiment
configurations), :mod:`.experiments` (the protocols), :mod:`.analysis` (derived numbers and
generated text), :mod:`.figures` and :mod:`.claims`.
"""

from __future__ import annotations

from snnlib.book.runner import RunContext

CHAPTER = "002_competition"
PAPER = "002_beb5750adab34e3c"


def run_context(profile: str, train: bool | str = False) -> RunContext:
    """The chapter's run context: seed 0; the code fingerprint covers the protocols in
    :mod:`.experiments` and the library code they import (not the figures, analysis or claims,
    which compute nothing stored in an artifact)."""
    return RunContext(CHAPTER, profile, train, seed=0, code=(f"{__name__}.experiments",))
