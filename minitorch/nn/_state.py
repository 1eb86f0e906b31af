"""Validated, all-or-nothing loading of a state_dict into a `Module` with array parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import as_numpy
from ..errors import ShapeError


def _as_array(value: Any, key: str) -> np.ndarray:
    try:
        array = as_numpy(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"state_dict[{key!r}] is not numeric: {exc}") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"state_dict[{key!r}] is not numeric (dtype {array.dtype})")
    return array


def _check_range(array: np.ndarray, target: Any, key: str) -> None:
    """Refuse finite values the parameter's dtype cannot hold (1e300 would become inf in float32)."""
    try:
        target = np.dtype(target)
    except TypeError:
        return
    if not np.issubdtype(target, np.floating) or array.size == 0 or not np.issubdtype(array.dtype, np.number):
        return
    largest = float(np.max(np.abs(array)))
    if largest > float(np.finfo(target).max):
        raise ValueError(f"state_dict[{key!r}] holds {largest:.3g}, beyond {target}'s range "
                         f"(largest {float(np.finfo(target).max):.3g}); the parameter would become infinite")


def assign_state(module: Any, state_dict: dict[str, Any], strict: bool = True) -> None:
    """Check keys, shapes and finiteness of every entry, then copy them all in."""
    if not isinstance(state_dict, dict):
        raise TypeError(f"load_state_dict expects a dict, got {type(state_dict).__name__}")
    targets: dict[str, tuple[Any, str, Any]] = {}
    for owner_name, owner in module.named_modules():
        for table_name in ("_parameters", "_buffers"):
            for name, value in getattr(owner, table_name).items():
                if value is not None:
                    key = f"{owner_name}.{name}" if owner_name else name
                    targets[key] = (owner, name, value)
    missing = [k for k in targets if k not in state_dict]
    unexpected = [k for k in state_dict if k not in targets]
    if strict and (missing or unexpected):
        parts = []
        if missing:
            parts.append(f"missing keys: {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected keys: {', '.join(unexpected)}")
        raise KeyError(f"state_dict does not match {type(module).__name__}: " + "; ".join(parts))
    staged = []
    for key, (owner, name, current) in targets.items():
        if key not in state_dict:
            continue
        array = _as_array(state_dict[key], key)
        current_shape = tuple(getattr(current, "shape", np.shape(current)))
        if tuple(array.shape) != current_shape:
            raise ShapeError(f"state_dict[{key!r}] has shape {tuple(array.shape)}, the model expects {current_shape}")
        if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
            raise ValueError(f"state_dict[{key!r}] contains NaN or infinite values")
        _check_range(array, getattr(current, "dtype", None), key)
        staged.append((owner, name, current, array))
    for owner, name, current, array in staged:
        if hasattr(current, "_load_array"):
            current._load_array(array)  # parameters and tensors keep their dtype and device
        else:
            owner._buffers[name] = np.array(array, dtype=getattr(current, "dtype", array.dtype))
            object.__setattr__(owner, name, owner._buffers[name])
