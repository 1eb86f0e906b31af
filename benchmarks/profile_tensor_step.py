"""Where one training step of the n-d engine spends its time: a diagnosis, not a race.

Builds the same 784-1024-1024-10 MLP step as ``bench_tensor_vs_torch.py`` (forward, MSE,
backward, SGD) and prints:

* the Python functions that take the most time over ``--steps`` steps (cProfile), which shows
  how much of a step is our own bookkeeping and how much is array calls;
* on ``--device cuda``: the number of GPU kernels one step launches and their GPU time, for
  minitorch and for PyTorch (counted with torch.profiler, whose CUPTI tracing sees CuPy's
  kernels too). A small net on a GPU is bound by launches, so this count is what to cut.

    python benchmarks/profile_tensor_step.py [--device cpu|cuda] [--steps 200] [--batch 512]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tensor_vs_torch import initial_weights, make_minitorch, make_torch, without_fused_kernels

SIZES = (784, 1024, 1024, 10)


def count_kernels(step, label: str) -> None:
    """Run ``step`` once under torch.profiler and print the GPU kernels it launched."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        float(step())
        torch.cuda.synchronize()
    kernels = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
    total_us = sum(e.device_time for e in kernels)
    print(f"\n{label}: {len(kernels)} GPU kernels/step, {total_us:.1f} us of GPU time")
    names: dict[str, int] = {}
    for e in kernels:
        names[e.name[:70]] = names.get(e.name[:70], 0) + 1
    for name, n in sorted(names.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {n:3d} x {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()

    rng = np.random.default_rng(1)
    x = rng.standard_normal((args.batch, SIZES[0])).astype(np.float32)
    y = rng.standard_normal((args.batch, SIZES[-1])).astype(np.float32)
    weights = initial_weights(SIZES)
    ours = make_minitorch(weights, x, y, args.device)
    for _ in range(5):  # warm-up: kernel compilation, allocator pools
        float(ours())

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.steps):
        result = ours()
    float(result)
    profiler.disable()
    print(f"minitorch, {'-'.join(map(str, SIZES))} MLP, batch {args.batch}, device {args.device}, "
          f"{args.steps} steps under cProfile (times include the profiler's own overhead):")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)

    if args.device == "cuda":
        theirs = make_torch(weights, x, y, "cuda")
        for _ in range(5):
            float(theirs())
        try:
            count_kernels(ours, "minitorch (CuPy)")
            count_kernels(without_fused_kernels(ours), "minitorch (CuPy), fused kernels off")
            count_kernels(theirs, "PyTorch CUDA")
        except Exception as exc:  # the profiler is a diagnostic; its absence must not hide the rest
            print(f"kernel count unavailable: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
