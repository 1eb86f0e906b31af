"""examples/tiny_gpt.py: the same model source trains identically with minitorch and PyTorch (a short run)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import minitorch

PATH = Path(__file__).resolve().parents[1] / "examples" / "tiny_gpt.py"
SMALL = dict(block_size=8, n_embd=16, n_head=2, n_layer=2)


@pytest.fixture(scope="module")
def tiny_gpt():
    spec = importlib.util.spec_from_file_location("tiny_gpt", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_first_losses_agree_with_torch_from_the_same_weights(tiny_gpt):
    data, vocab = tiny_gpt.load_text()
    ours, theirs = tiny_gpt.compare_with_torch(data, len(vocab), SMALL, steps=6, batch_size=4, lr=3e-3, seed=0)
    assert len(ours) == len(theirs) == 6
    np.testing.assert_allclose(ours, theirs, atol=1e-10, rtol=0)
    assert ours[-1] < ours[0] - 0.1  # it learns
    assert abs(ours[0] - np.log(len(vocab))) < 0.5  # starts near a uniform guess


def test_torch_loads_the_minitorch_state_dict_with_every_key(tiny_gpt):
    import torch

    _, vocab = tiny_gpt.load_text()
    ours, theirs = tiny_gpt.twin_models(len(vocab), SMALL, seed=1)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    idx = np.random.default_rng(0).integers(0, len(vocab), (2, SMALL["block_size"]))
    logits, _ = ours(minitorch.tensor(idx))
    ref, _ = theirs(torch.tensor(idx))
    np.testing.assert_allclose(logits.numpy(), ref.detach().numpy(), atol=1e-12)


def test_attention_is_causal(tiny_gpt):
    """Changing a later character never changes the logits at earlier positions."""
    _, vocab = tiny_gpt.load_text()
    minitorch.manual_seed(2)
    model = tiny_gpt.define_model(minitorch)(len(vocab), **SMALL)
    idx = np.random.default_rng(1).integers(0, len(vocab), (1, 8))
    changed = idx.copy()
    changed[0, 5] = (changed[0, 5] + 1) % len(vocab)
    a, _ = model(minitorch.tensor(idx))
    b, _ = model(minitorch.tensor(changed))
    np.testing.assert_array_equal(a.numpy()[0, :5], b.numpy()[0, :5])
    assert not np.allclose(a.numpy()[0, 5:], b.numpy()[0, 5:])


def test_the_script_runs_end_to_end(tiny_gpt, capsys):
    tiny_gpt.main(["--steps", "3", "--compare-steps", "2", "--block-size", "8", "--n-embd", "16", "--n-head", "2",
                   "--n-layer", "1", "--batch-size", "2", "--sample", "10"])
    out = capsys.readouterr().out
    assert "largest difference over 2 steps" in out and "sample:" in out
