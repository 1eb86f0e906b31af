"""Scalar engine vs micrograd 0.1.0 on the same graph, each in its own fresh process, interleaved.

Workload (micrograd's demo recipe): a 2-16-16-1 MLP (relu hidden, linear output) written with
raw ``+ * relu`` operations, mean squared error over 100 two-moons points, ``backward()``, and
an SGD update, repeated. Prints the median ms/step of each engine, that both reach the same
loss, the ratio ours/micrograd, and a plain-float forward pass (no graph) as the floor.

Steps are timed in CPU time of the child process (``time.process_time``): for this
single-threaded workload it equals wall time on an idle machine, and other load on a shared
machine does not count. Both engines run the identical loop with Python's cyclic garbage
collector on, as a user's script runs them. A second row runs the same loop with the
collector paused during each step, as minitorch's trainer runs it
(``minitorch.autograd.gc_paused()``; micrograd gets the same ``gc.disable()`` /
``gc.enable()``). Nothing is collected by hand: the collection the pause put off runs at
the first allocation of the next step, so it is counted there. micrograd's closures make
reference cycles, so most of its time in the first row is the collector rescanning its
growing graph and its time in the second row is mostly that deferred collection, while a
minitorch graph has no cycles and reference counting frees it at once.

    python benchmarks/bench_scalar_vs_micrograd.py [--rounds 5] [--steps 3]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import random
import statistics
import subprocess
import sys
import time

SIZES = [2, 16, 16, 1]
N_POINTS = 100
LR = 0.01


def two_moons(n: int, seed: int = 0, noise: float = 0.1) -> tuple[list[list[float]], list[float]]:
    """Deterministic two moons with labels -1/+1 (plain Python, so both engines see identical inputs)."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2 == 0:
            x, y, label = math.cos(t), math.sin(t), -1.0
        else:
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), 1.0
        xs.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        ys.append(label)
    return xs, ys


def init_weights(seed: int = 1) -> list[list[list[float]]]:
    """weights[layer][neuron] = [w..., b] drawn uniformly from [-1, 1]."""
    rng = random.Random(seed)
    return [[[rng.uniform(-1, 1) for _ in range(SIZES[k] + 1)] for _ in range(SIZES[k + 1])]
            for k in range(len(SIZES) - 1)]


def forward(params, x, relu):
    """The MLP with raw ops; works for any Value class (and for floats with a float relu)."""
    out = x
    last = len(params) - 1
    for k, layer in enumerate(params):
        new = []
        for neuron in layer:
            act = neuron[-1]
            for w, xi in zip(neuron[:-1], out):
                act = act + w * xi
            new.append(relu(act) if k < last else act)
        out = new
    return out[0]


@contextlib.contextmanager
def _gc_disabled():
    """What ``minitorch.autograd.gc_paused()`` does in a single thread, for the micrograd
    child (which must not import minitorch: that would change the heap its collector scans)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def train(engine: str, steps: int, gc_off: bool = False) -> dict:
    if engine == "micrograd":
        from micrograd.engine import Value
        pause = _gc_disabled
    else:
        from minitorch.autograd import gc_paused as pause
        from minitorch.engine import Tensor as Value
    if not gc_off:
        pause = contextlib.nullcontext
    xs, ys = two_moons(N_POINTS)
    params = [[[Value(v) for v in neuron] for neuron in layer] for layer in init_weights()]
    flat = [p for layer in params for neuron in layer for p in neuron]
    inv_n = 1.0 / N_POINTS
    times, losses = [], []
    for _ in range(steps + 1):  # the first step warms up and is not timed
        start = time.process_time()
        with pause():
            loss = Value(0.0)
            for x, y in zip(xs, ys):
                diff = forward(params, x, lambda v: v.relu()) - y
                loss = loss + diff * diff
            loss = loss * inv_n
            for p in flat:
                p.grad = 0
            loss.backward()
            for p in flat:
                p.data -= LR * p.grad
            losses.append(loss.data)
            del loss, diff  # the graph goes now, inside the timed step, for both rows
        times.append(time.process_time() - start)
    return {"ms": [t * 1000 for t in times[1:]], "losses": losses}


def float_floor(repeats: int = 20) -> float:
    """ms for the same forward arithmetic on plain floats, no graph: the floor for pure Python."""
    xs, ys = two_moons(N_POINTS)
    params = init_weights()
    best = []
    for _ in range(repeats):
        start = time.perf_counter()
        total = 0.0
        for x, y in zip(xs, ys):
            d = forward(params, x, lambda v: v if v > 0 else 0.0) - y
            total += d * d
        best.append(time.perf_counter() - start)
    return statistics.median(best) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per process")
    parser.add_argument("--child", choices=["micrograd", "minitorch"], help=argparse.SUPPRESS)
    parser.add_argument("--gc-off", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(train(args.child, args.steps, args.gc_off)))
        return
    results: dict[str, dict] = {key: {"ms": []} for key in ("micrograd", "minitorch", "micrograd-gc", "minitorch-gc")}
    for r in range(args.rounds):
        order = ["micrograd", "minitorch"] if r % 2 == 0 else ["minitorch", "micrograd"]
        for gc_off in (False, True):
            for engine in order:  # a fresh interpreter each time, alternating which goes first
                command = [sys.executable, __file__, "--child", engine, "--steps", str(args.steps)]
                proc = subprocess.run(command + (["--gc-off"] if gc_off else []),
                                      capture_output=True, text=True, check=True)
                data = json.loads(proc.stdout)
                key = engine + ("-gc" if gc_off else "")
                results[key]["ms"] += data["ms"]
                results[key]["losses"] = data["losses"]
    mg, ours = results["micrograd"], results["minitorch"]
    mg_med, our_med = statistics.median(mg["ms"]), statistics.median(ours["ms"])
    same = all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(mg["losses"], ours["losses"]))
    print(f"workload: 2-16-16-1 relu MLP, MSE over {N_POINTS} two-moons points, backward, SGD "
          f"({args.rounds} rounds x {args.steps} steps, each engine in a fresh process, interleaved)")
    print("CPU time per step of each child process (other load on the machine does not count)")
    print(f"micrograd 0.1.0   median {mg_med:9.2f} ms/step  (min {min(mg['ms']):.2f}, max {max(mg['ms']):.2f})")
    print(f"minitorch         median {our_med:9.2f} ms/step  (min {min(ours['ms']):.2f}, max {max(ours['ms']):.2f})")
    print(f"plain-float forward (no graph, floor) {float_floor():.2f} ms")
    print(f"losses per step   micrograd {' '.join(f'{v:.12f}' for v in mg['losses'])}")
    print(f"                  minitorch {' '.join(f'{v:.12f}' for v in ours['losses'])}")
    print(f"same losses (rel 1e-9): {same}")
    print(f"ratio minitorch/micrograd = {our_med / mg_med:.4f}  ({mg_med / our_med:.1f}x faster)")
    mg_gc, ours_gc = (statistics.median(results[k]["ms"]) for k in ("micrograd-gc", "minitorch-gc"))
    # micrograd's backward orders nodes through a set (by address), so its last digits may vary run to run
    same = same and all(math.isclose(a, b, rel_tol=1e-9) for k in ("micrograd-gc", "minitorch-gc")
                        for a, b in zip(results[k]["losses"], ours["losses"]))
    print(f"GC paused during each step (as minitorch's trainer runs it; the collection it defers "
          f"is counted in the next step): micrograd {mg_gc:.2f} ms/step, minitorch {ours_gc:.2f} ms/step, "
          f"ratio {ours_gc / mg_gc:.4f}")
    print(f"minitorch as its trainer runs it vs micrograd as a script runs it (GC on): "
          f"ratio {ours_gc / mg_med:.4f}")
    if not same:
        sys.exit("losses differ: the engines did not compute the same thing")


if __name__ == "__main__":
    main()
