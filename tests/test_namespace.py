"""`minitorch.<name>` exists where `torch.<name>` does, and means the same thing."""

import numpy as np
import torch

import minitorch
from minitorch import ndtensor

NOT_FROM_NDTENSOR = {"Scalar", "backend", "ndtensor", "nn", "optim", "__version__", "no_grad", "enable_grad",
                     "is_grad_enabled"}


def test_every_public_name_is_a_torch_name():
    assert [n for n in minitorch.__all__ if n not in NOT_FROM_NDTENSOR and not hasattr(torch, n)] == []


def test_the_n_d_functions_torch_has_at_top_level_are_exported():
    missing = [n for n in ndtensor.__all__
               if callable(getattr(ndtensor, n)) and hasattr(torch, n) and not hasattr(minitorch, n)]
    assert missing == []


def test_top_level_functions_agree_with_torch():
    a = np.array([[1.0, -5.0], [3.0, 2.0]])
    b = np.array([[0.5, 4.0], [-3.0, 2.5]])
    for name in ("maximum", "minimum", "matmul", "add", "mul"):
        ours = getattr(minitorch, name)(minitorch.tensor(a), minitorch.tensor(b)).numpy()
        theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(minitorch.eye(3).numpy(), torch.eye(3).numpy())
    np.testing.assert_allclose(minitorch.linspace(0, 1, 5).numpy(), torch.linspace(0, 1, 5).numpy(), atol=1e-7)
    assert minitorch.sum(minitorch.tensor(a)).item() == torch.sum(torch.tensor(a)).item()
