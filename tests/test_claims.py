"""Reproduction records (claims.json) and the tables generated from them."""

import json

import pytest

from snnlib.book.claims import (Claim, all_claims, claim_status, claims_path, claims_table, read_claims,
                                write_claims)


def _claims(profile="full"):
    return [Claim("table2.row5.linear", "LCSNN 25ch k12, linear readout", paper=85.5, paper_sd=0.8,
                  ours=83.25, ours_sd=1.1, n=5, unit="%", profile=profile, source="Table 2"),
            Claim("table2.row1.linear", "LCSNN 1000ch (not run: cost)", paper=95.1, ours=None, unit="%",
                  profile=profile, source="Table 2")]


def test_round_trip_and_format(tmp_path):
    path = write_claims("p002", "002_beb5750adab34e3c", _claims(), "full", root=tmp_path)
    assert path == tmp_path / "p002" / "claims.json"
    doc = json.loads(path.read_text())
    assert doc["paper"] == "002_beb5750adab34e3c"
    assert list(doc["claims"][0]) == ["id", "what", "paper", "paper_sd", "ours", "ours_sd", "n",
                                      "unit", "profile", "source"]
    assert doc["claims"][1]["ours"] is None
    stem, claims = read_claims("p002", root=tmp_path)
    assert stem == "002_beb5750adab34e3c" and claims == _claims()
    assert claims[0].difference == pytest.approx(-2.25)
    assert claims[1].difference is None


def test_numbers_are_stored_to_six_significant_digits(tmp_path):
    """So that float noise (84.39999999999999, or a metric re-derived on another CPU that moves its
    8th digit) neither shows in the file nor changes it."""
    def claim(ours, sd):
        return Claim("a", "x", paper=91.89, ours=ours, ours_sd=sd, n=3, unit="%", profile="full", source="T")

    first = write_claims("c", "p", [claim(84.39999999999999, 0.123456789)], "full", root=tmp_path).read_text()
    doc = json.loads(first)["claims"][0]
    assert (doc["ours"], doc["ours_sd"], doc["paper"], doc["n"]) == (84.4, 0.123457, 91.89, 3)
    second = write_claims("c", "p", [claim(84.40000003, 0.1234571)], "full", root=tmp_path).read_text()
    assert second == first


def test_quick_claims_never_overwrite_the_full_record(tmp_path):
    write_claims("p002", "002", _claims("full"), "full", root=tmp_path)
    quick = write_claims("p002", "002", _claims("quick"), "quick", root=tmp_path)
    assert quick == claims_path("p002", "quick", tmp_path) != claims_path("p002", "full", tmp_path)
    assert read_claims("p002", "full", tmp_path)[1][0].profile == "full"
    assert list(all_claims(tmp_path)) == ["p002"]


def test_invalid_claims_are_refused(tmp_path):
    with pytest.raises(ValueError, match="duplicate"):
        write_claims("c", "p", _claims() + _claims()[:1], "full", root=tmp_path)
    with pytest.raises(ValueError, match="carry that profile"):
        write_claims("c", "p", _claims("quick"), "full", root=tmp_path)
    with pytest.raises(ValueError, match="finite"):
        Claim("x", "y", paper=float("nan"), ours=1.0, profile="full", source="s")
    with pytest.raises(ValueError, match="profile"):
        Claim("x", "y", paper=1.0, ours=1.0, profile="medium", source="s")


def test_table_shows_paper_ours_difference_in_pp_and_a_status():
    text = claims_table(_claims())
    table = text.splitlines()
    assert table[0] == "| claim | paper | ours | ours − paper | status |"
    assert table[2] == ("| LCSNN 25ch k12, linear readout | 85.50 ± 0.80 % | 83.25 ± 1.10 % | -2.25 pp "
                        "| outside |").replace(" ± ", "\u00a0±\u00a0").replace(
                            " %", "\u00a0%").replace(" pp", "\u00a0pp")
    assert table[3] == "| LCSNN 1000ch (not run: cost) | 95.10\u00a0% | — | — | not run |"
    assert "2 claims: 1 outside it, 1 not run yet." in text and "*within* means" in text
    assert "| `table2.row5.linear` | 5 | full | Table 2 |" in text and "{dropdown}" in text


@pytest.mark.parametrize("ours, paper, paper_sd, status", [
    (84.0, 85.5, 0.8, "within"),  # |-1.5| <= 1.6
    (83.8, 85.5, 0.8, "outside"),  # |-1.7| > 1.6
    (83.8, 85.5, None, "no spread"),
    (83.8, None, None, "no number"),
    (None, 85.5, 0.8, "not run"),
])
def test_claim_status_uses_twice_the_papers_sd(ours, paper, paper_sd, status):
    claim = Claim("c", "w", paper=paper, paper_sd=paper_sd, ours=ours, profile="full", source="s")
    assert claim_status(claim) == status


def test_a_small_sd_is_shown_with_a_significant_digit():
    small = Claim("is", "pooled inception score", paper=None, ours=1.7055, ours_sd=0.0005,
                  profile="full", source="s")
    row = claims_table([small], digits=1).splitlines()[2]
    assert "| 1.7055\u00a0±\u00a00.0005 |" in row
    plain = Claim("acc", "accuracy", paper=None, ours=89.60, ours_sd=0.2, profile="full", source="s")
    assert "| 89.60\u00a0±\u00a00.20 |" in claims_table([plain], digits=2).splitlines()[2]


def test_a_long_file_name_in_a_claim_may_break_after_slashes_and_underscores():
    claim = Claim("speed.x", "timed by benchmarks/s4nn_vs_numpy_port.py", paper=None, ours=5.0, unit="×",
                  profile="full", source="benchmark")
    assert "benchmarks/\u200bs4nn_\u200bvs_\u200bnumpy_\u200bport.py" in claims_table([claim])
