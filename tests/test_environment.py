"""pyproject.toml and environment.yml must describe the same pinned environment."""

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import pins  # noqa: E402


def test_environment_yml_and_pyproject_agree():
    ours, conda = pins.pyproject_pins(), pins.environment_pins()
    assert set(ours) == set(conda), f"only in pyproject: {set(ours) - set(conda)}; " \
                                    f"only in environment.yml: {set(conda) - set(ours)}"
    disagree = {name: (ours[name], conda[name]) for name in ours if ours[name] != conda[name]}
    assert not disagree, f"pins differ (pyproject, environment.yml): {disagree}"


def test_torch_and_jupyter_book_pins():
    ours = pins.pyproject_pins()
    assert ours["torch"] == "2.13.0"
    assert int(ours["jupyter-book"].split(".")[0]) < 2


def test_unpinned_requirement_is_rejected():
    with pytest.raises(ValueError, match="not pinned"):
        pins.parse_pins(["numpy>=2"])
    assert pins.parse_pins(["Scikit_Learn==1.9.1"]) == {"scikit-learn": "1.9.1"}


def test_mismatch_is_detected(tmp_path):
    text = (pins.ROOT / "environment.yml").read_text().replace("numpy==2.4.6", "numpy==2.4.5")
    (tmp_path / "environment.yml").write_text(text)
    assert pins.environment_pins(tmp_path / "environment.yml")["numpy"] == "2.4.5"


def test_citation_file_matches_the_package():
    cff = yaml.safe_load((pins.ROOT / "CITATION.cff").read_text())
    project = pins.pyproject()["project"]
    assert cff["version"] == project["version"] and cff["license"] == project["license"]
    assert (pins.ROOT / "LICENSE").read_text().startswith(f"{project['license']} License")
