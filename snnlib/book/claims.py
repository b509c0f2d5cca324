"""Machine-readable reproduction records: paper value versus ours for every headline number.

Each chapter's code writes ``data/results/<chapter>/claims.json``::

    {"paper": "<seed file stem, e.g. 002_beb5750adab34e3c>",
     "claims": [{"id", "what", "paper", "paper_sd", "ours", "ours_sd", "n", "unit",
                 "profile", "source"}, ...]}

``paper``/``ours`` are numbers or null; ``source`` names the paper's table or figure.  The file is
written from measured results by the chapter, never by hand.  Quick-profile claims go to
``data/results/<chapter>/quick/claims.json`` (git-ignored) so that running a chapter quickly can
never overwrite the committed full-profile record.  The per-chapter comparison tables and the
whole-book reproduction page are generated from these files by :func:`claims_table`, with each
claim's status computed by :func:`claim_status`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from snnlib.book.artifacts import atomic_write_json
from snnlib.book.paths import results_root
from snnlib.book.runner import PROFILES
from snnlib.book.tables import markdown_table, mean_sd

FIELDS = ("id", "what", "paper", "paper_sd", "ours", "ours_sd", "n", "unit", "profile", "source")


@dataclass(frozen=True)
class Claim:
    """One headline number of a paper next to our measurement of it."""

    id: str
    what: str
    paper: float | None
    ours: float | None
    source: str
    profile: str
    unit: str = ""
    paper_sd: float | None = None
    ours_sd: float | None = None
    n: int | None = None

    def __post_init__(self) -> None:
        if not self.id or not self.what or not self.source:
            raise ValueError("a claim needs an id, a description and the paper's source")
        if self.profile not in PROFILES:
            raise ValueError(f"claim {self.id}: profile must be one of {PROFILES}")
        for name in ("paper", "paper_sd", "ours", "ours_sd"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float))
                                          and math.isfinite(value)):
                raise ValueError(f"claim {self.id}: {name} must be a finite number or None")

    @property
    def difference(self) -> float | None:
        """ours - paper, where both exist."""
        if self.paper is None or self.ours is None:
            return None
        return self.ours - self.paper


def claims_path(chapter: str, profile: str, root: Path | None = None) -> Path:
    base = (Path(root) if root is not None else results_root()) / chapter
    return base / "claims.json" if profile == "full" else base / profile / "claims.json"


def write_claims(chapter: str, paper: str, claims: Iterable[Claim], profile: str,
                 root: Path | None = None) -> Path:
    """Validate and atomically write a chapter's claims for ``profile``, numbers to
    :data:`STORED_DIGITS` significant digits."""
    claims = list(claims)
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate claim ids in {chapter}: {sorted({i for i in ids if ids.count(i) > 1})}")
    if any(c.profile != profile for c in claims):
        raise ValueError(f"every claim written for profile {profile!r} must carry that profile")
    doc = {"paper": paper, "claims": [{k: _stored(asdict(c)[k]) for k in FIELDS} for c in claims]}
    path = claims_path(chapter, profile, root)
    atomic_write_json(path, doc)
    return path


STORED_DIGITS = 6
"""Significant digits of a number in claims.json: more than any headline number carries, and few
enough that re-deriving a metric on another CPU (an inception score through the classifier moves
its 8th digit) writes the same file."""


def _stored(value):
    return float(f"{value:.{STORED_DIGITS}g}") if isinstance(value, float) else value


def read_claims(chapter: str, profile: str = "full",
                root: Path | None = None) -> tuple[str, list[Claim]]:
    """Return ``(paper stem, claims)`` from a chapter's claims file."""
    doc = json.loads(claims_path(chapter, profile, root).read_text())
    unknown = [set(c) - set(FIELDS) for c in doc["claims"] if set(c) - set(FIELDS)]
    if unknown:
        raise ValueError(f"{chapter} claims.json has unknown fields {unknown}")
    return doc["paper"], [Claim(**c) for c in doc["claims"]]


def all_claims(root: Path | None = None) -> dict[str, tuple[str, list[Claim]]]:
    """Every chapter's full-profile claims, keyed by chapter, in name order."""
    base = Path(root) if root is not None else results_root()
    return {p.parent.name: read_claims(p.parent.name, "full", base)
            for p in sorted(base.glob("*/claims.json"))}


def _fmt(value: float | None, sd: float | None, digits: int, unit: str = "") -> str:
    """A claim's number for its table (:func:`~snnlib.book.tables.mean_sd`, digits grouped), or
    an em dash where there is none."""
    return mean_sd(value, sd, digits, unit, thousands=True) or "—"


# A claim's status, computed from its numbers (never typed): short labels for the table's status
# column, and the phrase each takes in a summary.
WITHIN, OUTSIDE, NO_SPREAD, NO_PAPER_NUMBER, NOT_RUN = "within", "outside", "no spread", "no number", "not run"
STATUSES = {WITHIN: "within the paper's spread", OUTSIDE: "outside it",
            NO_SPREAD: "compared with a paper value that has no spread",
            NO_PAPER_NUMBER: "with no paper number to compare", NOT_RUN: "not run yet"}
STATUS_LEGEND = ("Status: *within* means |ours − paper| ≤ 2 × the paper's sd; *outside*, more than "
                 "that; *no spread*, the paper gives a single number; *no number*, the paper reports "
                 "none (our measurement stands alone).")


def claim_status(claim: Claim) -> str:
    """Where our number stands against the paper's: within its spread (the difference is at most
    twice the paper's sd, a 2-sd band), outside it, or not comparable (the paper gives no number or
    no spread, or we have not run it)."""
    if claim.ours is None:
        return NOT_RUN
    if claim.paper is None:
        return NO_PAPER_NUMBER
    if claim.paper_sd is None:
        return NO_SPREAD
    return WITHIN if abs(claim.difference) <= 2 * claim.paper_sd else OUTSIDE


def status_summary(claims: Iterable[Claim]) -> str:
    """One sentence: how many claims have each status (statuses with none are left out)."""
    statuses = [claim_status(c) for c in claims]
    parts = [f"{statuses.count(status)} {phrase}" for status, phrase in STATUSES.items()
             if statuses.count(status)]
    return f"{len(statuses)} claims: " + ", ".join(parts) + "."


def claims_table(claims: Iterable[Claim], digits: int = 2, *, caption: str | None = None,
                 label: str | None = None) -> str:
    """Markdown: a five-column table (what, paper, ours, ours − paper, status), then a collapsible
    block with each claim's id, sample size, profile and the paper's source for it.  Differences of
    percentages are in percentage points (pp)."""
    claims = list(claims)
    rows, details = [], []
    for c in claims:
        diff = c.difference
        diff_text = "—" if diff is None else ("+" if diff > 0 else "") + _fmt(
            diff, None, digits, "pp" if c.unit == "%" else c.unit)
        rows.append([c.what.replace("/", "/\u200b").replace("_", "_\u200b"),  # a path breaks after / and _
                     _fmt(c.paper, c.paper_sd, digits, c.unit), _fmt(c.ours, c.ours_sd, digits, c.unit),
                     diff_text, claim_status(c)])
        details.append([f"`{c.id}`", c.n if c.n is not None else "—", c.profile, c.source])
    table = markdown_table(["claim", "paper", "ours", "ours − paper", "status"], rows, "lrrrl",
                           caption=caption, label=label)
    detail_table = markdown_table(["claim id", "n", "profile", "paper's source"], details)
    return (f"{table}\n\n{status_summary(claims)} {STATUS_LEGEND}\n\n"
            f"::::{{dropdown}} Claim ids, sample sizes and sources\n{detail_table}\n::::")
