"""Read the pinned packages of pyproject.toml and environment.yml.

``python tools/pins.py offline-data`` prints the pins installed with ``--no-deps`` (used by the
Makefile); ``tests/test_environment.py`` uses the functions to check that both files agree.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)\s*$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(requirements: list[str]) -> dict[str, str]:
    """``{"name": "version"}`` from ``name==version`` strings; anything unpinned is an error."""
    pins = {}
    for requirement in requirements:
        match = PIN.match(requirement)
        if not match:
            raise ValueError(f"not pinned exactly: {requirement!r}")
        pins[normalise(match[1])] = match[2]
    return pins


def pyproject(path: Path = ROOT / "pyproject.toml") -> dict:
    return tomllib.loads(path.read_text())


def pyproject_pins(path: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """Every package the project installs: dependencies, all extras and the --no-deps data pins."""
    doc = pyproject(path)
    requirements = list(doc["project"]["dependencies"])
    for extra in doc["project"].get("optional-dependencies", {}).values():
        requirements += extra
    requirements += doc["tool"]["snn-companion"]["offline-data"]
    return parse_pins(requirements)


def environment_pins(path: Path = ROOT / "environment.yml") -> dict[str, str]:
    """The pip pins of environment.yml plus the ``--no-deps`` pins named in its comments."""
    doc = yaml.safe_load(path.read_text())
    pip_section = next(d["pip"] for d in doc["dependencies"] if isinstance(d, dict) and "pip" in d)
    requirements = [r for r in pip_section if not r.startswith("-")]
    no_deps = re.findall(r"pip install --no-deps (\S+==\S+)", path.read_text())
    return parse_pins(requirements + no_deps)


if __name__ == "__main__":
    if sys.argv[1:] == ["offline-data"]:
        print(" ".join(pyproject()["tool"]["snn-companion"]["offline-data"]))
    else:
        sys.exit("usage: python tools/pins.py offline-data")
