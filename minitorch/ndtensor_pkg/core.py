"""The n-dimensional autograd engine: a `Tensor` holds one array (numpy or CuPy) per node.

It shares its autograd core with the scalar engine (`minitorch.engine.Tensor`): every
node keeps its operands in ``_prev`` so `minitorch.autograd.reverse_topological_order`
orders both kinds of graph, and `no_grad()` switches graph recording off for both.
Unlike the scalar engine, which stores *local derivatives*, an n-d node stores a small
backward closure that maps the gradient of its output to the gradients of its inputs
(a local Jacobian of an array op is far too big to store).

    >>> import minitorch
    >>> x = minitorch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([[2., 4.],
           [6., 8.]], dtype=float32)

Semantics follow PyTorch: float32 by default, numpy broadcasting with gradients summed
back to each input's shape, leaf gradients accumulate across ``backward()`` calls and
start as ``None``. Non-leaf gradients are kept too (replaced, not accumulated, by each
``backward()``), as in the scalar engine, so the graph explorer can show them.
"""

from __future__ import annotations

import numbers
import random
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import backend
from .autograd import GRAD_STATE, enable_grad, is_grad_enabled, no_grad, reverse_topological_order
from .errors import DeviceError, ShapeError, TensorTypeError

__all__ = [
    "Tensor",
    "tensor",
    "zeros",
    "ones",
    "full",
    "zeros_like",
    "ones_like",
    "randn",
    "rand",
    "arange",
    "cat",
    "stack",
    "manual_seed",
    "make_result",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "float32",
    "float64",
]

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)

_DTYPE_NAMES = {
    "float32": float32, "float": float32, "float64": float64, "double": float64,
    "float16": float16, "half": float16, "int64": int64, "long": int64,
    "int32": np.dtype(np.int32), "int": np.dtype(np.int32), "int16": np.dtype(np.int16),
    "int8": np.dtype(np.int8), "uint8": np.dtype(np.uint8), "bool": np.dtype(np.bool_),
}
_SUPPORTED_DTYPES = frozenset(_DTYPE_NAMES.values())
_FLOAT_DTYPES = frozenset((float16, float32, float64))

_ndarray = np.ndarray
MaxMin = namedtuple("MaxMin", ["values", "indices"])  # what max(dim)/min(dim) return, as in torch

# The random generator behind randn/rand, the layers' initialisation and Dropout; the GPU one
# (for Dropout on "cuda") is made on first use from the last seed, so seeding never imports CuPy.
_GENERATOR = [np.random.default_rng()]
_SEED: list[int | None] = [None]
_CUDA_GENERATOR: list[Any] = [None]


def manual_seed(seed: int) -> None:
    """Seed minitorch's random numbers on every device, as ``torch.manual_seed`` does.

    That is n-d initialisation, randn, Dropout (on the CPU and the GPU), and the scalar MLP's `random`.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TensorTypeError(f"manual_seed expects an integer, got {seed!r}")
    _GENERATOR[0] = np.random.default_rng(int(seed))
    _SEED[0] = int(seed)
    _CUDA_GENERATOR[0] = None
    random.seed(int(seed))


def generator(xp: Any = np) -> Any:
    """The Generator for minitorch's random numbers on numpy (default) or CuPy (reseeded by `manual_seed`)."""
    if xp is np:
        return _GENERATOR[0]
    if _CUDA_GENERATOR[0] is None:
        _CUDA_GENERATOR[0] = xp.random.default_rng(_SEED[0])
    return _CUDA_GENERATOR[0]


def resolve_dtype(dtype: Any) -> np.dtype | None:
    """A numpy dtype from a numpy dtype/type, a name ("float64", "double") or a torch dtype."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        key = dtype.removeprefix("torch.").lower()
        if key in _DTYPE_NAMES:
            return _DTYPE_NAMES[key]
    elif dtype is float:
        return float64
    elif dtype is int:
        return int64
    elif dtype is bool:
        return np.dtype(np.bool_)
    elif type(dtype).__module__.startswith("torch"):
        return resolve_dtype(str(dtype))
    else:
        try:
            resolved = np.dtype(dtype)
        except TypeError:
            resolved = None
        if resolved in _SUPPORTED_DTYPES:
            return resolved
    names = ", ".join(sorted(_DTYPE_NAMES))
    raise TensorTypeError(f"unsupported dtype {dtype!r}; use one of: {names}")


def _fix(data: Any) -> Any:
    """numpy turns 0-d results into numpy scalars; keep every ``.data`` a real array."""
    if data.__class__ is _ndarray:
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    return data  # a CuPy array (CuPy keeps 0-d results as arrays)


def make_result(data: Any, parents: tuple, backward: Callable[[Any], tuple], op: str) -> Tensor:
    """Wrap the output array of an operation; record the graph only if some input needs a gradient.

    ``backward(grad_out)`` returns one gradient (or None) per parent, each already in that
    parent's shape. Used by the ops here and the fused ops of `minitorch.nn.tensor_functional`.
    """
    out = _new_tensor(Tensor)
    out.data = data if data.__class__ is _ndarray else _fix(data)
    out.grad = None
    out.label = ""
    out._op = op
    if GRAD_STATE.enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._prev = parents
                out._backward = backward
                return out
    out.requires_grad = False
    out._prev = ()
    out._backward = None
    return out


_new_tensor = object.__new__


def _unbroadcast(grad: Any, shape: tuple) -> Any:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _xp(array: Any) -> Any:
    return np if array.__class__ is _ndarray else backend.array_module_of(array)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) or isinstance(value, np.number)


def _fmt(number: Any) -> str:
    return f"{number:g}" if isinstance(number, (float, np.floating)) else str(number)


def _normalize_dims(dim: Any, ndim: int, what: str) -> tuple[int, ...] | None:
    """None, an int or a sequence of ints -> a sorted tuple of non-negative axes (validated)."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TensorTypeError(f"{what}: dim must be an int or a tuple of ints, got {dim!r}")
        lo = -max(ndim, 1)
        if not lo <= d < max(ndim, 1):
            raise ShapeError(f"{what}: dim {d} is out of range for a tensor with {ndim} dimensions")
        out.append(int(d) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ShapeError(f"{what}: dim {dim!r} repeats a dimension")
    return tuple(sorted(out))


def _norm_dim(dim: int, ndim: int, what: str) -> int:
    return _normalize_dims(dim, ndim, what)[0]  # type: ignore[index]


class Tensor:
    """An n-dimensional array in a computation graph, with its gradient (PyTorch's ``torch.Tensor``).

    ``data`` is the raw numpy (or CuPy) array and ``grad`` the gradient array (None until a
    ``backward()`` reaches it). ``op`` names the operation that produced the tensor ('' for
    a leaf) and ``inputs`` are its operands, so graphs can be walked without private fields.
    Create tensors with `minitorch.tensor(...)`.
    """

    __slots__ = ("data", "grad", "requires_grad", "_prev", "_backward", "_op", "label", "__weakref__")
    _is_parameter = False
    __array_ufunc__ = None  # numpy defers to our reflected operators: np_array + tensor -> Tensor
    __hash__ = object.__hash__  # == is elementwise (as in PyTorch), so hash by identity

    def __init__(
        self,
        data: Any,
        dtype: Any = None,
        requires_grad: bool = False,
        device: Any = None,
        label: str = "",
    ) -> None:
        array = _to_array(data, resolve_dtype(dtype), device)
        if requires_grad and array.dtype not in _FLOAT_DTYPES:
            raise TensorTypeError(
                f"only floating-point tensors can require gradients, got dtype {array.dtype}"
            )
        self.data = array
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._prev: tuple = ()
        self._backward = None
        self._op = ""
        self.label = label

    # --- graph views shared with the scalar engine -------------------------------------------
    @property
    def op(self) -> str:
        """The operation that produced this tensor ('' for a leaf), e.g. '+', 'matmul', 'relu'."""
        return self._op

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        """The tensors this one was computed from (empty for a leaf or outside a graph)."""
        return self._prev

    @property
    def is_leaf(self) -> bool:
        return not self._prev

    # --- array properties ---------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def is_cuda(self) -> bool:
        return self.data.__class__ is not _ndarray

    def size(self, dim: int | None = None) -> Any:
        """The shape, or one dimension's size (PyTorch's ``Tensor.size``)."""
        if dim is None:
            return self.data.shape
        return self.data.shape[_norm_dim(dim, self.ndim, "size")]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TensorTypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Any:
        """Iterate over the first dimension (each item stays in the graph), as a torch tensor does."""
        if self.data.ndim == 0:
            raise TensorTypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shares memory on the CPU); a CUDA tensor needs ``.cpu()`` first."""
        if self.data.__class__ is not _ndarray:
            raise DeviceError(f"can't convert a {self.device} tensor to numpy; call .cpu() first")
        return self.data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def item(self) -> Any:
        if self.data.size != 1:
            raise ShapeError(f"item() needs a one-element tensor, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self) -> Any:
        return backend.to_numpy(self.data).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ShapeError(f"the truth value of a tensor with shape {self.shape} is ambiguous")
        return bool(self.item())

    def __repr__(self) -> str:
        body = np.array2string(backend.to_numpy(self.data), separator=", ", prefix="tensor(")
        extras = []
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.dtype != float32 and self.dtype != int64 and self.dtype != np.bool_:
            extras.append(f"dtype={self.dtype}")
        if self._backward is not None:
            extras.append(f"op='{self._op}'")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # --- detaching, moving and casting ------------------------------------------------------------
    def detach(self) -> Tensor:
        """The same data (shared, not copied) as a new leaf outside any graph."""
        out = _new_tensor(Tensor)
        out.data, out.grad, out.requires_grad = self.data, None, False
        out._prev, out._backward, out._op, out.label = (), None, "", self.label
        return out

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (the gradient flows back unchanged)."""
        return make_result(self.data.copy(), (self,), lambda g: (g,), "clone")

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.dtype not in _FLOAT_DTYPES:
            raise TensorTypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        if self._prev and not requires_grad:
            raise TensorTypeError("requires_grad_(False) is only allowed on leaf tensors; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def zero_(self) -> Tensor:
        self.data[...] = 0
        return self

    def to(self, *args: Any, device: Any = None, dtype: Any = None) -> Tensor:
        """``to("cuda")``, ``to("float64")``, ``to(device=..., dtype=...)``; self when nothing changes.

        Like PyTorch, a moved/cast tensor stays in the graph: the gradient flows back to ``self``.
        """
        for arg in args:
            if isinstance(arg, str) and arg.removeprefix("torch.").lower() in _DTYPE_NAMES:
                dtype = arg
            elif isinstance(arg, (str,)) or hasattr(arg, "index") and hasattr(arg, "type"):
                device = arg
            else:
                dtype = arg
        target_dtype = resolve_dtype(dtype) or self.dtype
        target_device = backend.parse_device(device) if device is not None else self.device
        if target_dtype == self.dtype and target_device == self.device:
            return self
        source_dtype, source_device = self.dtype, self.device
        data = backend.to_device(self.data, target_device).astype(target_dtype, copy=False)

        def backward(g: Any) -> tuple:
            return (backend.to_device(g, source_device).astype(source_dtype, copy=False),)

        return make_result(data, (self,), backward, f"to({target_device}, {target_dtype})")

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def float(self) -> Tensor:
        return self.to(dtype=float32)

    def double(self) -> Tensor:
        return self.to(dtype=float64)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(dtype=other.dtype)

    # --- operands ---------------------------------------------------------------------------------
    def _operand(self, other: Any, what: str) -> Any:
        """A Tensor on our device, or a plain number; anything else is a clear error."""
        if isinstance(other, Tensor):
            if other.data.__class__ is not self.data.__class__:
                raise DeviceError(f"{what}: tensors on different devices ({self.device} and {other.device})")
            return other
        if _is_number(other):
            # a numpy scalar acts like a Python number (it must not turn float32 results into float64)
            return other.item() if isinstance(other, np.generic) else other
        if isinstance(other, (list, tuple, np.ndarray)) or hasattr(other, "__cuda_array_interface__"):
            return Tensor(other, device=self.device)
        raise TensorTypeError(f"unsupported operand for {what}: {type(other).__name__}")

    def _broadcast_error(self, other: Tensor, what: str) -> ShapeError:
        return ShapeError(f"{what}: shapes {self.shape} and {other.shape} cannot be broadcast together")

    # --- elementwise arithmetic -------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        other = self._operand(other, "+")
        if isinstance(other, Tensor):
            try:
                out = self.data + other.data
            except ValueError:
                raise self._broadcast_error(other, "+") from None
            sa, sb = self.shape, other.shape

            def backward(g: Any) -> tuple:
                return (
                    _unbroadcast(g, sa) if self.requires_grad else None,
                    _unbroadcast(g, sb) if other.requires_grad else None,
                )

            return make_result(out, (self, other), backward, "+")
        return make_result(self.data + other, (self,), _identity_backward, f"+ {_fmt(other)}")

    def __radd__(self, other: Any) -> Tensor:
        if _is_number(other):
            return make_result(other + self.data, (self,), _identity_backward, f"{_fmt(other)} +")
        return self._operand(other, "+").__add__(self)

    def __sub__(self, other: Any) -> Tensor:
        other = self._operand(other, "-")
        if isinstance(other, Tensor):
            try:
                out = self.data - other.data
            except ValueError:
                raise self._broadcast_error(other, "-") from None
            sa, sb = self.shape, other.shape

            def backward(g: Any) -> tuple:
                return (
                    _unbroadcast(g, sa) if self.requires_grad else None,
                    -_unbroadcast(g, sb) if other.requires_grad else None,
                )

            return make_result(out, (self, other), backward, "-")
        return make_result(self.data - other, (self,), _identity_backward, f"- {_fmt(other)}")

    def __rsub__(self, other: Any) -> Tensor:
        if _is_number(other):
            return make_result(other - self.data, (self,), _negate_backward, f"{_fmt(other)} -")
        return self._operand(other, "-").__sub__(self)

    def __mul__(self, other: Any) -> Tensor:
        other = self._operand(other, "*")
        if isinstance(other, Tensor):
            a, b = self.data, other.data
            try:
                out = a * b
            except ValueError:
                raise self._broadcast_error(other, "*") from None

            def backward(g: Any) -> tuple:
                return (
                    _unbroadcast(g * b, a.shape) if self.requires_grad else None,
                    _unbroadcast(g * a, b.shape) if other.requires_grad else None,
                )

            return make_result(out, (self, other), backward, "*")
        c = other
        return make_result(self.data * c, (self,), lambda g: (g * c,), f"* {_fmt(c)}")

    def __rmul__(self, other: Any) -> Tensor:
        if _is_number(other):
            c = other
            return make_result(c * self.data, (self,), lambda g: (g * c,), f"{_fmt(c)} *")
        return self._operand(other, "*").__mul__(self)

    def __truediv__(self, other: Any) -> Tensor:
        other = self._operand(other, "/")
        if isinstance(other, Tensor):
            a, b = self.data, other.data
            try:
                out = a / b
            except ValueError:
                raise self._broadcast_error(other, "/") from None

            def backward(g: Any) -> tuple:
                return (
                    _unbroadcast(g / b, a.shape) if self.requires_grad else None,
                    _unbroadcast(-g * out / b, b.shape) if other.requires_grad else None,
                )

            return make_result(out, (self, other), backward, "/")
        c = other
        return make_result(self.data / c, (self,), lambda g: (g / c,), f"/ {_fmt(c)}")

    def __rtruediv__(self, other: Any) -> Tensor:
        if _is_number(other):
            b = self.data
            out = other / b
            return make_result(out, (self,), lambda g: (-g * out / b,), f"{_fmt(other)} /")
        return self._operand(other, "/").__truediv__(self)

    def __neg__(self) -> Tensor:
        return make_result(-self.data, (self,), _negate_backward, "neg")

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: Any) -> Tensor:
        exponent = self._operand(exponent, "**")
        a = self.data
        if isinstance(exponent, Tensor):
            b = exponent.data
            try:
                out = a**b
            except ValueError:
                raise self._broadcast_error(exponent, "**") from None

            def backward(g: Any) -> tuple:
                ga = gb = None
                if self.requires_grad:
                    ga = _unbroadcast(g * b * a ** (b - 1), a.shape)
                if exponent.requires_grad:
                    xp = _xp(a)
                    with np.errstate(divide="ignore", invalid="ignore"):
                        log_a = xp.log(a)
                    # PyTorch masks base == 0 (with exponent >= 0) to a zero gradient
                    local = xp.where((a == 0) & (b >= 0), 0, out * log_a)
                    gb = _unbroadcast(g * local, b.shape)
                return ga, gb

            return make_result(out, (self, exponent), backward, "**")
        n = exponent
        if n == 2:  # the common square: avoid a second pow in backward
            return make_result(a * a, (self,), lambda g: (g * (2 * a),), "** 2")
        out = a**n

        def backward_const(g: Any) -> tuple:
            if n == 0:
                return (g * 0,)
            return (g * (n * a ** (n - 1)),)

        return make_result(out, (self,), backward_const, f"** {_fmt(n)}")

    def __rpow__(self, base: Any) -> Tensor:
        if _is_number(base):
            b = self.data
            out = base**b
            log_base = np.log(base) if base > 0 else (0.0 if base == 0 else np.nan)
            return make_result(out, (self,), lambda g: (g * out * log_base,), f"{_fmt(base)} **")
        return self._operand(base, "**").__pow__(self)

    # --- comparisons (no gradient; bool results) ---------------------------------------------------
    def _compare(self, other: Any, fn: Callable[[Any, Any], Any], what: str) -> Tensor:
        other = self._operand(other, what)
        b = other.data if isinstance(other, Tensor) else other
        try:
            out = fn(self.data, b)
        except ValueError:
            raise self._broadcast_error(other, what) from None
        return make_result(out, (), _no_backward, what)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, lambda a, b: a < b, "<")

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, lambda a, b: a <= b, "<=")

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, lambda a, b: a > b, ">")

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, lambda a, b: a >= b, ">=")

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, lambda a, b: a == b, "==")

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, lambda a, b: a != b, "!=")

    def eq(self, other: Any) -> Tensor:
        return self.__eq__(other)

    # --- matrix product ---------------------------------------------------------------------------
    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return self._operand(other, "@").matmul(self)

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with PyTorch's rules: 1-d operands, and batch dims that broadcast."""
        other = self._operand(other, "matmul")
        if not isinstance(other, Tensor):
            raise TensorTypeError("matmul: both operands must be tensors, got a number")
        a, b = self.data, other.data
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"matmul: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}")
        inner_a = a.shape[-1]
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if inner_a != inner_b:
            raise ShapeError(
                f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied "
                f"({inner_a} columns in the first, {inner_b} rows in the second)"
            )
        try:
            out = a @ b
        except ValueError:
            raise ShapeError(f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast") from None

        def backward(g: Any) -> tuple:
            ga = gb = None
            if a.ndim == 1 and b.ndim == 1:  # dot product: g is 0-d
                return (g * b if self.requires_grad else None, g * a if other.requires_grad else None)
            a2 = a[None, :] if a.ndim == 1 else a
            b2 = b[:, None] if b.ndim == 1 else b
            g2 = g
            if a.ndim == 1:
                g2 = g2[..., None, :] if b.ndim > 1 else g2[..., None]
            if b.ndim == 1:
                g2 = g2[..., None]
            if self.requires_grad:
                ga = g2 @ b2.swapaxes(-1, -2)
                if a.ndim == 1:
                    ga = ga[..., 0, :]
                ga = _unbroadcast(ga, a.shape)
            if other.requires_grad:
                gb = a2.swapaxes(-1, -2) @ g2
                if b.ndim == 1:
                    gb = gb[..., 0]
                gb = _unbroadcast(gb, b.shape)
            return ga, gb

        return make_result(out, (self, other), backward, "matmul")

    # --- reductions ----------------------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        axes = _normalize_dims(dim, self.ndim, "sum")
        a = self.data
        out = a.sum(axis=axes, keepdims=keepdim)
        shape = a.shape
        kept = _kept_shape(shape, axes)

        def backward(g: Any) -> tuple:
            return (_xp(g).broadcast_to(g.reshape(kept), shape),)

        return make_result(out, (self,), backward, "sum")

    def mean(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        if self.dtype not in _FLOAT_DTYPES:
            raise TensorTypeError(f"mean() needs a floating-point tensor, got dtype {self.dtype}")
        axes = _normalize_dims(dim, self.ndim, "mean")
        a = self.data
        out = a.mean(axis=axes, keepdims=keepdim)
        shape = a.shape
        kept = _kept_shape(shape, axes)
        count = a.size // max(1, int(np.prod(kept)))

        def backward(g: Any) -> tuple:
            return (_xp(g).broadcast_to(g.reshape(kept) / count, shape),)

        return make_result(out, (self,), backward, "mean")

    def var(self, dim: Any = None, keepdim: bool = False, unbiased: bool = True) -> Tensor:
        """Variance (Bessel-corrected unless ``unbiased=False``), built from differentiable ops."""
        axes = _normalize_dims(dim, self.ndim, "var")
        count = self.numel() if axes is None else int(np.prod([self.shape[d] for d in axes]))
        centred = self - self.mean(dim=axes, keepdim=True)
        return (centred * centred).sum(dim=axes, keepdim=keepdim) / (count - 1 if unbiased else count)

    def _extreme(self, dim: Any, keepdim: bool, largest: bool) -> Any:
        name = "max" if largest else "min"
        a = self.data
        if a.size == 0:
            raise ShapeError(f"{name}() of an empty tensor")
        if dim is None:
            out = a.max() if largest else a.min()

            def backward_all(g: Any) -> tuple:
                mask = a == out  # ties share the gradient evenly, as torch.max() does
                return (mask * (g / mask.sum()),)

            return make_result(out, (self,), backward_all, name)
        axis = _norm_dim(dim, self.ndim, name)
        xp = _xp(a)
        index = a.argmax(axis=axis) if largest else a.argmin(axis=axis)
        index_kept = xp.expand_dims(index, axis)
        values = xp.take_along_axis(a, index_kept, axis=axis)
        if not keepdim:
            values = values.squeeze(axis) if a.ndim else values

        def backward(g: Any) -> tuple:
            # one-hot of the chosen index along ``axis`` (works alike on numpy and CuPy)
            positions = xp.arange(a.shape[axis]).reshape((-1,) + (1,) * (a.ndim - axis - 1))
            gk = g if keepdim else xp.expand_dims(g, axis)
            return ((positions == index_kept) * gk,)

        values_t = make_result(values, (self,), backward, name)
        indices_t = Tensor(index_kept if keepdim else index)  # int64 indices on the same device
        return MaxMin(values_t, indices_t)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """The largest element, or ``(values, indices)`` along ``dim`` (as ``torch.max``)."""
        return self._extreme(dim, keepdim, True)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """The smallest element, or ``(values, indices)`` along ``dim`` (as ``torch.min``)."""
        return self._extreme(dim, keepdim, False)

    def _extreme_all(self, dim: Any, keepdim: bool, largest: bool) -> Tensor:
        name = "amax" if largest else "amin"
        axes = _normalize_dims(dim, self.ndim, name)
        a = self.data
        out = a.max(axis=axes, keepdims=True) if largest else a.min(axis=axes, keepdims=True)
        result = out if keepdim else out.reshape(_reduced_shape(a.shape, axes))

        def backward(g: Any) -> tuple:
            mask = a == out  # ties share the gradient evenly, as torch.amax does
            count = mask.sum(axis=axes, keepdims=True)
            return (mask * (g.reshape(out.shape) / count),)

        return make_result(result, (self,), backward, name)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return self._extreme_all(dim, keepdim, True)

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return self._extreme_all(dim, keepdim, False)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        if dim is None:
            return Tensor(np.int64(backend.to_numpy(self.data.argmax())), device=self.device)
        return self.max(dim, keepdim).indices

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        if dim is None:
            return Tensor(np.int64(backend.to_numpy(self.data.argmin())), device=self.device)
        return self.min(dim, keepdim).indices

    # --- shape operations -------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        a = self.data
        try:
            out = a.reshape(shape)
        except (ValueError, TypeError):
            raise ShapeError(f"cannot reshape a tensor of shape {a.shape} ({a.size} elements) into {shape}") from None
        source = a.shape
        return make_result(out, (self,), lambda g: (g.reshape(source),), "reshape")

    def view(self, *shape: Any) -> Tensor:
        return self.reshape(*shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start = _norm_dim(start_dim, self.ndim, "flatten")
        end = _norm_dim(end_dim, self.ndim, "flatten")
        if start > end:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape
        return self.reshape(shape[:start] + (-1 if 0 not in shape else 0,) + shape[end + 1:])

    def unsqueeze(self, dim: int) -> Tensor:
        axis = _norm_dim(dim, self.ndim + 1, "unsqueeze")
        shape = self.shape
        return self.reshape(shape[:axis] + (1,) + shape[axis:])

    def squeeze(self, dim: Any = None) -> Tensor:
        shape = self.shape
        if dim is None:
            return self.reshape(tuple(s for s in shape if s != 1))
        axes = _normalize_dims(dim, self.ndim, "squeeze") or ()
        return self.reshape(tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1)))

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to a bigger shape (-1 keeps a size), sharing memory as ``torch.Tensor.expand``."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        extra = len(sizes) - self.ndim
        if extra < 0:
            raise ShapeError(f"expand: target {sizes} has fewer dimensions than the tensor's shape {self.shape}")
        target = tuple(self.shape[i - extra] if s == -1 and i >= extra else s for i, s in enumerate(sizes))
        a = self.data
        try:
            out = _xp(a).broadcast_to(a, target)
        except ValueError:
            raise ShapeError(f"expand: cannot expand shape {a.shape} to {sizes}") from None
        shape = a.shape
        return make_result(out, (self,), lambda g: (_unbroadcast(g, shape),), "expand")

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        d0 = _norm_dim(dim0, self.ndim, "transpose")
        d1 = _norm_dim(dim1, self.ndim, "transpose")
        out = self.data.swapaxes(d0, d1)
        return make_result(out, (self,), lambda g: (g.swapaxes(d0, d1),), "transpose")

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        if sorted(_norm_dim(d, self.ndim, "permute") for d in dims) != list(range(self.ndim)):
            raise ShapeError(f"permute: {dims} is not a permutation of the dimensions of shape {self.shape}")
        order = tuple(_norm_dim(d, self.ndim, "permute") for d in dims)
        inverse = tuple(int(i) for i in np.argsort(order))
        out = self.data.transpose(order)
        return make_result(out, (self,), lambda g: (g.transpose(inverse),), "permute")

    @property
    def T(self) -> Tensor:
        return self.permute(tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> Tensor:
        return self.transpose(-2, -1)

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise ShapeError(f"t() expects a tensor with at most 2 dimensions, got shape {self.shape}")
        return self.T

    # --- indexing -----------------------------------------------------------------------------------------
    def __getitem__(self, index: Any) -> Tensor:
        key = _index_key(index, self.data)
        a = self.data
        try:
            out = a[key]
        except IndexError as exc:  # an IndexError, as in PyTorch (it also ends iteration)
            raise IndexError(f"index {index!r} is invalid for a tensor of shape {a.shape}: {exc}") from None
        advanced = _has_integer_array(key)
        shape, dtype = a.shape, a.dtype

        def backward(g: Any) -> tuple:
            xp = _xp(g)
            grad = xp.zeros(shape, dtype=g.dtype if g.dtype in _FLOAT_DTYPES else dtype)
            if advanced:  # integer arrays may repeat an element: accumulate, do not overwrite
                xp.add.at(grad, key, g)  # numpy, and CuPy >= 13 (cupyx.scatter_add is deprecated)
            else:
                grad[key] = g
            return (grad,)

        return make_result(out, (self,), backward, "index")

    # --- elementwise functions ---------------------------------------------------------------------------
    def exp(self) -> Tensor:
        out = _xp(self.data).exp(self.data)
        return make_result(out, (self,), lambda g: (g * out,), "exp")

    def log(self) -> Tensor:
        a = self.data
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, log(<0) = nan, as torch
            out = _xp(a).log(a)
        return make_result(out, (self,), lambda g: (g / a,), "log")

    def sqrt(self) -> Tensor:
        a = self.data
        with np.errstate(invalid="ignore"):
            out = _xp(a).sqrt(a)
        return make_result(out, (self,), lambda g: (g / (2 * out),), "sqrt")

    def abs(self) -> Tensor:
        a = self.data
        xp = _xp(a)
        return make_result(xp.abs(a), (self,), lambda g: (g * xp.sign(a),), "abs")

    def __abs__(self) -> Tensor:
        return self.abs()

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
        if min is None and max is None:
            raise TensorTypeError("clamp: at least one of min and max must be given")
        a = self.data
        xp = _xp(a)
        out = xp.clip(a, min, max)

        def backward(g: Any) -> tuple:
            inside = xp.ones(a.shape, dtype=bool)
            if min is not None:
                inside &= a >= min
            if max is not None:
                inside &= a <= max
            return (g * inside,)

        return make_result(out, (self,), backward, "clamp")

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return self.clamp(min, max)

    def tanh(self) -> Tensor:
        out = _xp(self.data).tanh(self.data)
        return make_result(out, (self,), lambda g: (g * (1 - out * out),), "tanh")

    def relu(self) -> Tensor:
        a = self.data
        out = _xp(a).maximum(a, 0)
        return make_result(out, (self,), lambda g: (backend.relu_backward(a, g),), "relu")

    def sigmoid(self) -> Tensor:
        a = self.data
        xp = _xp(a)
        # 0.5 * (1 + tanh(x/2)) equals 1/(1+e^-x) and never overflows
        out = xp.tanh(a * 0.5)
        out += 1
        out *= 0.5
        return make_result(out, (self,), lambda g: (g * out * (1 - out),), "sigmoid")

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        a = self.data
        xp = _xp(a)
        positive = a > 0
        out = xp.where(positive, a, a * negative_slope)
        return make_result(out, (self,), lambda g: (xp.where(positive, g, g * negative_slope),), "leaky_relu")

    def softmax(self, dim: int) -> Tensor:
        axis = _norm_dim(dim, self.ndim, "softmax")
        a = self.data
        xp = _xp(a)
        e = xp.exp(a - a.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)

        def backward(g: Any) -> tuple:
            return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)

        return make_result(out, (self,), backward, "softmax")

    def log_softmax(self, dim: int) -> Tensor:
        axis = _norm_dim(dim, self.ndim, "log_softmax")
        a = self.data
        xp = _xp(a)
        shifted = a - a.max(axis=axis, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))

        def backward(g: Any) -> tuple:
            return (g - xp.exp(out) * g.sum(axis=axis, keepdims=True),)

        return make_result(out, (self,), backward, "log_softmax")

    # --- backpropagation ---------------------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every tensor that requires a gradient with d(self)/d(tensor).

        ``self`` must hold one element unless ``gradient`` (same shape as self) is given.
        Leaf gradients accumulate across calls (call ``zero_grad()`` between steps); the
        gradients of intermediate tensors are replaced each time. The graph is always kept,
        so ``retain_graph`` is accepted and has no effect; higher-order gradients
        (``create_graph=True``) are not supported.
        """
        if create_graph:
            raise NotImplementedError("create_graph=True (gradients of gradients) is not supported by minitorch")
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no graph "
                "(create the inputs with requires_grad=True, and do not call it inside no_grad())"
            )
        xp = _xp(self.data)
        if gradient is None:
            if self.data.size != 1:
                raise ShapeError(
                    f"backward() without a gradient needs a one-element tensor, got shape {self.shape}; "
                    "pass gradient= with the same shape"
                )
            seed = xp.ones_like(self.data)
        else:
            seed = gradient.data if isinstance(gradient, Tensor) else gradient
            seed = xp.asarray(seed, dtype=self.dtype)
            if seed.shape != self.shape:
                raise ShapeError(f"backward(): gradient has shape {seed.shape}, expected {self.shape}")
        order = reverse_topological_order(self)
        for node in order:
            if node._prev:
                node.grad = None
        if self._prev:
            self.grad = seed
        else:
            _accumulate_leaf(self, seed, None)
        for node in order:
            fn = node._backward
            g = node.grad
            if fn is None or g is None:
                continue
            for child, child_grad in zip(node._prev, fn(g)):
                if child_grad is None:
                    continue
                if child._prev:
                    previous = child.grad
                    child.grad = child_grad if previous is None else previous + child_grad
                elif child.requires_grad:
                    _accumulate_leaf(child, child_grad, g)


def _accumulate_leaf(leaf: Tensor, grad: Any, upstream: Any) -> None:
    """Add ``grad`` into ``leaf.grad`` in place, first making sure the leaf owns its array.

    A gradient that is the upstream array itself or a view of another array may be shared
    with other nodes, so it is copied once before later backward passes add into it.
    """
    previous = leaf.grad
    if previous is None:
        if grad.__class__ is not _ndarray and isinstance(grad, np.generic):
            grad = np.array(grad)
        elif grad is upstream or grad.base is not None or grad.dtype != leaf.data.dtype:
            grad = grad.astype(leaf.data.dtype, copy=True)
        leaf.grad = grad
    else:
        previous += grad


def _identity_backward(g: Any) -> tuple:
    return (g,)


def _negate_backward(g: Any) -> tuple:
    return (-g,)


def _no_backward(g: Any) -> tuple:
    return ()


def _kept_shape(shape: tuple, axes: tuple | None) -> tuple:
    """The shape of a reduction over ``axes`` with keepdim=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _reduced_shape(shape: tuple, axes: tuple | None) -> tuple:
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _index_key(index: Any, array: Any) -> Any:
    """Turn tensors and lists inside an index into arrays numpy/CuPy understand."""
    if isinstance(index, tuple):
        return tuple(_index_key(i, array) for i in index)
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, list):
        return _xp(array).asarray(index)
    if array.__class__ is not _ndarray and isinstance(index, np.ndarray):
        return _xp(array).asarray(index)  # a host index for a GPU tensor
    if array.__class__ is _ndarray and index.__class__ is not _ndarray and hasattr(index, "__cuda_array_interface__"):
        return backend.to_numpy(index)  # a GPU index for a CPU tensor
    return index


def _has_integer_array(key: Any) -> bool:
    """True when an index holds an integer array (which may pick one element several times)."""
    parts = key if isinstance(key, tuple) else (key,)
    return any(
        not isinstance(p, np.generic) and getattr(getattr(p, "dtype", None), "kind", "") in ("i", "u")
        for p in parts
    )


def _to_array(data: Any, dtype: np.dtype | None, device: Any) -> Any:
    """Validate and convert tensor data (numbers, nested lists, arrays, tensors) to an array."""
    target = backend.parse_device(device) if device is not None else None
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (str, bytes)) or data is None:
        raise TensorTypeError(f"tensor data must be numbers, nested lists or an array, got {data!r}")
    if hasattr(data, "detach") and hasattr(data, "numpy") and not isinstance(data, np.ndarray):
        data = data.detach().cpu().numpy()  # a torch tensor
    if data.__class__ is not _ndarray and hasattr(data, "__cuda_array_interface__"):
        source = backend.device_of(data)
        array = data.copy()
        if target is None:
            target = source
    else:
        try:
            array = np.array(data)
        except (ValueError, TypeError) as exc:
            raise ShapeError(f"tensor data is ragged or not numeric: {exc}") from None
        if target is None:
            target = "cpu"
    kind = array.dtype.kind
    from_array = isinstance(data, (np.ndarray, np.generic)) or hasattr(data, "__cuda_array_interface__")
    if dtype is None:
        if kind == "f":  # arrays keep a supported float dtype; Python floats take the default float32
            dtype = array.dtype if from_array and array.dtype in _FLOAT_DTYPES else float32
        elif kind in "iu":
            dtype = array.dtype if from_array and array.dtype in _SUPPORTED_DTYPES else int64
        elif kind == "b":
            dtype = np.dtype(np.bool_)
        else:
            raise TensorTypeError(f"tensor data must be numeric, got values of dtype {array.dtype}")
    elif kind not in "fiub":
        raise TensorTypeError(f"tensor data must be numeric, got values of dtype {array.dtype}")
    array = array.astype(dtype, copy=False)
    if target != backend.device_of(array):
        array = backend.to_device(array, target)
    return array


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (PyTorch's ``torch.tensor``).

    Python floats become float32 (the default dtype), ints int64, bools bool; numpy arrays
    keep their dtype. ``dtype`` accepts numpy dtypes or names ("float64", "double").
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


def _factory(array: np.ndarray, dtype: Any, requires_grad: bool, device: Any) -> Tensor:
    return Tensor(array, dtype=resolve_dtype(dtype) or float32, requires_grad=requires_grad, device=device)


def _shape_args(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return size


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    return _factory(np.zeros(_shape_args(size)), dtype, requires_grad, device)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    return _factory(np.ones(_shape_args(size)), dtype, requires_grad, device)


def full(size: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    return _factory(np.full(tuple(size), fill_value), dtype, requires_grad, device)


def zeros_like(other: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(other.shape), dtype=resolve_dtype(dtype) or other.dtype,
                  requires_grad=requires_grad, device=other.device)


def ones_like(other: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(other.shape), dtype=resolve_dtype(dtype) or other.dtype,
                  requires_grad=requires_grad, device=other.device)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    """Standard normal samples from minitorch's generator (see `manual_seed`)."""
    return _factory(_GENERATOR[0].standard_normal(_shape_args(size)), dtype, requires_grad, device)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = "cpu") -> Tensor:
    """Uniform samples in [0, 1) from minitorch's generator (see `manual_seed`)."""
    return _factory(_GENERATOR[0].random(_shape_args(size)), dtype, requires_grad, device)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None, device: Any = "cpu") -> Tensor:
    values = np.arange(start, end, step) if end is not None else np.arange(start)
    return Tensor(values, dtype=dtype, device=device)


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
    axis = _norm_dim(dim, tensors[0].ndim, "cat")
    xp = _xp(tensors[0].data)
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
    axis = _norm_dim(dim, tensors[0].ndim + 1, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all tensors need the same shape, got {', '.join(str(s) for s in shapes)}")
    xp = _xp(tensors[0].data)
    out = xp.stack([t.data for t in tensors], axis=axis)

    def backward(g: Any) -> tuple:
        return tuple(xp.take(g, i, axis=axis) if t.requires_grad else None for i, t in enumerate(tensors))

    return make_result(out, tensors, backward, "stack")


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (``torch.where``)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    a = input if isinstance(input, Tensor) else Tensor(input)
    b = other if isinstance(other, Tensor) else Tensor(other, device=a.device, dtype=a.dtype)
    xp = _xp(a.data)
    out = xp.where(cond, a.data, b.data)
    zero = 0

    def backward(g: Any) -> tuple:
        return (
            _unbroadcast(xp.where(cond, g, zero), a.shape) if a.requires_grad else None,
            _unbroadcast(xp.where(cond, zero, g), b.shape) if b.requires_grad else None,
        )

    return make_result(out, (a, b), backward, "where")
