"""The one table of activation functions: a name (as configs and files spell it) to everything
each engine needs.

    ACTIVATIONS["leaky_relu"].apply(x)        # a Scalar or an n-d Tensor: x.leaky_relu()
    ACTIVATIONS["tanh"].numpy(z)              # numpy arrays, no graph (evaluation and maps)
    ACTIVATIONS["relu"].module                # "ReLU": the class in minitorch.nn and in torch.nn
    ACTIVATIONS["sigmoid"].label              # "Sigmoid": the name on screen

Every definition is PyTorch's: ``relu(0) = 0``, leaky slope 0.01 (``nn.LeakyReLU()``'s
default), and "linear" is the identity (``nn.Identity``). The first five run on both engines
(`SCALAR_ACTIVATIONS`: the seed's MLP, the trainer, the playground); gelu, silu, elu and
softplus exist only as n-d layers (and in torch), for architectures such as conv nets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Activation", "ACTIVATIONS", "SCALAR_ACTIVATIONS", "activation", "activate"]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))  # never overflows; the two branches are the stable forms of 1/(1+e^-z)
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@dataclass(frozen=True)
class Activation:
    """One activation: ``method`` is the Scalar/Tensor method ('' for the identity, None for a
    layer-only activation), ``module`` the class name shared by minitorch.nn and torch.nn,
    ``numpy`` the array version (None for a layer-only activation)."""

    name: str
    label: str
    method: str | None
    module: str
    numpy: Callable[[np.ndarray], np.ndarray] | None = None
    numpy_inplace: Callable[[np.ndarray], np.ndarray] | None = None

    def apply(self, x: Any) -> Any:
        """The activation of a Scalar or an n-d Tensor, in the graph ("linear" returns ``x``)."""
        if self.method is None:
            raise ValueError(f"{self.name} is available only as a layer (nn.{self.module}) of the n-d engine")
        return getattr(x, self.method)() if self.method else x

    def apply_numpy_inplace(self, z: np.ndarray) -> np.ndarray:
        """`numpy` written into ``z`` where numpy allows it (``z`` is overwritten)."""
        return self.numpy_inplace(z) if self.numpy_inplace is not None else self.numpy(z)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("tanh", "Tanh", "tanh", "Tanh", np.tanh, lambda z: np.tanh(z, out=z)),
        Activation("relu", "ReLU", "relu", "ReLU", lambda z: np.maximum(z, 0.0), lambda z: np.maximum(z, 0.0, out=z)),
        Activation("sigmoid", "Sigmoid", "sigmoid", "Sigmoid", _sigmoid),
        Activation("leaky_relu", "Leaky ReLU", "leaky_relu", "LeakyReLU", lambda z: np.where(z > 0, z, 0.01 * z),
                   lambda z: np.multiply(z, 0.01, out=z, where=z <= 0)),
        Activation("linear", "Linear", "", "Identity", lambda z: z, lambda z: z),
        Activation("gelu", "GELU", None, "GELU"),
        Activation("silu", "SiLU", None, "SiLU"),
        Activation("elu", "ELU", None, "ELU"),
        Activation("softplus", "Softplus", None, "Softplus"),
    )
}

# The activations both engines run: what the seed's MLP, the trainer and the playground accept.
SCALAR_ACTIVATIONS: tuple[str, ...] = tuple(name for name, a in ACTIVATIONS.items() if a.method is not None)


def activation(name: Any, choices: Any = ACTIVATIONS) -> Activation:
    """The table entry for ``name``; ValueError listing the ``choices`` for one outside them."""
    if isinstance(name, str) and name in choices:
        return ACTIVATIONS[name]
    raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(choices)}")


def activate(x: Any, name: str) -> Any:
    """Apply the named activation to a Scalar or an n-d Tensor ("linear" returns it unchanged)."""
    return activation(name).apply(x)
