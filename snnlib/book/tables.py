"""Markdown tables for the book's generated pages.

Every table a chapter shows is built here from rows of values, so that its cells are formatted
the same way everywhere (``89.6 ± 0.2`` in one cell, ``not run`` for a missing number).
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

__all__ = ["NBSP", "count", "markdown_table", "mean_sd", "sd_digits"]


def _cell(value: Any) -> str:
    if value is None:
        return "not run"
    return str(value).replace("|", "\\|").replace("\n", " ")


def count(n: int) -> str:
    """An integer with its thousands set off by a space, as in the book's prose (``60 000``)."""
    return f"{n:,}".replace(",", " ")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]],
                   align: str | None = None, *, caption: str | None = None,
                   label: str | None = None) -> str:
    """A Markdown table; ``align`` has one of ``l``, ``r``, ``c`` per column (default: left).

    ``None`` cells read "not run"; ``|`` inside a cell is escaped.  With a ``caption`` the table
    is wrapped in MyST's ``table`` directive, so that the book numbers it ("Table N") and
    ``label`` (e.g. ``tab-002-table2``) makes it citable as ``{numref}`tab-002-table2```."""
    header = list(header)
    marks = {"l": "---", "r": "--:", "c": ":-:"}
    align = align or "l" * len(header)
    if len(align) != len(header):
        raise ValueError(f"align has {len(align)} marks for {len(header)} columns")
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |",
             "|" + "|".join(marks[a] for a in align) + "|"]
    for row in rows:
        row = list(row)
        if len(row) != len(header):
            raise ValueError(f"row {row!r} has {len(row)} cells for {len(header)} columns")
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if caption is None:
        if label is not None:
            raise ValueError("a table label needs a caption")
        return "\n".join(lines)
    return "\n".join([f":::{{table}} {caption}", *([f":name: {label}"] if label else []), *lines, ":::"])


NBSP = "\u00a0"  # a no-break space: a number and its spread never wrap over lines


def sd_digits(sd: float | None, digits: int) -> int:
    """At least ``digits`` decimals, and enough that a nonzero ``sd`` shows a significant digit
    (0.05 with ``digits=1`` -> 2): a spread is never printed as a bare "± 0"."""
    if sd is None or sd <= 0 or not math.isfinite(sd):
        return digits
    return max(digits, -math.floor(math.log10(sd)))


def mean_sd(mean: float | None, sd: float | None = None, digits: int = 1, unit: str = "", *,
            thousands: bool = False) -> str | None:
    """``"89.6 ± 0.2"`` (or ``"89.6"`` without an sd), joined by no-break spaces so that a table
    cell never wraps it; ``unit`` is appended the same way; more decimals where the sd needs them
    (:func:`sd_digits`: ``9.30 ± 0.05``); ``thousands`` groups digits (``173,745.0``).  ``None``
    for a missing mean."""
    if mean is None:
        return None
    spec = f"{',' if thousands else ''}.{sd_digits(sd, digits)}f"
    text = format(mean, spec) + ("" if sd is None else f"{NBSP}±{NBSP}{format(sd, spec)}")
    return text + (f"{NBSP}{unit}" if unit else "")
