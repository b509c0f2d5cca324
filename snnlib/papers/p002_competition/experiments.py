"""The protocols of chapter 002: training, evaluation and the experiments built on them.

Every protocol is a function of a :class:`~snnlib.book.runner.RunContext`, the MNIST splits
(:class:`MnistSplits`) and its own settings, and runs its experiments through
``ctx.experiment(name, settings, body)``: a finished artifact with the same settings and seed is
read back, one that ``ctx.train`` leaves out is listed in ``ctx.pending``, anything else is
trained.  The experiment names and settings dicts are the identities of the committed
full-profile artifacts under ``data/results/002_competition/full/``; keep them unchanged.

Protocol (paper 002, Sec. 3, and the reference code ``danielgafni/Bachelor``): each training
iteration shows every replica one random training image with STDP on; at the end the frozen
networks' spike counts on calibration and test images feed the readouts of :mod:`.readouts`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import numpy as np
import torch

from snnlib.book.artifacts import Artifact
from snnlib.book.data import load_mnist
from snnlib.book.runner import Experiment, RunContext

from . import network as cn
from . import readouts
from .config import (CLAMPS, COMPETITION_STRENGTHS, FIGURE_VARIANT, anti_stdp_config, clamp_config, experiment_name,
                     profile_settings, repo_fig10_config, row_config, row_iterations, strength_config)
from .reference import ANTI_STDP, REPO_FIG10

__all__ = ["CURVE_SUBSET_SEED", "READOUT_KEYS", "REFERENCE_CALIBRATION_DRAWS", "CurveSettings", "MnistSplits", "anti_stdp", "bindsnet_benchmark",
           "clamp_networks", "clamps", "reference_calibration_replica0", "clamps_without_thresholds", "competition_strength", "curve_indices", "evaluate", "test_halves", "linear_with_reference_calibration", "repo_fig10", "row1_cost", "run_all",
           "spike_counts", "summarise", "table2", "train_network"]

READOUT_KEYS = ("all", "patch", "preselect", "best_voting", "linear")
"""The readouts every evaluation scores, in the order of an artifact's ``curve_accuracy``."""


class MnistSplits:
    """MNIST's training, calibration and test splits (:func:`snnlib.book.data.load_mnist`), each
    ``(uint8 images [N, 28, 28], labels [N])``, loaded on first use (so that reading finished
    artifacts loads nothing)."""

    SPLITS = ("train", "calibration", "test")

    def __init__(self, splits: Optional[Mapping[str, tuple[torch.Tensor, torch.Tensor]]] = None):
        self._splits = dict(splits or {})

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        if name not in self.SPLITS:
            raise ValueError(f"no MNIST split {name!r}; one of {self.SPLITS}")
        if name not in self._splits:
            self._splits[name] = load_mnist(name)
        return self._splits[name]

    @property
    def train(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.split("train")

    @property
    def calibration(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.split("calibration")

    @property
    def test(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.split("test")

    def subset(self, n_train: int, n_calibration: int, n_test: int) -> "MnistSplits":
        """The first images of each split (for tests on a tiny configuration)."""
        sizes = {"train": n_train, "calibration": n_calibration, "test": n_test}
        return MnistSplits({name: tuple(t[:n] for t in self.split(name)) for name, n in sizes.items()})


CURVE_SUBSET_SEED = 2020
"""Seed of the fixed random subset of calibration and test images that learning curves use."""


@dataclass(frozen=True)
class CurveSettings:
    """A learning curve: evaluate every ``every`` iterations on ``calibration`` and ``test``
    images (paper Fig. 7: every 250 iterations, 5000 and 1000 images): a fixed random subset of
    each split (``subset="random"``, :func:`curve_indices`), or its first images (``"first"``,
    the earliest runs; the first half of the MNIST test set holds about four times the silent
    images of the second, so these read low)."""

    every: int
    calibration: int
    test: int
    subset: str = "random"

    def settings(self) -> dict[str, Any]:
        """The curve's part of an experiment's settings (``curve_subset`` only when random, so
        the earliest artifacts keep their identity)."""
        out = {"curve_every": self.every, "curve_calibration": self.calibration, "curve_test": self.test}
        if self.subset != "first":
            out["curve_subset"] = self.subset
        return out


def curve_indices(n_split: int, n: int, subset: str) -> torch.Tensor:
    """The ``n`` image indices of a split of ``n_split`` images that a learning curve scores:
    the first ``n``, or (``"random"``) ``n`` drawn without replacement with
    :data:`CURVE_SUBSET_SEED`, the same for every run."""
    if subset == "first":
        return torch.arange(n)
    if subset != "random":
        raise ValueError(f"curve subset must be 'first' or 'random', not {subset!r}")
    return torch.randperm(n_split, generator=torch.Generator().manual_seed(CURVE_SUBSET_SEED))[:n]


REFERENCE_CALIBRATION_DRAWS = 5000
"""The reference code's default calibration: 5000 images drawn with replacement from the last
10 000 training images (our calibration split)."""


# --------------------------------------------------------------------------- evaluation


def spike_counts(state: cn.CompetitionState, images: torch.Tensor, config: cn.CompetitionNetConfig,
                 generator: torch.Generator, chunk: int = 500) -> torch.Tensor:
    """Frozen-network spike counts ``[R, N, Y]`` for uint8 images ``[N, 28, 28]``, encoded as
    Poisson spike trains in chunks of ``chunk`` images."""
    out = []
    for start in range(0, len(images), chunk):
        spikes = cn.encode_images(images[start:start + chunk], config, generator=generator)
        out.append(cn.infer(state, spikes, config))
    return torch.cat(out, dim=1)


def evaluate(state: cn.CompetitionState, config: cn.CompetitionNetConfig, data: MnistSplits,
             n_calibration: int, n_test: int, generator: torch.Generator, linear: bool = True,
             subset: str = "first"):
    """Readout accuracies of every replica on ``n_calibration`` calibration and ``n_test`` test
    images (the first of each split, or the fixed random subset of :func:`curve_indices`):
    ``(scores, calibration counts, test counts)`` with ``scores`` a list of dicts, one per replica
    (see :func:`.readouts.evaluate_readouts`)."""
    cal_x, cal_y = data.calibration
    test_x, test_y = data.test
    cal_i, test_i = curve_indices(len(cal_x), n_calibration, subset), curve_indices(len(test_x), n_test, subset)
    cal = spike_counts(state, cal_x[cal_i], config, generator)
    test = spike_counts(state, test_x[test_i], config, generator)
    scores = [readouts.evaluate_readouts(cal[r], cal_y[cal_i], test[r], test_y[test_i],
                                         config.num_locations, seed=r, layout="channel_major",
                                         linear=linear)
              for r in range(cal.shape[0])]
    return scores, cal, test


def test_halves(test: torch.Tensor) -> list[dict[str, float]]:
    """Per replica (counts ``[R, N, Y]``), the share of silent images in the first and the second
    half of the test images: the MNIST test set's first half holds more of the images on which no
    Y neuron fires, so a curve scored on its first images reads low."""
    half = test.shape[1] // 2
    silent = test.sum(-1) == 0
    return [{"silent_first_half": float(s[:half].float().mean()), "silent_second_half": float(s[half:].float().mean())}
            for s in silent]


def linear_with_reference_calibration(cal: torch.Tensor, cal_labels: torch.Tensor, test: torch.Tensor,
                                      test_labels: torch.Tensor, draws: int = REFERENCE_CALIBRATION_DRAWS
                                      ) -> list[float]:
    """Linear-readout accuracy of every replica (counts ``[R, N, Y]``) calibrated as the reference
    code does by default: on ``draws`` calibration images drawn with replacement (replica ``r``'s
    draw and classifier seeded with ``r``) instead of every calibration image once."""
    out = []
    for r in range(cal.shape[0]):
        draw = torch.randint(0, cal.shape[1], (draws,), generator=torch.Generator().manual_seed(r))
        model = readouts.fit_linear_readout(cal[r][draw], cal_labels[draw], seed=r)
        out.append(readouts.accuracy(readouts.linear_predict(model, test[r]), test_labels))
    return out


def summarise(scores: list[dict]) -> dict[str, Any]:
    """Per-replica readout accuracies, with their mean and sample sd (None for one replica)."""
    keys = [k for k in (*READOUT_KEYS, "linear_cal5000") if k in scores[0]]
    return {"per_replica": scores,
            **{f"{k}_mean": float(np.mean([s[k] for s in scores])) for k in keys},
            **{f"{k}_sd": float(np.std([s[k] for s in scores], ddof=1)) if len(scores) > 1 else None
               for k in keys}}


def _as_state(net: Mapping[str, torch.Tensor]) -> cn.CompetitionState:
    return cn.CompetitionState(net["w_xy"], net["theta"], net.get("w_yy"))


def replica_state(arrays: Mapping[str, Any]) -> cn.CompetitionState:
    """A one-replica :class:`~.network.CompetitionState` from an artifact's arrays."""
    w_yy = arrays.get("w_yy")
    return cn.CompetitionState(torch.as_tensor(arrays["w_xy"])[None], torch.as_tensor(arrays["theta"])[None],
                               None if w_yy is None else torch.as_tensor(w_yy)[None])


# --------------------------------------------------------------------------- training


def _scores_row(scores: list[dict]) -> list[list[float]]:
    return [[s[k] for k in READOUT_KEYS] for s in scores]


def train_network(ctx: RunContext, data: MnistSplits, name: str, config: cn.CompetitionNetConfig,
                  iterations: int, *, replicas: int, n_calibration: int, n_test: int,
                  curve: Optional[CurveSettings] = None, keep_votes: bool = False,
                  keep_weights: bool = False, keep_xy: bool = True) -> Optional[Artifact]:
    """Train ``replicas`` independent networks of ``config`` for ``iterations`` single-image
    iterations and evaluate them; the finished artifact (reused if it exists), or ``None`` if
    ``ctx`` does not train ``name``.

    Metrics: :func:`summarise` of the final evaluation.  Arrays: replica 0's ``theta``, its
    initial and final XY weights (unless ``keep_xy`` is false) and YY weights (if any), the
    calibration votes (``keep_votes``), and with ``curve`` the learning curve
    (``curve_iterations`` and ``curve_accuracy`` ``[points, R, readouts]``, its last point the
    final evaluation).  ``keep_weights`` stores every replica's final state.  Each replica's
    scores also hold ``linear_cal5000``, the linear readout calibrated as the reference code's
    default (:func:`linear_with_reference_calibration`)."""
    settings = {"net": dataclasses.asdict(config), "replicas": replicas, "iterations": iterations,
                "n_calibration": n_calibration, "n_test": n_test}
    if curve is not None:
        settings.update(curve.settings())

    def body(exp: Experiment) -> Artifact:
        train_x, _ = data.train
        gen = exp.generator()
        init = cn.init_state(config, replicas, generator=gen)
        net = {"w_xy": init.w_xy, "theta": init.theta}
        if init.w_yy is not None:
            net["w_yy"] = init.w_yy
        loop = {"net": net, "gen": gen, "curve": []}
        for it in exp.steps(iterations, loop, every=250, desc=name):
            if curve is not None and it % curve.every == 0:
                scores, _, _ = evaluate(_as_state(loop["net"]), config, data, curve.calibration,
                                        curve.test, loop["gen"], subset=curve.subset)
                loop["curve"] = loop["curve"] + [[it, _scores_row(scores)]]
            index = torch.randint(0, len(train_x), (replicas,), generator=loop["gen"])
            spikes = cn.encode_images(train_x[index], config, generator=loop["gen"])  # [T, R, P]
            new, _ = cn.train_step(_as_state(loop["net"]), spikes, config)
            loop["net"] = {k: v for k, v in new._asdict().items() if v is not None}
        final = _as_state(loop["net"])
        scores, cal, test = evaluate(final, config, data, n_calibration, n_test, loop["gen"])
        cal5000 = linear_with_reference_calibration(cal, data.calibration[1][:n_calibration], test,
                                                    data.test[1][:n_test])
        halves = test_halves(test)
        scores = [dict(s, linear_cal5000=c, **h) for s, c, h in zip(scores, cal5000, halves)]
        arrays = {"theta": final.theta[0]}
        if keep_xy:
            arrays.update(w_xy_init=init.w_xy[0], w_xy=final.w_xy[0])
        if final.w_yy is not None:
            arrays.update(w_yy_init=init.w_yy[0], w_yy=final.w_yy[0])
        if keep_votes:
            arrays["votes"] = readouts.class_votes(cal[0], data.calibration[1][:n_calibration])
        if curve is not None:
            points = loop["curve"] + [[iterations, _scores_row(scores)]]
            arrays["curve_iterations"] = np.array([p[0] for p in points])
            arrays["curve_accuracy"] = np.array([p[1] for p in points])  # [points, R, readouts]
        weights = {k: v for k, v in final._asdict().items() if v is not None} if keep_weights else None
        return exp.finish(summarise(scores), arrays=arrays, weights=weights)

    return ctx.experiment(name, settings, body)


def _train(ctx, data, profile_settings, name, config, iterations, **options):
    """:func:`train_network` with the calibration and test sizes (and, by default, the number of
    replicas) of the profile."""
    options.setdefault("replicas", profile_settings["replicas"])
    return train_network(ctx, data, name, config, iterations, n_calibration=profile_settings["n_calibration"],
                         n_test=profile_settings["n_test"], **options)


# --------------------------------------------------------------------------- the chapter's experiments


def table2(ctx: RunContext, data: MnistSplits, profile_settings: Mapping[str, Any]
           ) -> dict[str, Artifact]:
    """Table 2: the rows of the profile (``profile_settings["rows"]``) and their paired variants
    (``profile_settings["variants"]``, :data:`.config.VARIANTS`), each ``replicas`` networks of the
    same seed; ``{experiment name: artifact}`` (:func:`.config.experiment_name`) of those that
    have finished.

    Row 4 (learned competition) trains 4000 iterations in the full profile
    (:func:`.config.row_iterations`) and keeps every replica's weights; row 5 keeps its
    calibration votes (the votes figure); row 1 keeps no XY weights (two 5 MB arrays no figure
    shows); the experiments of ``profile_settings["curves"]`` record a learning curve."""
    results = {}
    for row in profile_settings["rows"]:
        for variant in ["", *profile_settings["variants"].get(row, [])]:
            name = experiment_name(row, variant)
            subset = profile_settings["curves"].get(name)
            curve = None if subset is None else CurveSettings(
                profile_settings["curve_every"], profile_settings["curve_calibration"],
                profile_settings["curve_test"], subset)
            art = _train(ctx, data, profile_settings, name, row_config(row, variant),
                         row_iterations(row, ctx.profile, profile_settings), curve=curve,
                         keep_votes=row == 5 and not variant, keep_weights=row == 4 and not variant,
                         keep_xy=row != 1)
            if art is not None:
                results[name] = art
    return results


def competition_strength(ctx: RunContext, data: MnistSplits, profile_settings: Mapping[str, Any]
                         ) -> dict[float, tuple[cn.CompetitionNetConfig, Artifact]]:
    """Paper Fig. 9: row 5's network with weak (``c_w = -10``) and strong (``-100``) fixed
    competition; ``{c_w: (config, artifact)}`` of those that have finished."""
    strength = {}
    for competition_weight in COMPETITION_STRENGTHS:
        config = strength_config(competition_weight)
        art = _train(ctx, data, profile_settings, f"competition_strength_{-int(competition_weight)}", config,
                     profile_settings["strength_iterations"])
        if art is not None:
            strength[competition_weight] = (config, art)
    return strength


def anti_stdp(ctx: RunContext, data: MnistSplits, profile_settings: Mapping[str, Any]
              ) -> dict[str, tuple[cn.CompetitionNetConfig, Artifact]]:
    """Paper Fig. 10: row 4's network with each anti-STDP setting of the paper's table
    (:data:`.reference.ANTI_STDP`); ``{label: (config, artifact)}``."""
    learned = {}
    for label in ANTI_STDP:
        config = anti_stdp_config(label)
        art = _train(ctx, data, profile_settings, f"anti_stdp_{label.replace(' ', '_')}", config,
                     profile_settings["anti_stdp_iterations"], replicas=profile_settings["anti_stdp_replicas"])
        if art is not None:
            learned[label] = (config, art)
    return learned


def repo_fig10(ctx: RunContext, data: MnistSplits, profile_settings: Mapping[str, Any]
               ) -> dict[str, tuple[cn.CompetitionNetConfig, Artifact]]:
    """The reference repository's networks behind Fig. 10 (:data:`.reference.REPO_FIG10`),
    trained with the repository's settings (and iterations, in the full profile);
    ``{label: (config, artifact)}``."""
    trained = {}
    for label, network in REPO_FIG10.items():
        config = repo_fig10_config(label)
        iterations = network.iterations if ctx.profile == "full" else profile_settings["anti_stdp_iterations"]
        art = _train(ctx, data, profile_settings, f"anti_stdp_repo_{label.replace(' ', '_')}", config,
                     iterations, replicas=profile_settings["anti_stdp_replicas"])
        if art is not None:
            trained[label] = (config, art)
    return trained


def reference_calibration_replica0(ctx: RunContext, data: MnistSplits, profile_settings: Mapping[str, Any],
                                   runs: Mapping[str, Artifact], rows: Sequence[int]) -> Optional[Artifact]:
    """The linear readout calibrated both ways (every calibration image once, and the reference's
    default of :func:`linear_with_reference_calibration`) for replica 0 of the rows' networks in
    ``rows`` whose artifacts predate that measurement (only replica 0's weights are kept); metrics
    ``{"row<N>": {"linear": ..., "linear_cal5000": ...}}``."""
    present = [row for row in rows if experiment_name(row) in runs]
    if not present:
        return None
    n_calibration, n_test = profile_settings["n_calibration"], profile_settings["n_test"]
    settings = {"rows": present, "n_calibration": n_calibration, "n_test": n_test}

    def body(exp: Experiment) -> Artifact:
        gen, metrics = exp.generator(), {}
        for row in present:
            config = row_config(row)
            scores, cal, test = evaluate(replica_state(runs[experiment_name(row)].arrays), config, data,
                                         n_calibration, n_test, gen)
            cal5000 = linear_with_reference_calibration(cal, data.calibration[1][:n_calibration], test,
                                                        data.test[1][:n_test])
            metrics[f"row{row}"] = {"linear": scores[0]["linear"], "linear_cal5000": cal5000[0]}
        return exp.finish(metrics)

    return ctx.experiment("linear_calibration_replica0", settings, body)


def clamp_networks(unclamped: Artifact, clamped: Mapping[str, Artifact]
                   ) -> dict[str, tuple[cn.CompetitionNetConfig, Artifact]]:
    """The networks of paper Fig. 13 by experiment name, with their configurations: the unclamped
    row-4 network (at :data:`.config.FIGURE_VARIANT`) and the clamped ones (:data:`.config.CLAMPS`)."""
    names = {bounds: (name, clamp) for bounds, (name, clamp) in CLAMPS.items()}
    out = {experiment_name(4, FIGURE_VARIANT): (row_config(4, FIGURE_VARIANT), unclamped)}
    out.update({names[bounds][0]: (clamp_config(names[bounds][1]), art) for bounds, art in clamped.items()})
    return out


def clamps(ctx: RunContext, data: MnistSplits, profile_settings: Mapping[str, Any]) -> dict[str, Artifact]:
    """Paper Fig. 13: row 4's network trained with its competition weights clamped
    (:data:`.config.CLAMPS`); ``{bounds: artifact}``."""
    clamped = {}
    for bounds, (name, clamp) in CLAMPS.items():
        art = _train(ctx, data, profile_settings, name, clamp_config(clamp),
                     profile_settings["clamp_iterations"], replicas=profile_settings["anti_stdp_replicas"])
        if art is not None:
            clamped[bounds] = art
    return clamped


def clamps_without_thresholds(ctx: RunContext, data: MnistSplits, profile_settings: Mapping[str, Any],
                              networks: Mapping[str, tuple[cn.CompetitionNetConfig, Artifact]]
                              ) -> Optional[Artifact]:
    """Paper Fig. 13 as the reference repository scored it: its ``load_network`` drops the
    learned adaptive thresholds, so its clamped networks were evaluated with ``theta = 0``.  Replica
    0 of each of ``networks`` (``{experiment name: (config, artifact)}``: the unclamped row-4
    network and the clamped ones) is scored with its learned thresholds and with them reset to 0,
    on the profile's calibration and test images; metrics ``{"<name>.learned" | "<name>.zero":
    readout scores}``."""
    n_calibration, n_test = profile_settings["n_calibration"], profile_settings["n_test"]
    settings = {"networks": sorted(networks), "n_calibration": n_calibration, "n_test": n_test}

    def body(exp: Experiment) -> Artifact:
        gen, metrics = exp.generator(), {}
        for name, (config, art) in sorted(networks.items()):
            state = replica_state(art.arrays)
            for label, theta in (("learned", state.theta), ("zero", torch.zeros_like(state.theta))):
                scores, _, _ = evaluate(state._replace(theta=theta), config, data, n_calibration, n_test, gen)
                metrics[f"{name}.{label}"] = scores[0]
        return exp.finish(metrics)

    return ctx.experiment("clamped_thresholds_zeroed", settings, body)


ROW1_NETWORK = cn.CompetitionNetConfig(arch="lc", channels=1000, kernel=12)


def row1_cost(ctx: RunContext, data: MnistSplits, n_train: int, n_infer: int,
              config: cn.CompetitionNetConfig = ROW1_NETWORK) -> Optional[Artifact]:
    """Wall time of one network of ``config`` (the 1000-channel network of Table 2 row 1):
    seconds per training iteration (timed over ``n_train`` images after one warm-up image) and
    per test image (over ``n_infer``), and the hours they predict for the full protocol
    (5 replicas x 5000 iterations, 20 000 calibration and test images each)."""
    settings = {"net": dataclasses.asdict(config), "n_train": n_train, "n_infer": n_infer}

    def body(exp: Experiment) -> Artifact:
        train_x, _ = data.train
        test_x, _ = data.test
        gen = exp.generator()
        state = cn.init_state(config, 1, generator=gen)
        spikes = cn.encode_images(train_x[:n_train + 1], config, generator=gen)
        state, _ = cn.train_step(state, spikes[:, :1], config)  # warm-up
        start = time.perf_counter()
        for i in range(1, n_train + 1):
            state, _ = cn.train_step(state, spikes[:, i:i + 1], config)
        train_s = (time.perf_counter() - start) / n_train
        images = cn.encode_images(test_x[:n_infer], config, generator=gen)
        start = time.perf_counter()
        cn.infer(state, images, config)
        infer_s = (time.perf_counter() - start) / n_infer
        full_hours = (5 * 5000 * train_s + 5 * 20000 * infer_s) / 3600
        return exp.finish({"train_s_per_iteration": train_s, "infer_s_per_image": infer_s,
                           "full_protocol_hours": full_hours})

    return ctx.experiment("row1_cost", settings, body)


def bindsnet_benchmark(ctx: RunContext) -> Optional[Artifact]:
    """The recorded run of ``benchmarks/competition_vs_bindsnet.py`` (full profile; ``None`` if
    it has not been recorded)."""
    return ctx.recorded("bindsnet_benchmark", profile="full")


def run_all(ctx: RunContext) -> None:
    """Every protocol the chapter runs, in its order, with its profile's settings: what the
    launcher (:mod:`snnlib.book.launch`) enumerates (``ctx.train = False``) and runs one
    experiment at a time (``ctx.train`` = that name)."""
    data, settings = MnistSplits(), profile_settings(ctx.profile)
    runs = table2(ctx, data, settings)
    competition_strength(ctx, data, settings)
    anti_stdp(ctx, data, settings)
    repo_fig10(ctx, data, settings)
    reference_calibration_replica0(ctx, data, settings, runs, settings["calibration_rows"])
    clamped = clamps(ctx, data, settings)
    unclamped = runs.get(experiment_name(4, FIGURE_VARIANT))
    if unclamped is not None and len(clamped) == len(CLAMPS):
        clamps_without_thresholds(ctx, data, settings, clamp_networks(unclamped, clamped))
    row1_cost(ctx, data, *settings["row1_cost"])
