"""One training step of an MLP: minitorch n-d tensors vs PyTorch vs a hand-written numpy floor.

A step is: forward (Linear-ReLU-...-Linear), MSE loss, backward, SGD update (lr 0.01),
float32. The three implementations are timed in one process, interleaved round by round
(so machine noise hits them alike), from identical initial weights; the script prints the
median ms/step of each and the ratios ours/torch and ours/numpy-floor.

    python benchmarks/bench_tensor_vs_torch.py [--rounds 15] [--steps 10] [--device cpu|cuda] [--threads N]

``--threads N`` pins numpy's OpenBLAS and PyTorch to N threads each (default: their own
defaults); on a busy machine ``--threads 1`` avoids BLAS threads spinning against each other.

With ``--device cuda`` (CuPy + a CUDA GPU) it compares against PyTorch CUDA instead and adds
the 4096-4096-4096-10 net at batch 4096; the numpy floor is then a CuPy floor, and a fourth
row times minitorch with its fused GPU kernels switched off (what they buy).

Targets: CPU small net ours/torch <= 1.0; CPU large net ours/floor <= 1.3;
GPU nets ours/torch-cuda <= 1.3.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

# --threads must reach OpenBLAS before numpy is imported
_pre = argparse.ArgumentParser(add_help=False)
_pre.add_argument("--threads", type=int, default=None)
THREADS = _pre.parse_known_args(sys.argv[1:])[0].threads
if THREADS is not None:
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(THREADS)

import numpy as np  # noqa: E402

CPU_CASES = [((2, 64, 64, 1), 256), ((784, 1024, 1024, 10), 512)]
GPU_CASES = [((784, 1024, 1024, 10), 512), ((4096, 4096, 4096, 10), 4096)]
LR = 0.01


def initial_weights(sizes: tuple[int, ...], seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """PyTorch-default-like U(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights, float32."""
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        layers.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                       rng.uniform(-bound, bound, fan_out).astype(np.float32)))
    return layers


def make_minitorch(weights, x, y, device: str) -> Callable[[], float]:
    import minitorch
    from minitorch import nn, optim

    layers: list[Any] = []
    for k, (w, _) in enumerate(weights):
        layers.append(nn.Linear(w.shape[1], w.shape[0]))
        if k < len(weights) - 1:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    model.load_state_dict({f"{2 * k}.{n}": a for k, (w, b) in enumerate(weights) for n, a in (("weight", w),
                                                                                             ("bias", b))})
    model.to(device)
    opt = optim.SGD(model.parameters(), lr=LR)
    xt, yt = minitorch.tensor(x, device=device), minitorch.tensor(y, device=device)
    mse = nn.functional.mse_loss

    def step() -> float:
        opt.zero_grad()
        loss = mse(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.data

    return step


def make_torch(weights, x, y, device: str) -> Callable[[], float]:
    import torch

    layers: list[Any] = []
    for k, (w, _) in enumerate(weights):
        layers.append(torch.nn.Linear(w.shape[1], w.shape[0]))
        if k < len(weights) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    model.load_state_dict({f"{2 * k}.{n}": torch.tensor(a) for k, (w, b) in enumerate(weights)
                           for n, a in (("weight", w), ("bias", b))})
    model.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    xt, yt = torch.tensor(x, device=device), torch.tensor(y, device=device)
    mse = torch.nn.functional.mse_loss

    def step() -> float:
        opt.zero_grad()
        loss = mse(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.detach()

    return step


def make_floor(weights, x, y, xp: Any) -> Callable[[], float]:
    """The same step written directly with array operations: the floor for anything built on them."""
    params = [(xp.asarray(w).copy(), xp.asarray(b).copy()) for w, b in weights]
    x, y = xp.asarray(x), xp.asarray(y)
    last = len(params) - 1

    def step() -> float:
        acts, pre = [x], []
        h = x
        for k, (w, b) in enumerate(params):
            z = h @ w.T
            z += b
            pre.append(z)
            h = xp.maximum(z, 0) if k < last else z
            acts.append(h)
        diff = h - y
        loss = (diff * diff).mean()
        g = diff * (2.0 / diff.size)
        for k in range(last, -1, -1):
            w, b = params[k]
            if k < last:
                g = g * (pre[k] > 0)
            gw = g.T @ acts[k]
            gb = g.sum(axis=0)
            if k > 0:
                g = g @ w
            w -= LR * gw
            b -= LR * gb
        return loss

    return step


def without_fused_kernels(step: Callable[[], Any]) -> Callable[[], Any]:
    """The same step with the backend's fused GPU kernels switched off (the A/B for them)."""
    from minitorch import backend

    def unfused_step() -> Any:
        previous = backend.set_fused_kernels(False)
        try:
            return step()
        finally:
            backend.set_fused_kernels(previous)

    return unfused_step


def time_block(step: Callable[[], Any], steps: int, sync: Callable[[], None]) -> float:
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        result = step()
    float(result)  # force the value (and, on a GPU, the queued work)
    sync()
    return (time.perf_counter() - start) / steps * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=10, help="steps per timed block")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=None, help="BLAS/torch threads (default: library defaults)")
    args = parser.parse_args()

    import torch

    if args.threads is not None:
        torch.set_num_threads(args.threads)

    if args.device == "cuda":
        import cupy

        xp = cupy

        def sync() -> None:
            cupy.cuda.Device().synchronize()
            torch.cuda.synchronize()

        cases = GPU_CASES
    else:
        xp = np

        def sync() -> None:
            return None

        cases = CPU_CASES
    print(f"device={args.device} torch={torch.__version__} numpy={np.__version__} "
          f"torch threads={torch.get_num_threads()} rounds={args.rounds} steps/block={args.steps}")
    for sizes, batch in cases:
        rng = np.random.default_rng(1)
        x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
        y = rng.standard_normal((batch, sizes[-1])).astype(np.float32)
        weights = initial_weights(sizes)
        impls = {
            "minitorch": make_minitorch(weights, x, y, args.device),
            "torch": make_torch(weights, x, y, args.device),
            "floor": make_floor(weights, x, y, xp),
        }
        if args.device == "cuda":
            impls["unfused"] = without_fused_kernels(make_minitorch(weights, x, y, args.device))
        first = {name: float(step()) for name, step in impls.items()}  # warm-up; also checks agreement
        times: dict[str, list[float]] = {name: [] for name in impls}
        for _ in range(args.rounds):
            for name, step in impls.items():
                times[name].append(time_block(step, args.steps, sync))
        med = {name: statistics.median(values) for name, values in times.items()}
        label = "-".join(map(str, sizes))
        print(f"\n{label} MLP, batch {batch}: first-step loss " +
              ", ".join(f"{n}={v:.6f}" for n, v in first.items()))
        for name in impls:
            print(f"  {name:10s} median {med[name]:9.3f} ms/step")
        print(f"  ratio minitorch/torch = {med['minitorch'] / med['torch']:.3f}")
        print(f"  ratio minitorch/floor = {med['minitorch'] / med['floor']:.3f}")
        print(f"  ratio torch/floor     = {med['torch'] / med['floor']:.3f}")
        if "unfused" in med:
            print(f"  ratio unfused/torch   = {med['unfused'] / med['torch']:.3f}  (no fused kernels)")


if __name__ == "__main__":
    main()
