"""minitorch: a small, readable, PyTorch-like autograd engine.

- `minitorch.Tensor`: the n-d tensor, the class of ``minitorch.tensor(...)`` (as ``torch.Tensor``).
- `minitorch.Scalar`: the seed's scalar autograd value (``from minitorch.engine import Tensor``
  still names it, as in the seed).
- `minitorch.nn`, `minitorch.optim`: modules, losses and optimizers under PyTorch's names.
"""

from . import backend, ndtensor, nn, optim
from ._version import __version__
from .autograd import enable_grad, is_grad_enabled, no_grad
from .engine import Scalar
from .ndtensor import (
    Tensor,
    arange,
    cat,
    float32,
    float64,
    full,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)

__all__ = [
    "__version__",
    "Tensor",
    "Scalar",
    "tensor",
    "zeros",
    "ones",
    "full",
    "zeros_like",
    "ones_like",
    "randn",
    "rand",
    "arange",
    "cat",
    "stack",
    "where",
    "manual_seed",
    "float32",
    "float64",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "backend",
    "ndtensor",
    "nn",
    "optim",
]
