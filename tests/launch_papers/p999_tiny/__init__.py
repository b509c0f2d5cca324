"""A tiny 'paper': two counting experiments and one that depends on the first one's result.

Setting ``TINY_KILL_AT=<name>:<step>`` (with ``TINY_KILL_MARKER``, a file path) kills the process
that runs that step, once, as a killed worker would die; the runner's checkpoint survives it.
"""

from snnlib.book.runner import RunContext

CHAPTER = "999_tiny"
PAPER = "999"


def run_context(profile, train=False):
    return RunContext(CHAPTER, profile, train, seed=0, code=("snnlib.book.runner",))
