"""Benchmark: paper 002's 25-channel, kernel-12 LCSNN -- snnlib.papers.p002_competition.network vs BindsNET 0.3.4 (CPU).

BindsNET network, built like ``LC_SNN.create_network`` in danielgafni/Bachelor ``thesis/nets.py``:
``Input(400, shape=(1, 20, 20), traces=True)`` -> ``LocalConnection(kernel 12, stride 4,
25 filters, PostPre, nu=[1e-4, 1e-2], wmin 0, wmax 1, norm)`` -> ``AdaptiveLIFNodes((25, 3, 3),
tc_decay 20, thresh -52, refrac 2, theta_plus 0.05, tc_theta_decay 1e6, traces)`` with the fixed
competition ``Connection(Y, Y, w)`` (c_w = -100 between channels at the same location).  Both
simulators start from the same weights (ours, copied into BindsNET's dense matrix) and see the
same Poisson spike trains of the same MNIST training images (20 x 20 centre crop, 127.5 Hz).

Steps:

1. equivalence: train ``--check`` images with learning on, compare the Y spikes of every step,
   the weights (XY) and the adaptive thresholds after every image;
2. timing: seconds per training image, median over ``--images`` images after ``--warmup``;
   alternating ours / BindsNET image by image so both see the same machine load;
3. ours with ``--replicas`` independent networks simulated together (images x networks / s);
4. inference throughput of ``snnlib.papers.p002_competition.network.infer`` (learning off, batched) for the 25- and
   100-channel kernel-12 networks, and BindsNET's test-mode time per image for comparison.

Not a test: it needs BindsNET, which is not a project dependency (see benchmarks/README.md).

    OMP_WAIT_POLICY=PASSIVE /tmp/bindsnet-venv/bin/python benchmarks/competition_vs_bindsnet.py --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from snnlib.book.runner import benchmark_record
from snnlib.papers.p002_competition.network import (
    CompetitionNetConfig,
    dense_xy,
    dense_yy,
    encode_images,
    infer,
    init_state,
    simulate,
    train_step,
    xy_from_dense,
)


def load_images(count: int, seed: int, use_mnist: bool) -> torch.Tensor:
    """``count`` uint8 28 x 28 training images (MNIST 'train' split, random draws)."""
    generator = torch.Generator().manual_seed(seed)
    if use_mnist:
        from snnlib.book.data import load_mnist

        images, _ = load_mnist("train")
        return images[torch.randint(0, images.shape[0], (count,), generator=generator)]
    blobs = torch.rand(count, 28, 28, generator=generator) < 0.25
    return (blobs * 255).to(torch.uint8)


def build_bindsnet(config: CompetitionNetConfig, w_xy_dense: torch.Tensor, w_yy: torch.Tensor):
    """The ``LC_SNN`` network in BindsNET 0.3.4 (single trace per layer, tau 20 = the reference's
    tau_pos = tau_neg = 20; ``LocalConnection`` multiplies ``norm`` by kernel**2 itself)."""
    from bindsnet.learning import PostPre
    from bindsnet.network import Network
    from bindsnet.network.monitors import Monitor
    from bindsnet.network.nodes import AdaptiveLIFNodes, Input
    from bindsnet.network.topology import Connection, LocalConnection

    neuron = config.neuron
    side = config.side
    network = Network(dt=config.dt, learning=True)
    x_layer = Input(n=config.num_inputs, shape=(1, config.input_size, config.input_size), traces=True,
                    tc_trace=config.input_trace_tau)
    y_layer = AdaptiveLIFNodes(
        n=config.num_neurons,
        shape=(config.channels, side, side),
        traces=True,
        tc_trace=config.competition_tau[1],
        rest=neuron.rest,
        reset=neuron.reset,
        thresh=neuron.thresh,
        tc_decay=neuron.tc_decay,
        theta_plus=neuron.theta_plus,
        tc_theta_decay=neuron.tc_theta_decay,
        refrac=int(neuron.refrac),
    )
    xy = LocalConnection(
        x_layer,
        y_layer,
        kernel_size=config.kernel,
        stride=config.stride,
        n_filters=config.channels,
        update_rule=PostPre,
        nu=list(config.nu),
        wmin=config.wmin,
        wmax=config.wmax,
        norm=config.mean_weight,  # BindsNET 0.3.4 multiplies it by kernel**2
        w=w_xy_dense.clone(),
    )
    yy = Connection(y_layer, y_layer, w=w_yy.clone())
    network.add_layer(x_layer, name="X")
    network.add_layer(y_layer, name="Y")
    network.add_connection(xy, source="X", target="Y")
    network.add_connection(yy, source="Y", target="Y")
    monitor = Monitor(y_layer, state_vars=["s"], time=config.num_steps)
    network.add_monitor(monitor, name="Y")
    assert abs(xy.norm - config.norm) < 1e-9, (xy.norm, config.norm)
    return network, monitor


def bindsnet_image(network, monitor, spikes: torch.Tensor, config: CompetitionNetConfig) -> torch.Tensor:
    """One ``run`` + ``reset_state_variables`` (a copy of the input: BindsNET zeroes a frame of it)."""
    T = spikes.shape[0]
    frames = spikes.reshape(T, 1, 1, config.input_size, config.input_size).clone()
    network.run(inputs={"X": frames}, time=config.time)
    out = monitor.get("s").reshape(T, config.num_neurons).float().clone()
    network.reset_state_variables()
    return out


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--check", type=int, default=10, help="images trained in the equivalence check")
    parser.add_argument("--images", type=int, default=20, help="timed images per simulator")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--replicas", default="5", help="comma-separated replica counts, e.g. 5,10")
    parser.add_argument("--infer-images", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--random-images", action="store_true", help="random blobs instead of MNIST")
    parser.add_argument("--record", action="store_true",
                        help="write the results as the chapter's artifact "
                             "data/results/002_competition/full/bindsnet_benchmark/ (with provenance)")
    args = parser.parse_args()
    recording = benchmark_record("002_competition", "bindsnet_benchmark", args, seed=args.seed)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")

    config = CompetitionNetConfig(arch="lc", channels=25, kernel=12)
    replicas = [int(r) for r in args.replicas.split(",")]
    n_train = args.check + args.warmup + args.images
    images = load_images(max(n_train, args.infer_images), args.seed, not args.random_images)
    generator = torch.Generator().manual_seed(args.seed)
    spikes = [encode_images(images[i : i + 1], config, generator) for i in range(n_train)]  # [T, 1, P]

    try:
        import bindsnet  # noqa: F401
        have_bindsnet = True
    except ImportError:
        have_bindsnet = False
        print("BindsNET not importable: timing snnlib only")

    record = {"threads": args.threads, "bindsnet": have_bindsnet}
    state = init_state(config, 1, torch.Generator().manual_seed(args.seed + 1))
    if have_bindsnet:
        network, monitor = build_bindsnet(config, dense_xy(state.w_xy, config)[0], dense_yy(state, config)[0])

        # 1. Equivalence with learning on.
        all_spikes_equal, max_dw, max_dtheta, n_spikes = True, 0.0, 0.0, 0
        bitwise_w = True
        for i in range(args.check):
            state, counts, rec = simulate(state, spikes[i], config, learning=True)
            ref = bindsnet_image(network, monitor, spikes[i], config)
            equal = torch.equal(rec.spikes[:, 0], ref)
            all_spikes_equal &= equal
            n_spikes += int(ref.sum())
            w_ref = network.connections[("X", "Y")].w.detach()
            w_ours = dense_xy(state.w_xy, config)[0]
            bitwise_w &= torch.equal(xy_from_dense(w_ref[None], config), state.w_xy)
            max_dw = max(max_dw, float((w_ref - w_ours).abs().max()))
            theta_ref = network.layers["Y"].theta.detach().reshape(-1)
            max_dtheta = max(max_dtheta, float((theta_ref - state.theta[0]).abs().max()))
            if not equal:
                diff = (rec.spikes[:, 0] != ref).nonzero()
                print(f"  image {i}: spikes differ at {diff.shape[0]} (step, neuron) pairs, first {diff[0].tolist()}")
        record.update(spikes_identical=all_spikes_equal, xy_bit_identical=bitwise_w,
                      check_images=args.check, check_spikes=n_spikes, max_abs_dw=max_dw)
        print(
            f"equivalence, {args.check} training images ({n_spikes} Y spikes): "
            f"spikes identical every step: {all_spikes_equal}; "
            f"XY weights bit-identical: {bitwise_w} (max |dw| {max_dw:.3g}); max |d theta| {max_dtheta:.3g}"
        )

    # 2. Timing, one network each, alternating image by image.
    timed = spikes[args.check : n_train]
    ours_times, ref_times = [], []
    for i, sp in enumerate(timed):
        start = time.perf_counter()
        state, _ = train_step(state, sp, config)
        ours_times.append(time.perf_counter() - start)
        if have_bindsnet:
            start = time.perf_counter()
            bindsnet_image(network, monitor, sp, config)
            ref_times.append(time.perf_counter() - start)
    ours_1 = statistics.median(ours_times[args.warmup :])
    print(f"snnlib, 1 network:  {ours_1 * 1e3:8.1f} ms / training image")
    if have_bindsnet:
        ref_1 = statistics.median(ref_times[args.warmup :])
        print(f"BindsNET 0.3.4:     {ref_1 * 1e3:8.1f} ms / training image")
        print(f"speed-up, 1 network: {ref_1 / ours_1:.1f}x")
        record.update(bindsnet_s_per_image=ref_1, speedup_one_network=ref_1 / ours_1)
    record["snnlib_s_per_image"] = ours_1

    # 3. R replicas together (again alternating with BindsNET images, for the same load).
    for R in replicas:
        states = init_state(config, R, torch.Generator().manual_seed(args.seed + 2))
        batch = [torch.cat([timed[(i + r) % len(timed)] for r in range(R)], dim=1) for i in range(len(timed))]
        rep_times, ref_times_r = [], []
        for i, sp in enumerate(batch):
            start = time.perf_counter()
            states, _ = train_step(states, sp, config)
            rep_times.append(time.perf_counter() - start)
            if have_bindsnet:
                start = time.perf_counter()
                bindsnet_image(network, monitor, timed[i], config)
                ref_times_r.append(time.perf_counter() - start)
        ours_r = statistics.median(rep_times[args.warmup :])
        line = (
            f"snnlib, {R} networks together: {ours_r * 1e3:8.1f} ms / step of {R} images "
            f"= {R / ours_r:.1f} images x networks / s"
        )
        if have_bindsnet:
            ref_r = statistics.median(ref_times_r[args.warmup :])
            line += f"; BindsNET alongside {ref_r * 1e3:.1f} ms / image; throughput ratio {(R / ours_r) * ref_r:.1f}x"
            record[f"throughput_ratio_r{R}"] = (R / ours_r) * ref_r
            if R == replicas[0]:
                record["throughput_ratio_replicas"] = (R / ours_r) * ref_r
        record[f"snnlib_images_per_s_r{R}"] = R / ours_r
        print(line)

    # 4. Inference throughput (learning off, batched).
    n_inf = args.infer_images
    inf_spikes = encode_images(images[:n_inf], config, generator)  # [T, n, P]
    for channels in (25, 100):
        cfg = config.replace(channels=channels)
        st = init_state(cfg, 1, torch.Generator().manual_seed(3))
        infer(st, inf_spikes[:, :10], cfg)  # warm-up
        seconds = median_time(lambda: infer(st, inf_spikes, cfg), 3)
        print(f"inference, {channels} ch k12, 1 network: {n_inf / seconds:8.1f} images / s ({n_inf} images per call)")
        record[f"snnlib_inference_images_per_s_{channels}ch"] = n_inf / seconds
    if have_bindsnet:
        network.train(False)
        seconds = median_time(lambda: bindsnet_image(network, monitor, spikes[0], config), 10)
        print(f"BindsNET inference, 25 ch k12: {1 / seconds:8.1f} images / s (one image per run)")
        record["bindsnet_inference_images_per_s_25ch"] = 1 / seconds
    if recording is not None:
        recording.finish(record)
        print(f"recorded in {recording.directory}")


if __name__ == "__main__":
    main()
