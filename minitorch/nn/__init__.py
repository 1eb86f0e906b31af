"""Neural-network building blocks under PyTorch's names (``torch.nn``).

- `Module`: the base class (parameters, state_dict, train/eval, to).
- `Neuron`, `Layer`, `MLP`: the seed's networks of scalars (minitorch.engine).
- n-d layers (`Linear`, `Conv2d`, `LayerNorm`, `Embedding`, ...), activations and loss
  modules over `minitorch.Tensor`; the losses also take lists of scalars.
- `functional` (``F``): the functions behind them; `init`: weight initialisations.
"""

from ..activations import ACTIVATIONS
from . import functional, init
from .layers import (
    ELU,
    GELU,
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
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, L1Loss, MSELoss
from .module import Module
from .scalar import MLP, Layer, Neuron

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "functional", "init",
    "Parameter", "Linear", "Conv2d", "MaxPool2d", "BatchNorm1d", "BatchNorm2d", "Dropout", "Flatten",
    "Sequential", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "Identity", "Softmax", "LogSoftmax",
    "GELU", "SiLU", "ELU", "Softplus",
    "MSELoss", "L1Loss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HingeLoss",
]
