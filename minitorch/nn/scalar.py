"""The seed's networks of Scalars: `Neuron`, `Layer`, `MLP`.

Every weight is its own `minitorch.engine.Scalar`, so the whole forward pass is a graph
of single numbers that can be drawn and stepped through. Weights and biases are drawn
uniformly from [-1, 1] with Python's `random`, so ``random.seed(n)`` reproduces a model.

``MLP.state_dict()`` uses the keys of the equivalent
``torch.nn.Sequential(Linear, activation, Linear, activation, ...)``: "0.weight" is a list
of rows (one per neuron), "0.bias" a list, the next Linear is "2.weight", and so on.
"""

from __future__ import annotations

import math
import random
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from ..activations import SCALAR_ACTIVATIONS, activate
from ..activations import activation as _activation
from ..engine import Scalar
from ..errors import ShapeError
from .module import Module, ModuleList

Input = float | int | Scalar


def _check_activation(name: str) -> str:
    return _activation(name, SCALAR_ACTIVATIONS).name


def _check_size(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return value


class Neuron(Module):
    """out = activation(w . x + b), built from scalar + and * so every step is in the graph.

    Its parameters are registered as "weights.0", "weights.1", ... and "bias", in that order
    (the seed's ``parameters() == weights + [bias]``).
    """

    def __init__(self, num_inputs: int, activation: str = "tanh"):
        super().__init__()
        _check_size(num_inputs, "num_inputs")
        self.activation = _check_activation(activation)
        # drawn in the seed's order (the weights, then the bias), so random.seed(n) gives its models
        for j in range(num_inputs):
            self._parameters[f"weights.{j}"] = Scalar(random.uniform(-1, 1))
        self.register_parameter("bias", Scalar(random.uniform(-1, 1)))
        object.__setattr__(self, "_num_inputs", num_inputs)

    @property
    def weights(self) -> list[Scalar]:
        """The input weights, read from the registered parameters (the bias is last there)."""
        return list(self._parameters.values())[: self._num_inputs]

    @property
    def w(self) -> list[Scalar]:  # micrograd's names
        return self.weights

    @property
    def b(self) -> Scalar:
        return self.bias

    def __call__(self, x: Sequence[Input]) -> Scalar:
        weights = self.weights
        if len(x) != len(weights):
            raise ShapeError(f"Neuron expects {len(weights)} inputs, got {len(x)}")
        total = self.bias
        for wi, xi in zip(weights, x):
            total = total + wi * xi
        return activate(total, self.activation)

    def __repr__(self) -> str:
        return f"Neuron({self._num_inputs}, activation={self.activation!r})"


class Layer(Module):
    """A fully connected layer of neurons; one output returns a Scalar, several a list."""

    def __init__(self, num_inputs: int, num_outputs: int, activation: str = "tanh"):
        super().__init__()
        _check_size(num_outputs, "num_outputs")
        self.activation = _check_activation(activation)
        self.neurons = ModuleList(Neuron(num_inputs, activation) for _ in range(num_outputs))

    @property
    def num_inputs(self) -> int:
        return self.neurons[0]._num_inputs

    def __call__(self, x: Sequence[Input]) -> Scalar | list[Scalar]:
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def __repr__(self) -> str:
        return f"Layer({self.num_inputs}, {len(self.neurons)}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(3, [4, 4, 1])`` maps 3 inputs through 4, 4 to 1 output.

    ``activation`` is used by the hidden layers; ``output_activation`` (default: the same,
    as in the seed, where every neuron is tanh) by the last layer.

    ``named_parameters()`` names each number ("layers.0.neurons.1.weights.2"); ``state_dict()``
    groups them into PyTorch's per-layer arrays ("0.weight"[1][2]) so torch can load it.
    """

    def __init__(
        self,
        num_inputs: int,
        layer_sizes: Sequence[int],
        activation: str = "tanh",
        output_activation: str | None = None,
    ):
        super().__init__()
        _check_size(num_inputs, "num_inputs")
        if isinstance(layer_sizes, int) or not layer_sizes:
            raise ValueError(f"layer_sizes must be a non-empty list of layer widths, got {layer_sizes!r}")
        self.activation = _check_activation(activation)
        self.output_activation = _check_activation(output_activation or activation)
        sizes = [num_inputs] + [_check_size(s, "layer size") for s in layer_sizes]
        self.layers = ModuleList(
            Layer(sizes[i], sizes[i + 1], self.activation if i < len(layer_sizes) - 1 else self.output_activation)
            for i in range(len(layer_sizes))
        )

    @property
    def sizes(self) -> list[int]:
        """[inputs, width of each layer...]"""
        return [self.layers[0].num_inputs] + [len(layer.neurons) for layer in self.layers]

    def __call__(self, x: Sequence[Input]) -> Scalar | list[Scalar]:
        out: Any = x
        for layer in self.layers:
            out = layer(out)
            if isinstance(out, Scalar):
                out = [out]
        return out[0] if len(out) == 1 else out

    # --- PyTorch-compatible state ------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, Any]:
        """{"0.weight": [[...], ...], "0.bias": [...], "2.weight": ...} as plain floats."""
        state: OrderedDict[str, Any] = OrderedDict()
        for k, layer in enumerate(self.layers):
            state[f"{2 * k}.weight"] = [[float(w.data) for w in n.weights] for n in layer.neurons]
            state[f"{2 * k}.bias"] = [float(n.bias.data) for n in layer.neurons]
        return state

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> None:
        """Load weights (lists, numpy arrays or torch tensors); validated before anything changes."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict expects a dict, got {type(state_dict).__name__}")
        expected = self.state_dict()
        missing = [k for k in expected if k not in state_dict]
        unexpected = [k for k in state_dict if k not in expected]
        if missing or (strict and unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys: {', '.join(missing)}")
            if unexpected and strict:
                parts.append(f"unexpected keys: {', '.join(unexpected)}")
            raise KeyError(f"state_dict does not match MLP{tuple(self.sizes)}: " + "; ".join(parts))
        staged: dict[str, list] = {}
        for key, want in expected.items():
            value = _to_nested_floats(state_dict[key], key)
            if _shape(value) != _shape(want):
                raise ShapeError(f"state_dict[{key!r}] has shape {_shape(value)}, the model expects {_shape(want)}")
            staged[key] = value
        for k, layer in enumerate(self.layers):
            rows, biases = staged[f"{2 * k}.weight"], staged[f"{2 * k}.bias"]
            for neuron, row, bias in zip(layer.neurons, rows, biases):
                for w, value in zip(neuron.weights, row):
                    w.data = value
                neuron.bias.data = bias

    def __repr__(self) -> str:
        return f"MLP({self.sizes[0]}, {self.sizes[1:]}, activation={self.activation!r}, " \
               f"output_activation={self.output_activation!r})"


def _to_nested_floats(value: Any, key: str) -> Any:
    """Lists, tuples, numpy arrays or torch tensors -> nested lists of finite Python floats."""
    if hasattr(value, "detach"):  # torch tensor
        value = value.detach().cpu().tolist()
    elif hasattr(value, "tolist"):  # numpy array or one of our n-d tensors
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_to_nested_floats(v, key) for v in value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"state_dict[{key!r}] holds a non-numeric value {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"state_dict[{key!r}] contains NaN or infinite values")
    return value


def _shape(value: Any) -> tuple[int, ...]:
    if isinstance(value, list):
        inner = {_shape(v) for v in value}
        if len(inner) > 1:
            return (len(value), -1)  # ragged: never equal to a real shape
        return (len(value),) + (inner.pop() if inner else ())
    return ()
