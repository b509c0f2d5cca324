import os
from pathlib import Path


def _count(exp, steps):
    state = {"total": 0}
    for step in exp.steps(steps, state, every=2, progress=False):
        marker = Path(os.environ.get("TINY_KILL_MARKER", "/nonexistent/marker"))
        if os.environ.get("TINY_KILL_AT") == f"{exp.name}:{step}" and not marker.exists():
            marker.write_text("killed once")
            os._exit(3)  # the worker dies here, after its checkpoint at step 2
        state["total"] += step + 1
    return exp.finish({"total": state["total"]})


def run_all(ctx):
    first = ctx.experiment("count_a", {"steps": 6}, lambda exp: _count(exp, 6))
    ctx.experiment("count_b", {"steps": 4}, lambda exp: _count(exp, 4))
    if first is not None:  # configured by another experiment's result
        total = first.metrics["total"]
        ctx.experiment("after_a", {"from": total}, lambda exp: exp.finish({"double": 2 * total}))

