"""The render check of the built book (tools/check_book.py) catches what it promises to catch."""

import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import check_book  # noqa: E402

GOOD_BODY = """
<main>
<p>Inline <span class="math notranslate nohighlight">\\(U_t\\)</span> and a figure:</p>
<img src="_images/fig.png">
<pre>a literal $x$ in code is fine: $\\alpha$</pre>
</main>
"""


def _page(tmp_path, body, head='<script src="_static/mathjax/tex-chtml.js"></script>'):
    (tmp_path / "_images").mkdir(exist_ok=True)
    Image.new("RGB", (4, 3), "white").save(tmp_path / "_images" / "fig.png")
    (tmp_path / "_static" / "mathjax").mkdir(parents=True, exist_ok=True)
    (tmp_path / "_static" / "mathjax" / "tex-chtml.js").write_text("// mathjax")
    (tmp_path / "page.html").write_text(f"<html><head>{head}</head><body>{body}</body></html>")
    return check_book.check_page(tmp_path, "page")


def test_a_good_page_passes(tmp_path):
    problems, n_math = _page(tmp_path, GOOD_BODY)
    assert problems == [] and n_math == 1


@pytest.mark.parametrize("body, head, expected", [
    (GOOD_BODY.replace("fig.png", "missing.png"), None, "does not load"),
    (GOOD_BODY.replace("</main>", "<p>raw $\\beta U_{t-1}$ left</p></main>"), None,
     "unrendered math"),
    (GOOD_BODY.replace("</main>", "<p>$$U = 1$$</p></main>"), None, "unrendered math"),
    (GOOD_BODY.replace("</main>", "<p>| row | ours |\n|---|---|\n| 2 | 87.5 |</p></main>"), None,
     "unrendered Markdown table"),
    (GOOD_BODY.replace("</main>", "<p>| row | ours |\n|\u2014|\u2014|</p></main>"), None,
     "unrendered Markdown table"),
    (GOOD_BODY.replace("</main>", '<div class="output traceback">Error</div></main>'), None,
     "error output"),
    (GOOD_BODY, '<script src="https://cdn.example.org/mathjax.js"></script>', "network"),
    (GOOD_BODY, "", "loads no MathJax"),
])
def test_problems_are_reported(tmp_path, body, head, expected):
    kwargs = {} if head is None else {"head": head}
    problems, _ = _page(tmp_path, body, **kwargs)
    assert any(expected in p for p in problems), problems


def test_corrupt_image_is_reported(tmp_path):
    _page(tmp_path, GOOD_BODY)
    (tmp_path / "_images" / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    problems, _ = check_book.check_page(tmp_path, "page")
    assert any("does not load" in p for p in problems)


def test_missing_page_and_toc_pages(tmp_path):
    problems, _ = check_book.check_page(tmp_path, "nowhere")
    assert problems and "page missing" in problems[0]
    pages = check_book.toc_pages()
    assert pages[0] == "book/intro" and "book/executed/00_toolkit" in pages
