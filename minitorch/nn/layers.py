"""N-d layers under PyTorch's names: `Parameter`, `Linear`, `Conv2d`, `BatchNorm1d`, ...

Every layer is a `Module` (registration, ``state_dict`` with PyTorch's key names,
``train()``/``eval()``, ``to(device)``) whose forward calls the fused ops of
`minitorch.nn.functional`. Shapes, defaults and initialisations match
``torch.nn``, so ``model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})``
works, and the reverse.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend
from ..errors import ShapeError, TensorTypeError
from ..ndtensor import Tensor, float32, resolve_dtype
from . import functional as F
from . import init
from .module import Module
from .tensor_functional import as_normalized_shape, pair_of_ints

__all__ = [
    "Parameter",
    "Linear",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "LayerNorm",
    "Embedding",
    "BatchNorm1d",
    "BatchNorm2d",
    "Dropout",
    "Flatten",
    "Sequential",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "LeakyReLU",
    "Identity",
    "Softmax",
    "LogSoftmax",
    "GELU",
    "SiLU",
    "ELU",
    "Softplus",
]


class Parameter(Tensor):
    """A tensor that is a model weight: it requires a gradient and a `Module` registers it."""

    __slots__ = ()
    _is_parameter = True

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=float32)
        if isinstance(data, Tensor):  # share the array, as torch.nn.Parameter(t) does
            super().__init__(np.empty(0, dtype=data.dtype), requires_grad=False)
            self.data = data.data
            self.requires_grad = bool(requires_grad)
            if requires_grad and data.dtype.kind != "f":
                raise TensorTypeError(f"only floating-point parameters can require gradients, got {data.dtype}")
        else:
            super().__init__(data, requires_grad=requires_grad)

    def _load_array(self, array: np.ndarray) -> None:
        """Copy ``array``'s values in place (keeping this parameter's dtype and device)."""
        values = np.asarray(array)
        if values.shape != self.shape:
            raise ShapeError(f"cannot load an array of shape {values.shape} into a parameter of shape {self.shape}")
        self.data[...] = backend.to_device(values.astype(self.dtype, copy=False), self.device)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _factory_kwargs(device: Any, dtype: Any) -> tuple[str, np.dtype]:
    resolved = resolve_dtype(dtype) or float32
    if resolved.kind != "f":
        raise TensorTypeError(f"layer parameters must be floating point, got dtype {resolved}")
    return backend.parse_device(device), resolved


def _new_parameter(shape: tuple, device: str, dtype: np.dtype) -> Parameter:
    return Parameter(Tensor(np.zeros(shape, dtype=dtype), device=device))


class Linear(Module):
    """``y = x @ weight.T + bias`` with weight (out_features, in_features), as ``torch.nn.Linear``."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        _check_positive(in_features, "in_features")
        _check_positive(out_features, "out_features")
        dev, dt = _factory_kwargs(device, dtype)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _new_parameter((out_features, in_features), dev, dt)
        if bias:
            self.bias = _new_parameter((out_features,), dev, dt)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        init.default_bias_(self.bias, self.in_features)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Conv2d(Module):
    """2-d convolution over (N, C, H, W) input, as ``torch.nn.Conv2d``.

    ``padding`` is an int, a pair, 'valid' or 'same'; ``dilation`` spaces the kernel's taps;
    ``groups`` splits the channels into independent convolutions. Zero padding only.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        _check_positive(in_channels, "in_channels")
        _check_positive(out_channels, "out_channels")
        _check_positive(groups, "groups")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by "
                             f"groups ({groups})")
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d: only padding_mode='zeros' is supported, got {padding_mode!r}")
        dev, dt = _factory_kwargs(device, dtype)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = pair_of_ints(kernel_size, "kernel_size")
        self.stride = pair_of_ints(stride, "stride")
        self.dilation = pair_of_ints(dilation, "dilation")
        self.groups = groups
        self.padding_mode = padding_mode
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Conv2d: padding must be 'valid', 'same', an int or a pair, got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("Conv2d: padding='same' is not supported for strided convolutions (as in PyTorch)")
            self.padding = padding
        else:
            self.padding = pair_of_ints(padding, "padding")
        self.weight = _new_parameter((out_channels, in_channels // groups) + self.kernel_size, dev, dt)
        if bias:
            self.bias = _new_parameter((out_channels,), dev, dt)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        fan_in = self.in_channels // self.groups * self.kernel_size[0] * self.kernel_size[1]
        init.default_bias_(self.bias, fan_in)

    def forward(self, input: Tensor) -> Tensor:
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding!r}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class MaxPool2d(Module):
    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding

    def forward(self, input: Tensor) -> Tensor:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over kh x kw windows, as ``torch.nn.AvgPool2d`` (stride defaults to the kernel size)."""

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        if ceil_mode:
            raise ValueError("AvgPool2d: ceil_mode=True is not supported by minitorch")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class LayerNorm(Module):
    """Normalise over the last dims given by ``normalized_shape``, then scale and shift, as ``torch.nn.LayerNorm``."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        dev, dt = _factory_kwargs(device, dtype)
        self.normalized_shape = as_normalized_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(Tensor(np.ones(self.normalized_shape, dtype=dt), device=dev))
            if bias:
                self.bias = Parameter(Tensor(np.zeros(self.normalized_shape, dtype=dt), device=dev))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``, as ``torch.nn.Embedding``.

    Weights start as N(0, 1); the row at ``padding_idx`` starts at zero and gets no gradient.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_positive(num_embeddings, "num_embeddings")
        _check_positive(embedding_dim, "embedding_dim")
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise ValueError("Embedding: max_norm, scale_grad_by_freq and sparse are not supported by minitorch")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx {padding_idx} is out of range for {num_embeddings} embeddings"
                )
            padding_idx %= num_embeddings
        dev, dt = _factory_kwargs(device, dtype)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.weight = _new_parameter((num_embeddings, embedding_dim), dev, dt)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, padding_idx: int | None = None) -> Embedding:
        """An Embedding holding a copy of the 2-d ``embeddings``; ``freeze`` keeps them out of training."""
        weights = embeddings if isinstance(embeddings, Tensor) else Tensor(np.asarray(embeddings))
        if weights.ndim != 2:
            raise ShapeError(f"Embedding.from_pretrained needs a 2-d tensor, got shape {weights.shape}")
        layer = cls(weights.shape[0], weights.shape[1], padding_idx, device=weights.device, dtype=weights.dtype)
        layer.weight.data[...] = weights.data
        layer.weight.requires_grad = not freeze
        return layer

    def forward(self, input: Any) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else f"{text}, padding_idx={self.padding_idx}"


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d: batch statistics in training, running statistics in eval."""

    _expected_dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_positive(num_features, "num_features")
        dev, dt = _factory_kwargs(device, dtype)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(Tensor(np.ones(num_features, dtype=dt), device=dev))
            self.bias = Parameter(Tensor(np.zeros(num_features, dtype=dt), device=dev))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", backend.to_device(np.zeros(num_features, dtype=dt), dev))
            self.register_buffer("running_var", backend.to_device(np.ones(num_features, dtype=dt), dev))
            self.register_buffer("num_batches_tracked", backend.to_device(np.array(0, dtype=np.int64), dev))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self._expected_dims:
            dims = " or ".join(f"{d}-d" for d in self._expected_dims)
            raise ShapeError(f"{type(self).__name__} expects {dims} input, got shape {input.shape}")
        if input.shape[1] != self.num_features:
            raise ShapeError(
                f"{type(self).__name__}({self.num_features}) got input with {input.shape[1]} channels "
                f"(shape {input.shape})"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self._follow_input_device(input)
            if self.training:
                self.num_batches_tracked[...] += 1  # in place: reassigning would go through __setattr__
                if self.momentum is None:  # a cumulative moving average, as PyTorch
                    factor = 1.0 / float(self.num_batches_tracked)
        # without running statistics, evaluation normalises with the batch's own (as PyTorch)
        use_batch_stats = self.training or not self.track_running_stats
        return F.batch_norm(
            input, self.running_mean, self.running_var, self.weight, self.bias, use_batch_stats, factor, self.eps
        )

    def _follow_input_device(self, input: Tensor) -> None:
        """Loading a state_dict gives numpy buffers; keep them on the parameters' device."""
        if self.running_mean is not None and self.running_mean.__class__ is not input.data.__class__:
            self.to(device=input.device)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, as ``torch.nn.BatchNorm1d``."""

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input per channel, as ``torch.nn.BatchNorm2d``."""

    _expected_dims = (4,)


class Dropout(Module):
    """Zero elements with probability ``p`` while training (survivors scaled by 1/(1-p)); identity in eval."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be between 0 and 1, got {p}")
        self.p = p

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    def forward(self, input: Tensor) -> Tensor:
        return input


class ReLU(Module):
    def forward(self, input: Tensor) -> Tensor:
        return input.relu()


class Tanh(Module):
    def forward(self, input: Tensor) -> Tensor:
        return input.tanh()


class Sigmoid(Module):
    def forward(self, input: Tensor) -> Tensor:
        return input.sigmoid()


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input: Tensor) -> Tensor:
        return input.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    """x * Phi(x) (``approximate="tanh"``: GPT-2's tanh form), as ``torch.nn.GELU``."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x), as ``torch.nn.SiLU``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input)


class ELU(Module):
    """x for x > 0, else alpha * (exp(x) - 1), as ``torch.nn.ELU``."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta (linear above ``threshold``), as ``torch.nn.Softplus``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """Softmax along ``dim`` (which must be given, as PyTorch recommends), as ``torch.nn.Softmax``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax) along ``dim`` (which must be given), as ``torch.nn.LogSoftmax``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Sequential(Module):
    """Modules applied in order; children are named "0", "1", ... (or by an OrderedDict's keys)."""

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(str(name), _check_module(module))
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), _check_module(module))

    def forward(self, input: Any) -> Any:
        for module in self._modules.values():
            input = module(input)
        return input

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), _check_module(module))
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        try:
            return items[index][1]
        except IndexError:
            raise IndexError(f"Sequential index {index} is out of range for {len(items)} modules") from None


def _check_module(module: Any) -> Module:
    if not isinstance(module, Module):
        raise TensorTypeError(f"Sequential takes Modules, got {type(module).__name__}")
    return module


def _check_positive(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
