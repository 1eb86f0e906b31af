"""Functions that create tensors (PyTorch's factories): ``tensor``, ``zeros``, ``randn``, ``eye``, ...

Each builds its values with numpy and hands them to `Tensor`, which puts them on the requested
device through `minitorch.backend`. Floating results default to float32 (``DEFAULT_FLOAT``), as
in PyTorch; random ones draw from `minitorch.ndtensor.seeding.generator` (see `manual_seed`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError, TensorTypeError
from .core import Tensor, is_number
from .dtypes import DEFAULT_FLOAT, number_dtype, resolve_dtype
from .seeding import generator
from .shapes import shape_args

__all__ = [
    "tensor", "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "randn", "rand", "randint", "arange", "linspace", "eye",
]


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (PyTorch's ``torch.tensor``).

    Python floats become float32 (the default dtype), ints int64, bools bool; numpy arrays
    keep their dtype. ``dtype`` accepts numpy dtypes or names ("float64", "double").
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


def _filled(values: np.ndarray, dtype: Any, requires_grad: bool, device: Any, default: Any = DEFAULT_FLOAT) -> Tensor:
    return Tensor(values, dtype=resolve_dtype(dtype) or default, requires_grad=requires_grad, device=device)


def _size(size: tuple, what: str) -> tuple:
    shape = shape_args(size)
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        raise TensorTypeError(f"{what}: the size must be ints, got {shape!r}")
    if any(s < 0 for s in shape):
        raise ShapeError(f"{what}: negative dimension in size {shape}")
    return tuple(int(s) for s in shape)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    return _filled(np.zeros(_size(size, "zeros")), dtype, requires_grad, device)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    return _filled(np.ones(_size(size, "ones")), dtype, requires_grad, device)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    """A tensor of the given size whose values are unspecified (zeros here, so runs are reproducible)."""
    return _filled(np.zeros(_size(size, "empty")), dtype, requires_grad, device)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    """``size`` filled with ``fill_value``; the dtype follows the value (int64, bool or float32) as in PyTorch."""
    if not is_number(fill_value) and not isinstance(fill_value, (bool, np.bool_)):
        raise TensorTypeError(f"full: fill_value must be a number, got {type(fill_value).__name__}")
    return _filled(np.full(_size((size,), "full"), fill_value), dtype, requires_grad, device,
                   default=number_dtype(fill_value))


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(input.shape), dtype=resolve_dtype(dtype) or input.dtype,
                  requires_grad=requires_grad, device=input.device)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(input.shape), dtype=resolve_dtype(dtype) or input.dtype,
                  requires_grad=requires_grad, device=input.device)


def empty_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``input``'s shape, dtype and device, filled with ``fill_value`` (``torch.full_like``)."""
    if not is_number(fill_value) and not isinstance(fill_value, (bool, np.bool_)):
        raise TensorTypeError(f"full_like: fill_value must be a number, got {type(fill_value).__name__}")
    return Tensor(np.full(input.shape, fill_value), dtype=resolve_dtype(dtype) or input.dtype,
                  requires_grad=requires_grad, device=input.device)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    """Standard normal samples from minitorch's generator (see `manual_seed`)."""
    return _filled(generator().standard_normal(_size(size, "randn")), dtype, requires_grad, device)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    """Uniform samples in [0, 1) from minitorch's generator (see `manual_seed`)."""
    return _filled(generator().random(_size(size, "rand")), dtype, requires_grad, device)


def randint(*args: Any, size: Any = None, dtype: Any = None, device: Any = "cpu") -> Tensor:
    """Integers uniform in [low, high): ``randint(high, size)`` or ``randint(low, high, size)`` (int64)."""
    if size is None:
        if not args:
            raise TensorTypeError("randint: expected (high, size) or (low, high, size)")
        *args, size = args
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TensorTypeError("randint: expected (high, size) or (low, high, size)")
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (low, high)):
        raise TensorTypeError(f"randint: low and high must be ints, got {low!r} and {high!r}")
    if low >= high:
        raise ShapeError(f"randint: low ({low}) must be below high ({high})")
    values = generator().integers(low, high, _size((size,), "randint"))
    return _filled(values, dtype, False, device, default=np.dtype(np.int64))


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = "cpu") -> Tensor:
    """``[start, end)`` in steps; int64 when all arguments are ints, else float32 (``torch.arange``)."""
    if end is None:
        start, end = 0, start
    bounds = (start, end, step)
    if not all(is_number(v) for v in bounds):
        raise TensorTypeError(f"arange: start, end and step must be numbers, got {bounds!r}")
    if step == 0:
        raise ShapeError("arange: step must be nonzero")
    integral = all(isinstance(v, (int, np.integer)) for v in bounds)
    return _filled(np.arange(start, end, step), dtype, False, device,
                   default=np.dtype(np.int64) if integral else DEFAULT_FLOAT)


def linspace(start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False,
             device: Any = "cpu") -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (``torch.linspace``)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise TensorTypeError(f"linspace: steps must be a non-negative int, got {steps!r}")
    return _filled(np.linspace(start, end, int(steps)), dtype, requires_grad, device)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``), as ``torch.eye``."""
    rows, cols = _size((n, n if m is None else m), "eye")
    return _filled(np.eye(rows, cols), dtype, requires_grad, device)
