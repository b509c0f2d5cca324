"""S4NN classifier (784-400-10) per image: snnlib's fast paths vs a numpy port of S4NN.py.

The comparison baseline is a plain numpy port, written for this benchmark, of the training and
test iterations of ``S4NN.py`` (SRKH/S4NN, Kheradpisheh & Masquelier 2020; CuPy replaced by
numpy, as the reference does itself with ``GPU = False``): spike images with ``tmax + 1`` time
slots, ``Voltage = cumsum(tensordot(W, S), 1)`` with the forced fake spike in the last slot,
relative targets, L2-normalised deltas, output weights updated and decayed before the hidden
error is computed from them, then the hidden weights.  Its test iteration scores the image as
S4NN.py does (label among the first to fire; silent output -> argmax of V(tmax - 3)).

snnlib's side is what chapter 003's protocols run: the per-image kernel
``snnlib.core.temporal.s4nn_train_image_`` (the loop of ``s4nn.train_epoch``), and the batched
``s4nn.evaluate`` (``snnlib.core.temporal.s4nn_forward_times``).

Both start from the same float64 weights (S4NN's initialisation, ``np.random.seed(0)``) and see the
same MNIST training images in file order, one after the other (port image i, then ours image
i), so both run under the same machine load.  Reported: ms per training image (median and
mean), ms per evaluated image, the ratios, and the equivalence: identical hidden and output
spike times on every training image, max |W_ours - W_port| after the N training images,
identical output times and identical S4NN-rule correctness on every evaluated image.

Run (one thread, machine otherwise idle):

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/s4nn_vs_numpy_port.py --train 1000 --eval 1000
    # --float32 also times our kernel in float32 (chapter 003's dtype);
    # --record writes data/results/003_spiking_gan/full/s4nn_benchmark/ (metrics + provenance)
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from snnlib.book.data import load_mnist
from snnlib.book.runner import benchmark_record
from snnlib.core import temporal as tp
from snnlib.core.coding import ttfs_encode
from snnlib.papers.p003_spiking_gan.s4nn import S4NNClassifierConfig, evaluate

# --------------------------------------------------------------------------------------------
# The numpy port of S4NN.py (reference algorithm; parameters of its "Parameter setting")
# --------------------------------------------------------------------------------------------

THR = [100, 100]
LR = [0.2, 0.2]
LAMDA = [0.000001, 0.000001]
B_INIT = [5, 48]
A_INIT = [0, 0]
TMAX = 256
GAMMA = 3
GRAY = 255
N_HIDDEN = 400
N_CLASSES = 10
CATS = [4, 1, 0, 7, 9, 2, 3, 5, 8, 6]  # S4NN.py's reordering of the categories


class S4NNPort:
    """S4NN.py's network state and its training / test iterations (numpy, float64)."""

    def __init__(self) -> None:
        np.random.seed(0)
        sizes = [(N_HIDDEN, 28, 28), (N_CLASSES, N_HIDDEN, 1)]
        self.W = [(B_INIT[l] - A_INIT[l]) * np.random.random_sample(sizes[l]) + A_INIT[l]
                  for l in range(2)]
        self.spike_image = np.zeros((28, 28, TMAX + 1))
        self.x = np.mgrid[0:28, 0:28]
        self.spikes = [np.zeros((N_HIDDEN, 1, TMAX + 1)), np.zeros((N_CLASSES, 1, TMAX + 1))]
        self.X = [np.mgrid[0:N_HIDDEN, 0:1], np.mgrid[0:N_CLASSES, 0:1]]
        self.firing = [np.zeros(N_HIDDEN), np.zeros(N_CLASSES)]
        self.target = np.zeros(N_CLASSES)

    @staticmethod
    def encode(image: np.ndarray) -> np.ndarray:
        image = np.asarray(image, dtype=np.int64)  # python-mnist gives lists of ints
        return np.floor((GRAY - image.reshape(28, 28)) * TMAX / GRAY).astype(int)

    def forward(self, image_times: np.ndarray) -> np.ndarray:
        self.spike_image[:, :, :] = 0
        self.spike_image[self.x[0], self.x[1], image_times] = 1
        spike_list = [self.spike_image] + self.spikes
        for layer in range(2):
            voltage = np.cumsum(np.tensordot(self.W[layer], spike_list[layer]), 1)
            voltage[:, TMAX] = THR[layer] + 1
            self.firing[layer] = np.argmax(voltage > THR[layer], axis=1).astype(float) + 1
            self.firing[layer][self.firing[layer] > TMAX] = TMAX
            self.spikes[layer][:, :, :] = 0
            self.spikes[layer][self.X[layer][0], self.X[layer][1],
                               self.firing[layer].reshape(-1, 1).astype(int)] = 1
        return voltage

    def train(self, image_times: np.ndarray, label: int) -> None:
        self.forward(image_times)
        firing, W = self.firing, self.W
        layer = 1
        min_firing = min(firing[layer])
        target = self.target
        if min_firing == TMAX:
            target[:] = min_firing
            target[label] = min_firing - GAMMA
            target = target.astype(int)
        else:
            target[:] = firing[layer][:]
            to_change = (firing[layer] - min_firing) < GAMMA
            target[to_change] = min(min_firing + GAMMA, TMAX)
            target[label] = min_firing
        delta_o = (target - firing[layer]) / TMAX
        norm = np.linalg.norm(delta_o)
        if norm != 0:
            delta_o = delta_o / norm
        has_fired_o = firing[layer - 1] < firing[layer][:, np.newaxis]
        W[layer][:, :, 0] -= delta_o[:, np.newaxis] * has_fired_o * LR[layer]
        W[layer] -= LR[layer] * LAMDA[layer] * W[layer]
        delta_h = (np.multiply(delta_o[:, np.newaxis] * has_fired_o, W[layer][:, :, 0])).sum(axis=0)
        layer = 0
        norm = np.linalg.norm(delta_h)
        if norm != 0:
            delta_h = delta_h / norm
        has_fired_h = image_times < firing[layer][:, np.newaxis, np.newaxis]
        W[layer] -= LR[layer] * delta_h[:, np.newaxis, np.newaxis] * has_fired_h
        W[layer] -= LR[layer] * LAMDA[layer] * W[layer]

    def test(self, image_times: np.ndarray, label: int) -> bool:
        voltage = self.forward(image_times)
        min_time = self.firing[1].min()
        if min_time == TMAX:
            return bool(np.argmax(voltage[:, TMAX - 3]) == label)
        return bool(self.firing[1][label] == min_time)


# --------------------------------------------------------------------------------------------
# Benchmark
# --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=int, default=1000, help="training images (each side)")
    parser.add_argument("--eval", type=int, default=1000, help="evaluated images (each side)")
    parser.add_argument("--eval-rounds", type=int, default=3, help="timed evaluation rounds")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--float32", action="store_true",
                        help="also time snnlib's training kernel in float32 (the chapter's dtype)")
    parser.add_argument("--record", action="store_true",
                        help="write data/results/003_spiking_gan/full/s4nn_benchmark/ (with provenance)")
    args = parser.parse_args()
    recording = benchmark_record("003_spiking_gan", "s4nn_benchmark", args)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, numpy {np.__version__}, threads {torch.get_num_threads()}")

    images, labels = load_mnist("train")
    test_images, test_labels = load_mnist("test")
    raw = images[:args.train].numpy()
    y = np.array([CATS.index(int(v)) for v in labels[:args.train]])
    port_times = [S4NNPort.encode(im) for im in raw]
    ours_times = ttfs_encode(images[:args.train].flatten(1)).numpy()
    assert all(np.array_equal(p.ravel(), o) for p, o in zip(port_times, ours_times))

    port = S4NNPort()
    config = S4NNClassifierConfig()  # S4NN loss, L2, threshold 100, lr 0.2, decay 1e-6, 'updated'
    weights_t = [np.array(port.W[0].reshape(N_HIDDEN, 784).T, order="C"),
                 np.array(port.W[1][:, :, 0].T, order="C")]
    settings = dict(thresholds=[config.threshold] * 2, t_max=config.t_max, lr=[config.lr] * 2,
                    weight_decay=[config.weight_decay] * 2, norm=config.norm, loss=config.loss,
                    gamma=config.gamma, backprop_weights=config.backprop_weights)

    # 1. Training, alternating image by image; spike times compared on every image.
    t_port, t_ours, times_equal = [], [], True
    for i in range(args.train):
        start = time.perf_counter()
        port.train(port_times[i], int(y[i]))
        t_port.append(time.perf_counter() - start)
        start = time.perf_counter()
        ours = tp.s4nn_train_image_(weights_t, ours_times[i], int(y[i]), **settings)
        t_ours.append(time.perf_counter() - start)
        if not (np.array_equal(ours[0], port.firing[0]) and np.array_equal(ours[1], port.firing[1])):
            times_equal = False
            print(f"  image {i}: spike times differ")
    max_dw = max(float(np.abs(weights_t[0].T - port.W[0].reshape(N_HIDDEN, 784)).max()),
                 float(np.abs(weights_t[1].T - port.W[1][:, :, 0]).max()))
    record = {"threads": args.threads, "train_images": args.train,
              "train_times_identical": times_equal, "train_max_abs_dw": max_dw,
              "port_train_ms": 1e3 * statistics.mean(t_port),
              "snnlib_train_ms": 1e3 * statistics.mean(t_ours),
              "port_train_ms_median": 1e3 * statistics.median(t_port),
              "snnlib_train_ms_median": 1e3 * statistics.median(t_ours)}
    record["train_ratio"] = record["port_train_ms"] / record["snnlib_train_ms"]
    record["train_ratio_median"] = record["port_train_ms_median"] / record["snnlib_train_ms_median"]
    print(f"training, {args.train} images: port {record['port_train_ms']:.3f} ms/image "
          f"(median {record['port_train_ms_median']:.3f}), snnlib {record['snnlib_train_ms']:.3f} "
          f"ms/image (median {record['snnlib_train_ms_median']:.3f}), ratio {record['train_ratio']:.1f}x "
          f"(of medians {record['train_ratio_median']:.1f}x)")
    print(f"  hidden and output spike times identical on every image: {times_equal}; "
          f"max |W_ours - W_port| after {args.train} images: {max_dw:.3g}")

    # 1b. The chapter's dtype: ours in float32 from the same initial weights (timed alone, after
    #     the port's run; float32 rounding makes its weights drift from the float64 port's).
    if args.float32:
        port32 = S4NNPort()
        weights32 = [np.array(port32.W[0].reshape(N_HIDDEN, 784).T, order="C", dtype=np.float32),
                     np.array(port32.W[1][:, :, 0].T, order="C", dtype=np.float32)]
        t32 = []
        for i in range(args.train):
            start = time.perf_counter()
            tp.s4nn_train_image_(weights32, ours_times[i], int(y[i]), **settings)
            t32.append(time.perf_counter() - start)
        record["snnlib_train_ms_float32"] = 1e3 * statistics.mean(t32)
        record["train_ratio_float32"] = record["port_train_ms"] / record["snnlib_train_ms_float32"]
        print(f"training in float32 (chapter 003's dtype), snnlib {record['snnlib_train_ms_float32']:.3f} "
              f"ms/image, {record['train_ratio_float32']:.1f}x the float64 port's time")

    # 2. Evaluation of the trained weights on test images, the port image by image, ours batched.
    t_img = test_images[:args.eval]
    y_test = np.array([CATS.index(int(v)) for v in test_labels[:args.eval]])
    port_test = [S4NNPort.encode(im) for im in t_img.numpy()]
    ours_test = ttfs_encode(t_img.flatten(1))
    weights = [torch.from_numpy(np.ascontiguousarray(w.T)) for w in weights_t]
    y_t = torch.from_numpy(y_test)
    port_eval, ours_eval = [], []
    for _ in range(args.eval_rounds):
        start = time.perf_counter()
        port_ok, port_out = [], []
        for i in range(args.eval):
            port_ok.append(port.test(port_test[i], int(y_test[i])))
            port_out.append(port.firing[1].astype(int))
        port_eval.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = evaluate(weights, ours_test, y_t, config)
        ours_eval.append(time.perf_counter() - start)
    ours_out = tp.s4nn_forward_times(ours_test, weights, config.threshold, config.t_max)
    assert torch.equal(ours_out.times[0], result.hidden_times)
    eval_equal = bool(np.array_equal(ours_out.times[-1].numpy(), np.stack(port_out)))
    out = ours_out.times[-1].numpy()
    first = out.min(axis=1)
    ours_ok = np.where(first == TMAX, ours_out.output_probe.numpy().argmax(axis=1) == y_test,
                       out[np.arange(len(out)), y_test] == first)
    ok_equal = bool(np.array_equal(ours_ok, np.array(port_ok)))
    record["eval_s4nn_correct_identical"] = ok_equal
    lenient_port = float(np.mean(port_ok))
    record.update(eval_images=args.eval, eval_output_times_identical=eval_equal,
                  eval_s4nn_accuracy_port=lenient_port, eval_s4nn_accuracy_snnlib=result.s4nn_accuracy,
                  port_eval_ms=1e3 * min(port_eval) / args.eval,
                  snnlib_eval_ms=1e3 * min(ours_eval) / args.eval)
    record["eval_ratio"] = record["port_eval_ms"] / record["snnlib_eval_ms"]
    print(f"evaluation, {args.eval} test images (best of {args.eval_rounds}): port "
          f"{record['port_eval_ms']:.3f} ms/image, snnlib {record['snnlib_eval_ms']:.3f} ms/image "
          f"(s4nn.evaluate, all images in one call), ratio {record['eval_ratio']:.1f}x")
    print(f"  output spike times identical on every image: {eval_equal}; S4NN-rule correctness "
          f"identical on every image: {ok_equal}; S4NN-rule accuracy "
          f"port {lenient_port:.4f}, snnlib {result.s4nn_accuracy:.4f}")
    if recording is not None:
        recording.finish(record)
        print(f"recorded in {recording.directory}")


if __name__ == "__main__":
    main()
