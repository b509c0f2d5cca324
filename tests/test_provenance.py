from snnlib.book.provenance import config_hash, figure_provenance
from snnlib.book.runner import RunContext


def test_figure_provenance_names_the_artifacts_and_the_command(tmp_path):
    ctx = RunContext("ch", "full", train=True, seed=3, root=tmp_path, code=("snnlib.core.stdp",))
    art = ctx.experiment("row2", {"a": 1}, lambda exp: exp.finish({"x": 1}))
    text = figure_provenance(ctx, ["row2", "row9"])
    assert text.startswith(":::{container} figure-provenance\n") and text.endswith("\n:::")
    assert f"config {config_hash(art.provenance)}" in text and "code unchanged" in text
    assert "`row9`: not run in this profile" in text
    assert "--train-only 'row2'" in text and "ch" in text
    drawn = figure_provenance(ctx, drawn_by="snnlib.core.stdp.post_pre_window")
    assert "drawn by `snnlib.core.stdp.post_pre_window`" in drawn and "Regenerate" not in drawn


def test_config_hash_is_the_identity_of_config_and_seed():
    a = config_hash({"config": {"a": 1, "b": [1, 2]}, "seed": 0})
    assert a == config_hash({"config": {"b": [1, 2], "a": 1}, "seed": 0}) and len(a) == 8
    assert a != config_hash({"config": {"a": 1, "b": [1, 2]}, "seed": 1})
