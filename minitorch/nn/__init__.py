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

# N-d layers (issue 4): PyTorch-style layers over minitorch.ndtensor.Tensor.
from . import init  # noqa: E402
from .layers import (  # noqa: E402
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)

__all__ += [
    "init", "Parameter", "Linear", "Conv2d", "MaxPool2d", "BatchNorm1d", "BatchNorm2d", "Dropout", "Flatten",
    "Sequential", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "Identity", "Softmax", "LogSoftmax",
]
