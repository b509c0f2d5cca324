"""The shape of the code base: layers, chapters as narrative, equation <-> function <-> test.

* Layers: ``snnlib.core`` (paper-agnostic mechanisms) imports no other part of the library;
  ``snnlib.book`` (paths, artifacts, runner, claims, data, the shared digit classifier, tables)
  imports only the core and itself; each ``snnlib.papers.<paper>`` package imports the core and
  the book layer, never another paper's package.
* Chapters hold prose, equations, figures and calls: at most 600 lines each, and no protocol
  (no experiment is opened, stepped or finished in a chapter; that is library code with tests).
* Every equation label of a chapter (``$$ ... $$ (eq-...)``) is named in the docstring of the
  library function that implements it and in the test that pins it.
"""

import ast
import re
from pathlib import Path

import pytest

from snnlib.book.runner import snnlib_imports

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "snnlib"
CHAPTERS = sorted((ROOT / "chapters").glob("*.py"))
MAX_CHAPTER_LINES = 600


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2:
        return "snnlib"
    if parts[1] == "papers":
        return ".".join(parts[:3])
    return ".".join(parts[:2])


MODULES = sorted(LIBRARY.rglob("*.py"))


def test_the_library_has_the_three_layers():
    layers = {_layer(_module_name(p)) for p in MODULES}
    assert {"snnlib.core", "snnlib.book"} <= layers
    assert sum(layer.startswith("snnlib.papers.") for layer in layers) >= 2
    assert layers <= {"snnlib", "snnlib.core", "snnlib.book", "snnlib.papers"} | {
        layer for layer in layers if layer.startswith("snnlib.papers.")}


def _violations(name: str, source: str) -> list[str]:
    layer = _layer(name)
    allowed = {
        "snnlib.core": {"snnlib.core"},
        "snnlib.book": {"snnlib.core", "snnlib.book"},
        "snnlib": {"snnlib"},
    }.get(layer, {"snnlib.core", "snnlib.book", layer, "snnlib.papers"})
    return sorted(f"{name} ({layer}) imports {imported}"
                  for imported in snnlib_imports(name, source) if _layer(imported) not in allowed)


@pytest.mark.parametrize("path", MODULES, ids=[_module_name(p) for p in MODULES])
def test_imports_follow_the_layers(path):
    assert _violations(_module_name(path), path.read_text()) == []


def test_layering_check_catches_upward_and_sideways_imports():
    assert _violations("snnlib.core.neurons", "from snnlib.book import runner") != []
    assert _violations("snnlib.core.neurons", "from ..papers.p002_competition import network") != []
    assert _violations("snnlib.book.claims", "import snnlib.papers.p003_spiking_gan.s4nn") != []
    assert _violations("snnlib.papers.p002_competition.network",
                       "from snnlib.papers.p003_spiking_gan import spiking_gan") != []
    assert _violations("snnlib.papers.p002_competition.network",
                       "from .readouts import vote_all\nfrom snnlib.core import stdp\n"
                       "from snnlib.book.runner import RunContext") == []


@pytest.mark.parametrize("source", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_is_narrative_and_calls(source):
    text = source.read_text()
    assert len(text.splitlines()) <= MAX_CHAPTER_LINES, f"{source.name} is longer than {MAX_CHAPTER_LINES} lines"
    for protocol in ("Experiment(", ".steps(", ".finish(", ".experiment("):
        assert protocol not in text, f"{source.name} runs a protocol itself ({protocol!r}); move it to snnlib"


def _equation_labels() -> dict[str, str]:
    labels = {}
    for source in CHAPTERS:
        for label in re.findall(r"^# \$\$ \((eq-[A-Za-z0-9-]+)\)\s*$", source.read_text(), re.M):
            assert label not in labels, f"equation label {label} defined twice"
            labels[label] = source.stem
    return labels


def _docstrings() -> str:
    texts = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                texts.append(ast.get_docstring(node) or "")
    return "\n".join(texts)


def _test_sources() -> str:
    return "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py")
                     if p.name != Path(__file__).name)


LABELS = _equation_labels()


def test_chapters_number_their_equations():
    assert len(LABELS) >= 10


@pytest.mark.parametrize("label", sorted(LABELS), ids=sorted(LABELS))
def test_every_equation_has_a_function_and_a_test(label):
    cited = re.compile(rf"\b{re.escape(label)}\b")
    if not cited.search(_docstrings()):
        pytest.fail(f"no snnlib docstring names {label} (chapter {LABELS[label]})")
    if not cited.search(_test_sources()):
        pytest.fail(f"no test names {label} (chapter {LABELS[label]})")
