"""Pin the quick profile's key numbers: every number a chapter's quick run writes to its claims
file, with a stated tolerance, in ``tests/expected/quick_numbers.json``.

    python tools/quick_numbers.py update     # after `make expected` ran the chapters quickly

``update`` reads every ``data/results/<chapter>/quick/claims.json`` and writes the expected file:
each claim with a number gets ``{"value": ..., "tolerance": ..., "unit": ...}``.  A tolerance
already in the file is kept (it is the reviewed part); a new claim gets :func:`default_tolerance`.
``tests/test_quick_numbers.py`` compares a fresh quick run with the file (:func:`compare`).

A tolerance wider than the default is set by hand where a quick number was seen to move more from
one machine to another: chapter 001's MNIST reconstruction accuracies (``mnist.*.conv.*.acc``,
200 test images, one binomial standard deviation about 3.5 points) moved by up to 3.5 points
between an Intel and an AMD machine on the same code, so theirs is 7 points (about two standard
deviations; a broken decoder scores near chance, 10 %).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from snnlib.book.claims import Claim, read_claims
from snnlib.book.paths import project_root, results_root

EXPECTED = project_root() / "tests" / "expected" / "quick_numbers.json"


def default_tolerance(value: float, unit: str) -> float:
    """3 points for a percentage (a quick run scores a few hundred images, so one machine's float
    rounding can flip a handful of decisions); otherwise 10 % of the value (at least 0.01)."""
    if unit == "%":
        return 3.0
    return max(round(abs(value) * 0.1, 4), 0.01)


def quick_claims(root: Path) -> dict[str, list[Claim]]:
    """Every chapter's quick-profile claims under the results root ``root``."""
    return {path.parent.parent.name: read_claims(path.parent.parent.name, "quick", root)[1]
            for path in sorted(root.glob("*/quick/claims.json"))}


def pinned(claims: list[Claim]) -> dict[str, Claim]:
    return {c.id: c for c in claims if c.ours is not None}


def compare(chapter: str, claims: list[Claim], expected: dict[str, dict]) -> list[str]:
    """What differs between a chapter's quick claims and its expected numbers (empty: all good)."""
    numbers = pinned(claims)
    problems = [f"{chapter}: {cid} is expected but the quick run wrote no number for it"
                for cid in sorted(set(expected) - set(numbers))]
    problems += [f"{chapter}: {cid} = {numbers[cid].ours:g} has no expected value; run "
                 "`make expected` and review the diff" for cid in sorted(set(numbers) - set(expected))]
    for cid in sorted(set(numbers) & set(expected)):
        want, got = expected[cid], numbers[cid].ours
        if abs(got - want["value"]) > want["tolerance"]:
            problems.append(f"{chapter}: {cid} = {got:g}, expected {want['value']:g} "
                            f"± {want['tolerance']:g} {want['unit']}".rstrip())
    return problems


def update(root: Path) -> None:
    old = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}
    new = {}
    for chapter, claims in quick_claims(root).items():
        new[chapter] = {}
        for cid, claim in pinned(claims).items():
            kept = old.get(chapter, {}).get(cid, {}).get("tolerance")
            new[chapter][cid] = {"value": round(claim.ours, 4), "unit": claim.unit,
                                 "tolerance": kept if kept is not None else
                                 default_tolerance(claim.ours, claim.unit)}
    EXPECTED.parent.mkdir(parents=True, exist_ok=True)
    EXPECTED.write_text(json.dumps(new, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {EXPECTED.relative_to(project_root())}: "
          + ", ".join(f"{chapter} {len(ids)}" for chapter, ids in new.items()))


if __name__ == "__main__":
    if sys.argv[1:] != ["update"]:
        sys.exit(__doc__)
    update(results_root())
