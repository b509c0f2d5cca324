"""Provenance lines under the book's figures, so that a reader who cites a figure can say what
made it and regenerate it.

:func:`figure_provenance` returns a short Markdown block (a ``figure-provenance`` container,
which ``tools/check_book.py`` requires under every figure): the artifacts the figure is drawn from
(their folder, a hash of their config and seed, the commit that made them and whether the library
code behind them has changed since) and the one command that regenerates them; or, for a figure
drawn from the library's code alone, the function that draws it.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Sequence

from snnlib.book.artifacts import read_artifact, to_jsonable
from snnlib.book.paths import project_root
from snnlib.book.runner import RunContext, code_status, short_commit

__all__ = ["config_hash", "figure_provenance", "name_patterns", "regenerate_command"]


def config_hash(provenance: dict) -> str:
    """The first 8 hex digits of the sha256 of an artifact's config and seed (its identity)."""
    identity = json.dumps(to_jsonable({"config": provenance["config"], "seed": provenance["seed"]}),
                          sort_keys=True)
    return hashlib.sha256(identity.encode()).hexdigest()[:8]


def name_patterns(names: Sequence[str]) -> list[str]:
    """``names`` with each run of names that differ only in a trailing number written as one shell
    pattern (``gan_ann_digit0`` ... ``gan_ann_digit9`` -> ``gan_ann_digit*``), in first-seen order."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(re.sub(r"\d+$", "*", name), []).append(name)
    return [pattern if len(members) > 1 else members[0] for pattern, members in groups.items()]


def regenerate_command(chapter: str, profile: str, names: Sequence[str]) -> str:
    """The command that re-runs the experiments ``names`` of ``chapter`` (and re-executes it)."""
    if profile == "quick":
        return f"python tools/execute_chapters.py --profile quick --force --out /tmp/quick {chapter}"
    return (f"python tools/execute_chapters.py --profile full --train-only "
            f"'{','.join(name_patterns(names))}' --force --out book/executed {chapter}")


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(project_root()))
    except ValueError:
        return str(path)


def figure_provenance(ctx: RunContext | None, names: Sequence[str] = (), *,
                      drawn_by: str | None = None) -> str:
    """A Markdown ``figure-provenance`` block for a figure drawn from the artifacts ``names`` of
    ``ctx``'s chapter and profile (those that exist), or from code alone (``drawn_by``, e.g.
    ``"snnlib.papers.p002_competition.figures.stdp_windows"``; then ``ctx`` may be ``None``).

    Up to three artifacts are described one by one; more are summarised (their folder, names as
    patterns, the commits and code status they share) with the details in a collapsible block."""
    if names and ctx is None:
        raise ValueError("artifact names need the chapter's run context")
    described, missing = [], []
    for name in names:
        directory = ctx.artifact_directory(name)
        if (directory / "metrics.json").exists():
            prov = read_artifact(directory, arrays=False, weights=False).provenance
            described.append((name, directory, prov))
        else:
            missing.append(name)
    parts = []
    if len(described) <= 3:
        parts += [f"`{_relative(directory)}` (config {config_hash(prov)}, commit "
                  f"{short_commit(prov.get('git_commit', '?'))}, code {code_status(prov)})"
                  for _, directory, prov in described]
    else:
        commits = sorted({short_commit(prov.get("git_commit", "?")) for _, _, prov in described})
        codes = sorted({code_status(prov) for _, _, prov in described})
        folder = _relative(described[0][1].parent)
        parts.append(f"{len(described)} artifacts in `{folder}/`: "
                     + ", ".join(f"`{p}`" for p in name_patterns([n for n, _, _ in described]))
                     + f" (commits {', '.join(commits)}; code {', '.join(codes)})")
    if missing:
        parts.append(", ".join(f"`{p}`" for p in name_patterns(missing)) + ": not run in this profile")
    if drawn_by:
        parts.append(f"drawn by `{drawn_by}` from the library's code; no trained artifact")
    if not parts:
        raise ValueError("a figure's provenance needs artifact names or drawn_by")
    text = "**Source:** " + "; ".join(parts)
    if described:
        text += (f". **Regenerate:** `{regenerate_command(ctx.chapter, ctx.profile, [n for n, _, _ in described])}`")
    if len(described) > 3:
        rows = "\n".join(f"* `{name}`: config {config_hash(prov)}, commit "
                          f"{short_commit(prov.get('git_commit', '?'))}, code {code_status(prov)}"
                          for name, _, prov in described)
        text += f"\n\n::::{{dropdown}} Each artifact\n{rows}\n::::"
    return f":::::{{container}} figure-provenance\n{text}\n:::::"
