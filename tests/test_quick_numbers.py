"""The quick profile's key numbers, pinned with stated tolerances.

Under `make test` nbval first runs every chapter from its current source in the quick profile;
each writes its quick claims (data/results/<chapter>/quick/claims.json). These tests, collected
last (tests/conftest.py), compare them with tests/expected/quick_numbers.json. After an intended
change, `make expected` re-runs the chapters and rewrites the values (keeping the tolerances):
review that diff.
"""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import quick_numbers  # noqa: E402

from snnlib.book.claims import Claim  # noqa: E402
from snnlib.book.paths import results_root  # noqa: E402

EXPECTED = json.loads(quick_numbers.EXPECTED.read_text())


@pytest.mark.parametrize("chapter", sorted(EXPECTED))
def test_quick_numbers_are_within_their_tolerance(chapter):
    path = results_root() / chapter / "quick" / "claims.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: the chapters' quick runs write it (`make test` runs them first)")
    claims = quick_numbers.quick_claims(results_root())[chapter]
    assert quick_numbers.compare(chapter, claims, EXPECTED[chapter]) == []


def test_compare_reports_drift_missing_and_unpinned_numbers():
    def claim(cid, ours, unit="%"):
        return Claim(cid, "a number", paper=None, ours=ours, source="t", profile="quick", unit=unit)

    expected = {"a": {"value": 80.0, "tolerance": 3.0, "unit": "%"},
                "b": {"value": 1.0, "tolerance": 0.1, "unit": ""}}
    assert quick_numbers.compare("ch", [claim("a", 82.9), claim("b", 1.05, "")], expected) == []
    problems = quick_numbers.compare("ch", [claim("a", 76.9), claim("c", 5.0), claim("d", None)], expected)
    assert len(problems) == 3
    assert "a = 76.9, expected 80 ± 3 %" in problems[2] and "b is expected" in problems[0]
    assert "c = 5 has no expected value" in problems[1]
    assert quick_numbers.default_tolerance(50.0, "%") == 3.0
    assert quick_numbers.default_tolerance(2.0, "×") == 0.2
