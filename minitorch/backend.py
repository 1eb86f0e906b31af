"""The one array-module seam of the n-d engine: numpy on the CPU, CuPy on a CUDA GPU.

Every n-d operation asks this module for its array module (``xp``) instead of importing
numpy directly, so the same code runs on both devices. CuPy is imported lazily and only
when a CUDA device is requested; on a machine without it, asking for ``"cuda"`` raises a
`DeviceError` that says so.

Device strings follow PyTorch: ``"cpu"``, ``"cuda"`` and ``"cuda:N"`` (N a device index).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from .errors import DeviceError

__all__ = [
    "parse_device",
    "get_array_module",
    "cuda_available",
    "cuda_unavailable_reason",
    "device_of",
    "to_device",
    "as_numpy",
    "to_numpy",
    "reshape_view",
    "stable_argsort",
    "array_types",
    "array_module_of",
    "set_fused_kernels",
    "sgd_update_",
    "relu_backward",
    "scaled_product",
]

_cupy: ModuleType | None = None
_cupy_error: str | None = None  # why CuPy/CUDA cannot be used, once we have looked


def _load_cupy() -> ModuleType | None:
    """Import CuPy once and check that a CUDA device answers; remember why not otherwise."""
    global _cupy, _cupy_error
    if _cupy is not None or _cupy_error is not None:
        return _cupy
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install raising at import
        _cupy_error = f"CuPy is not installed ({type(exc).__name__}: {exc})"
        return None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        _cupy_error = f"CuPy is installed but no CUDA device answers ({type(exc).__name__}: {exc})"
        return None
    if count < 1:
        _cupy_error = "CuPy is installed but no CUDA device was found"
        return None
    _cupy = cupy
    return cupy


def cuda_available() -> bool:
    """True when CuPy imports and at least one CUDA device is present."""
    return _load_cupy() is not None


def cuda_unavailable_reason() -> str:
    """A human-readable reason why ``device="cuda"`` cannot be used ('' when it can)."""
    return "" if _load_cupy() is not None else f"CuPy/CUDA not available: {_cupy_error}"


def parse_device(device: Any) -> str:
    """Normalise a device name: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; anything else is a DeviceError.

    Accepts ``None`` (meaning ``"cpu"``) and objects with a ``type`` attribute such as
    ``torch.device``. Asking for CUDA where it is missing raises a DeviceError saying why.
    """
    if device is None:
        return "cpu"
    if not isinstance(device, str):
        kind = getattr(device, "type", None)
        index = getattr(device, "index", None)
        if not isinstance(kind, str):
            raise DeviceError(f"device must be a string such as 'cpu' or 'cuda', got {device!r}")
        device = kind if index is None else f"{kind}:{index}"
    name = device.strip().lower()
    if name == "cpu":
        return "cpu"
    if name == "cuda" or name.startswith("cuda:"):
        if name != "cuda":
            index = name[5:]
            if not index.isdigit():
                raise DeviceError(f"invalid CUDA device {device!r}: expected 'cuda' or 'cuda:N' with N an integer")
        cupy = _load_cupy()
        if cupy is None:
            raise DeviceError(f"device {device!r} requested but {cuda_unavailable_reason()}")
        if name != "cuda" and int(name[5:]) >= cupy.cuda.runtime.getDeviceCount():
            raise DeviceError(f"device {device!r} does not exist ({cupy.cuda.runtime.getDeviceCount()} CUDA devices)")
        return "cuda" if name in ("cuda", "cuda:0") else name
    raise DeviceError(f"unknown device {device!r}: minitorch supports 'cpu' and 'cuda' (CuPy)")


def get_array_module(device: str) -> ModuleType:
    """numpy for ``"cpu"``, cupy for a CUDA device (the device must already be parsed)."""
    if device == "cpu":
        return np
    cupy = _load_cupy()
    if cupy is None:
        raise DeviceError(f"device {device!r} requested but {cuda_unavailable_reason()}")
    return cupy


def array_types() -> tuple[type, ...]:
    """The array classes the engine accepts as ``.data`` (numpy, plus CuPy once loaded)."""
    return (np.ndarray,) if _cupy is None else (np.ndarray, _cupy.ndarray)


def array_module_of(array: Any) -> ModuleType:
    """numpy or cupy, whichever owns ``array`` (the hot path of every n-d op: no device lookup)."""
    if array.__class__ is np.ndarray:
        return np
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return get_array_module(device_of(array))


def device_of(array: Any) -> str:
    """The device an array lives on: ``"cpu"`` for numpy, ``"cuda"``/``"cuda:N"`` for CuPy."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        index = array.device.id
        return "cuda" if index == 0 else f"cuda:{index}"
    if isinstance(array, np.ndarray) or np.isscalar(array):
        return "cpu"
    raise DeviceError(f"cannot tell the device of a {type(array).__name__}")


def to_device(array: Any, device: str) -> Any:
    """``array`` on ``device`` (a parsed device name); no copy when it is already there."""
    if device == "cpu":
        return to_numpy(array)
    cupy = get_array_module(device)
    index = 0 if device == "cuda" else int(device[5:])
    with cupy.cuda.Device(index):
        return cupy.asarray(array)


def as_numpy(value: Any) -> np.ndarray:
    """The values of anything array-like as a numpy array on the host: numbers and nested lists,
    numpy or CuPy arrays, minitorch n-d tensors and torch tensors (on any device)."""
    if value.__class__ is np.ndarray:
        return value
    data = getattr(value, "data", None)
    if data.__class__ is np.ndarray or (_cupy is not None and isinstance(data, _cupy.ndarray)):
        return to_numpy(data)  # a minitorch n-d tensor
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()  # a torch tensor
    return to_numpy(value)


def to_numpy(array: Any) -> np.ndarray:
    """A numpy array with the values of ``array`` (copied to the host if it is on a GPU)."""
    if array.__class__ is np.ndarray:
        return array
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    return np.asarray(array)


def reshape_view(array: Any, shape: tuple) -> Any:
    """``array`` with a new shape sharing its memory, or None when its strides do not allow that.

    Both numpy and CuPy refuse an in-place shape change that would need a copy, which is
    exactly when PyTorch's ``view`` refuses. A shape that does not fit the size is None too.
    """
    view = array.view()
    try:
        view.shape = shape
    except (AttributeError, ValueError, TypeError):
        return None
    return view


def stable_argsort(array: Any, axis: int) -> Any:
    """Indices that sort ``array`` along ``axis``, equal values keeping their order.

    numpy needs ``kind="stable"``; CuPy's argsort is always stable and (in some versions)
    takes no ``kind`` argument.
    """
    if array.__class__ is np.ndarray:
        return np.argsort(array, axis=axis, kind="stable")
    return array.argsort(axis=axis)


# --- fused GPU kernels -----------------------------------------------------------------------------
# On a GPU a small net's step is bound by kernel launches, not arithmetic: ``p -= lr * g`` is two
# launches (a temporary, then the subtraction). These few hot updates get one CuPy
# ElementwiseKernel each. numpy (and any array module without ElementwiseKernel) takes the plain
# expression, which is also the reference the GPU tests compare against.

_fused_enabled = True
_kernels: Any = None  # a SimpleNamespace of compiled kernels once built, False if CuPy lacks them


def set_fused_kernels(enabled: bool) -> bool:
    """Switch the fused GPU kernels on or off (for A/B benchmarks); returns the previous setting."""
    global _fused_enabled
    previous, _fused_enabled = _fused_enabled, bool(enabled)
    return previous


def _cuda_kernels(array: Any) -> Any:
    """The fused kernels if ``array`` is a CuPy array and they are enabled, else None."""
    global _kernels
    if not _fused_enabled or array.__class__ is np.ndarray or _cupy is None:
        return None
    if _kernels is None:
        try:
            make = _cupy.ElementwiseKernel
        except AttributeError:  # a CuPy stand-in without custom kernels
            _kernels = False
            return None
        from types import SimpleNamespace

        _kernels = SimpleNamespace(
            sgd=make("T g, T lr", "T p", "p -= lr * g", "minitorch_sgd_update"),
            relu_backward=make("T y, T g", "T out", "out = y != (T)0 ? g : (T)0", "minitorch_relu_backward"),
            scaled_product=make("T g, T k, T d", "T out", "out = g * k * d", "minitorch_scaled_product"),
        )
    return _kernels or None


def sgd_update_(param: Any, grad: Any, lr: float) -> None:
    """``param -= lr * grad`` in place (one launch on a GPU)."""
    kernels = _cuda_kernels(param)
    if kernels is None or grad.dtype != param.dtype or grad.shape != param.shape:
        param -= lr * grad
    else:
        kernels.sgd(grad, param.dtype.type(lr), param)


def relu_backward(y: Any, g: Any) -> Any:
    """The gradient of relu for upstream ``g``, from relu's output ``y``: ``g`` where ``y != 0``, else 0.

    As in PyTorch, the gradient is 0 at 0 and passes through at nan (relu(nan) is nan).
    """
    kernels = _cuda_kernels(y)
    if kernels is None or g.dtype != y.dtype:
        return g * (y != 0)
    return kernels.relu_backward(y, g)


def scaled_product(g: Any, k: float, d: Any) -> Any:
    """``g * k * d`` (evaluated left to right, ``k`` a number) in one launch on a GPU."""
    kernels = _cuda_kernels(d)
    if kernels is None or g.dtype != d.dtype:
        return g * k * d
    return kernels.scaled_product(g, d.dtype.type(k), d)
