import pytest

from snnlib.book.tables import markdown_table, mean_sd


def test_markdown_table_formats_cells_and_alignment():
    text = markdown_table(["row", "ours"], [[1, mean_sd(89.64, 0.21)], [2, None], [3, "a|b"]], align="lr")
    assert text.splitlines() == ["| row | ours |", "|---|--:|", "| 1 | 89.6 ± 0.2 |",
                                 "| 2 | not run |", "| 3 | a\\|b |"]
    assert mean_sd(0.5, digits=2) == "0.50" and mean_sd(None) is None
    with pytest.raises(ValueError):
        markdown_table(["a", "b"], [[1]])
