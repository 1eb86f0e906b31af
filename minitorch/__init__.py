"""minitorch: a small, readable, PyTorch-like autograd engine.

- `minitorch.engine.Tensor`: the seed's scalar autograd value.
- `minitorch.nn`: modules (`Neuron`, `Layer`, `MLP`, ...).
"""

from .autograd import enable_grad, is_grad_enabled, no_grad
from .engine import Tensor

__version__ = "0.1.0"

__all__ = ["Tensor", "no_grad", "enable_grad", "is_grad_enabled", "__version__"]

# N-d tensors (issue 4): `minitorch.tensor(...)` builds a `minitorch.ndtensor.Tensor` (alias NDTensor).
from . import backend, ndtensor  # noqa: E402
from .ndtensor import Tensor as NDTensor  # noqa: E402
from .ndtensor import (  # noqa: E402
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

__all__ += [
    "backend", "ndtensor", "NDTensor", "tensor", "zeros", "ones", "full", "zeros_like", "ones_like",
    "randn", "rand", "arange", "cat", "stack", "where", "manual_seed", "float32", "float64",
]

# Training toolkit (issue 3): `minitorch.optim.SGD(...)` after a plain `import minitorch`, as with torch.
from . import optim  # noqa: E402

__all__ += ["optim"]
