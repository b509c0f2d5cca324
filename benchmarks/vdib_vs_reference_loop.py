"""Benchmark: paper 001's predictive-coding training (section 6.1), snnlib's side-by-side streams
against the authors' loop re-stated, one model at a time.

The authors (kclip/VDIB with their library kclip/snn, PyTorch 1.7) train each model with batch
size 1 and autograd: per time step the SRM readout's membrane, ``enc_loss.backward()``,
``SNNSGD.step`` with the step's learning signal, the decoder's ``NLLLoss`` backward and Adam.
Their library is not on the package registries this machine reaches, so the baseline is
``snnlib.papers.p001_vdib.reference.train_stream_reference``: that loop re-stated with torch's
``nn.Linear`` and ``Adam`` and autograd through the same membrane.  snnlib's side is
``predictive.train_predictive_coding``, which simulates every model (setting x trial) of a
profile side by side with the gradients in closed form.

First the equivalence: two streams of different settings trained for one sequence by both, in
float32, and the largest difference of their readout weights.  (Run in float64, the two agree
to 1e-15 after one sequence; the training amplifies any rounding difference about a hundredfold
per sequence, so a longer comparison measures that sensitivity, not the code: in float64 the
difference had grown to 1e-10 after three sequences and 1e-5 after five.)  Then the time of ``--sequences`` training
sequences for the ``--streams`` models of the full profile: the reference trains them one after
the other (float32, as the authors ran), snnlib all at once; the ratio is printed.  Not a test.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/vdib_vs_reference_loop.py --sequences 20
    # --record writes data/results/001_vdib/full/reference_benchmark/ (metrics + provenance)
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch

from snnlib.book.runner import Experiment, benchmark_record
from snnlib.papers.p001_vdib import config, predictive, reference


def _settings(sequences: int) -> dict:
    full = config.profile_settings("full")
    return {**config.predictive_settings(full), "n_sequences": sequences, "test_period": 10 ** 9,
            "checkpoint_every": 10 ** 9}


def _ours(streams, settings, decoding: str) -> dict:
    with tempfile.TemporaryDirectory() as root:
        exp = Experiment("001_vdib", "benchmark", {}, "quick", root=root)
        return predictive.train_predictive_coding(exp, streams, settings, decoding, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sequences", type=int, default=20, help="training sequences timed")
    parser.add_argument("--check-sequences", type=int, default=1)
    parser.add_argument("--decoding", default="vdib", choices=predictive.DECODINGS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--record", action="store_true", help="write chapter 001's reference_benchmark artifact")
    args = parser.parse_args()
    recording = benchmark_record("001_vdib", "reference_benchmark", args)
    torch.set_num_threads(args.threads)
    streams = config.predictive_streams(config.profile_settings("full"))

    check = _settings(args.check_sequences)
    pair = [streams[0], streams[-1]]
    ours = _ours(pair, check, args.decoding)
    diff = 0.0
    for i, stream in enumerate(pair):
        ref = reference.train_stream_reference(stream, check, args.decoding, 0, dtype=torch.float32)
        diff = max(diff, *(float(np.abs(ours[f"encoder_{k}"][i] - p[0].numpy()).max())
                           for k, p in zip(("ff", "fb", "bias"), ref)))
    print(f"equivalence ({args.check_sequences} sequence(s), 2 streams, float32): largest readout-weight "
          f"difference {diff:.1e}")

    timed = _settings(args.sequences)
    start = time.perf_counter()
    _ours(streams, timed, args.decoding)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    for stream in streams:
        reference.train_stream_reference(stream, timed, args.decoding, 0, dtype=torch.float32)
    ref_s = time.perf_counter() - start
    ratio = ref_s / ours_s
    print(f"{len(streams)} models x {args.sequences} sequences ({args.decoding}): reference loop {ref_s:.1f} s, "
          f"snnlib {ours_s:.1f} s, ratio {ratio:.1f}")
    record = {"streams": len(streams), "sequences": args.sequences, "decoding": args.decoding,
              "reference_s": ref_s, "snnlib_s": ours_s, "ratio": ratio, "max_weight_diff": diff,
              "threads": args.threads}
    if recording is not None:
        recording.finish(record)
        print(f"recorded in {recording.directory}")


if __name__ == "__main__":
    main()
