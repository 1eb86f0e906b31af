"""Dtypes of the n-d engine: their names, and the type-promotion rules of mixed operands.

A dtype is a ``numpy.dtype``; the module-level names (``float32``, ``int64``, ...) are the
objects to pass around, and `resolve_dtype` also accepts names ("float64", "double",
"torch.long"), Python's ``float``/``int``/``bool`` and torch dtypes.

Type promotion follows PyTorch (``torch.result_type``):

1. Dtypes fall in three categories, ordered bool < integer < floating. Combining two
   dtypes of different categories gives the dtype of the higher category (``int64`` with
   ``float16`` is ``float16``); within a category the wider dtype wins (``int8`` with
   ``uint8`` is ``int16``, as numpy's ``promote_types``).
2. A Python number (or a numpy scalar) does not widen a tensor of its category or a
   higher one: ``float32_tensor * 2.5`` stays float32, ``int32_tensor + 1`` stays int32.
   A Python number of a higher category gives the *default* dtype of that category:
   ``int_tensor * 0.5`` is float32 (the default float dtype), ``bool_tensor + 1`` is int64.
3. Likewise a 0-d tensor does not widen a tensor with dimensions of its category or a
   higher one (``float32[3] + float64[]`` is float32); of a higher category its own dtype
   is used (``int64[3] + float64[]`` is float64). Two tensors that are both 0-d, or both
   have dimensions, follow rule 1.
4. True division (``/``) of integer or bool operands gives the default float dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import TensorTypeError

__all__ = [
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_",
    "DEFAULT_FLOAT", "DTYPE_NAMES", "SUPPORTED_DTYPES", "FLOAT_DTYPES",
    "resolve_dtype", "is_dtype_name", "is_floating", "promote_types", "result_dtype", "number_dtype",
]

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

DEFAULT_FLOAT = float32
"""The dtype of Python floats and of integer true division, as ``torch.get_default_dtype()``."""

DTYPE_NAMES = {
    "float32": float32, "float": float32, "float64": float64, "double": float64,
    "float16": float16, "half": float16, "int64": int64, "long": int64,
    "int32": int32, "int": int32, "int16": int16, "int8": int8, "uint8": uint8, "bool": bool_,
}
"""Every dtype name `resolve_dtype` understands (PyTorch's, without the ``torch.`` prefix)."""

SUPPORTED_DTYPES = frozenset(DTYPE_NAMES.values())
FLOAT_DTYPES = frozenset((float16, float32, float64))

_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


def is_dtype_name(value: Any) -> bool:
    """True for a string naming a dtype ("float64", "torch.long"), so ``to("double")`` is not a device."""
    return isinstance(value, str) and value.removeprefix("torch.").lower() in DTYPE_NAMES


def is_floating(dtype: np.dtype) -> bool:
    """True for float16/32/64 (the dtypes that can require a gradient)."""
    return dtype in FLOAT_DTYPES


def resolve_dtype(dtype: Any) -> np.dtype | None:
    """A numpy dtype from a numpy dtype/type, a name ("float64", "double") or a torch dtype; None stays None."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        key = dtype.removeprefix("torch.").lower()
        if key in DTYPE_NAMES:
            return DTYPE_NAMES[key]
    elif dtype is float:
        return float64
    elif dtype is int:
        return int64
    elif dtype is bool:
        return bool_
    elif type(dtype).__module__.startswith("torch"):
        return resolve_dtype(str(dtype))
    else:
        try:
            resolved = np.dtype(dtype)
        except TypeError:
            resolved = None
        if resolved in SUPPORTED_DTYPES:
            return resolved
    names = ", ".join(sorted(DTYPE_NAMES))
    raise TensorTypeError(f"unsupported dtype {dtype!r}; use one of: {names}")


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """The dtype two tensors of equal standing combine to (rule 1 of the module docstring)."""
    if a == b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def number_dtype(value: Any) -> np.dtype:
    """The default dtype of a Python number's category: bool, int64 or float32."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    return DEFAULT_FLOAT


def result_dtype(a: np.dtype, a_ndim: int, b: np.dtype, b_ndim: int | None) -> np.dtype:
    """The dtype of ``a (op) b`` by the rules above; ``b_ndim`` is None when ``b`` is a Python number."""
    if a == b:
        return a
    if b_ndim is not None and (a_ndim == 0) == (b_ndim == 0):
        return promote_types(a, b)
    if b_ndim is None or b_ndim == 0:  # b is the weaker operand
        weak, strong = b, a
    else:
        weak, strong = a, b
    if _CATEGORY[weak.kind] > _CATEGORY[strong.kind]:
        return weak
    return strong
