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
<figure id="fig-a"><img src="_images/fig.png"></figure>
<div class="figure-provenance docutils container"><p>Source: drawn by code</p></div>
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
    (GOOD_BODY.replace('<div class="figure-provenance docutils container"><p>Source: drawn by code</p></div>',
                       ""), None, "figure 'fig-a' has no provenance line"),
    (GOOD_BODY.replace("</main>", "<p>checked by # NBVAL_CHECK_OUTPUT</p></main>"), None, "NBVAL"),
    (GOOD_BODY.replace("</main>", "<table><tr>" + "<td>89.6\u00a0±\u00a00.2\u00a0%</td>" * 9
                       + "</tr></table></main>"), None, "table wider than the text column"),
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


def test_table_min_width_follows_the_unbreakable_words():
    from bs4 import BeautifulSoup

    def width(html):
        return check_book.table_min_width(BeautifulSoup(html, "html.parser").find("table"))

    wraps = width("<table><tr>" + "<td>89.6 ± 0.2 %</td>" * 9 + "</tr></table>")
    assert wraps == 9 * (4 * check_book.CHAR_PX + check_book.CELL_PADDING_PX)  # "89.6" per column
    assert wraps < check_book.COLUMN_PX
    code = width("<table><tr><td><code>table2.row10.voting</code> and words</td></tr></table>")
    assert code == 19 * check_book.CODE_CHAR_PX + check_book.CELL_PADDING_PX
    path = width("<table><tr><td>(benchmarks/competition_vs_bindsnet.py)</td></tr></table>")
    assert path == len("(benchmarks/competition_vs_bindsnet.py)") * check_book.CHAR_PX + check_book.CELL_PADDING_PX
    hinted = width("<table><tr><td>(benchmarks/\u200bcompetition_vs_bindsnet.py) 25-channel</td></tr></table>")
    assert hinted == len("competition_vs_bindsnet.py)") * check_book.CHAR_PX + check_book.CELL_PADDING_PX


def test_bibliography_needs_years_and_citations(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "bibliography.html").write_text(
        '<main><div class="citation" id="id1"><span class="label">Hazan et al. 2018</span>x</div>'
        '<div class="citation" id="id2"><span class="label">Gafni et al. n.d.</span>y</div>'
        '<div class="citation" id="id3"><span class="label">Bi and Poo 1998</span>z</div></main>')
    (tmp_path / "page.html").write_text('<a href="book/bibliography.html#id1">Hazan</a>'
                                        '<a href="book/bibliography.html#id2">Gafni</a>')
    problems = check_book.check_bibliography(tmp_path, ["page", "book/bibliography"])
    assert problems == ["book/bibliography: bibliography entry without a year: 'Gafni et al. n.d.'",
                        "book/bibliography: bibliography entry cited nowhere: 'Bi and Poo 1998'"]


@pytest.mark.skipif(check_book.find_chromium() is None, reason="Chromium is not installed")
def test_browser_check_measures_tables_wider_than_the_column(tmp_path):
    wide = "<table><tr>" + "<td>0123456789012345678901234567890123456789</td>" * 30 + "</tr></table>"
    (tmp_path / "wide.html").write_text(f"<html><body><main><article>{wide}</article></main></body></html>")
    (tmp_path / "narrow.html").write_text("<html><body><main><article><table><tr><td>1</td></tr>"
                                          "</table></article></main></body></html>")
    chromium = check_book.find_chromium()
    problems = check_book.browser_check(chromium, tmp_path, "wide", 0)
    assert len(problems) == 1 and "table wider than the text column" in problems[0]
    assert check_book.browser_check(chromium, tmp_path, "narrow", 0) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["narrow.html", "wide.html"]  # copies removed


@pytest.mark.skipif(check_book.find_chromium() is None, reason="Chromium is not installed")
def test_browser_check_measures_inline_code_past_the_column(tmp_path):
    # inline code as Sphinx writes it: a span.pre per word, kept from wrapping by its basic.css
    code = ('<p>Run <code class="docutils literal"><span class="pre">'
            + ",".join(f"experiment_name_{i}" for i in range(20)) + "</span></code> now.</p>")
    page = ('<html><head><style>span.pre {{ white-space: nowrap; }}</style>{}</head><body><main>'
            '<article style="width: 400px">{}</article></main></body></html>')
    (tmp_path / "long.html").write_text(page.format("", code))
    # the book's stylesheet rule (book/_static/book.css) lets the code break inside the word
    css = (check_book.ROOT / "book" / "_static" / "book.css").read_text()
    (tmp_path / "wrapped.html").write_text(page.format(f"<style>{css}</style>", code))
    chromium = check_book.find_chromium()
    problems = check_book.browser_check(chromium, tmp_path, "long", 0)
    assert len(problems) == 1 and "inline code wider than the text column" in problems[0]
    assert check_book.browser_check(chromium, tmp_path, "wrapped", 0) == []
