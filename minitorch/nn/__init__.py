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
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
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
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, L1Loss, MSELoss, NLLLoss
from .module import Module
from .scalar import MLP, Layer, Neuron

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "functional", "init",
    "Parameter", "Linear", "Conv2d", "MaxPool2d", "BatchNorm1d", "BatchNorm2d", "Dropout", "Flatten",
    "Sequential", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "Identity", "Softmax", "LogSoftmax",
    "GELU", "SiLU", "ELU", "Softplus",
    "AvgPool2d", "LayerNorm", "Embedding",
    "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss", "CrossEntropyLoss", "HingeLoss",
]
