"""A small convolutional net on scikit-learn's bundled 8x8 digits (no download), with minitorch n-d tensors.

    python examples/digits_cnn.py [--epochs 12] [--seed 0] [--device cpu]

Conv(1->16, 3x3, pad 1) - BatchNorm - ReLU - MaxPool 2 - Conv(16->32, 3x3, pad 1) - ReLU - MaxPool 2
- Flatten - Linear(128->64) - ReLU - Dropout(0.1) - Linear(64->10), trained with Adam and
cross-entropy on 75% of the 1797 images; prints the test accuracy on the other 25% (> 95%).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.errors import DeviceError


def load_digits_split(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test); images as (N, 1, 8, 8) float32 in [0, 1]."""
    from sklearn.datasets import load_digits  # an optional extra: pip install scikit-learn

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    cut = int(0.75 * len(labels))
    train, test = order[:cut], order[cut:]
    return images[train], labels[train], images[test], labels[test]


def build_model() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 10),
    )


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray, device: str) -> float:
    model.eval()
    with minitorch.no_grad():
        logits = model(minitorch.tensor(x, device=device))
    model.train()
    predicted = minitorch.backend.to_numpy(logits.argmax(dim=1).data)
    return float((predicted == y).mean())


def main(epochs: int = 12, seed: int = 0, batch_size: int = 32, lr: float = 3e-3, device: str = "cpu",
         quiet: bool = False) -> float:
    """Train, print progress, and return the test accuracy."""
    minitorch.manual_seed(seed)
    x_train, y_train, x_test, y_test = load_digits_split(seed)
    model = build_model().to(device)
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed + 1)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(y_train))
        total = 0.0
        for first in range(0, len(order), batch_size):
            batch = order[first:first + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(minitorch.tensor(x_train[batch], device=device)),
                           minitorch.tensor(y_train[batch], device=device))
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        if not quiet:
            print(f"epoch {epoch:2d}  train loss {total / len(order):.4f}  "
                  f"test accuracy {accuracy(model, x_test, y_test, device):.4f}  ({time.perf_counter() - start:.1f} s)")
    test_accuracy = accuracy(model, x_test, y_test, device)
    if not quiet:
        print(f"final test accuracy: {test_accuracy:.4f} on {len(y_test)} held-out digits")
    return test_accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    try:
        main(args.epochs, args.seed, device=args.device)
    except DeviceError as exc:  # e.g. --device cuda without CuPy: say why, no traceback
        parser.exit(2, f"digits_cnn.py: {exc}\n")
