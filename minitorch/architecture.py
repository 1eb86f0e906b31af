"""The one architecture object: what a network is, independent of the engine that runs it.

    spec = ModelSpec.mlp(2, [8, 8], 1, activation="tanh")                  # the playground's MLPs
    spec = ModelSpec((1, 8, 8), (LayerSpec("conv2d", out_channels=4, kernel_size=3),
                                 LayerSpec("activation", name="relu"),
                                 LayerSpec("maxpool2d", kernel_size=2),
                                 LayerSpec("flatten"),
                                 LayerSpec("linear", out_features=10)))     # conv nets
    spec.output_shapes()      # [(4, 6, 6), (4, 6, 6), (4, 3, 3), (36,), (10,)]; errors name the layer
    spec.build_tensor(seed=0) # minitorch.nn.Sequential (n-d engine)
    spec.build_scalar(seed=0) # the seed's scalar MLP (MLP specs only)
    spec.build_torch()        # torch.nn.Sequential (torch is imported here, lazily)
    ModelSpec.from_state_dict(model.state_dict(), "tanh", "linear")

Layer ``i`` of a spec is index ``i`` of every Sequential it builds, so the state_dict keys are
exactly ``torch.nn.Sequential``'s for the same layer list ("0.weight", "0.bias", "2.weight", ...):
activations, flatten, pooling and dropout take an index but hold no parameters.

Seeded weights: ``initial_state_dict(seed)`` gives the same numbers to every engine. An MLP spec
keeps the seed's scheme (each neuron's weights, then its bias, uniform in [-1, 1] from Python's
``random`` seeded with ``seed``), so ``random.seed(s); MLP(...)`` and ``build_scalar(seed=s)``
agree; other specs get PyTorch's default scheme (uniform in +-1/sqrt(fan_in)) from a numpy
generator seeded with ``seed``.
"""

from __future__ import annotations

import math
import random
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .activations import ACTIVATIONS, SCALAR_ACTIVATIONS
from .backend import as_numpy
from .errors import MinitorchError, ShapeError

__all__ = ["ArchitectureError", "LayerSpec", "ModelSpec", "LAYER_KINDS", "mlp_layers"]


class ArchitectureError(MinitorchError, ValueError):
    """An architecture that cannot be built: an unknown layer, a bad parameter, shapes that do not fit."""


_REQUIRED = object()

# kind -> (parameter -> default; _REQUIRED marks a required one), and the class name in minitorch.nn / torch.nn
LAYER_KINDS: dict[str, tuple[dict[str, Any], str]] = {
    "linear": ({"out_features": _REQUIRED}, "Linear"),
    "conv2d": ({"out_channels": _REQUIRED, "kernel_size": _REQUIRED, "stride": 1, "padding": 0}, "Conv2d"),
    "maxpool2d": ({"kernel_size": _REQUIRED, "stride": None}, "MaxPool2d"),
    "avgpool2d": ({"kernel_size": _REQUIRED, "stride": None}, "AvgPool2d"),
    "batchnorm1d": ({}, "BatchNorm1d"),
    "batchnorm2d": ({}, "BatchNorm2d"),
    "flatten": ({}, "Flatten"),
    "dropout": ({"p": 0.5}, "Dropout"),
    "activation": ({"name": _REQUIRED}, ""),
}
_PAIR_PARAMS = ("kernel_size", "stride", "padding")


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_param(kind: str, name: str, value: Any) -> Any:
    """The validated, JSON-friendly value (ints, or [h, w] for a non-square pair)."""
    where = f"{kind} layer: {name}"
    if name == "name":
        if not isinstance(value, str) or value not in ACTIVATIONS:  # a list from a file is unhashable
            raise ArchitectureError(f"{where} {value!r} is not one of {', '.join(ACTIVATIONS)}")
        return value
    if name == "p":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ArchitectureError(f"{where} must be a probability in [0, 1], got {value!r}")
        return float(value)
    if value is None and name == "stride" and kind != "conv2d":
        return None
    minimum = 0 if name == "padding" else 1
    if name in _PAIR_PARAMS and isinstance(value, (list, tuple)):
        if len(value) != 2 or not all(_is_int(v) and v >= minimum for v in value):
            raise ArchitectureError(f"{where} must be an integer >= {minimum} or a pair of them, got {value!r}")
        return int(value[0]) if value[0] == value[1] else [int(value[0]), int(value[1])]
    if not _is_int(value) or value < minimum:
        raise ArchitectureError(f"{where} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


class LayerSpec:
    """One layer: a ``kind`` (see `LAYER_KINDS`) and its parameters, validated and frozen.

    Parameters read as attributes: ``LayerSpec("conv2d", out_channels=8, kernel_size=3).stride == 1``.
    """

    __slots__ = ("kind", "params")

    def __init__(self, kind: str, **params: Any) -> None:
        if kind not in LAYER_KINDS:
            raise ArchitectureError(f"unknown layer kind {kind!r}; choose one of {', '.join(LAYER_KINDS)}")
        schema = LAYER_KINDS[kind][0]
        unknown = sorted(set(params) - set(schema))
        if unknown:
            raise ArchitectureError(f"{kind} layer: unknown parameter(s) {', '.join(unknown)} "
                                    f"(it takes {', '.join(schema) or 'none'})")
        values = {}
        for name, default in schema.items():
            if name not in params and default is _REQUIRED:
                raise ArchitectureError(f"{kind} layer: missing {name}")
            values[name] = _check_param(kind, name, params.get(name, default))
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "params", MappingProxyType(values))

    def __getattr__(self, name: str) -> Any:
        params = object.__getattribute__(self, "params")
        if name in params:
            return params[name]
        raise AttributeError(f"{self.kind} layer has no parameter {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("LayerSpec is frozen; build a new one")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LayerSpec) and (self.kind, dict(self.params)) == (other.kind, dict(other.params))

    def __hash__(self) -> int:
        return hash((self.kind, tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in self.params.items())))

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"LayerSpec({self.kind!r}{args})"

    @property
    def module_name(self) -> str:
        """The class name in minitorch.nn and torch.nn ("Conv2d", "Tanh", "Identity", ...)."""
        return ACTIVATIONS[self.params["name"]].module if self.kind == "activation" else LAYER_KINDS[self.kind][1]

    def describe(self) -> str:
        """Words for the screen: "Linear 8", "Conv2d 5x5", "MaxPool2d 2x2", "ReLU", "Dropout 0.5"."""
        p = self.params
        if self.kind == "linear":
            return f"Linear {p['out_features']}"
        if self.kind in ("conv2d", "maxpool2d", "avgpool2d"):
            kh, kw = _pair(p["kernel_size"])
            return f"{self.module_name} {kh}x{kw}"
        if self.kind == "dropout":
            return f"Dropout {p['p']:g}"
        if self.kind == "activation":
            return ACTIVATIONS[p["name"]].label
        return self.module_name

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **{k: (list(v) if isinstance(v, list) else v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: Any) -> LayerSpec:
        if not isinstance(data, Mapping) or not isinstance(data.get("kind"), str):
            raise ArchitectureError(f"a layer must be an object with a 'kind', got {data!r}")
        params = {k: v for k, v in data.items() if k != "kind"}
        return cls(data["kind"], **params)


def _python_random_stream(seed: int) -> np.random.RandomState:
    """numpy's Mersenne Twister in the state ``random.seed(seed)`` gives Python's: both generators
    make a float from two draws the same way, so ``random_sample`` repeats ``random.random()``
    bit for bit, without a Python call per number (16 million weights in about a second)."""
    words = random.Random(seed).getstate()[1]
    stream = np.random.RandomState()
    stream.set_state(("MT19937", np.array(words[:624], dtype=np.uint32), words[624], 0, 0.0))
    return stream


def _layer_error(index: int, layer: LayerSpec, message: str) -> ArchitectureError:
    return ArchitectureError(f"Layer {index + 1} ({layer.describe()}): {message}")


def _spatial(shape: tuple[int, ...], index: int, layer: LayerSpec, kernel: tuple[int, int], stride: tuple[int, int],
             padding: tuple[int, int]) -> tuple[int, int]:
    height, width = shape[1] + 2 * padding[0], shape[2] + 2 * padding[1]
    if kernel[0] > height or kernel[1] > width:
        size = f"{kernel[0]}" if kernel[0] == kernel[1] else f"{kernel[0]}x{kernel[1]}"
        padded = f" (padded to {height}x{width})" if any(padding) else ""
        raise _layer_error(index, layer, f"kernel {size} is larger than the {shape[1]}x{shape[2]} input{padded}")
    return (height - kernel[0]) // stride[0] + 1, (width - kernel[1]) // stride[1] + 1


def _image_input(shape: tuple[int, ...], index: int, layer: LayerSpec) -> None:
    if len(shape) != 3:
        raise _layer_error(index, layer, f"needs a (channels, height, width) input, got {_shape_words(shape)}")


def _shape_words(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) if len(shape) > 1 else f"{shape[0]} features"


@dataclass(frozen=True)
class ModelSpec:
    """A network: the shape of one input (no batch dimension) and its layers in order."""

    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...]

    def __post_init__(self) -> None:
        shape = self.input_shape
        if isinstance(shape, int) or not isinstance(shape, Sequence) or not 1 <= len(shape) <= 3 or not all(
                _is_int(s) and s >= 1 for s in shape):
            raise ArchitectureError(f"input_shape must be (features,) or (channels, height, width) of positive "
                                    f"integers, got {shape!r}")
        layers = self.layers
        if isinstance(layers, LayerSpec) or not isinstance(layers, Sequence) or not layers:
            raise ArchitectureError(f"layers must be a non-empty list of LayerSpec, got {layers!r}")
        for i, layer in enumerate(layers):
            if not isinstance(layer, LayerSpec):
                raise ArchitectureError(f"Layer {i + 1} is a {type(layer).__name__}, not a LayerSpec")
        object.__setattr__(self, "input_shape", tuple(int(s) for s in shape))
        object.__setattr__(self, "layers", tuple(layers))

    # --- construction -------------------------------------------------------------------------------
    @classmethod
    def mlp(cls, n_inputs: int, hidden_sizes: Sequence[int], n_outputs: int, activation: str = "tanh",
            output_activation: str = "linear") -> ModelSpec:
        """Linear, activation, Linear, activation, ..., Linear[, output activation].

        A hidden "linear" activation still takes its index (an Identity) so the Linear layers are
        0, 2, 4, ... as in the scalar MLP's state_dict; a "linear" output activation adds nothing.
        """
        if isinstance(hidden_sizes, (int, str)) or not isinstance(hidden_sizes, Sequence):
            raise ArchitectureError(f"hidden_sizes must be a list of layer widths, got {hidden_sizes!r}")
        layers: list[LayerSpec] = []
        for width in hidden_sizes:
            layers += [LayerSpec("linear", out_features=width), LayerSpec("activation", name=activation)]
        layers.append(LayerSpec("linear", out_features=n_outputs))
        if output_activation != "linear":
            layers.append(LayerSpec("activation", name=output_activation))
        return cls((n_inputs,), tuple(layers))

    @classmethod
    def from_state_dict(cls, state_dict: Mapping[str, Any], activation: str = "tanh",
                        output_activation: str = "linear") -> ModelSpec:
        """The MLP of a Sequential-of-Linear state_dict ("0.weight", "0.bias", "2.weight", ...).

        Every Linear must sit at index 0, 2, 4, ... with a weight and a bias (else ArchitectureError),
        and have a weight (out, in) and bias (out,) that take the previous layer's width (else
        ShapeError); the message names the layer that breaks the chain.
        """
        return cls.mlp(*_mlp_sizes(state_dict), activation=activation, output_activation=output_activation)

    # --- shapes and sizes ---------------------------------------------------------------------------
    def output_shapes(self) -> list[tuple[int, ...]]:
        """The shape after each layer (no batch dimension); ArchitectureError naming the first bad layer."""
        shapes = []
        shape = self.input_shape
        for i, layer in enumerate(self.layers):
            shape = self._layer_output(i, layer, shape)
            shapes.append(shape)
        return shapes

    def _layer_output(self, i: int, layer: LayerSpec, shape: tuple[int, ...]) -> tuple[int, ...]:
        kind, p = layer.kind, layer.params
        if kind == "linear":
            if len(shape) != 1:
                raise _layer_error(i, layer, f"needs a flat input but gets {_shape_words(shape)}; "
                                             "add a Flatten layer before it")
            return (p["out_features"],)
        if kind == "conv2d":
            _image_input(shape, i, layer)
            return (p["out_channels"], *_spatial(shape, i, layer, _pair(p["kernel_size"]), _pair(p["stride"]),
                                                 _pair(p["padding"])))
        if kind in ("maxpool2d", "avgpool2d"):
            _image_input(shape, i, layer)
            kernel = _pair(p["kernel_size"])
            stride = kernel if p["stride"] is None else _pair(p["stride"])
            return (shape[0], *_spatial(shape, i, layer, kernel, stride, (0, 0)))
        if kind == "batchnorm1d" and len(shape) not in (1, 2):
            raise _layer_error(i, layer, f"needs (features,) or (channels, length) input, got {_shape_words(shape)}")
        if kind == "batchnorm2d":
            _image_input(shape, i, layer)
        if kind == "flatten":
            return (math.prod(shape),)
        return shape

    def _parameter_shapes(self) -> OrderedDict[str, tuple[int, ...]]:
        """Every state_dict entry's shape (parameters and BatchNorm buffers), in torch's order."""
        shapes: OrderedDict[str, tuple[int, ...]] = OrderedDict()
        previous = self.input_shape
        for i, (layer, shape) in enumerate(zip(self.layers, self.output_shapes())):
            if layer.kind == "linear":
                shapes[f"{i}.weight"] = (shape[0], previous[0])
                shapes[f"{i}.bias"] = (shape[0],)
            elif layer.kind == "conv2d":
                shapes[f"{i}.weight"] = (shape[0], previous[0], *_pair(layer.kernel_size))
                shapes[f"{i}.bias"] = (shape[0],)
            elif layer.kind in ("batchnorm1d", "batchnorm2d"):
                channels = previous[0]
                for name in ("weight", "bias", "running_mean", "running_var"):
                    shapes[f"{i}.{name}"] = (channels,)
                shapes[f"{i}.num_batches_tracked"] = ()
            previous = shape
        return shapes

    def state_dict_shapes(self) -> OrderedDict[str, tuple[int, ...]]:
        """``{key: shape}`` of the state_dict every engine's model of this spec has."""
        return self._parameter_shapes()

    def num_parameters(self) -> int:
        """Trainable numbers (weights and biases; BatchNorm's running statistics are buffers)."""
        return sum(math.prod(shape) for key, shape in self._parameter_shapes().items()
                   if key.endswith((".weight", ".bias")))

    def check_state_dict(self, state_dict: Mapping[str, Any], source: str = "the state_dict") -> None:
        """Exactly this spec's keys (else ArchitectureError) and shapes (else ShapeError)."""
        expected = self.state_dict_shapes()
        missing = [k for k in expected if k not in state_dict]
        unexpected = [k for k in state_dict if k not in expected]
        if missing or unexpected:
            parts = ([f"missing keys: {', '.join(missing)}"] if missing else []) + (
                [f"unexpected keys: {', '.join(map(str, unexpected))}"] if unexpected else [])
            raise ArchitectureError(f"{source} does not match {self.describe()}: " + "; ".join(parts))
        for key, shape in expected.items():
            got = tuple(np.shape(as_numpy(state_dict[key])))
            if got != shape:
                raise ShapeError(f"{source}: {key!r} has shape {got}, {self.describe()} needs {shape}")

    # --- MLP view -------------------------------------------------------------------------------------
    @property
    def is_mlp(self) -> bool:
        """True when the seed's scalar MLP can hold this spec: a 1-D input, then Linear/activation pairs
        with one hidden activation, ending in a Linear with an optional output activation, all of
        them activations the scalar engine has (`SCALAR_ACTIVATIONS`)."""
        return self._mlp_view() is not None

    def _mlp_view(self) -> tuple[list[int], str, str] | None:
        """(sizes, hidden activation, output activation) of an MLP spec, else None."""
        if len(self.input_shape) != 1:
            return None
        kinds = [layer.kind for layer in self.layers]
        body = kinds[:-1] if kinds[-1] == "activation" else kinds
        if not body or body[-1] != "linear" or body[0::2] != ["linear"] * len(body[0::2]) or \
                body[1::2] != ["activation"] * len(body[1::2]):
            return None
        hidden = {self.layers[i].name for i in range(1, len(body), 2)}
        output = self.layers[-1].name if kinds[-1] == "activation" else "linear"
        if len(hidden) > 1 or not hidden | {output} <= set(SCALAR_ACTIVATIONS):
            return None
        activation = hidden.pop() if hidden else output
        sizes = [self.input_shape[0]] + [self.layers[i].out_features for i in range(0, len(body), 2)]
        return sizes, activation, output

    @property
    def sizes(self) -> list[int]:
        """[inputs, width of each Linear...] of an MLP spec."""
        return self._require_mlp("list layer sizes")[0]

    @property
    def activation(self) -> str:
        """The hidden activation of an MLP spec (the output one when there are no hidden layers)."""
        return self._require_mlp("name its activation")[1]

    @property
    def output_activation(self) -> str:
        return self._require_mlp("name its output activation")[2]

    def _require_mlp(self, purpose: str) -> tuple[list[int], str, str]:
        view = self._mlp_view()
        if view is None:
            raise ArchitectureError(f"cannot {purpose}: {self.describe()} is not an MLP "
                                    "(Linear/activation pairs with one hidden activation on a flat input)")
        return view

    def describe(self) -> str:
        """Short words for messages: "MLP(2, 8, 8, 1)" or "Conv2d 3x3 > ReLU > Flatten > Linear 10"."""
        view = self._mlp_view()
        if view is not None:
            return f"MLP{tuple(view[0])}"
        return " > ".join(layer.describe() for layer in self.layers)

    # --- weights --------------------------------------------------------------------------------------------
    def initial_state_dict(self, seed: int) -> OrderedDict[str, np.ndarray]:
        """Seeded float64 starting weights, the same for every engine (see the module docstring)."""
        if isinstance(seed, bool) or not _is_int(seed) or seed < 0:
            raise ArchitectureError(f"seed must be a non-negative integer, got {seed!r}")
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        if self.is_mlp:
            stream = _python_random_stream(int(seed))
            sizes = self.sizes
            for k in range(len(sizes) - 1):
                # the seed's Neuron draws its weights, then its bias: one row of n_in + 1 numbers each
                rows = (-1.0 + 2.0 * stream.random_sample((sizes[k + 1], sizes[k] + 1)))  # random.uniform(-1, 1)
                state[f"{2 * k}.weight"] = np.ascontiguousarray(rows[:, :-1])
                state[f"{2 * k}.bias"] = np.ascontiguousarray(rows[:, -1])
            return state
        generator = np.random.default_rng(int(seed))
        shapes = self.state_dict_shapes()
        for key, shape in shapes.items():
            index, name = key.split(".")
            layer = self.layers[int(index)]
            if layer.kind in ("linear", "conv2d"):
                weight_shape = shapes[f"{index}.weight"]
                bound = 1.0 / math.sqrt(math.prod(weight_shape[1:]))
                state[key] = generator.uniform(-bound, bound, size=shape)
            elif name == "num_batches_tracked":
                state[key] = np.zeros(shape, dtype=np.int64)
            elif name in ("weight", "running_var"):
                state[key] = np.ones(shape)
            else:
                state[key] = np.zeros(shape)
        return state

    # --- builders -----------------------------------------------------------------------------------------
    def build_scalar(self, seed: int | None = None) -> Any:
        """The seed's scalar `MLP` (every weight a Scalar). ``seed=None`` draws from Python's global
        ``random`` as the seed's MLP does; a seed gives `initial_state_dict(seed)` and leaves the
        global ``random`` alone."""
        from .nn.scalar import MLP

        sizes, activation, output = self._require_mlp("build the scalar MLP")
        if seed is None:
            return MLP(sizes[0], sizes[1:], activation, output)
        weights = self.initial_state_dict(seed)
        saved = random.getstate()
        try:
            model = MLP(sizes[0], sizes[1:], activation, output)
        finally:
            random.setstate(saved)
        model.load_state_dict(weights)
        return model

    def build_tensor(self, seed: int | None = None, dtype: Any = "float64", device: Any = "cpu") -> Any:
        """A `minitorch.nn.Sequential` whose index ``i`` is layer ``i``. ``seed=None`` keeps each
        layer's own initialisation; a seed loads `initial_state_dict(seed)`."""
        from . import nn

        shapes = self.output_shapes()
        modules = []
        previous = self.input_shape
        for layer, shape in zip(self.layers, shapes):
            modules.append(self._module(nn, layer, previous, {"dtype": dtype, "device": device}))
            previous = shape
        model = nn.Sequential(*modules)
        if seed is not None:
            model.load_state_dict(dict(self.initial_state_dict(seed)))
        return model

    def build_torch(self, dtype: Any = None) -> Any:
        """The equivalent ``torch.nn.Sequential`` (float64 unless ``dtype`` says otherwise), same keys."""
        import torch

        shapes = self.output_shapes()
        modules = []
        previous = self.input_shape
        for layer, shape in zip(self.layers, shapes):
            modules.append(self._module(torch.nn, layer, previous, {"dtype": dtype or torch.float64}))
            previous = shape
        return torch.nn.Sequential(*modules)

    @staticmethod
    def _module(namespace: Any, layer: LayerSpec, previous: tuple[int, ...], factory: dict[str, Any]) -> Any:
        """One layer as a module of ``namespace`` (minitorch.nn or torch.nn)."""
        cls = getattr(namespace, layer.module_name, None)
        if cls is None:
            raise ArchitectureError(f"{layer.describe()}: this engine has no {layer.module_name} layer")
        p = layer.params
        if layer.kind == "linear":
            return cls(previous[0], p["out_features"], **factory)
        if layer.kind == "conv2d":
            return cls(previous[0], p["out_channels"], _pair(p["kernel_size"]), stride=_pair(p["stride"]),
                       padding=_pair(p["padding"]), **factory)
        if layer.kind in ("maxpool2d", "avgpool2d"):
            stride = None if p["stride"] is None else _pair(p["stride"])
            return cls(_pair(p["kernel_size"]), stride=stride)
        if layer.kind in ("batchnorm1d", "batchnorm2d"):
            return cls(previous[0], **factory)
        if layer.kind == "dropout":
            return cls(p["p"])
        return cls()  # flatten, activation

    # --- files ------------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``{"input_shape": [...], "layers": [{"kind": ..., ...}, ...]}``."""
        return {"input_shape": list(self.input_shape), "layers": [layer.to_dict() for layer in self.layers]}

    @classmethod
    def from_dict(cls, data: Any) -> ModelSpec:
        """The spec `to_dict` wrote; ArchitectureError naming what is wrong."""
        if not isinstance(data, Mapping) or set(data) != {"input_shape", "layers"}:
            raise ArchitectureError(f"an architecture must be an object with 'input_shape' and 'layers', got {data!r}")
        shape, layers = data["input_shape"], data["layers"]
        if not isinstance(shape, list) or not isinstance(layers, list):
            raise ArchitectureError("'input_shape' and 'layers' must be lists")
        parsed = []
        for i, layer in enumerate(layers):
            try:
                parsed.append(LayerSpec.from_dict(layer))
            except ArchitectureError as exc:
                raise ArchitectureError(f"Layer {i + 1}: {exc}") from None
        return cls(tuple(shape), tuple(parsed))


def mlp_layers(state_dict: Mapping[str, Any]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``[(prefix, weight (out, in), bias (out,)), ...]`` of a Sequential-of-Linear state_dict as
    float64 copies, in order ("0", "2", ...), validated as `ModelSpec.from_state_dict` does."""
    _mlp_sizes(state_dict)
    prefixes = sorted({str(key).rpartition(".")[0] for key in state_dict}, key=int)
    return [(p, np.array(as_numpy(state_dict[f"{p}.weight"]), dtype=np.float64),
             np.array(as_numpy(state_dict[f"{p}.bias"]), dtype=np.float64)) for p in prefixes]


def _mlp_sizes(state_dict: Mapping[str, Any]) -> tuple[int, list[int], int]:
    """(inputs, hidden widths, outputs) of a Sequential-of-Linear state_dict, every shape checked."""
    if not isinstance(state_dict, Mapping) or not state_dict:
        raise ArchitectureError("the state_dict is empty: there is no network in it")
    indices: list[int] = []
    for key in state_dict:
        prefix, _, kind = str(key).rpartition(".")
        if kind not in ("weight", "bias") or not prefix.isdigit():
            raise ArchitectureError(f"state_dict key {key!r} is not a Linear layer's 'N.weight' or 'N.bias'")
        if int(prefix) not in indices:
            indices.append(int(prefix))
    indices.sort()
    if indices != list(range(0, 2 * len(indices), 2)):
        raise ArchitectureError(f"the Linear layers sit at indices {indices}; a Sequential of Linear and "
                                "activation layers has them at 0, 2, 4, ...")
    widths: list[int] = []
    for i in indices:
        if f"{i}.weight" not in state_dict or f"{i}.bias" not in state_dict:
            raise ArchitectureError(f"layer {i} needs both '{i}.weight' and '{i}.bias'")
        weight = np.shape(as_numpy(state_dict[f"{i}.weight"]))
        bias = np.shape(as_numpy(state_dict[f"{i}.bias"]))
        if len(weight) != 2 or bias != weight[:1] or 0 in weight:
            raise ShapeError(f"layer {i}: the shapes of weight {weight} and bias {bias} do not form a Linear layer")
        if widths and weight[1] != widths[-1]:
            raise ShapeError(f"layer {i} takes {weight[1]} inputs but the previous layer gives {widths[-1]}")
        if not widths:
            widths.append(int(weight[1]))
        widths.append(int(weight[0]))
    return widths[0], widths[1:-1], widths[-1]
