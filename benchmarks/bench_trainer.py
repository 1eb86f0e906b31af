"""Trainer throughput and predict_grid latency, side by side with peers.

    .venv/bin/python benchmarks/bench_trainer.py [--repeats 5] [--steps 20]

1. Training steps per second on two moons (200 points, 2-16-16-1, batch 32, relu hidden,
   linear output, MSE, plain SGD):
   - our Trainer, scalar engine  vs  micrograd (the seed's peer: same MLP, same loop by hand)
   - our Trainer, tensor engine  vs  PyTorch CPU (same MLP, same loop), if both are present
2. ``predict_grid`` on a 100x100 grid for 2-8-8-1 and 2-16-16-1 nets vs a PyTorch no_grad
   forward of the same 10,000 points.

Every number is the median over ``--repeats`` rounds; ratios are ours / peer time
(below 1 means we are faster). Rounds interleave ours and the peer's to share any noise.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from minitorch.training import TrainConfig, Trainer

MOONS = dict(dataset="moons", n_samples=200, noise=0.1, test_fraction=0.0, hidden_layers=[16, 16],
             activation="relu", output_activation="linear", loss="mse", optimizer="sgd", lr=0.05, batch_size=32,
             eval_every=1000000)


def _median_rate(run_round, rounds: int, steps: int) -> float:
    """Median steps per second of ``rounds`` calls of ``run_round(steps)``."""
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        run_round(steps)
        rates.append(steps / (time.perf_counter() - start))
    return statistics.median(rates)


def _trainer_round(engine: str):
    trainer = Trainer(TrainConfig(**MOONS, engine=engine))
    trainer.run(2)  # warm up

    def run(steps: int) -> None:
        trainer.run(steps)

    return run


def _micrograd_round():
    from micrograd.engine import Value
    from micrograd.nn import MLP

    trainer = Trainer(TrainConfig(**MOONS))  # only for the same data and batch sizes
    x, y = trainer.data.x_train, trainer.data.y_train
    random.seed(0)
    model = MLP(2, [16, 16, 1])
    rng = np.random.default_rng(0)

    def run(steps: int) -> None:
        for _ in range(steps):
            batch = rng.choice(len(x), 32, replace=False)
            scores = [model([Value(float(a)) for a in x[i]]) for i in batch]
            loss = sum((s - float(y[i])) ** 2 for s, i in zip(scores, batch)) * (1.0 / len(batch))
            for p in model.parameters():
                p.grad = 0.0
            loss.backward()
            for p in model.parameters():
                p.data -= 0.05 * p.grad

    return run


def _torch_round():
    import torch

    torch.set_num_threads(1)
    trainer = Trainer(TrainConfig(**MOONS))
    x = torch.from_numpy(trainer.data.x_train)
    y = torch.from_numpy(trainer.data.y_train)
    net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(),
                              torch.nn.Linear(16, 1)).double()
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    generator = torch.Generator().manual_seed(0)

    def run(steps: int) -> None:
        for _ in range(steps):
            batch = torch.randperm(len(x), generator=generator)[:32]
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(x[batch])[:, 0], y[batch])
            loss.backward()
            opt.step()

    return run


def _median_ms(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    have = {name: importlib.util.find_spec(name) is not None for name in ("micrograd", "torch")}

    print(f"Trainer steps/s, two moons (200 points, all used for training), 2-16-16-1 relu, batch 32, SGD; "
          f"median of {args.repeats} x {args.steps} steps")
    micrograd = _micrograd_round() if have["micrograd"] else None
    torch_loop = _torch_round() if have["torch"] else None
    pairs = [("scalar engine", _trainer_round("scalar"), "micrograd", micrograd),
             ("tensor engine", _trainer_round("tensor"), "torch CPU", torch_loop)]
    for ours_name, ours, peer_name, peer in pairs:
        ours_rates, peer_rates = [], []
        for _ in range(args.repeats):  # interleaved rounds
            ours_rates.append(_median_rate(ours, 1, args.steps))
            if peer is not None:  # micrograd is slow: fewer steps per round, the rate is per step anyway
                peer_steps = max(2, args.steps // 4) if peer_name == "micrograd" else args.steps
                peer_rates.append(_median_rate(peer, 1, peer_steps))
        ours_rate = statistics.median(ours_rates)
        line = f"  ours ({ours_name}): {ours_rate:9.1f} steps/s"
        if peer_rates:
            peer_rate = statistics.median(peer_rates)
            line += f"   {peer_name}: {peer_rate:9.1f} steps/s   time ratio ours/peer: {peer_rate / ours_rate:.2f}"
        else:
            line += f"   ({peer_name} not installed)"
        print(line)

    print(f"\npredict_grid 100x100 (10,000 points), median of {max(args.repeats, 20)} calls")
    for hidden in ([8, 8], [16, 16]):
        trainer = Trainer(TrainConfig(dataset="moons", hidden_layers=hidden, activation="tanh"))
        trainer.run(1)
        ours_ms = _median_ms(lambda t=trainer: t.predict_grid((-2, 2), (-2, 2), 100), max(args.repeats, 20))
        line = f"  2-{'-'.join(map(str, hidden))}-1: ours {ours_ms:7.2f} ms"
        if have["torch"]:
            import torch

            from minitorch import io

            net = io.to_torch(trainer)
            grid = torch.from_numpy(trainer._grid((-2, 2), (-2, 2), 100))

            def torch_forward(net=net, grid=grid) -> None:
                with torch.no_grad():
                    net(grid).reshape(100, 100).numpy()

            torch_ms = _median_ms(torch_forward, max(args.repeats, 20))
            line += f"   torch no_grad forward {torch_ms:7.2f} ms   ratio ours/torch {ours_ms / torch_ms:.2f}"
        print(line + ("   (target < 50 ms: met)" if ours_ms < 50 else "   (target < 50 ms: MISSED)"))


if __name__ == "__main__":
    main()
