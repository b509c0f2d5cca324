"""Run the quick-number checks last: they read the claims that the chapters' quick runs (nbval
items of .build/chapters/*.ipynb under `make test`) write.  Fixtures shared by the tests."""

import pytest

LAST = "test_quick_numbers.py"


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.nodeid.split("::")[0].endswith(LAST))


@pytest.fixture
def interrupt_after():
    """``interrupt_after(exp, step)``: make experiment ``exp``'s resumable loop raise
    ``KeyboardInterrupt`` when it reaches ``step`` (after the checkpoints before it), as a killed
    run would stop."""
    def patch(exp, step):
        steps = exp.steps

        def dying(total, state, **kw):
            for k in steps(total, state, **kw):
                if k == step:
                    raise KeyboardInterrupt
                yield k

        exp.steps = dying
    return patch
