# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Reproduction record
#
# This page collects every chapter's `data/results/<chapter>/claims.json`: the paper's value and
# ours for each headline number, written by the chapter's own code from its committed
# full-profile artifacts. Nothing here is typed by hand; a chapter without a committed
# full-profile record is listed as pending.

# %% tags=["parameters"]
profile = "full"  # this page always shows the committed full-profile records

# %%
from IPython.display import Markdown, display

from snnlib.claims import all_claims, claims_table
from snnlib.runner import REPO_ROOT

records = all_claims()
chapters = sorted(p.stem for p in (REPO_ROOT / "chapters").glob("*.py")
                  if p.stem not in ("00_toolkit", "reproduction"))

# %%
# NBVAL_CHECK_OUTPUT
print(f"chapters with a full-profile record: {len(records)}")
for chapter in chapters:
    if chapter not in records:
        print(f"pending: {chapter}")

# %%
for chapter, (paper, claims) in records.items():
    display(Markdown(f"## {chapter} (paper `{paper}`)\n\n" + claims_table(claims)))
if not records:
    display(Markdown("*No chapter has committed full-profile results yet.*"))
