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

from snnlib.book.claims import all_claims, claims_table
from snnlib.book.paths import chapters_dir
from snnlib.book.runner import provenance_table

records = all_claims()
chapters = sorted(p.stem for p in chapters_dir().glob("*.py")
                  if p.stem not in ("00_toolkit", "reproduction"))

# %%
print(f"chapters with a full-profile record: {len(records)}")
for chapter in chapters:
    if chapter not in records:
        print(f"pending: {chapter}")

# %%
for chapter, (paper, claims) in records.items():
    display(Markdown(f"## {chapter} (paper `{paper}`)\n\n" + claims_table(claims)))
if not records:
    display(Markdown("*No chapter has committed full-profile results yet.*"))

# %% [markdown]
# ## Where each result came from
#
# Every committed full-profile artifact, with the commit and machine that finished it and its wall
# time (summed over resumed stretches). A long run that was stopped and resumed (on another machine,
# or after the code moved on by a commit) lists each stretch of its steps separately. The
# provenance in each artifact's `metrics.json` has the complete record (config, seed, all package
# versions). The *code* column compares the fingerprint of the library modules that computed an
# artifact (recorded since the library took its present layout) with today's sources: "unchanged",
# the modules that changed since, or "not recorded" for artifacts made before fingerprints existed.

# %%
display(Markdown(provenance_table("full")))
