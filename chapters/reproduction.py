# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Reproduction record
#
# This page collects every chapter's `data/results/<chapter>/claims.json`: the paper's value and
# ours for each headline number, written by the chapter's own code from its committed
# full-profile artifacts. Nothing here is typed by hand: each claim's status is computed from the
# numbers. A claim is *within the paper's spread* when our value differs from the paper's by at
# most twice the paper's standard deviation; where the paper gives a single number without a
# spread, or none at all, the difference is shown without a verdict. Each chapter explains its
# gaps beside the numbers.

# %% tags=["parameters"]
profile = "full"  # this page always shows the committed full-profile records

# %% tags=["remove-cell"]
from IPython.display import Markdown, display

from snnlib.book.claims import all_claims, claims_table, status_summary
from snnlib.book.paths import chapter_title, chapters_dir
from snnlib.book.runner import check_parameters, cost_table, provenance_summary, provenance_table

check_parameters(profile, allowed=("full",))
records = all_claims()
chapters = sorted(p.stem for p in chapters_dir().glob("*.py")
                  if p.stem not in ("00_toolkit", "reproduction"))

# %% tags=["remove-input"]
lines = []
for chapter in chapters:
    if chapter in records:
        lines.append(f"* {{doc}}`{chapter_title(chapter)} <{chapter}>`: {status_summary(records[chapter][1])}")
    else:
        lines.append(f"* {chapter_title(chapter)}: no full-profile record yet.")
display(Markdown("\n".join(lines)))

# %% tags=["remove-input"]
for number, (chapter, (paper, claims)) in enumerate(records.items(), start=1):
    display(Markdown(f"## {chapter_title(chapter)}\n\nPaper `{paper}`; chapter {{doc}}`{chapter}`.\n\n"
                     + claims_table(claims, digits=1, caption=f"Paper versus ours: {chapter_title(chapter)}.",
                                    label=f"tab-reproduction-{chapter}")))
if not records:
    display(Markdown("*No chapter has committed full-profile results yet.*"))

# %% [markdown]
# ## Where each result came from
#
# Every committed full-profile artifact records the commit, machine, package versions and wall
# time that made it; a long run that was stopped and resumed (on another machine, or after the
# code moved on by a commit) records each stretch of its steps. From those records:

# %% tags=["remove-input"]
display(Markdown(provenance_summary("full")))

# %% [markdown]
# The *code* column compares the fingerprint of the library modules that computed an artifact
# (recorded since the library took its present layout) with today's sources: "unchanged", the
# modules that changed since, or "not recorded" for artifacts made before fingerprints existed.
# Each artifact's `metrics.json` holds the complete record (config, seed, all package versions).

# %% tags=["remove-input"]
display(Markdown("::::{dropdown} Every artifact: when, where and by which commit\n"
                 + provenance_table("full") + "\n::::"))

# %% [markdown]
# ## Regenerating the full profiles
#
# What the committed artifacts cost to make, from their provenance (wall time on the machines
# listed above; the experiments of a chapter are independent of one another, except where one
# is configured by another's result):

# %% tags=["remove-input"]
display(Markdown(cost_table("full")))

# %% [markdown]
# The launcher runs a chapter's missing experiments as independent jobs, on a capped local
# process pool or as one SLURM job array (through submitit), each writing its artifact exactly as
# a chapter run does and resuming from its checkpoint after a kill, a pre-emption or a time-out:
#
# ```bash
# .venv/bin/python -m snnlib.book.launch 002_competition --list              # what is missing
# .venv/bin/python -m snnlib.book.launch 002_competition --executor local --max-parallel 2
# .venv/bin/python -m snnlib.book.launch 003_spiking_gan --executor slurm --partition cpu \
#     --max-parallel 16 --timeout-min 600 --folder /shared/snn-jobs
# make book                                                                  # then render them
# ```
#
# To regenerate everything rather than what is missing, move `data/results/<chapter>/full/`
# aside first. `--gpus 1` gives each job a GPU where the cluster has them; protocols that can use
# one put their tensors there.
