from snnlib.book.provenance import config_hash, figure_provenance, name_patterns
from snnlib.book.runner import RunContext


def test_figure_provenance_names_the_artifacts_and_the_command(tmp_path):
    ctx = RunContext("ch", "full", train=True, seed=3, root=tmp_path, code=("snnlib.core.stdp",))
    art = ctx.experiment("row2", {"a": 1}, lambda exp: exp.finish({"x": 1}))
    text = figure_provenance(ctx, ["row2", "row9"])
    assert text.startswith(":::::{container} figure-provenance\n") and text.endswith("\n:::::")
    assert f"config {config_hash(art.provenance)}" in text and "code unchanged" in text
    assert "`row9`: not run in this profile" in text
    assert "--train-only 'row2'" in text and "ch" in text
    drawn = figure_provenance(ctx, drawn_by="snnlib.core.stdp.post_pre_window")
    assert "drawn by `snnlib.core.stdp.post_pre_window`" in drawn and "Regenerate" not in drawn


def test_config_hash_is_the_identity_of_config_and_seed():
    a = config_hash({"config": {"a": 1, "b": [1, 2]}, "seed": 0})
    assert a == config_hash({"config": {"b": [1, 2], "a": 1}, "seed": 0}) and len(a) == 8
    assert a != config_hash({"config": {"a": 1, "b": [1, 2]}, "seed": 1})


def test_many_artifacts_are_summarised_with_patterns_and_details_in_a_dropdown(tmp_path):
    ctx = RunContext("ch", "full", train=True, seed=0, root=tmp_path)
    names = [f"gan_ann_digit{d}" for d in range(10)] + ["gan_lr_pilot"]
    for name in names:
        ctx.experiment(name, {}, lambda exp: exp.finish({"x": 1}))
    text = figure_provenance(ctx, names)
    assert "11 artifacts in `" in text and "`gan_ann_digit*`, `gan_lr_pilot`" in text
    assert "--train-only 'gan_ann_digit*,gan_lr_pilot'" in text
    assert "{dropdown} Each artifact" in text and text.count("* `gan_ann_digit") == 10


def test_name_patterns_group_trailing_numbers_only():
    assert name_patterns(["row1", "row2", "row12", "pilot", "a1b"]) == ["row*", "pilot", "a1b"]
