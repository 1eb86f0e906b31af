"""The trainer's ``engine="tensor"`` backend: the same MLP as n-d layers, one graph node per layer op.

It builds ``nn.Sequential(Linear, activation, Linear, activation, ...)`` (an `Identity` where
the activation is "linear", so the keys are those of the scalar MLP's state_dict: "0.weight",
"2.weight", ...) and loads `initial_state_dict(spec)`, so both engines start from the same
weights; in float64 their loss sequences agree to ~1e-9. Importing this module registers it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend as array_backend
from ..autograd import no_grad
from ..ndtensor import Tensor
from ..nn import functional as F
from ..nn import layers as L
from .backends import ModelBackend, ModelSpec, initial_state_dict, register_backend

__all__ = ["TensorBackend", "build_sequential"]

_ACTIVATIONS = {
    "tanh": L.Tanh,
    "relu": L.ReLU,
    "sigmoid": L.Sigmoid,
    "leaky_relu": lambda: L.LeakyReLU(0.01),
    "linear": L.Identity,
}


def build_sequential(spec: ModelSpec) -> L.Sequential:
    """The n-d twin of the scalar MLP for ``spec`` (weights not yet loaded)."""
    modules: list[Any] = []
    sizes = spec.sizes
    for k, activation in enumerate(spec.activations()):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(_ACTIVATIONS)}")
        modules.append(L.Linear(sizes[k], sizes[k + 1], dtype=spec.dtype, device=spec.device))
        modules.append(_ACTIVATIONS[activation]())
    return L.Sequential(*modules)


class TensorBackend(ModelBackend):
    """Vectorised training: a minibatch is one (batch, features) tensor."""

    engine = "tensor"

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.model = build_sequential(spec)
        self.model.load_state_dict(initial_state_dict(spec))
        self._params = self.model.parameters()
        self._device = array_backend.parse_device(spec.device)
        self._dtype = np.dtype(spec.dtype)

    def parameters(self) -> list[Any]:
        return self._params

    def _input(self, x: np.ndarray) -> Tensor:
        return Tensor(np.asarray(x, dtype=self._dtype), device=self._device)

    def loss_and_backward(self, x: np.ndarray, y: np.ndarray,
                          should_stop: Callable[[], bool] | None = None) -> float:
        # A tensor step is a handful of array operations, short even for the largest
        # playground networks: nothing to interrupt, so ``should_stop`` is not asked.
        out = self.model(self._input(x))
        loss_name = self.spec.loss
        if loss_name == "cross_entropy":
            target = Tensor(np.asarray(y, dtype=np.int64), device=self._device)
            loss = F.cross_entropy(out, target)
        else:
            prediction = out.reshape(-1)  # (n, 1) -> (n,), matching the targets
            target = self._input(np.asarray(y).reshape(-1))
            if loss_name == "mse":
                loss = F.mse_loss(prediction, target)
            elif loss_name == "l1":
                loss = F.l1_loss(prediction, target)
            elif loss_name == "bce_logits":
                loss = F.binary_cross_entropy_with_logits(prediction, target)
            elif loss_name == "hinge":
                loss = F.hinge_loss(prediction, target)
            else:
                raise ValueError(f"unknown loss {loss_name!r}")
        if self.spec.l2:
            loss = loss + F.l2_penalty(self._params, self.spec.l2)
        if self.spec.l1:
            loss = loss + sum(p.abs().sum() for p in self._params) * self.spec.l1
        loss.backward()
        return float(loss.item())

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        outputs = []
        with no_grad(), np.errstate(over="ignore", invalid="ignore"):
            h = self._input(x)
            modules = list(self.model)
            for linear, activation in zip(modules[0::2], modules[1::2]):
                h = activation(linear(h))
                outputs.append(array_backend.to_numpy(h.data).astype(np.float64))
        return outputs

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        return OrderedDict(
            (k, array_backend.to_numpy(v).astype(np.float64)) for k, v in self.model.state_dict().items()
        )


register_backend("tensor", TensorBackend)
