"""Neural-network building blocks under PyTorch's names.

- `Module`: the base class (parameters, state_dict, train/eval).
- `Neuron`, `Layer`, `MLP`: the seed's networks of scalar Tensors (minitorch.engine).
"""

from .module import Module
from .scalar import ACTIVATIONS, MLP, Layer, Neuron

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS"]

# Training toolkit (issue 3): functional losses/activations and loss modules for both engines.
from . import functional  # noqa: E402
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, L1Loss, MSELoss  # noqa: E402

__all__ += ["functional", "MSELoss", "L1Loss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HingeLoss"]
