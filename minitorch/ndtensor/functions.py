"""Functions over several tensors (``cat``, ``stack``, ``where``, ...) and the ``minitorch.*`` forms of methods.

Every function here is built from the engine's internal API (`make_result` and the array
module from `minitorch.backend`), so it runs on numpy and on CuPy alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import array_module_of
from ..errors import DeviceError, ShapeError, TensorTypeError
from .core import Tensor, make_result
from .shapes import normalize_dim, unbroadcast

__all__ = ["cat", "stack", "where"]


def _check_same_device(tensors: Sequence[Tensor], what: str) -> None:
    if not tensors:
        raise ShapeError(f"{what}: expected a non-empty sequence of tensors")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TensorTypeError(f"{what}: expected tensors, got {type(t).__name__}")
        if t.data.__class__ is not tensors[0].data.__class__:
            raise DeviceError(f"{what}: tensors on different devices ({tensors[0].device} and {t.device})")


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension (``torch.cat``)."""
    tensors = tuple(tensors)
    _check_same_device(tensors, "cat")
    axis = normalize_dim(dim, tensors[0].ndim, "cat")
    xp = array_module_of(tensors[0].data)
    try:
        out = xp.concatenate([t.data for t in tensors], axis=axis)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ShapeError(f"cat: shapes {shapes} do not match outside dim {dim}") from None
    bounds = np.cumsum([t.shape[axis] for t in tensors])[:-1]

    def backward(g: Any) -> tuple:
        pieces = xp.split(g, [int(b) for b in bounds], axis=axis)
        return tuple(piece if t.requires_grad else None for piece, t in zip(pieces, tensors))

    return make_result(out, tensors, backward, "cat")


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension (``torch.stack``)."""
    tensors = tuple(tensors)
    _check_same_device(tensors, "stack")
    axis = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all tensors need the same shape, got {', '.join(str(s) for s in shapes)}")
    xp = array_module_of(tensors[0].data)
    out = xp.stack([t.data for t in tensors], axis=axis)

    def backward(g: Any) -> tuple:
        return tuple(xp.take(g, i, axis=axis) if t.requires_grad else None for i, t in enumerate(tensors))

    return make_result(out, tensors, backward, "stack")


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (``torch.where``)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    a = input if isinstance(input, Tensor) else Tensor(input)
    b = other if isinstance(other, Tensor) else Tensor(other, device=a.device, dtype=a.dtype)
    xp = array_module_of(a.data)
    out = xp.where(cond, a.data, b.data)
    zero = 0

    def backward(g: Any) -> tuple:
        return (
            unbroadcast(xp.where(cond, g, zero), a.shape) if a.requires_grad else None,
            unbroadcast(xp.where(cond, zero, g), b.shape) if b.requires_grad else None,
        )

    return make_result(out, (a, b), backward, "where")
