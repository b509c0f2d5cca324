"""Execute the book's chapters (Jupytext py:percent files in chapters/) with papermill.

    python tools/execute_chapters.py --profile full  --out book/executed    # what `make book` runs
    python tools/execute_chapters.py --notebooks-only --out .build/chapters     # what `make test` runs

Each chapter's ``parameters`` cell receives ``profile`` and, if it has one, ``train``.  In the
full profile a chapter renders its committed full-profile artifacts; what has none is shown as
pending, unless ``--train`` is given: then it is trained (hours; checkpointed, resumable) and its
artifacts are written for committing; ``--train-only 'clf400_*,norm_pilot'`` trains only the
experiments whose names match (to run parts of a chapter in parallel processes).  The quick
profile always trains from scratch.  A notebook is re-executed only when its inputs changed: the chapter
source, the snnlib sources, the chapter's committed results and the profile are hashed into the
notebook's metadata (Jupyter Book's own cache hashes only code cells, which would miss a change in
snnlib).  ``--force`` re-executes regardless.  ``--notebooks-only`` writes the chapters as
unexecuted notebooks (their default parameters are the quick profile) for nbval to run under
``make test``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
import papermill

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def paper_chapters() -> list[str]:
    """The chapters of the paper packages (``snnlib.papers.*``: those that train and write claims)."""
    import importlib
    import pkgutil

    import snnlib.papers
    return sorted(importlib.import_module(f"snnlib.papers.{info.name}").CHAPTER
                  for info in pkgutil.iter_modules(snnlib.papers.__path__))


def chapter_sources(names: list[str] | None = None) -> list[Path]:
    paths = sorted(CHAPTERS.glob("*.py"))
    if names:
        paths = [p for p in paths if p.stem in names]
        missing = set(names) - {p.stem for p in paths}
        if missing:
            sys.exit(f"no such chapter(s): {sorted(missing)}")
    return paths


def to_notebook(source: Path) -> nbformat.NotebookNode:
    """The chapter as an unexecuted notebook with a python3 kernel spec."""
    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata["kernelspec"] = KERNEL
    nb.metadata.pop("jupytext", None)
    return nb


def input_hash(source: Path, profile: str, train: bool | str) -> str:
    digest = hashlib.sha256(f"{profile}/train={train}".encode())
    inputs = [source, *sorted((ROOT / "snnlib").rglob("*.py"))]
    results = ROOT / "data" / "results" / source.stem
    if profile == "full" and results.exists():
        inputs += sorted(p for p in results.rglob("*") if p.is_file() and "quick" not in p.parts)
    inputs += sorted((ROOT / "data" / "results").glob("*/claims.json"))  # the reproduction page
    for path in inputs:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def accepts_train(source: Path) -> bool:
    """Whether the chapter's parameters cell has a ``train`` switch (chapters that train do)."""
    cells = [c for c in to_notebook(source).cells if "parameters" in c.metadata.get("tags", [])]
    return any(line.startswith("train =") for c in cells for line in c.source.splitlines())


def execute(source: Path, out_dir: Path, profile: str, force: bool,
            train: bool | str = True) -> bool:
    """Execute one chapter into ``out_dir/<stem>.ipynb``; return False if it was up to date."""
    target = out_dir / f"{source.stem}.ipynb"
    wanted = input_hash(source, profile, train)
    if target.exists() and not force:
        meta = nbformat.read(target, as_version=4).metadata.get("snn_companion", {})
        if meta.get("input_hash") == wanted:
            print(f"[book] {source.stem}: up to date")
            return False
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        unexecuted = Path(tmp) / f"{source.stem}.ipynb"
        nbformat.write(to_notebook(source), unexecuted)
        executed = Path(tmp) / "executed.ipynb"
        parameters = {"profile": profile}
        if accepts_train(source):
            parameters["train"] = train
        papermill.execute_notebook(
            unexecuted, executed, parameters=parameters, kernel_name="python3",
            cwd=str(CHAPTERS), progress_bar=False, report_mode=False)
        nb = nbformat.read(executed, as_version=4)
        for cell in nb.cells:  # the book shows the profile in the text, not as two code cells
            tags = cell.metadata.get("tags", [])
            if {"parameters", "injected-parameters"} & set(tags) and "remove-cell" not in tags:
                cell.metadata["tags"] = [*tags, "remove-cell"]
        nb.metadata["snn_companion"] = {"input_hash": wanted, "profile": profile,
                                        "source": str(source.relative_to(ROOT))}
        nbformat.write(nb, executed)
        executed.replace(target)
    print(f"[book] {source.stem}: executed ({profile}) in {time.perf_counter() - start:.0f} s")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("quick", "full"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--train", action="store_true",
                        help="full profile: train what has no committed artifact (hours) instead of "
                             "showing it as pending; the quick profile always trains")
    parser.add_argument("--train-only", metavar="PATTERNS",
                        help="full profile: train only the experiments matching these "
                             "comma-separated shell patterns (the rest: committed or pending)")
    parser.add_argument("--notebooks-only", action="store_true",
                        help="write the chapters as unexecuted notebooks (quick-profile defaults)")
    parser.add_argument("--papers", action="store_true",
                        help="only the chapters of the paper packages (the book pages that train)")
    parser.add_argument("chapters", nargs="*", help="chapter stems (default: all)")
    args = parser.parse_args()
    if args.papers:
        args.chapters = [*args.chapters, *paper_chapters()]
    out = args.out if args.out.is_absolute() else ROOT / args.out
    for source in chapter_sources(args.chapters):
        if args.notebooks_only:
            out.mkdir(parents=True, exist_ok=True)
            nbformat.write(to_notebook(source), out / f"{source.stem}.ipynb")
            continue
        if args.profile is None:
            parser.error("--profile is required unless --notebooks-only is given")
        execute(source, out, args.profile, args.force,
                train=(True if args.train or args.profile == "quick"
                       else args.train_only or False))


if __name__ == "__main__":
    main()
