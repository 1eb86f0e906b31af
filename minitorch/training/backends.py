"""The trainer's model-backend seam: one small class per engine.

A backend owns the model and knows how to (1) build it from a `ModelSpec`, (2) compute a
minibatch loss and back-propagate it, (3) predict a numpy batch WITHOUT building a graph,
(4) expose each layer's activations (for the per-neuron maps), and (5) save and load a
state_dict with ``torch.nn.Sequential`` key names. The `Trainer` does the rest (data,
batches, optimizer, metrics, history), identically for every engine.

Engines are looked up in `BACKENDS`; ``engine="tensor"`` is imported lazily from
``minitorch/training/tensor_backend.py``, which registers itself with `register_backend`.

Every engine starts from the same weights for the same seed: `initial_state_dict` builds
the seed's scalar `MLP` with Python's ``random`` seeded by the config seed, and a backend
for another engine loads that state_dict.
"""

from __future__ import annotations

import importlib
import random
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd import gc_paused
from ..nn import functional as F
from ..nn.scalar import MLP

__all__ = [
    "ModelSpec",
    "ModelBackend",
    "ScalarBackend",
    "StepInterrupted",
    "BACKENDS",
    "register_backend",
    "get_backend",
    "initial_state_dict",
    "numpy_activation",
    "numpy_loss",
]


@dataclass(frozen=True)
class ModelSpec:
    """What to build: an MLP ``input_dim -> hidden... -> output_dim`` and how to train it."""

    input_dim: int
    hidden_layers: tuple[int, ...]
    output_dim: int
    activation: str
    output_activation: str
    loss: str  # one of training.config.LOSSES
    l2: float = 0.0
    l1: float = 0.0
    seed: int = 0
    dtype: str = "float64"
    device: str = "cpu"

    @property
    def layer_sizes(self) -> list[int]:
        """Widths of every Linear layer's output (the MLP's ``layer_sizes``)."""
        return [*self.hidden_layers, self.output_dim]

    @property
    def sizes(self) -> list[int]:
        """[input_dim, hidden..., output_dim]"""
        return [self.input_dim, *self.layer_sizes]

    def activations(self) -> list[str]:
        """The activation after each Linear layer."""
        return [self.activation] * len(self.hidden_layers) + [self.output_activation]


def initial_state_dict(spec: ModelSpec) -> OrderedDict[str, np.ndarray]:
    """The seeded initial weights every engine starts from (torch Sequential key names, float64)."""
    return OrderedDict((k, np.array(v, dtype=np.float64)) for k, v in _seeded_mlp(spec).state_dict().items())


def _seeded_mlp(spec: ModelSpec) -> MLP:
    """Build the seed's MLP from Python's ``random`` seeded by ``spec.seed``, leaving the global state alone."""
    saved = random.getstate()
    try:
        random.seed(spec.seed)
        return MLP(spec.input_dim, spec.layer_sizes, spec.activation, spec.output_activation)
    finally:
        random.setstate(saved)


# --- numpy helpers shared by all engines (evaluation never builds a graph) ------------------------
def numpy_activation(z: np.ndarray, name: str) -> np.ndarray:
    """The engine's activations on arrays (same definitions: leaky slope 0.01, relu(0) = 0)."""
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        e = np.exp(-np.abs(z))  # never overflows; the two branches are the stable forms of 1/(1+e^-z)
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "linear":
        return z
    raise ValueError(f"unknown activation {name!r}")


def activate_inplace(z: np.ndarray, name: str) -> np.ndarray:
    """`numpy_activation` written into ``z`` where numpy allows it (z is overwritten)."""
    if name == "tanh":
        return np.tanh(z, out=z)
    if name == "relu":
        return np.maximum(z, 0.0, out=z)
    if name == "leaky_relu":
        return np.multiply(z, 0.01, out=z, where=z <= 0)
    return numpy_activation(z, name)


def numpy_loss(outputs: np.ndarray, targets: np.ndarray, loss: str) -> float:
    """The mean data loss of (n, out) outputs against targets, as the graph losses compute it."""
    with np.errstate(over="ignore", invalid="ignore"):
        if loss == "cross_entropy":
            top = outputs.max(axis=1, keepdims=True)
            lse = top[:, 0] + np.log(np.exp(outputs - top).sum(axis=1))
            return float(np.mean(lse - outputs[np.arange(len(outputs)), targets.astype(np.int64)]))
        pred = outputs[:, 0]
        if loss == "mse":
            return float(np.mean((pred - targets) ** 2))
        if loss == "l1":
            return float(np.mean(np.abs(pred - targets)))
        if loss == "bce_logits":
            return float(np.mean(np.maximum(pred, 0) - pred * targets + np.log1p(np.exp(-np.abs(pred)))))
        if loss == "hinge":
            return float(np.mean(np.maximum(0.0, 1.0 - targets * pred)))
    raise ValueError(f"unknown loss {loss!r}")


def graph_loss(predictions: list, targets: list, loss: str, reduction: str = "mean") -> Any:
    """The minibatch loss (mean or sum) through `minitorch.nn.functional` (scalar predictions or rows)."""
    if loss == "mse":
        return F.mse_loss(predictions, targets, reduction=reduction)
    if loss == "l1":
        return F.l1_loss(predictions, targets, reduction=reduction)
    if loss == "bce_logits":
        return F.binary_cross_entropy_with_logits(predictions, targets, reduction=reduction)
    if loss == "cross_entropy":
        return F.cross_entropy(predictions, targets, reduction=reduction)
    if loss == "hinge":
        return F.hinge_loss(predictions, targets, reduction=reduction)
    raise ValueError(f"unknown loss {loss!r}")


class StepInterrupted(Exception):
    """Raised by a backend when ``should_stop()`` asked it to abandon the step (the trainer catches it)."""


# --- the interface -------------------------------------------------------------------------------------
class ModelBackend:
    """Base class documenting what the trainer needs from an engine."""

    engine = ""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.model: Any = None

    def parameters(self) -> list[Any]:
        """What the optimizer updates (scalar Tensors or n-d parameters)."""
        return self.model.parameters()

    def loss_and_backward(self, x: np.ndarray, y: np.ndarray,
                          should_stop: Callable[[], bool] | None = None) -> float:
        """Forward a minibatch, add ``spec.l2 * sum(w^2)``, back-propagate; return the loss value.

        Gradients have been zeroed by the optimizer beforehand. May return NaN or inf:
        the trainer treats that as divergence. A backend whose step can take long asks
        ``should_stop()`` along the way and raises `StepInterrupted` when it returns True.
        """
        raise NotImplementedError

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """Each layer's output after its activation, (n, width) float64 arrays; no graph."""
        raise NotImplementedError

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(n, output_dim) float64 outputs for (n, input_dim) features; no graph."""
        return self.layer_outputs(x)[-1]

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Copied float64 numpy arrays under torch Sequential keys ("0.weight", "0.bias", ...)."""
        raise NotImplementedError

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Validated, all-or-nothing (the models' own load_state_dict guarantees it)."""
        self.model.load_state_dict(state_dict)


# A scalar minibatch whose graph would have more nodes than this is built and back-propagated
# in chunks of rows (~0.05 s each), with a should_stop() check between chunks.
CHUNK_NODES = 15_000


class ScalarBackend(ModelBackend):
    """The seed's MLP of scalar Tensors: every weight and every operation is a graph node."""

    engine = "scalar"

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.model = _seeded_mlp(spec)
        self._params = self.model.parameters()
        sizes = spec.sizes  # graph nodes per sample: a multiply and an add per weight, bias and activation
        self._nodes_per_row = sum(n_out * (2 * n_in + 2) for n_in, n_out in zip(sizes, sizes[1:])) + 8

    def parameters(self) -> list[Any]:
        return self._params

    def loss_and_backward(self, x: np.ndarray, y: np.ndarray,
                          should_stop: Callable[[], bool] | None = None) -> float:
        # A scalar graph holds no reference cycles, so reference counting frees it; the cyclic
        # collector would only rescan every live node again and again while the graph grows.
        with gc_paused():
            return self._graph_loss_and_backward(x, y, should_stop)

    def _graph_loss_and_backward(self, x: np.ndarray, y: np.ndarray,
                                 should_stop: Callable[[], bool] | None) -> float:
        model = self.model
        rows = x.tolist()
        targets = y.tolist() if self.spec.output_dim == 1 else [int(v) for v in y]
        chunk = max(1, CHUNK_NODES // self._nodes_per_row)
        if len(rows) <= chunk:  # one graph for the whole minibatch
            predictions = [model(row) for row in rows]  # a Scalar per sample, or a row of logits
            loss = graph_loss(predictions, targets, self.spec.loss)
            penalty = self._penalty()
            if penalty is not None:
                loss = loss + penalty
            loss.backward()
            return float(loss.data)
        # A large minibatch: one graph per chunk of rows, each back-propagated on its own
        # (the gradients add up to the whole minibatch's), so a step of several seconds
        # holds at most one chunk's graph in memory and can stop between two chunks.
        scale = 1.0 / len(rows)
        total = 0.0
        for start in range(0, len(rows), chunk):
            if should_stop is not None and should_stop():
                raise StepInterrupted
            predictions = [model(row) for row in rows[start:start + chunk]]
            part = graph_loss(predictions, targets[start:start + chunk], self.spec.loss, reduction="sum") * scale
            part.backward()
            total += part.data
        penalty = self._penalty()
        if penalty is not None:
            penalty.backward()
            total += penalty.data
        return float(total)

    def _penalty(self) -> Any:
        """The regularisation terms as one graph (l2 * sum w^2 + l1 * sum |w|), or None."""
        penalty = F.l2_penalty(self._params, self.spec.l2) if self.spec.l2 else None
        if self.spec.l1:  # |p| as relu(p) + relu(-p): its gradient at 0 is 0, as torch's abs
            l1 = self.spec.l1 * sum(p.relu() + (-p).relu() for p in self._params)
            penalty = l1 if penalty is None else penalty + l1
        return penalty

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W (out, in), b (out,)) per layer, read from the live scalar Tensors."""
        out = []
        for layer in self.model.layers:
            weight = np.array([[w.data for w in n.weights] for n in layer.neurons], dtype=np.float64)
            bias = np.array([n.bias.data for n in layer.neurons], dtype=np.float64)
            out.append((weight, bias))
        return out

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        # A vectorised numpy forward from the current weights: fast and builds no graph.
        # Each layer allocates one array and then works in place (fewer temporaries to fill).
        h = np.asarray(x, dtype=np.float64)
        outputs = []
        with np.errstate(over="ignore", invalid="ignore"):
            for (weight, bias), name in zip(self.weights(), self.spec.activations()):
                z = h @ weight.T
                z += bias
                h = activate_inplace(z, name)
                outputs.append(h)
        return outputs

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        return OrderedDict((k, np.array(v, dtype=np.float64)) for k, v in self.model.state_dict().items())


BACKENDS: dict[str, type[ModelBackend]] = {"scalar": ScalarBackend}

# Engines whose backend lives in a module that is imported only when first asked for.
_LAZY_BACKENDS = {"tensor": "minitorch.training.tensor_backend"}


def register_backend(engine: str, backend: type[ModelBackend] | Callable[[ModelSpec], ModelBackend]) -> None:
    """Make ``TrainConfig(engine=...)`` use ``backend`` (called by an engine's backend module)."""
    BACKENDS[engine] = backend  # type: ignore[assignment]


def get_backend(engine: str) -> type[ModelBackend]:
    """The backend class for an engine, importing a lazily registered one on first use."""
    if engine not in BACKENDS and engine in _LAZY_BACKENDS:
        module_name = _LAZY_BACKENDS[engine]
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                raise ValueError(
                    f"engine {engine!r} is not available: {module_name} is missing from this installation"
                ) from None
            raise
    if engine not in BACKENDS:
        raise ValueError(f"unknown engine {engine!r}; available: {', '.join(sorted(BACKENDS))}")
    return BACKENDS[engine]
