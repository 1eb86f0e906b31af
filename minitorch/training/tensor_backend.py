"""The trainer's ``engine="tensor"`` backend: the same MLP as n-d layers, one graph node per layer op.

The model is the spec's ``ModelSpec.build_tensor`` (``nn.Sequential(Linear, activation, ...)``
with the scalar MLP's state_dict keys) loaded with the same seeded weights as the scalar
engine, so in float64 their loss sequences agree to ~1e-9.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend as array_backend
from ..autograd import no_grad
from ..ndtensor import Tensor
from ..nn import functional as F
from .backends import ModelBackend, TrainingSpec
from .losses import LOSSES

__all__ = ["TensorBackend"]


class TensorBackend(ModelBackend):
    """Vectorised training: a minibatch is one (batch, features) tensor."""

    engine = "tensor"

    def __init__(self, spec: TrainingSpec) -> None:
        super().__init__(spec)
        self.model = spec.architecture.build_tensor(seed=spec.seed, dtype=spec.dtype, device=spec.device)
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
        loss = LOSSES[self.spec.loss]
        if loss.classes:
            value = loss.graph(out, Tensor(np.asarray(y, dtype=np.int64), device=self._device))
        else:  # (n, 1) -> (n,), matching the targets
            value = loss.graph(out.reshape(-1), self._input(np.asarray(y).reshape(-1)))
        if self.spec.l2:
            value = value + F.l2_penalty(self._params, self.spec.l2)
        if self.spec.l1:
            value = value + sum(p.abs().sum() for p in self._params) * self.spec.l1
        value.backward()
        return float(value.item())

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        outputs = []
        with no_grad(), np.errstate(over="ignore", invalid="ignore"):
            h = self._input(x)
            modules = list(self.model)
            for linear, activation in zip(modules[0::2], modules[1::2] + [None]):
                h = linear(h)
                if activation is not None:
                    h = activation(h)
                outputs.append(array_backend.to_numpy(h.data).astype(np.float64))
        return outputs
