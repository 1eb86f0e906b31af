"""Shape arithmetic shared by the n-d ops: validating ``dim`` arguments and undoing broadcasting.

These work on shapes and raw arrays only (no Tensor), so every op module can use them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DimensionError, ShapeError, TensorTypeError

__all__ = ["normalize_dims", "normalize_dim", "unbroadcast", "kept_shape", "reduced_shape", "shape_args"]


def normalize_dims(dim: Any, ndim: int, what: str) -> tuple[int, ...] | None:
    """None, an int or a sequence of ints -> a sorted tuple of non-negative axes (validated).

    A 0-d tensor accepts dim 0 and -1, as in PyTorch, and has no axis to reduce: ``()``.
    An out-of-range dim is a `DimensionError` (an IndexError, like PyTorch's).
    """
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        out.append(normalize_dim(d, ndim, what, dim))
    if len(set(out)) != len(out):
        raise ShapeError(f"{what}: dim {dim!r} repeats a dimension")
    return () if ndim == 0 else tuple(sorted(out))


def normalize_dim(dim: Any, ndim: int, what: str, shown: Any = None) -> int:
    """One dim as a non-negative axis (0 for a 0-d tensor, which accepts 0 and -1)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TensorTypeError(f"{what}: dim must be an int or a tuple of ints, got {dim if shown is None else shown!r}")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise DimensionError(
            f"{what}: dim {dim} is out of range for a tensor with {ndim} dimensions "
            f"(expected a dim in [{-size}, {size - 1}])"
        )
    return int(dim) % size


def unbroadcast(grad: Any, shape: tuple) -> Any:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def kept_shape(shape: tuple, axes: tuple | None) -> tuple:
    """The shape of a reduction over ``axes`` (None: all) with keepdim=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def reduced_shape(shape: tuple, axes: tuple | None) -> tuple:
    """The shape of a reduction over ``axes`` (None: all) with keepdim=False."""
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def shape_args(size: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean shape (2, 3), as in PyTorch's factories and reshape."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return size
