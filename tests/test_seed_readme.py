"""The seed README's examples run unchanged (examples/seed_readme/*.py) and print the documented values."""

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "seed_readme"


def run_example(name: str) -> str:
    result = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_quick_start():
    assert run_example("quick_start.py").strip() == "dy/dx = 4.0"


def test_basic_operations():
    assert run_example("basic_operations.py").splitlines() == ["a.grad: 2", "b.grad: 2", "c.grad: 7"]


def test_advanced_operations():
    out = run_example("advanced_operations.py").splitlines()
    # w = exp(z) / (z + 1) with z = x^2 + y = 7: dw/dz = exp(z) z / (z + 1)^2, dz/dx = 2x, dz/dy = 1
    dw_dz = math.exp(7) * 7 / 64
    assert out[0].startswith("x.grad: ") and float(out[0].split(": ")[1]) == pytest.approx(4 * dw_dz, rel=1e-12)
    assert out[1].startswith("y.grad: ") and float(out[1].split(": ")[1]) == pytest.approx(dw_dz, rel=1e-12)


def test_training_example_prints_100_falling_losses():
    lines = run_example("training.py").splitlines()
    assert len(lines) == 100
    losses = [float(re.fullmatch(r"Iteration (\d+): Loss = (\d+\.\d{6})", line).group(2)) for line in lines]
    assert losses[-1] < losses[0]
    assert sum(b <= a for a, b in zip(losses, losses[1:])) >= 90  # plain gradient descent at lr 0.01
