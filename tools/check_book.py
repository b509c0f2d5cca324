"""Check that the built HTML book renders: run by `make book` after the build.

    python tools/check_book.py _build/html

Static checks on every page named in _toc.yml:
* the page exists;
* every <img> points at a file in the build that decodes as an image with nonzero size;
* no cell shows an error (traceback) output, and the executed notebooks hold no error output;
* no unrendered math: no ``$``-delimited TeX left in the text outside math, code and pre blocks;
* no unrendered Markdown table: no ``|---|`` delimiter row (or its ``|—|`` smart-dash form) left in
  that text (a table printed by ``display(Markdown(...))`` needs MyST rendering of outputs);
* nothing is loaded from the network (every script, stylesheet and image is local), and MathJax is
  served from the build folder.
Browser check, when Chromium is installed (``CHROMIUM`` or ``chromium`` on PATH): each page is
loaded headless with the network off, and MathJax must have typeset every math element of the page
without a MathJax error.  Without Chromium the browser check is skipped, and the script says so.
Exit status 1 with a list of problems if any check fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml
from bs4 import BeautifulSoup
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
UNRENDERED_MATH = re.compile(  # $$...$$, or $...$ holding a TeX command, sub- or superscript
    r"\$\$.+?\$\$|(?<![\w$])\$(?=\S)[^$\n]*?(?:\\[A-Za-z]+|[_^])[^$\n]*?(?<=\S)\$(?![\w$])", re.S)
UNRENDERED_TABLE = re.compile(r"\|\s*:?(?:-{3,}|\u2014+|\u2013+):?\s*\|")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync",
                  "--disable-quic", "--virtual-time-budget=20000", "--dump-dom"]


def toc_pages(toc: Path = ROOT / "_toc.yml") -> list[str]:
    doc = yaml.safe_load(toc.read_text())
    pages = [doc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in doc.get("parts", []):
        walk(part.get("chapters"))
    walk(doc.get("chapters"))
    return pages


def _is_remote(url: str) -> bool:
    return urlparse(url).scheme in ("http", "https") or url.startswith("//")


def check_page(html_root: Path, page: str) -> tuple[list[str], int]:
    """Return (problems, number of math elements) for one page."""
    path = html_root / f"{page}.html"
    if not path.exists():
        return [f"{page}: page missing ({path})"], 0
    problems = []
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    main = soup.find("main") or soup

    for img in main.find_all("img"):
        src = img.get("src", "")
        if _is_remote(src) or src.startswith("data:"):
            if _is_remote(src):
                problems.append(f"{page}: image loaded from the network: {src}")
            continue
        target = (path.parent / unquote(src)).resolve()
        try:
            with Image.open(target) as im:
                im.verify()
                if min(im.size) == 0:
                    problems.append(f"{page}: empty image {src}")
        except (OSError, SyntaxError) as exc:
            problems.append(f"{page}: image {src} does not load ({exc.__class__.__name__})")

    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
        for node in soup.find_all(tag):
            url = node.get(attr)
            if url and _is_remote(url) and (tag != "link" or "stylesheet" in node.get("rel", [])):
                problems.append(f"{page}: <{tag}> loads {url} from the network")

    for node in main.select(".output.traceback, .output.error, div.output_error"):
        problems.append(f"{page}: error output shown: {node.get_text()[:120]!r}")

    math = main.select(".math")
    mathjax = [s["src"] for s in soup.find_all("script", src=True) if "mathjax" in s["src"].lower()]
    if math and not mathjax:
        problems.append(f"{page}: has math but loads no MathJax")
    for src in mathjax:
        if not _is_remote(src) and not (path.parent / src.split("?")[0]).exists():
            problems.append(f"{page}: MathJax script {src} is missing from the build")
    for node in main.select(".math, pre, code, script, style, .highlight"):
        node.extract()
    text = main.get_text(" ")
    for match in UNRENDERED_MATH.finditer(text):
        problems.append(f"{page}: unrendered math {match.group(0)[:80]!r}")
    for match in UNRENDERED_TABLE.finditer(text):
        problems.append(f"{page}: unrendered Markdown table {match.group(0)[:80]!r}")
    return problems, len(math)


def check_executed_notebooks(folder: Path = ROOT / "book" / "executed") -> list[str]:
    problems = []
    for nb_path in sorted(folder.glob("*.ipynb")):
        nb = json.loads(nb_path.read_text())
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    problems.append(f"{nb_path.name}: error output {out.get('ename')}: "
                                    f"{out.get('evalue', '')[:100]}")
    return problems


def find_chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def browser_check(chromium: str, html_root: Path, page: str, n_math: int) -> list[str]:
    path = (html_root / f"{page}.html").resolve()
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                              path.as_uri()], capture_output=True, text=True, timeout=180)
    if run.returncode != 0 or "<html" not in run.stdout:
        return [f"{page}: Chromium could not load the page ({run.stderr.strip()[-200:]})"]
    dom = BeautifulSoup(run.stdout, "html.parser")
    main = dom.find("main") or dom
    problems = []
    typeset = len(main.find_all("mjx-container"))
    if typeset < n_math:
        problems.append(f"{page}: MathJax typeset {typeset} of {n_math} math elements")
    if main.find("mjx-merror"):
        problems.append(f"{page}: MathJax error: {main.find('mjx-merror').get_text()[:100]!r}")
    return problems


def main() -> int:
    html_root = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build" / "html")
    pages = toc_pages()
    problems = check_executed_notebooks()
    math_counts = {}
    for page in pages:
        found, math_counts[page] = check_page(html_root, page)
        problems += found
    chromium = find_chromium()
    if chromium:
        for page in pages:
            if (html_root / f"{page}.html").exists():
                problems += browser_check(chromium, html_root, page, math_counts[page])
        browser = f"; Chromium typeset {sum(math_counts.values())} math elements"
    else:
        browser = "; browser check skipped (install Chromium to run it: apt-get install chromium)"
    if problems:
        print("The built book has problems:\n  " + "\n  ".join(problems))
        return 1
    print(f"[check_book] {len(pages)} pages present, images load, no errors, math local{browser}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
