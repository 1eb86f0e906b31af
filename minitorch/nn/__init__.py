"""Neural-network building blocks under PyTorch's names.

- `Module`: the base class (parameters, state_dict, train/eval).
- `Neuron`, `Layer`, `MLP`: the seed's networks of scalar Tensors (minitorch.engine).
"""

from .module import Module
from .scalar import ACTIVATIONS, MLP, Layer, Neuron

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS"]
