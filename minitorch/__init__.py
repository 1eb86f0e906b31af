"""minitorch: a small, readable, PyTorch-like autograd engine.

- `minitorch.engine.Tensor`: the seed's scalar autograd value.
- `minitorch.nn`: modules (`Neuron`, `Layer`, `MLP`, ...).
"""

from .autograd import enable_grad, is_grad_enabled, no_grad
from .engine import Tensor

__version__ = "0.1.0"

__all__ = ["Tensor", "no_grad", "enable_grad", "is_grad_enabled", "__version__"]
