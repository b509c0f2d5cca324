"""Extract paper 002's reference data (stored networks, Fig. 7 curves) from the reference repository.

``danielgafni/Bachelor`` keeps every network the authors trained under ``networks/<id>/`` with
its ``parameters.json`` and ``score.json`` (accuracy of each readout on 10 000 test images); this
script lists them, one record per network, in
``data/reference/002_competition/stored_networks.json`` (the chapter takes each row's best stored
setting and the spread of the authors' search from it: ``snnlib.papers.p002_competition.reference``).

``danielgafni/Bachelor`` keeps the figure's three panels as pickled plotly figures
(``misc/{LC,C,FC}_SNN-learning-curve.pt``: accuracy of each readout every 250 training
iterations, with error bars).  This script reads them from a clone of that repository (no plotly
needed: the figure classes are read as plain records) and writes their numbers, with the file and
commit they come from, to ``data/reference/002_competition/learning_curves.json``, which the
chapter overlays on its own curves (``snnlib.papers.p002_competition.reference.reference_curves``)::

    git clone https://github.com/danielgafni/Bachelor /tmp/Bachelor
    .venv/bin/python tools/extract_reference_data.py /tmp/Bachelor
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import torch

from snnlib.book.artifacts import atomic_write_json
from snnlib.book.paths import project_root

COMMIT = "1ee7ca82af22000defd89f904fea417345600c1d"
FILES = {  # panel -> (file, Table 2 row of the same network: paper Fig. 7 is drawn for 100 channels,
           # kernel 12 for the LCSNN and 8 for the CSNN)
    "LCSNN": ("misc/LC_SNN-learning-curve.pt", 2),
    "CSNN": ("misc/C_SNN-learning-curve.pt", 9),
    "FCSNN": ("misc/FC_SNN-learning-curve.pt", 12),
}
OUTPUT = Path("data/reference/002_competition")
PARAMETERS = ("network_type", "n_filters", "kernel_size", "stride", "mean_weight", "c_w", "c_l", "n_iter")


class _Record:
    """Stands in for a plotly class while unpickling: keeps the constructor arguments."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def __setstate__(self, state):
        self.args = (state,)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.split(".")[0] in ("plotly", "bindsnet"):
            return type(name, (_Record,), {})
        return super().find_class(module, name)


class _Any(_Record):
    """Stands in for a pickled BindsNET object: keeps its state, answers any other attribute."""

    def __setattr__(self, key, value):
        self.__dict__[key] = value

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        return lambda *args, **kwargs: None


class _NetworkUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.split(".")[0] in ("bindsnet", "thesis"):
            return type(name, (_Any,), {})
        return super().find_class(module, name)


def _state(obj) -> dict:
    return obj.__dict__.get("args", (obj.__dict__,))[0] if "args" in obj.__dict__ else obj.__dict__


def stored_refractory(repository: str, name: str, directory: Path) -> float | None:
    """The Y layer's refractory period of the pickled network ``networks/<name>/network``
    (``None`` if it has none or cannot be read)."""
    path = directory / "network"
    try:
        path.write_bytes(_git(repository, "show", f"{COMMIT}:networks/{name}/network"))
        module = types.ModuleType("bindsnet_free_pickle")
        module.Unpickler, module.load = _NetworkUnpickler, pickle.load
        network = torch.load(path, weights_only=False, pickle_module=module, map_location="cpu")
        y_layer = _state(network)["_modules"]["Y"]
        return float(_state(y_layer)["_buffers"]["refrac"])
    except Exception:  # an unreadable or differently structured pickle: no value
        return None


def read_figure(path: Path) -> dict:
    """The plotly figure dict (``data``, ``layout``) pickled in ``path``."""
    module = types.ModuleType("plotly_free_pickle")
    module.Unpickler, module.load = _Unpickler, pickle.load
    return torch.load(path, weights_only=False, pickle_module=module).args[0]


def _git(repository: str, *args: str) -> bytes:
    return subprocess.run(["git", "-C", repository, *args], check=True, capture_output=True).stdout


def _json(text: bytes):
    """Parse the repository's JSON, which writes infinities as ``Infinity``."""
    return json.loads(text, parse_constant=lambda c: {"Infinity": math.inf, "-Infinity": -math.inf}.get(c))


def stored_networks(repository: str) -> list[dict]:
    """One record per ``networks/<id>/`` holding both a ``parameters.json`` and a ``score.json``:
    the id, the parameters of :data:`PARAMETERS`, the Y layer's refractory period read from the
    pickled network, and each readout's stored accuracy."""
    names = _git(repository, "ls-tree", "-d", "--name-only", f"{COMMIT}:networks").decode().split()
    records = []
    tmp = tempfile.TemporaryDirectory()
    for name in sorted(names):
        try:
            parameters = _json(_git(repository, "show", f"{COMMIT}:networks/{name}/parameters.json"))
            scores = _json(_git(repository, "show", f"{COMMIT}:networks/{name}/score.json"))
        except (subprocess.CalledProcessError, json.JSONDecodeError):
            continue
        if not isinstance(parameters, dict) or not isinstance(scores, dict):
            continue
        records.append({"id": name, **{k: parameters.get(k) for k in PARAMETERS},
                        "refrac": stored_refractory(repository, name, Path(tmp.name)),
                        "scores": {k: v["accuracy"] for k, v in scores.items()
                                   if isinstance(v, dict) and "accuracy" in v}})
    tmp.cleanup()
    return records


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repository", help="a clone (or bare git directory) of danielgafni/Bachelor")
    args = parser.parse_args(argv)
    panels = {}
    with tempfile.TemporaryDirectory() as tmp:
        for panel, (name, row) in FILES.items():
            blob = subprocess.run(["git", "-C", args.repository, "show", f"{COMMIT}:{name}"],
                                  check=True, capture_output=True).stdout
            path = Path(tmp) / Path(name).name
            path.write_bytes(blob)
            figure = read_figure(path)
            panels[panel] = {
                "file": name, "row": row, "title": figure["layout"]["title"]["text"],
                "readouts": {trace["name"]: {"iterations": list(trace["x"]), "accuracy": list(trace["y"]),
                                             "error": list(trace["error_y"]["array"])}
                             for trace in figure["data"]}}
    source = {"repository": "danielgafni/Bachelor", "commit": COMMIT,
              "extracted_by": "tools/extract_reference_data.py"}
    out = project_root() / OUTPUT
    atomic_write_json(out / "learning_curves.json", {"source": source, "panels": panels})
    networks = stored_networks(args.repository)
    atomic_write_json(out / "stored_networks.json",
                      {"source": dict(source, files="networks/<id>/parameters.json, networks/<id>/score.json"),
                       "networks": networks})
    print(f"wrote {out}/learning_curves.json and {out}/stored_networks.json ({len(networks)} networks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
