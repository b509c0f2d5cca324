"""Numbers and text of chapter 000 derived from its artifacts (no training here)."""

from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np
import torch

from snnlib.book.artifacts import Artifact
from snnlib.book.tables import count, markdown_table
from snnlib.papers.p000_spiking_dcgan import models
from snnlib.papers.p000_spiking_dcgan.config import LOG_COLUMNS, PILOTS, RUNS

__all__ = ["column", "epochs_trained", "RUN_LABEL", "runs_table", "minutes_per_epoch", "cost_text", "pilots_table", "PilotChange", "pilot_change", "pilots_text",
           "GeneratorActivity", "generator_activity", "generator_activities", "activity_table", "mean_grey", "grey_table", "last_epoch_losses",
           "SILENT_PIXELS", "silent_output_text", "SIMILAR", "Comparison", "compare", "PAIRS", "LONG_PAIRS", "comparison_text",
           "RerunDifference", "rerun_difference", "rerun_text"]

RUN_LABEL = {"spiking": "spiking G, paper's lr", "analog": "analog G, paper's lr",
             "spiking_dcgan_lr": "spiking G, DCGAN's lr", "analog_dcgan_lr": "analog G, DCGAN's lr",
             "spiking_sigmoid_dcgan_lr": "spiking G, sigmoid output, DCGAN's lr",
             "analog_nonorm_dcgan_lr": "analog G without BatchNorm, DCGAN's lr",
             "spiking_sigmoid_dcgan_lr_long": "spiking G, sigmoid output, DCGAN's lr, longer",
             "analog_dcgan_lr_long": "analog G, DCGAN's lr, longer",
             "pilot_output_sigmoid": "sigmoid output", "pilot_noise_fresh": "fresh noise per step",
             "pilot_batch_64": "batch 64"}
"""How the book names each run."""


def column(art: Artifact, name: str) -> np.ndarray:
    """One column of a GAN artifact's ``log`` (:data:`~.config.LOG_COLUMNS`) by name."""
    return art.arrays["log"][:, LOG_COLUMNS.index(name)]


def epochs_trained(art: Artifact) -> int:
    """Epochs a GAN artifact was trained for (its ``log`` has a row before training and one per epoch)."""
    return len(art.arrays["log"]) - 1


def _fmt(value: float, digits: int = 2) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _run_row(name: str, art: Artifact | None, epoch: int | None = None) -> list:
    if art is None:
        return [RUN_LABEL[name]] + [None] * 7
    row = int(epoch if epoch is not None else epochs_trained(art))
    log = art.arrays["log"]
    best = int(np.nanargmax(log[1:row + 1, 1])) + 1
    share = log[row, LOG_COLUMNS.index("largest class share")]
    return [RUN_LABEL[name], row, f"{log[best, 1]:.2f} ({best})", _fmt(log[row, 1]), _fmt(log[row, 3], 0),
            _fmt(log[row, 4], 3), f"{100 * share:.0f} %", _fmt(log[row, LOG_COLUMNS.index("spikes per image")], 0)]


def runs_table(runs: Mapping[str, Artifact], ceiling_is: float, n_eval: int) -> str:
    """The chapter's GAN runs: epochs, best inception score and its epoch, last epoch's IS, FD,
    spread, top class share and spikes per image (``n_eval`` samples each), beside the ceiling
    (real test images)."""
    rows = [_run_row(name, runs.get(name)) for name in RUNS]
    return markdown_table(["run", "epochs", "best IS (epoch)", "IS", "FD", "spread", "top class", "spikes"], rows,
                          "lrrrrrrr", caption=f"The GANs of this chapter, scored on {n_eval} samples of fixed noise after "
                          f"every epoch with the book's MNIST classifier: the best inception score and its epoch, "
                          f"then the last epoch's IS, Fréchet distance of the classifier's features to the test "
                          f"images, spread between samples, share of the most frequent class and spikes per image "
                          f"(real test images: IS {ceiling_is:.2f}).",
                          label="tab-000-runs")


def minutes_per_epoch(art: Artifact) -> float:
    """Wall time of a run (its provenance, summed over resumptions) per epoch trained, in minutes;
    the scoring after every epoch included."""
    return art.provenance["wall_time_s"] / 60 / epochs_trained(art)


def cost_text(runs: Mapping[str, Artifact]) -> str:
    """What one epoch of each run cost, from the provenance (one sentence, Markdown)."""
    if not runs:
        return "No run has finished yet."
    parts = [f"{RUN_LABEL[name]} {minutes_per_epoch(art):.1f}" for name, art in runs.items()]
    return ("Minutes of one CPU core per epoch, scoring included, from each run's provenance: "
            + "; ".join(parts) + ".")


def pilots_table(pilots: Mapping[str, Artifact], baseline: Artifact | None, epochs: int, batch: int) -> str:
    """Each pilot of the paper's ambiguities after ``epochs`` epochs beside the baseline
    (``spiking_dcgan_lr``, batches of ``batch``, at the same epoch)."""
    rows = [["baseline"] + (_run_row("spiking_dcgan_lr", baseline, epochs)[1:]
                                                                   if baseline is not None and len(baseline.arrays["log"]) > epochs
                                                                   else [None] * 7)]
    rows += [[RUN_LABEL[name]] + _run_row(name, pilots.get(name))[1:] for name in PILOTS]
    return markdown_table(["reading", "epochs", "best IS (epoch)", "IS", "FD", "spread", "top class", "spikes"], rows,
                          "lrrrrrrr", caption=f"The paper's ambiguities, one change each to the spiking GAN at DCGAN's "
                          f"learning rate (baseline: neurons after the last layer, one noise draw, batches of {batch}), after "
                          f"{epochs} epoch(s); columns as in {{numref}}`tab-000-runs`.", label="tab-000-pilots")


class PilotChange(NamedTuple):
    """One pilot against the baseline at the same epoch: inception score, Fréchet distance and
    spread of each, and what the change did (``"better"``: higher IS and lower FD, ``"worse"``: the
    opposite, ``"mixed"`` otherwise)."""

    pilot_is: float
    baseline_is: float
    pilot_fd: float
    baseline_fd: float
    pilot_spread: float
    baseline_spread: float
    verdict: str


def pilot_change(pilot: Artifact, baseline: Artifact, epoch: int) -> PilotChange:
    """Compare ``pilot`` with ``baseline`` after ``epoch`` epochs (row ``epoch`` of both logs)."""
    (p_is, p_fd, p_sp), (b_is, b_fd, b_sp) = ([float(column(art, c)[epoch]) for c in ("IS", "FD", "spread")]
                                              for art in (pilot, baseline))
    up, down = p_is > b_is, p_fd < b_fd
    verdict = "better" if up and down else "worse" if not up and not down else "mixed"
    return PilotChange(p_is, b_is, p_fd, b_fd, p_sp, b_sp, verdict)


def pilots_text(pilots: Mapping[str, Artifact], baseline: Artifact | None, epochs: int) -> str:
    """What each pilot changed against the baseline after ``epochs`` epochs (Markdown list), or a
    sentence saying what is missing."""
    ready = baseline is not None and len(baseline.arrays["log"]) > epochs
    done = {name: art for name, art in pilots.items() if len(art.arrays["log"]) > epochs}
    if not ready or not done:
        return "No pilot can be read yet: " + ("the baseline has not reached that epoch." if not ready
                                               else "no pilot has run.")
    words = {"better": "higher IS and lower FD", "worse": "lower IS and higher FD", "mixed": "mixed"}
    lines = []
    for name, art in done.items():
        c = pilot_change(art, baseline, epochs)
        lines.append(f"- **{RUN_LABEL[name]}**: IS {c.pilot_is:.2f} against {c.baseline_is:.2f} "
                     f"({c.pilot_is - c.baseline_is:+.2f}), FD {c.pilot_fd:.0f} against {c.baseline_fd:.0f} "
                     f"({100 * (c.pilot_fd / c.baseline_fd - 1):+.0f} %), spread {c.pilot_spread:.3f} against "
                     f"{c.baseline_spread:.3f}: {words[c.verdict]}.")
    return (f"After {epochs} epoch(s), each pilot against the baseline (one run each, seed 0, so the "
            f"differences have no error bar):\n\n" + "\n".join(lines))


class GeneratorActivity(NamedTuple):
    """What a trained spiking generator does on fixed noise (:func:`generator_activity`)."""

    firing: list[float]
    """Share of neuron-steps with a spike in each neuron layer (three, or four with output neurons)."""
    pixels_spiking: float | None
    """Share of output pixels that spike at least once in the 30 steps (``None``: sigmoid output)."""
    mean_grey: float
    """Mean pixel value of the images, in [0, 1]."""
    gradient_norm: float
    """Norm of the gradient of the images' mean grey level with respect to all of G's weights: how
    much a loss on the images can move G at all."""
    samples: int
    """How many samples of fixed noise were measured."""


def generator_activity(art: Artifact, n: int = 256, seed: int = 1) -> GeneratorActivity:
    """Run the final generator of a spiking run (its committed weights and config) on ``n`` samples
    of fixed noise (``seed``) and measure its layers' activity and its gradient."""
    g = models.SpikingGenerator(models.GeneratorConfig(**art.provenance["config"]["generator"]))
    g.load_state_dict(art.weights["generator"])
    z = models.sample_noise(n, g.config, generator=torch.Generator().manual_seed(seed))
    images, layers = g(z)
    g.zero_grad(set_to_none=True)
    images.mean().backward()
    norm = torch.sqrt(sum((p.grad ** 2).sum() for p in g.parameters() if p.grad is not None))
    pixels = (layers[3].sum(0) > 0).float().mean().item() if g.config.output == "spikes" else None
    return GeneratorActivity([s.mean().item() for s in layers], pixels, images.mean().item(), norm.item(), n)


def generator_activities(runs: Mapping[str, Artifact], n: int = 256) -> dict[str, GeneratorActivity]:
    """:func:`generator_activity` of every spiking run in ``runs`` that has weights, by name (each
    generator runs once; :func:`activity_table` and :func:`silent_output_text` read the result)."""
    return {name: generator_activity(art, n) for name, art in runs.items()
            if art.provenance["config"].get("kind") == "spiking" and art.weights}


def activity_table(runs: Mapping[str, Artifact], activities: Mapping[str, GeneratorActivity],
                   label: str = "tab-000-activity") -> str:
    """The ``activities`` of :func:`generator_activities` as a numbered table named ``label``."""
    rows = []
    for name, a in activities.items():
        art = runs[name]
        firing = " / ".join(f"{100 * f:.0f}" for f in a.firing)
        rows.append([RUN_LABEL[name], epochs_trained(art), firing,
                     "n/a (sigmoid)" if a.pixels_spiking is None else f"{100 * a.pixels_spiking:.3g} %",
                     f"{a.mean_grey:.3f}", f"{a.gradient_norm:.1e}"])
    return markdown_table(["run", "epochs", "spiking neuron-steps per layer (%)", "output pixels that spike",
                           "mean grey", "gradient norm"], rows, "lrrrrr",
                          caption=f"The final spiking generators on {max((a.samples for a in activities.values()), default=0)} "
                          "samples of fixed noise: the share of "
                          "neuron-steps with a spike in each neuron layer (first to last), the share of output "
                          "pixels that spike at least once, the images' mean grey level and the norm of its "
                          "gradient with respect to all of G's weights (`analysis.generator_activity`).",
                          label=label)


def mean_grey(art: Artifact) -> np.ndarray:
    """Mean grey level in [0, 1] of a run's snapshot samples (its first fixed-noise samples, kept
    as 8-bit images) before training and after every epoch."""
    snaps = np.asarray(art.arrays["snapshots"], dtype=float)
    return snaps.reshape(len(snaps), -1).mean(axis=1) / 255


def grey_table(runs: Mapping[str, Artifact], names: list[str], real: float, label: str = "tab-000-grey") -> str:
    """The mean grey level (:func:`mean_grey`) of each of ``names`` that exists (a column each), per
    epoch (a row each), beside ``real``, that of real images."""
    greys = {name: mean_grey(runs[name]) for name in names if name in runs}
    if not greys:
        return "No run has finished yet."
    epochs = max(len(g) for g in greys.values())
    rows = [[e] + [f"{g[e]:.3f}" if e < len(g) else "" for g in greys.values()] for e in range(epochs)]
    return markdown_table(["epoch"] + [RUN_LABEL[name] for name in greys], rows, "r" * (len(greys) + 1),
                          caption="Mean grey level (0 black, 1 white) of the first 16 samples of fixed noise before "
                          f"training (epoch 0) and after every epoch (real test images: {real:.3f}).",
                          label=label)


def last_epoch_losses(art: Artifact) -> tuple[float, float]:
    """D's and G's loss averaged over the last epoch's steps of a GAN run."""
    losses = art.arrays["losses"]
    per_epoch = len(losses) // epochs_trained(art)
    d, g = losses[-per_epoch:].mean(axis=0)
    return float(d), float(g)


SILENT_PIXELS = 1e-3
"""A generator whose output pixels spike in fewer than this share of cases (pixel and sample) is
called silent by :func:`silent_output_text`."""


def silent_output_text(runs: Mapping[str, Artifact], activities: Mapping[str, GeneratorActivity]) -> str | None:
    """For each run whose final generator is silent (:data:`SILENT_PIXELS`) in ``activities``
    (:func:`generator_activities`): when its IS peaked, and its losses over the last epoch beside
    ln 2 (Markdown); ``None`` when there is no such run."""
    parts = []
    for name, activity in activities.items():
        art = runs[name]
        if activity.pixels_spiking is None or activity.pixels_spiking >= SILENT_PIXELS:
            continue
        d, g = last_epoch_losses(art)
        epochs = epochs_trained(art)
        parts.append(f"**{RUN_LABEL[name]}**: its inception score peaked at epoch {art.metrics['best_is_epoch']} "
                     f"({art.metrics['best_is']:.2f}); after epoch {epochs} only {100 * activity.pixels_spiking:.2g} % "
                     f"of its output pixels spike on {activity.samples} samples (mean grey {activity.mean_grey:.1e}), "
                     f"while its hidden layers still fire ({{numref}}`tab-000-activity`). Over its last epoch D's "
                     f"loss averaged {d:.3f} and G's {g:.3f}, against ln 2 = {np.log(2):.3f}.")
    return " ".join(parts) if parts else None


SIMILAR = {"is_ratio": 0.9, "epoch_ratio": 1.5}
"""What we call "similar" when testing the paper's claim: the lower best IS at least 0.9 of the
higher, and the epochs each needs to reach 90 % of the higher best IS within a factor 1.5."""


class Comparison(NamedTuple):
    """The spiking and the analog GAN of one setting, side by side."""

    spiking_best: float
    analog_best: float
    spiking_epoch_to_90: int | None
    """First epoch at which the spiking GAN's IS reaches 90 % of the higher best IS (None: never)."""
    analog_epoch_to_90: int | None
    similar: bool
    spiking_ahead: int
    """Epochs after which the spiking GAN's IS was the higher of the two."""
    spiking_best_epoch: int
    """Epoch of the spiking GAN's best IS (first of equals)."""
    analog_best_epoch: int
    epochs: int
    """Epochs of the shorter run (both have the same length in the book's settings)."""


def compare(spiking: Artifact, analog: Artifact) -> Comparison:
    """The paper's claim (similar IS at a similar speed) measured on two runs of the same length."""
    s_is, a_is = column(spiking, "IS")[1:], column(analog, "IS")[1:]
    target = 0.9 * max(s_is.max(), a_is.max())
    first = [int(np.argmax(x >= target)) + 1 if (x >= target).any() else None for x in (s_is, a_is)]
    quality = min(s_is.max(), a_is.max()) >= SIMILAR["is_ratio"] * max(s_is.max(), a_is.max())
    speed = None not in first and max(first) <= SIMILAR["epoch_ratio"] * min(first)
    return Comparison(float(s_is.max()), float(a_is.max()), first[0], first[1], bool(quality and speed),
                      int((s_is > a_is).sum()), int(np.argmax(s_is)) + 1, int(np.argmax(a_is)) + 1,
                      min(len(s_is), len(a_is)))


def _still_rising(c: Comparison) -> str:
    """A note if a run's best inception score is its last epoch's (the comparison is then one of
    equal budgets, not of converged runs)."""
    rising = [kind for kind, best in (("spiking", c.spiking_best_epoch), ("analog", c.analog_best_epoch))
              if best == c.epochs]
    if not rising:
        return ""
    which = "both runs" if len(rising) == 2 else f"the {rising[0]} run"
    return f" ({which} still at {'their' if len(rising) == 2 else 'its'} best in the last epoch: not converged)"


def _which_half(c: Comparison) -> str:
    """Both halves of :data:`SIMILAR` measured, for a pair that is not similar."""
    ratio = min(c.spiking_best, c.analog_best) / max(c.spiking_best, c.analog_best)
    quality = f"lower best score {ratio:.2f} of the higher ({'≥' if ratio >= SIMILAR['is_ratio'] else '<'} {SIMILAR['is_ratio']})"
    first = (c.spiking_epoch_to_90, c.analog_epoch_to_90)
    if None in first:
        return f"{quality}, one run never at 90 % of the higher"
    apart = max(first) / min(first)
    return f"{quality}, epochs to 90 % {apart:.2f} times apart ({'≤' if apart <= SIMILAR['epoch_ratio'] else '>'} {SIMILAR['epoch_ratio']})"


PAIRS = (("spiking", "analog", "**The paper's learning rate**"),
         ("spiking_dcgan_lr", "analog_dcgan_lr", "**DCGAN's learning rate**"),
         ("spiking_sigmoid_dcgan_lr", "analog_dcgan_lr",
          "**DCGAN's learning rate, spiking generator with the sigmoid output**"),
         ("spiking_sigmoid_dcgan_lr", "analog_nonorm_dcgan_lr",
          "**Ablation: the same against the analog generator without BatchNorm** (not the paper's baseline)"))
"""The settings in which :func:`comparison_text` tests the paper's claim: (spiking run, analog
run, how the book names the setting)."""

LONG_PAIRS = (("spiking_sigmoid_dcgan_lr_long", "analog_dcgan_lr_long",
               "**DCGAN's learning rate, spiking generator with the sigmoid output, longer**"),)
"""The same test for the longer pair (:data:`~.config.LONG_RUNS`)."""


def comparison_text(runs: Mapping[str, Artifact], pairs: tuple[tuple[str, str, str], ...] = PAIRS) -> str:
    """The paper's claim tested in each setting of ``pairs`` (a Markdown list, one item per
    setting; "not run yet" where a run is missing)."""
    parts = []
    for spiking, analog, what in pairs:
        s, a = runs.get(spiking), runs.get(analog)
        if s is None or a is None:
            parts.append(f"- {what}: not run yet.")
            continue
        c = compare(s, a)
        epochs = c.epochs
        reach = lambda e: "never" if e is None else f"at epoch {e}"  # noqa: E731
        first = (column(s, "IS")[1], column(a, "IS")[1])
        parts.append(f"- {what}, {epochs} epochs: after the first epoch IS {first[0]:.2f} (spiking) against "
                     f"{first[1]:.2f} (analog); best IS {c.spiking_best:.2f} against "
                     f"{c.analog_best:.2f}; the spiking GAN ahead after {c.spiking_ahead} of the "
                     f"{epochs} epochs; 90 % of the higher one reached {reach(c.spiking_epoch_to_90)} "
                     f"(spiking) and {reach(c.analog_epoch_to_90)} (analog): "
                     + ("**similar**, as the paper says" if c.similar else
                        f"**not similar** by our criterion: {_which_half(c)}")
                     + _still_rising(c) + ".")
    return "\n".join(parts)


class RerunDifference(NamedTuple):
    """Where a second run of the same setting and seed parts from the first."""

    identical_steps: int
    """Leading optimisation steps whose D and G losses are equal bit for bit in both runs."""
    common_steps: int
    max_is_difference: float
    """Largest |difference| of the two inception scores over the common epochs."""
    at_epoch: int
    machine_changes: tuple[int, ...]
    """Steps at which the second run was resumed on a machine with another platform string or CPU
    (from its provenance's segments)."""


def _machine(segment: Mapping) -> tuple:
    machine = segment.get("machine", {})
    return machine.get("platform"), machine.get("cpu")


def rerun_difference(first: Artifact, again: Artifact) -> RerunDifference:
    """Compare two runs of one setting and seed (``again`` may be longer, e.g. the longer pair)."""
    a, b = first.arrays["losses"], again.arrays["losses"]
    common = min(len(a), len(b))
    same = (a[:common] == b[:common]).all(axis=1)
    identical = common if same.all() else int(np.argmin(same))
    epochs = min(epochs_trained(first), epochs_trained(again))
    gap = np.abs(column(first, "IS")[1:epochs + 1] - column(again, "IS")[1:epochs + 1])
    segments = again.provenance.get("segments") or []
    changes = tuple(int(seg["steps"][0]) for prev, seg in zip(segments, segments[1:])
                    if _machine(prev) != _machine(seg))
    return RerunDifference(identical, common, float(gap.max()), int(np.argmax(gap)) + 1, changes)


def _cpu_recorded(art: Artifact) -> bool:
    return any(_machine(seg)[1] for seg in art.provenance.get("segments") or [art.provenance])


def rerun_text(first: Artifact, again: Artifact) -> str:
    """What :func:`rerun_difference` finds, as a sentence or two (Markdown). A machine change within
    10 steps before the first difference is named as its likely cause; runs that differ from the
    first step are checked for a difference before any training (their untrained generators'
    scores), which puts it in the arithmetic rather than in the training."""
    d = rerun_difference(first, again)
    if d.identical_steps == d.common_steps:
        return f"Over their {count(d.common_steps)} common steps the two runs are identical bit for bit."
    epochs = min(epochs_trained(first), epochs_trained(again))
    scores = f"Over the {epochs} common epochs their inception scores differ by up to {d.max_is_difference:.2f} (epoch {d.at_epoch})."
    part = d.identical_steps
    if part == 0:
        untrained = not np.array_equal(first.arrays["log"][0, 1:], again.arrays["log"][0, 1:], equal_nan=True)
        return (f"The longer run differs from the {epochs_trained(first)}-epoch run (same seed and settings) "
                "from its first step, in the last bits"
                + (" and already in the scores of the untrained generator, so in the arithmetic, not the training"
                   if untrained else "")
                + ("" if _cpu_recorded(first) or _cpu_recorded(again)
                   else " (the provenance did not record the CPU model then)") + f". {scores}")
    steps_per_epoch = len(first.arrays["losses"]) / epochs_trained(first)
    cause = [step for step in d.machine_changes if 0 <= part - step <= 10]
    why = (f": it had been resumed at step {count(cause[0])} on another machine (its provenance's platform string "
           "or CPU differs), whose float arithmetic rounds differently, and training amplifies such differences"
           if cause else "; its provenance does not say why")
    return (f"For its first {count(part)} steps ({part / steps_per_epoch:.1f} epochs) the longer run repeats "
            f"the {epochs_trained(first)}-epoch run bit for bit (same seed and settings), then parts from it"
            f"{why}. {scores}")
