"""Run the quick-number checks last: they read the claims that the chapters' quick runs (nbval
items of .build/chapters/*.ipynb under `make test`) write."""

LAST = "test_quick_numbers.py"


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.nodeid.split("::")[0].endswith(LAST))
