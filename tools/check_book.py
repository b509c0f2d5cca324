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
  served from the build folder;
* every figure is followed by its provenance line (a ``figure-provenance`` block,
  :func:`snnlib.book.provenance.figure_provenance`) before the next figure;
* no table is wider than the text column by its least possible width (the longest unbreakable
  word of each column, as a browser lays tables out; see :func:`table_min_width`);
* no ``NBVAL`` test marker is visible;
* the bibliography lists only works that a page cites, each with a year.
Browser check, when Chromium is installed (``CHROMIUM`` or ``chromium`` on PATH): each page is
loaded headless at 1280 px with the network off; MathJax must have typeset every math element of
the page without a MathJax error, no table and no display equation may be wider than the text
column, and no inline code in a paragraph or list may run past it (measured in the page).  Without
Chromium the browser check is skipped, and the script says so.
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
                  "--disable-quic", "--virtual-time-budget=20000", "--window-size=1280,2000",
                  "--dump-dom"]
# The width a table gets in the book theme at a 1280 px window (measured in Chromium: the article
# is 740 px wide, the box around a table 676 px), and the widths of a character of table text and
# of code and a cell's padding (measured: "85.5 ± 0.8 %" makes a 122 px cell); a table whose least
# possible width exceeds the column cannot fit.
COLUMN_PX = 676
CHAR_PX, CODE_CHAR_PX, CELL_PADDING_PX = 8.5, 8.6, 18
YEAR = re.compile(r"\b(1[89]|20)\d\d\b")
# Injected into a copy of a page for the browser check: once MathJax has typeset, mark every table
# and display equation that is wider than the text column, then flag the page as measured.
MEASURE_JS = """
<script>
window.addEventListener('load', function () {
  function measure() {
    var main = document.querySelector('main') || document.body;
    var column = main.querySelector('article') || main;
    var width = column.clientWidth;
    main.querySelectorAll('table, mjx-container[display="true"]').forEach(function (el) {
      var w = Math.max(el.scrollWidth, el.getBoundingClientRect().width);
      var room = Math.min(width, el.parentElement.clientWidth);  // the box the table or equation is in
      if (w > room + 2) { el.setAttribute('data-snn-overflow', Math.round(w) + ' px > ' + room + ' px'); }
    });
    var right = column.getBoundingClientRect().right;
    main.querySelectorAll('p code, li code').forEach(function (el) {
      var over = el.getBoundingClientRect().right - right;
      if (over > 2) { el.setAttribute('data-snn-overflow', Math.round(over) + ' px past the column'); }
    });
    document.body.setAttribute('data-snn-measured', String(width));
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(measure);
  } else { measure(); }
});
</script>
"""


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
    problems += check_figure_provenance(page, main)
    for table in main.find_all("table"):
        width = table_min_width(table)
        if width > COLUMN_PX:
            caption = table.find("caption")
            name = caption.get_text(" ", strip=True)[:60] if caption else table.get_text(" ", strip=True)[:60]
            problems.append(f"{page}: table wider than the text column ({width:.0f} px > {COLUMN_PX} px "
                            f"at least): {name!r}")
    if "NBVAL" in main.get_text(" "):
        problems.append(f"{page}: a NBVAL test marker is visible")
    for node in main.select(".math, pre, code, script, style, .highlight"):
        node.extract()
    text = main.get_text(" ")
    for match in UNRENDERED_MATH.finditer(text):
        problems.append(f"{page}: unrendered math {match.group(0)[:80]!r}")
    for match in UNRENDERED_TABLE.finditer(text):
        problems.append(f"{page}: unrendered Markdown table {match.group(0)[:80]!r}")
    return problems, len(math)


def check_figure_provenance(page: str, main) -> list[str]:
    """Every ``<figure>`` must be followed by a ``figure-provenance`` block before the next figure."""
    nodes = [n for n in main.find_all(True)
             if n.name == "figure" or "figure-provenance" in (n.get("class") or [])]
    problems = []
    for i, node in enumerate(nodes):
        if node.name != "figure":
            continue
        following = nodes[i + 1] if i + 1 < len(nodes) else None
        if following is None or following.name == "figure":
            label = node.get("id") or node.get_text(" ", strip=True)[:60]
            problems.append(f"{page}: figure {label!r} has no provenance line under it")
    return problems


def _words(text: str) -> list[str]:
    """The pieces between the places where a browser may break a line: ordinary white space (not
    a no-break space), a zero-width space, and after a hyphen inside a word (as Chromium does;
    it does not break after "/")."""
    return [w for w in re.split(r"[ \t\r\n\u200b]+|(?<=-)(?=\w)", text) if w]


def table_min_width(table) -> float:
    """The least width in px a browser can give ``table``: per column the widest unbreakable word
    of its cells (code at a monospace width) plus cell padding, summed over the columns."""
    widths: dict[int, float] = {}
    for row in table.find_all("tr"):
        for col, cell in enumerate(row.find_all(["td", "th"], recursive=False)):
            code_words = [w for c in cell.find_all("code") for w in _words(c.get_text(" "))]
            words = _words(cell.get_text(" "))
            for w in code_words:  # measured once, at the code width
                if w in words:
                    words.remove(w)
            need = max([len(w) * CHAR_PX for w in words] + [len(w) * CODE_CHAR_PX for w in code_words]
                       + [0.0])
            widths[col] = max(widths.get(col, 0.0), need + CELL_PADDING_PX)
    return sum(widths.values())


def check_bibliography(html_root: Path, pages: list[str], page: str = "book/bibliography") -> list[str]:
    """The bibliography lists only cited works, each with a year in its label."""
    path = html_root / f"{page}.html"
    if not path.exists():
        return []
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    entries = soup.select("div.citation")
    cited = set()
    for other in pages:
        other_path = html_root / f"{other}.html"
        if other_path.exists():
            for a in BeautifulSoup(other_path.read_text(encoding="utf-8"), "html.parser").find_all("a", href=True):
                if "bibliography.html#" in a["href"]:
                    cited.add(a["href"].split("#", 1)[1])
    problems = []
    for entry in entries:
        label = entry.find(class_="label")
        text = label.get_text(" ", strip=True) if label else entry.get_text(" ", strip=True)[:60]
        if not YEAR.search(text):
            problems.append(f"{page}: bibliography entry without a year: {text!r}")
        if entry.get("id") not in cited:
            problems.append(f"{page}: bibliography entry cited nowhere: {text!r}")
    return problems


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
    # A copy of the page beside it (so that its relative links resolve) with the measuring script.
    measured = path.with_name(f".{path.stem}.measure.html")
    measured.write_text(path.read_text(encoding="utf-8").replace("</body>", MEASURE_JS + "</body>"),
                        encoding="utf-8")
    try:
        with tempfile.TemporaryDirectory() as profile:
            run = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                  measured.as_uri()], capture_output=True, text=True, timeout=180)
    finally:
        measured.unlink(missing_ok=True)
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
    body = dom.find("body")
    if body is None or not body.get("data-snn-measured"):
        problems.append(f"{page}: the browser check could not measure the page's layout")
    for node in main.select("[data-snn-overflow]"):
        what = {"mjx-container": "equation", "code": "inline code"}.get(node.name, "table")
        problems.append(f"{page}: {what} wider than the text column ({node['data-snn-overflow']}): "
                        f"{node.get_text(' ', strip=True)[:60]!r}")
    return problems


def main() -> int:
    html_root = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build" / "html")
    pages = toc_pages()
    problems = check_executed_notebooks() + check_bibliography(html_root, pages)
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
