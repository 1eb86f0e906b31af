"""The trainer's model-backend seam: one small class per engine.

A backend owns the model and knows how to (1) build it from a `TrainingSpec`, (2) compute a
minibatch loss and back-propagate it, (3) predict a numpy batch WITHOUT building a graph,
(4) expose each layer's activations (for the per-neuron maps), and (5) save and load a
state_dict with ``torch.nn.Sequential`` key names. The `Trainer` does the rest (data,
batches, optimizer, metrics, history), identically for every engine.

Both engines build their model through the spec's `minitorch.architecture.ModelSpec` and
start from its ``initial_state_dict(seed)``, so the same seed gives the same weights.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..activations import ACTIVATIONS
from ..architecture import ModelSpec
from ..autograd import gc_paused
from ..backend import as_numpy
from ..nn import functional as F
from .losses import LOSSES

__all__ = ["TrainingSpec", "ModelBackend", "ScalarBackend", "StepInterrupted"]


@dataclass(frozen=True)
class TrainingSpec:
    """What the trainer builds: the network (an MLP `ModelSpec`) and how it is trained."""

    architecture: ModelSpec
    loss: str  # a key of training.losses.LOSSES
    l2: float = 0.0
    l1: float = 0.0
    seed: int = 0
    dtype: str = "float64"
    device: str = "cpu"

    @property
    def sizes(self) -> list[int]:
        """[inputs, hidden widths..., outputs]"""
        return self.architecture.sizes

    @property
    def output_dim(self) -> int:
        return self.sizes[-1]

    @property
    def activation(self) -> str:
        return self.architecture.activation

    @property
    def output_activation(self) -> str:
        return self.architecture.output_activation

    def activations(self) -> list[str]:
        """The activation after each Linear layer."""
        return [self.activation] * (len(self.sizes) - 2) + [self.output_activation]

    def initial_state_dict(self) -> OrderedDict[str, np.ndarray]:
        """The seeded starting weights every engine loads (float64, torch Sequential keys)."""
        return self.architecture.initial_state_dict(self.seed)


class StepInterrupted(Exception):
    """Raised by a backend when ``should_stop()`` asked it to abandon the step (the trainer catches it)."""


# --- the interface -------------------------------------------------------------------------------------
class ModelBackend:
    """Base class documenting what the trainer needs from an engine."""

    engine = ""

    def __init__(self, spec: TrainingSpec) -> None:
        self.spec = spec
        self.model: Any = None

    def parameters(self) -> list[Any]:
        """What the optimizer updates (Scalars or n-d parameters)."""
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
        return OrderedDict((k, np.array(as_numpy(v), dtype=np.float64)) for k, v in self.model.state_dict().items())

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Validated, all-or-nothing (the models' own load_state_dict guarantees it)."""
        self.model.load_state_dict(state_dict)


# A scalar minibatch whose graph would have more nodes than this is built and back-propagated
# in chunks of rows (~0.05 s each), with a should_stop() check between chunks.
CHUNK_NODES = 15_000


class ScalarBackend(ModelBackend):
    """The seed's MLP of Scalars: every weight and every operation is a graph node."""

    engine = "scalar"

    def __init__(self, spec: TrainingSpec) -> None:
        super().__init__(spec)
        self.model = spec.architecture.build_scalar(seed=spec.seed)
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
        loss_fn = LOSSES[self.spec.loss]
        rows = x.tolist()
        targets = [int(v) for v in y] if loss_fn.classes else y.tolist()
        chunk = max(1, CHUNK_NODES // self._nodes_per_row)
        if len(rows) <= chunk:  # one graph for the whole minibatch
            predictions = [model(row) for row in rows]  # a Scalar per sample, or a row of logits
            loss = loss_fn.graph(predictions, targets)
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
            part = loss_fn.graph(predictions, targets[start:start + chunk], reduction="sum") * scale
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
        """(W (out, in), b (out,)) per layer, read from the live Scalars."""
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
                h = ACTIVATIONS[name].apply_numpy_inplace(z)
                outputs.append(h)
        return outputs
