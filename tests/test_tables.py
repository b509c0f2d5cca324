import pytest

from snnlib.book.tables import markdown_table, mean_sd


def test_markdown_table_formats_cells_and_alignment():
    text = markdown_table(["row", "ours"], [[1, mean_sd(89.64, 0.21)], [2, None], [3, "a|b"]], align="lr")
    assert text.splitlines() == ["| row | ours |", "|---|--:|", "| 1 | 89.6\u00a0±\u00a00.2 |",
                                 "| 2 | not run |", "| 3 | a\\|b |"]
    assert mean_sd(0.5, digits=2) == "0.50" and mean_sd(None) is None
    assert mean_sd(9.3, 0.05, 2, "%") == "9.30\u00a0±\u00a00.05\u00a0%"
    assert mean_sd(9.3, 0.05, 1) == "9.30\u00a0±\u00a00.05"  # never "± 0.1" rounding up nor "± 0.0"
    assert mean_sd(1.7055, 0.0005, 2) == "1.7055\u00a0±\u00a00.0005" and mean_sd(2.0, 0.0, 1) == "2.0\u00a0±\u00a00.0"
    with pytest.raises(ValueError):
        markdown_table(["a", "b"], [[1]])


def test_a_captioned_table_is_a_numbered_myst_table():
    text = markdown_table(["a"], [[1]], caption="Accuracy per row.", label="tab-x")
    assert text.splitlines() == [":::{table} Accuracy per row.", ":name: tab-x", "| a |", "|---|",
                                 "| 1 |", ":::"]
    with pytest.raises(ValueError):
        markdown_table(["a"], [[1]], label="tab-x")
