"""Functions over several tensors (``cat``, ``stack``, ``where``, ...) and the ``minitorch.*`` forms of methods.

Every function here is built from the engine's internal API (`make_result` and the array
module from `minitorch.backend`), so it runs on numpy and on CuPy alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend, engine
from ..backend import array_module_of
from ..errors import DeviceError, ShapeError, TensorTypeError, mixed_engines_error
from .core import Tensor, is_number, make_result
from .dtypes import number_dtype, result_dtype
from .shapes import normalize_dim, unbroadcast

__all__ = ["cat", "stack", "where", "einsum"]


def _check_same_device(tensors: Sequence[Tensor], what: str) -> None:
    if not tensors:
        raise ShapeError(f"{what}: expected a non-empty sequence of tensors")
    for t in tensors:
        if isinstance(t, engine.Scalar):
            raise mixed_engines_error(f"{what} input")
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


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elements of ``input`` where ``condition`` holds, else of ``other``, all three broadcast (``torch.where``).

    ``input``/``other`` may be numbers; the result dtype follows PyTorch's promotion rules.
    """
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    if isinstance(condition, Tensor):
        cond = condition.data
        if like is not None and cond.__class__ is not like.data.__class__:
            raise DeviceError(f"where: condition is on {condition.device} but the values are on {like.device}")
    else:
        cond = Tensor(condition, device=like.device if like is not None else "cpu").data
    if cond.dtype != bool:
        raise TensorTypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    device = backend.device_of(cond)
    a, b = (_where_operand(v, other_value, device) for v, other_value in ((input, other), (other, input)))
    if a.data.__class__ is not b.data.__class__:
        raise DeviceError(f"where: tensors on different devices ({a.device} and {b.device})")
    dtype = result_dtype(a.dtype, a.ndim, b.dtype, b.ndim)
    xp = array_module_of(cond)
    try:
        out = xp.where(cond, a.data.astype(dtype, copy=False), b.data.astype(dtype, copy=False))
    except ValueError:
        raise ShapeError(f"where: shapes {cond.shape}, {a.shape} and {b.shape} cannot be broadcast together") from None

    def backward(g: Any) -> tuple:
        return (
            unbroadcast(xp.where(cond, g, 0), a.shape) if a.requires_grad else None,
            unbroadcast(xp.where(cond, 0, g), b.shape) if b.requires_grad else None,
        )

    return make_result(out, (a, b), backward, "where")


def _where_operand(value: Any, partner: Any, device: str) -> Tensor:
    """A tensor as is; a number as a 0-d tensor of the partner's dtype when that is its category or higher."""
    if isinstance(value, Tensor):
        return value
    if not is_number(value) and not isinstance(value, (bool, np.bool_)):
        return Tensor(value, device=device)
    if isinstance(partner, Tensor):
        dtype = result_dtype(partner.dtype, partner.ndim, number_dtype(value), None)
        return Tensor(value, dtype=dtype, device=device)
    return Tensor(value, dtype=number_dtype(value), device=device)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation (``torch.einsum``), e.g. ``einsum("bij,bjk->bik", a, b)`` or ``einsum("ij,j", m, v)``.

    Each operand names its dimensions with letters; letters missing from the output are summed
    over, and size-1 dimensions broadcast. Diagonals (a letter repeated within one operand)
    and ``...`` are not supported.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TensorTypeError(f"einsum: the equation must be a string, got {type(equation).__name__}")
    _check_same_device(operands, "einsum")
    equation = equation.replace(" ", "")
    if "..." in equation:
        raise ShapeError("einsum: '...' is not supported; name every dimension with a letter")
    inputs, arrow, output = equation.partition("->")
    subscripts = inputs.split(",")
    letters = "".join(subscripts)
    if not arrow:  # implicit output: the letters used once, in alphabetical order (numpy's and torch's rule)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if not all(c.isalpha() for c in letters + output):
        raise ShapeError(f"einsum: subscripts must be letters, got {equation!r}")
    if len(subscripts) != len(operands):
        raise ShapeError(f"einsum: {equation!r} names {len(subscripts)} operands, got {len(operands)} tensors")
    for sub, t in zip(subscripts, operands):
        if len(sub) != t.ndim:
            raise ShapeError(f"einsum: subscripts {sub!r} name {len(sub)} dimensions, the tensor has shape {t.shape}")
        if len(set(sub)) != len(sub):
            raise ShapeError(f"einsum: repeated subscript in {sub!r} (diagonals) is not supported")
    if len(set(output)) != len(output) or not set(output) <= set(letters):
        raise ShapeError(f"einsum: output {output!r} must use distinct letters that appear in the inputs")
    dtype = operands[0].dtype
    for t in operands[1:]:
        dtype = result_dtype(dtype, 1, t.dtype, 1)
    arrays = [t.data.astype(dtype, copy=False) for t in operands]
    xp = array_module_of(arrays[0])
    try:
        out = xp.einsum(f"{','.join(subscripts)}->{output}", *arrays)
    except ValueError as exc:
        shapes = ", ".join(str(t.shape) for t in operands)
        raise ShapeError(f"einsum: shapes {shapes} do not fit {equation!r}: {exc}") from None

    def backward(g: Any) -> tuple:
        grads = []
        for i, (sub, t) in enumerate(zip(subscripts, operands)):
            if not t.requires_grad:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(subscripts) if j != i]
            available = set(output).union(*others)
            kept = "".join(c for c in sub if c in available)
            spec = ",".join([output] + others) + "->" + kept
            grad = xp.einsum(spec, g, *[a for j, a in enumerate(arrays) if j != i])
            for position, letter in enumerate(kept):  # undo broadcasting of size-1 dimensions
                if t.shape[sub.index(letter)] == 1 and grad.shape[position] != 1:
                    grad = grad.sum(axis=position, keepdims=True)
            shape = tuple(t.shape[k] if c in available else 1 for k, c in enumerate(sub))
            grads.append(xp.broadcast_to(grad.reshape(shape), t.shape))
        return tuple(grads)

    return make_result(out, tuple(operands), backward, "einsum")
