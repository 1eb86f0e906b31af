"""The `Tensor` class of the n-d engine: one array (numpy or CuPy) per graph node, and its ops.

It shares its autograd core with the scalar engine (`minitorch.engine.Scalar`): every node keeps
its operands in ``_prev`` so `minitorch.autograd.reverse_topological_order` orders both
kinds of graph, and `no_grad()` switches graph recording off for both. Unlike the scalar
engine, which stores *local derivatives*, an n-d node stores a small backward closure that
maps the gradient of its output to the gradients of its inputs (a local Jacobian of an
array op is far too big to store).

Internal API for op modules (`minitorch.ndtensor.functions`, `minitorch.nn.tensor_functional`):
`make_result` wraps an op's output array and backward closure into a graph node, and
`is_number` tells plain numbers from tensors. Shape helpers live in
`minitorch.ndtensor.shapes`, dtypes in `minitorch.ndtensor.dtypes`, and the array module of
an array comes from `minitorch.backend.array_module_of`.
"""

from __future__ import annotations

import math
import operator
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend, engine
from ..autograd import GRAD_STATE, reverse_topological_order
from ..backend import array_module_of
from ..errors import DeviceError, DimensionError, DomainError, ShapeError, TensorTypeError, mixed_engines_error
from .dtypes import (
    DEFAULT_FLOAT,
    FLOAT_DTYPES,
    SUPPORTED_DTYPES,
    float32,
    float64,
    int64,
    is_dtype_name,
    number_dtype,
    resolve_dtype,
    result_dtype,
)
from .shapes import kept_shape, normalize_dim, normalize_dims, reduced_shape, shape_args, unbroadcast

__all__ = ["Tensor", "MaxMin", "SortResult", "make_result", "is_number"]

_ndarray = np.ndarray
MaxMin = namedtuple("MaxMin", ["values", "indices"])  # what max(dim)/min(dim) return, as in torch
SortResult = namedtuple("SortResult", ["values", "indices"])  # what sort/topk return


def _as_array(data: Any) -> Any:
    """numpy turns 0-d results into numpy scalars; keep every ``.data`` a real array."""
    if data.__class__ is _ndarray:
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    return data  # a CuPy array (CuPy keeps 0-d results as arrays)


def make_result(data: Any, parents: tuple, backward: Callable[[Any], tuple], op: str) -> Tensor:
    """Wrap the output array of an operation; record the graph only if some input needs a gradient.

    ``backward(grad_out)`` returns one gradient (or None) per parent, each already in that
    parent's shape (the engine casts it to the parent's dtype). ``op`` names the node in graphs.
    """
    out = _new_tensor(Tensor)
    out.data = data if data.__class__ is _ndarray else _as_array(data)
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
_PYTHON_NUMBERS = (float, int, bool)  # operands that act as weak scalars (see dtypes)


def is_number(value: Any) -> bool:
    """True for a Python int/float or a numpy number (not bool, not an array or tensor)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) or isinstance(value, np.number)


def _fmt(number: Any) -> str:
    return f"{number:g}" if isinstance(number, (float, np.floating)) else str(number)


def _broadcastable(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _power(base: Any, exponent: Any) -> Any:
    """``base ** exponent``, where 0 ** -1 = inf and (-1) ** 0.5 = nan come without numpy's warnings (as in torch)."""
    if isinstance(exponent, (int, float)) and exponent >= 0 and float(exponent).is_integer() or (
        isinstance(base, (int, float)) and base > 0
    ):
        return base**exponent  # nothing to warn about; np.errstate would cost more than the power itself
    with np.errstate(divide="ignore", invalid="ignore"):
        return base**exponent


def _floor_divide(a: Any, b: Any) -> Any:
    if a.dtype.kind == "f":
        return array_module_of(a).floor(a / b)
    with np.errstate(divide="ignore"):
        return a // b


def _trunc_divide(a: Any, b: Any) -> Any:
    xp = array_module_of(a)
    if a.dtype.kind == "f":
        return xp.trunc(a / b)
    with np.errstate(divide="ignore"):
        quotient = abs(a) // abs(b)
    return xp.where((a < 0) != (b < 0), -quotient, quotient)  # integer division rounding toward zero


_ROUNDED_DIVISION = {"floor": _floor_divide, "trunc": _trunc_divide}


def _pow_exponent_grad(base: Any, exponent: Any, out: Any) -> Any:
    """d(base ** exponent)/d(exponent) = out * log(base), with PyTorch's 0 where base == 0 and exponent >= 0."""
    if isinstance(base, (int, float)):
        log_base = math.log(base) if base > 0 else (-math.inf if base == 0 else math.nan)
        if base != 0:
            return out * log_base
        with np.errstate(invalid="ignore"):
            local = out * log_base
        return array_module_of(out).where(exponent >= 0, 0, local).astype(out.dtype, copy=False)
    xp = array_module_of(base)
    with np.errstate(divide="ignore", invalid="ignore"):
        local = out * xp.log(base)
    return xp.where((base == 0) & (exponent >= 0), 0, local)


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
        if requires_grad and array.dtype not in FLOAT_DTYPES:
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
        if self.ndim == 0:
            raise DimensionError(f"size: dim {dim} given but a 0-d tensor has no dimensions")
        return self.data.shape[normalize_dim(dim, self.ndim, "size")]

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
        if requires_grad and self.dtype not in FLOAT_DTYPES:
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
            if is_dtype_name(arg):
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
    def _broadcasted(
        self, other: Any, fn: Callable[[Any, Any], Any], what: str, reverse: bool = False, floating: bool = False
    ) -> tuple[Any, Any, Any, Any]:
        """The prologue every binary operator shares; returns ``(other, a, b, out)``.

        ``other`` becomes a Tensor on this tensor's device, or stays a plain number (a numpy
        scalar becomes a Python number); ``a`` and ``b`` are the two operands' data (``b`` is
        the number itself) in the promoted dtype of the result (see `minitorch.ndtensor.dtypes`;
        ``floating`` asks for a floating result, as true division does); ``out`` is
        ``fn(a, b)`` (``fn(b, a)`` if ``reverse``). Shapes that do not broadcast are a ShapeError
        naming both.
        """
        a = self.data
        if isinstance(other, Tensor):
            b = other.data
            if b.__class__ is not a.__class__:
                raise DeviceError(f"{what}: tensors on different devices ({self.device} and {other.device})")
            if a.dtype != b.dtype:
                dtype = result_dtype(a.dtype, a.ndim, b.dtype, b.ndim)
                a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
            if floating and a.dtype.kind != "f":
                a, b = a.astype(DEFAULT_FLOAT), b.astype(DEFAULT_FLOAT)
        elif other.__class__ in _PYTHON_NUMBERS or is_number(other) or isinstance(other, np.bool_):
            if isinstance(other, np.generic):  # acts like a Python number: float32 * np.float64(2) stays float32
                other = other.item()
            b = other
            if a.dtype.kind != "f":
                dtype = DEFAULT_FLOAT if floating else result_dtype(a.dtype, a.ndim, number_dtype(other), None)
                a = a.astype(dtype, copy=False)
        else:
            return self._broadcasted(self._operand(other, what), fn, what, reverse, floating)
        try:
            out = fn(b, a) if reverse else fn(a, b)
        except ValueError as exc:
            if isinstance(b, (int, float)) or _broadcastable(a.shape, b.shape):
                raise DomainError(f"{what}: {exc}") from None  # e.g. an integer to a negative integer power
            raise ShapeError(f"{what}: shapes {self.shape} and {other.shape} cannot be broadcast together") from None
        return other, a, b, out

    def _operand(self, other: Any, what: str) -> Tensor:
        """Lists and arrays become tensors on our device; anything else that is not a number is an error."""
        if isinstance(other, (list, tuple, np.ndarray)) or hasattr(other, "__cuda_array_interface__"):
            return Tensor(other, device=self.device)
        if isinstance(other, engine.Scalar):
            raise mixed_engines_error(f"operand of {what}")
        raise TensorTypeError(f"unsupported operand for {what}: {type(other).__name__}")

    # --- elementwise arithmetic -------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        other, a, b, out = self._broadcasted(other, operator.add, "+")
        if not isinstance(other, Tensor):
            return make_result(out, (self,), _identity_backward, f"+ {_fmt(other)}")
        sa, sb = a.shape, b.shape

        def backward(g: Any) -> tuple:
            return (
                unbroadcast(g, sa) if self.requires_grad else None,
                unbroadcast(g, sb) if other.requires_grad else None,
            )

        return make_result(out, (self, other), backward, "+")

    def __radd__(self, other: Any) -> Tensor:
        other, _, _, out = self._broadcasted(other, operator.add, "+", reverse=True)
        if isinstance(other, Tensor):  # an array on the left: redo it as tensor + tensor
            return other.__add__(self)
        return make_result(out, (self,), _identity_backward, f"{_fmt(other)} +")

    def _refuse_bool_subtraction(self, other: Any) -> None:
        if self.data.dtype == bool or isinstance(other, (bool, np.bool_)) or (
            isinstance(other, Tensor) and other.data.dtype == bool
        ):
            raise TensorTypeError("subtraction (-) with a bool tensor is not supported, as in PyTorch; "
                                  "use ~mask or logical operators, or convert with .float() first")

    def __sub__(self, other: Any) -> Tensor:
        self._refuse_bool_subtraction(other)
        other, a, b, out = self._broadcasted(other, operator.sub, "-")
        if not isinstance(other, Tensor):
            return make_result(out, (self,), _identity_backward, f"- {_fmt(other)}")
        sa, sb = a.shape, b.shape

        def backward(g: Any) -> tuple:
            return (
                unbroadcast(g, sa) if self.requires_grad else None,
                -unbroadcast(g, sb) if other.requires_grad else None,
            )

        return make_result(out, (self, other), backward, "-")

    def __rsub__(self, other: Any) -> Tensor:
        self._refuse_bool_subtraction(other)
        other, _, _, out = self._broadcasted(other, operator.sub, "-", reverse=True)
        if isinstance(other, Tensor):
            return other.__sub__(self)
        return make_result(out, (self,), _negate_backward, f"{_fmt(other)} -")

    def __mul__(self, other: Any) -> Tensor:
        other, a, b, out = self._broadcasted(other, operator.mul, "*")
        if not isinstance(other, Tensor):
            return make_result(out, (self,), lambda g: (g * b,), f"* {_fmt(b)}")

        def backward(g: Any) -> tuple:
            return (
                unbroadcast(g * b, a.shape) if self.requires_grad else None,
                unbroadcast(g * a, b.shape) if other.requires_grad else None,
            )

        return make_result(out, (self, other), backward, "*")

    def __rmul__(self, other: Any) -> Tensor:
        c, _, _, out = self._broadcasted(other, operator.mul, "*", reverse=True)
        if isinstance(c, Tensor):
            return c.__mul__(self)
        return make_result(out, (self,), lambda g: (g * c,), f"{_fmt(c)} *")

    def __truediv__(self, other: Any) -> Tensor:
        other, a, b, out = self._broadcasted(other, operator.truediv, "/", floating=True)
        if not isinstance(other, Tensor):
            return make_result(out, (self,), lambda g: (g / b,), f"/ {_fmt(b)}")

        def backward(g: Any) -> tuple:
            return (
                unbroadcast(g / b, a.shape) if self.requires_grad else None,
                unbroadcast(-g * out / b, b.shape) if other.requires_grad else None,
            )

        return make_result(out, (self, other), backward, "/")

    def __rtruediv__(self, other: Any) -> Tensor:
        c, a, _, out = self._broadcasted(other, operator.truediv, "/", reverse=True, floating=True)
        if isinstance(c, Tensor):
            return c.__truediv__(self)
        return make_result(out, (self,), lambda g: (-g * out / a,), f"{_fmt(c)} /")

    def __neg__(self) -> Tensor:
        if self.data.dtype == bool:
            raise TensorTypeError("negation (-) of a bool tensor is not supported, as in PyTorch; use ~mask")
        return make_result(-self.data, (self,), _negate_backward, "neg")

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: Any) -> Tensor:
        exponent, a, b, out = self._broadcasted(exponent, _power, "**")
        if isinstance(exponent, Tensor):

            def backward(g: Any) -> tuple:
                ga = gb = None
                if self.requires_grad:
                    ga = unbroadcast(g * b * a ** (b - 1), a.shape)
                if exponent.requires_grad:
                    gb = unbroadcast(g * _pow_exponent_grad(a, b, out), b.shape)
                return ga, gb

            return make_result(out, (self, exponent), backward, "**")
        n = b
        if n == 2:  # the common square: avoid a second pow in backward
            return make_result(out, (self,), lambda g: (g * (2 * a),), "** 2")

        def backward_const(g: Any) -> tuple:
            if n == 0:
                return (g * 0,)
            return (g * (n * a ** (n - 1)),)

        return make_result(out, (self,), backward_const, f"** {_fmt(n)}")

    def __rpow__(self, base: Any) -> Tensor:
        base, exponent, _, out = self._broadcasted(base, _power, "**", reverse=True)
        if isinstance(base, Tensor):
            return base.__pow__(self)
        return make_result(out, (self,), lambda g: (g * _pow_exponent_grad(base, exponent, out),), f"{_fmt(base)} **")

    # --- comparisons (no gradient; bool results) ---------------------------------------------------
    def _compare(self, other: Any, fn: Callable[[Any, Any], Any], what: str) -> Tensor:
        return make_result(self._broadcasted(other, fn, what)[3], (), _no_backward, what)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, operator.lt, "<")

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, operator.le, "<=")

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, operator.gt, ">")

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, operator.ge, ">=")

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, operator.eq, "==")

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, operator.ne, "!=")

    def eq(self, other: Any) -> Tensor:
        return self.__eq__(other)

    # --- matrix product ---------------------------------------------------------------------------
    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return self._operand(other, "@").matmul(self)

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with PyTorch's rules: 1-d operands, and batch dims that broadcast."""
        if not isinstance(other, Tensor):
            if is_number(other):
                raise TensorTypeError("matmul: both operands must be tensors, got a number")
            other = self._operand(other, "matmul")
        if other.data.__class__ is not self.data.__class__:
            raise DeviceError(f"matmul: tensors on different devices ({self.device} and {other.device})")
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
                ga = unbroadcast(ga, a.shape)
            if other.requires_grad:
                gb = a2.swapaxes(-1, -2) @ g2
                if b.ndim == 1:
                    gb = gb[..., 0]
                gb = unbroadcast(gb, b.shape)
            return ga, gb

        return make_result(out, (self, other), backward, "matmul")

    # --- reductions ----------------------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        axes = normalize_dims(dim, self.ndim, "sum")
        a = self.data
        out = a.sum(axis=axes, keepdims=keepdim)
        shape = a.shape
        kept = kept_shape(shape, axes)

        def backward(g: Any) -> tuple:
            return (array_module_of(g).broadcast_to(g.reshape(kept), shape),)

        return make_result(out, (self,), backward, "sum")

    def mean(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        if self.dtype not in FLOAT_DTYPES:
            raise TensorTypeError(f"mean() needs a floating-point tensor, got dtype {self.dtype}")
        axes = normalize_dims(dim, self.ndim, "mean")
        a = self.data
        out = a.mean(axis=axes, keepdims=keepdim)
        shape = a.shape
        kept = kept_shape(shape, axes)
        count = a.size // max(1, int(np.prod(kept)))

        def backward(g: Any) -> tuple:
            return (array_module_of(g).broadcast_to(g.reshape(kept) / count, shape),)

        return make_result(out, (self,), backward, "mean")

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: Any = None) -> Tensor:
        """Variance over ``dim``, dividing by ``N - correction`` (as ``torch.var``).

        ``correction`` defaults to 1 (Bessel's correction); ``unbiased=False`` means ``correction=0``.
        """
        if correction is None:
            correction = 0 if unbiased is False else 1
        elif unbiased is not None:
            raise TensorTypeError("var: give either unbiased or correction, not both")
        axes = normalize_dims(dim, self.ndim, "var")
        count = self.numel() if axes is None else int(np.prod([self.shape[d] for d in axes]))
        centred = self - self.mean(dim=axes, keepdim=True)
        with np.errstate(divide="ignore", invalid="ignore"):  # N <= correction gives nan/inf, as in torch
            return (centred * centred).sum(dim=axes, keepdim=keepdim) / max(count - correction, 0)

    def _extreme(self, dim: Any, keepdim: bool, largest: bool) -> Any:
        name = "max" if largest else "min"
        a = self.data
        if a.size == 0:
            raise ShapeError(f"{name}() of an empty tensor")
        if dim is None:
            out = a.max() if largest else a.min()

            def backward_all(g: Any) -> tuple:
                mask = a == out  # ties share the gradient evenly, as torch.max() does
                return (mask * (g / mask.sum().astype(g.dtype)),)

            return make_result(out, (self,), backward_all, name)
        axis = normalize_dim(dim, self.ndim, name)
        xp = array_module_of(a)
        if a.ndim == 0:  # a 0-d tensor is its own maximum along dim 0 / -1, at index 0
            return MaxMin(make_result(a.copy(), (self,), _identity_backward, name),
                          Tensor(xp.zeros((), dtype=int64)))
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
        axes = normalize_dims(dim, self.ndim, name)
        a = self.data
        out = a.max(axis=axes, keepdims=True) if largest else a.min(axis=axes, keepdims=True)
        result = out if keepdim else out.reshape(reduced_shape(a.shape, axes))

        def backward(g: Any) -> tuple:
            mask = a == out  # ties share the gradient evenly, as torch.amax does
            count = mask.sum(axis=axes, keepdims=True).astype(g.dtype)
            return (mask * (g.reshape(out.shape) / count),)

        return make_result(result, (self,), backward, name)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return self._extreme_all(dim, keepdim, True)

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return self._extreme_all(dim, keepdim, False)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """The index of the largest element (of the flattened tensor when ``dim`` is None)."""
        return self._arg_extreme(dim, keepdim, True)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """The index of the smallest element (of the flattened tensor when ``dim`` is None)."""
        return self._arg_extreme(dim, keepdim, False)

    def _arg_extreme(self, dim: int | None, keepdim: bool, largest: bool) -> Tensor:
        if dim is not None:
            return self._extreme(dim, keepdim, largest).indices
        a = self.data
        if a.size == 0:
            raise ShapeError(f"{'argmax' if largest else 'argmin'}() of an empty tensor")
        index = (a.argmax() if largest else a.argmin()).astype(int64)
        return Tensor(index.reshape((1,) * a.ndim) if keepdim else index)

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
        """The same data with another shape, never copied: like PyTorch, a tensor whose memory
        layout does not allow that (e.g. after ``transpose``) raises; use ``reshape`` or ``contiguous()``."""
        shape = shape_args(shape)
        a = self.data
        out = backend.reshape_view(a, shape)
        if out is None:
            try:
                a.reshape(shape)
            except (ValueError, TypeError):
                raise ShapeError(f"cannot view a tensor of shape {a.shape} ({a.size} elements) as {shape}") from None
            raise ShapeError(
                f"view{shape}: the tensor of shape {a.shape} is not laid out contiguously in memory "
                "(e.g. after transpose/permute); use .reshape(...) or .contiguous().view(...)"
            )
        source = a.shape
        return make_result(out, (self,), lambda g: (g.reshape(source),), "view")

    def contiguous(self) -> Tensor:
        """Self if its data is laid out row by row in memory, else a contiguous copy (in the graph)."""
        a = self.data
        if a.flags.c_contiguous:
            return self
        return make_result(array_module_of(a).ascontiguousarray(a), (self,), _identity_backward, "contiguous")

    def is_contiguous(self) -> bool:
        return bool(self.data.flags.c_contiguous)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start = normalize_dim(start_dim, self.ndim, "flatten")
        end = normalize_dim(end_dim, self.ndim, "flatten")
        if start > end:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape
        return self.reshape(shape[:start] + (-1 if 0 not in shape else 0,) + shape[end + 1:])

    def unsqueeze(self, dim: int) -> Tensor:
        axis = normalize_dim(dim, self.ndim + 1, "unsqueeze")
        shape = self.shape
        return self.reshape(shape[:axis] + (1,) + shape[axis:])

    def squeeze(self, dim: Any = None) -> Tensor:
        shape = self.shape
        if dim is None:
            return self.reshape(tuple(s for s in shape if s != 1))
        axes = normalize_dims(dim, self.ndim, "squeeze") or ()
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
            out = array_module_of(a).broadcast_to(a, target)
        except ValueError:
            raise ShapeError(f"expand: cannot expand shape {a.shape} to {sizes}") from None
        shape = a.shape
        return make_result(out, (self,), lambda g: (unbroadcast(g, shape),), "expand")

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        d0 = normalize_dim(dim0, self.ndim, "transpose")
        d1 = normalize_dim(dim1, self.ndim, "transpose")
        if self.ndim == 0:
            return self
        out = self.data.swapaxes(d0, d1)
        return make_result(out, (self,), lambda g: (g.swapaxes(d0, d1),), "transpose")

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        if sorted(normalize_dim(d, self.ndim, "permute") for d in dims) != list(range(self.ndim)):
            raise ShapeError(f"permute: {dims} is not a permutation of the dimensions of shape {self.shape}")
        order = tuple(normalize_dim(d, self.ndim, "permute") for d in dims)
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
            xp = array_module_of(g)
            grad = xp.zeros(shape, dtype=g.dtype if g.dtype in FLOAT_DTYPES else dtype)
            if advanced:  # integer arrays may repeat an element: accumulate, do not overwrite
                xp.add.at(grad, key, g)  # numpy, and CuPy >= 13 (cupyx.scatter_add is deprecated)
            else:
                grad[key] = g
            return (grad,)

        return make_result(out, (self,), backward, "index")

    # --- elementwise functions ---------------------------------------------------------------------------
    def exp(self) -> Tensor:
        out = array_module_of(self.data).exp(self.data)
        return make_result(out, (self,), lambda g: (g * out,), "exp")

    def log(self) -> Tensor:
        a = self.data
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, log(<0) = nan, as torch
            out = array_module_of(a).log(a)
        return make_result(out, (self,), lambda g: (g / a,), "log")

    def sqrt(self) -> Tensor:
        a = self.data
        with np.errstate(invalid="ignore"):
            out = array_module_of(a).sqrt(a)
        return make_result(out, (self,), lambda g: (g / (2 * out),), "sqrt")

    def abs(self) -> Tensor:
        a = self.data
        xp = array_module_of(a)
        return make_result(xp.abs(a), (self,), lambda g: (g * xp.sign(a),), "abs")

    def __abs__(self) -> Tensor:
        return self.abs()

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        if min is None and max is None:
            raise TensorTypeError("clamp: at least one of min and max must be given")
        a = self.data
        xp = array_module_of(a)
        out = xp.clip(a, min, max)

        def backward(g: Any) -> tuple:
            inside = xp.ones(a.shape, dtype=bool)
            if min is not None:
                inside &= a >= min
            if max is not None:
                inside &= a <= max
            return (g * inside,)

        return make_result(out, (self,), backward, "clamp")

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        return self.clamp(min, max)

    def tanh(self) -> Tensor:
        out = array_module_of(self.data).tanh(self.data)
        return make_result(out, (self,), lambda g: (g * (1 - out * out),), "tanh")

    def relu(self) -> Tensor:
        a = self.data
        out = array_module_of(a).maximum(a, 0)
        return make_result(out, (self,), lambda g: (backend.relu_backward(out, g),), "relu")

    def sigmoid(self) -> Tensor:
        a = self.data
        xp = array_module_of(a)
        # 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) below: never overflows, and keeps tiny values
        # such as sigmoid(-20) = 2e-9 that 1 - (something close to 1) would round to 0 in float32
        e = xp.exp(-xp.abs(a))
        out = xp.where(a >= 0, 1, e)
        out /= 1 + e
        return make_result(out, (self,), lambda g: (g * out * (1 - out),), "sigmoid")

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        a = self.data
        xp = array_module_of(a)
        positive = a > 0
        out = xp.where(positive, a, a * negative_slope)
        return make_result(out, (self,), lambda g: (xp.where(positive, g, g * negative_slope),), "leaky_relu")

    def softmax(self, dim: int) -> Tensor:
        axis = normalize_dim(dim, self.ndim, "softmax") if self.ndim else ()
        a = self.data
        xp = array_module_of(a)
        e = xp.exp(a - a.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)

        def backward(g: Any) -> tuple:
            return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)

        return make_result(out, (self,), backward, "softmax")

    def log_softmax(self, dim: int) -> Tensor:
        axis = normalize_dim(dim, self.ndim, "log_softmax") if self.ndim else ()
        a = self.data
        xp = array_module_of(a)
        shifted = a - a.max(axis=axis, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))

        def backward(g: Any) -> tuple:
            return (g - xp.exp(out) * g.sum(axis=axis, keepdims=True),)

        return make_result(out, (self,), backward, "log_softmax")

    # --- more elementwise functions ------------------------------------------------------------------------
    def sin(self) -> Tensor:
        a = self.data
        xp = array_module_of(a)
        return make_result(xp.sin(a), (self,), lambda g: (g * xp.cos(a),), "sin")

    def cos(self) -> Tensor:
        a = self.data
        xp = array_module_of(a)
        return make_result(xp.cos(a), (self,), lambda g: (-g * xp.sin(a),), "cos")

    def rsqrt(self) -> Tensor:
        a = self.data
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 1 / array_module_of(a).sqrt(a)
        return make_result(out, (self,), lambda g: (g * (-0.5 * out * out * out),), "rsqrt")

    def sign(self) -> Tensor:
        """-1, 0 or 1 (nan stays nan); its gradient is 0, as in PyTorch."""
        return self._piecewise_constant("sign")

    def floor(self) -> Tensor:
        return self._piecewise_constant("floor")

    def ceil(self) -> Tensor:
        return self._piecewise_constant("ceil")

    def round(self, decimals: int = 0) -> Tensor:
        """Round half to even (as PyTorch); ``decimals`` places after the point."""
        return self._piecewise_constant("round", decimals=decimals)

    def _piecewise_constant(self, name: str, **kwargs: Any) -> Tensor:
        """sign/floor/ceil/round: step functions whose gradient is zero almost everywhere (PyTorch gives 0)."""
        a = self.data
        xp = array_module_of(a)
        if a.dtype.kind in "iub" and name != "sign":
            out = a.copy()
        else:
            out = getattr(xp, name)(a, **kwargs)
        return make_result(out, (self,), _zero_backward, name)

    def maximum(self, other: Any) -> Tensor:
        """The elementwise larger of two tensors (broadcast); ties share the gradient, as in PyTorch."""
        return self._extreme_pair(other, largest=True)

    def minimum(self, other: Any) -> Tensor:
        """The elementwise smaller of two tensors (broadcast); ties share the gradient, as in PyTorch."""
        return self._extreme_pair(other, largest=False)

    def _extreme_pair(self, other: Any, largest: bool) -> Tensor:
        name = "maximum" if largest else "minimum"
        if not isinstance(other, Tensor):
            other = Tensor(other, device=self.device) if is_number(other) else self._operand(other, name)
        xp = array_module_of(self.data)
        other, a, b, out = self._broadcasted(other, xp.maximum if largest else xp.minimum, name)

        def backward(g: Any) -> tuple:
            share = xp.where(a == b, g * 0.5, g)  # PyTorch's masks: each side loses where the other wins
            a_loses, b_loses = (a < b, a > b) if largest else (a > b, a < b)
            return (
                unbroadcast(xp.where(a_loses, 0, share), a.shape) if self.requires_grad else None,
                unbroadcast(xp.where(b_loses, 0, share), b.shape) if other.requires_grad else None,
            )

        return make_result(out, (self, other), backward, name)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """``value`` where ``mask`` (broadcast to this shape) is True; the gradient flows to the rest."""
        m = self._mask(mask, "masked_fill")
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
            value = value.item()
        if not is_number(value) and not isinstance(value, (bool, np.bool_)):
            raise TensorTypeError(f"masked_fill: value must be a number, got {type(value).__name__}")
        a = self.data
        xp = array_module_of(a)
        out = xp.where(m, xp.asarray(value, dtype=a.dtype), a)
        return make_result(out, (self,), lambda g: (xp.where(m, 0, g),), "masked_fill")

    def _mask(self, mask: Any, what: str) -> Any:
        """A bool array on our device that broadcasts to our shape."""
        m = mask.data if isinstance(mask, Tensor) else _index_key(mask if not isinstance(mask, list) else
                                                                   np.asarray(mask), self.data)
        m = array_module_of(self.data).asarray(m)
        if m.dtype != bool:
            raise TensorTypeError(f"{what}: mask must be a bool tensor, got dtype {m.dtype}")
        if not _broadcastable(m.shape, self.shape) or np.broadcast_shapes(m.shape, self.shape) != self.shape:
            raise ShapeError(f"{what}: mask of shape {m.shape} does not broadcast to the tensor's shape {self.shape}")
        return m

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (``torch.where(condition, self, other)``)."""
        from .functions import where

        return where(condition, self, other)

    # --- arithmetic under PyTorch's method names ---------------------------------------------------------
    def add(self, other: Any, alpha: Any = 1) -> Tensor:
        """``self + alpha * other``."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: Any = 1) -> Tensor:
        """``self - alpha * other``."""
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Tensor:
        return self * other

    def div(self, other: Any, rounding_mode: str | None = None) -> Tensor:
        """``self / other``; ``rounding_mode`` "floor" or "trunc" rounds the quotient (gradient 0, as in PyTorch).

        Rounded division of integers stays exact and integer, as ``torch.div``.
        """
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("floor", "trunc"):
            raise TensorTypeError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")
        other, a, b, out = self._broadcasted(other, _ROUNDED_DIVISION[rounding_mode], "div")
        parents = (self, other) if isinstance(other, Tensor) else (self,)
        shapes = tuple(p.shape for p in parents)
        return make_result(out, parents, lambda g: tuple(array_module_of(g).zeros(s, dtype=g.dtype) for s in shapes),
                           f"div({rounding_mode})")

    def neg(self) -> Tensor:
        return -self

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
        """Elementwise ``|self - other| <= atol + rtol * |other|`` (bool, no gradient), as ``torch.isclose``."""
        xp = array_module_of(self.data)
        return self._compare(other, lambda a, b: xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan),
                             "isclose")

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        """True when every element is close (see `isclose`)."""
        return bool(self.isclose(other, rtol, atol, equal_nan).data.all())

    # --- more reductions ------------------------------------------------------------------------------------
    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: Any = None) -> Tensor:
        """Standard deviation: the square root of `var` (same arguments)."""
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def prod(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """The product of all elements, or along one ``dim``; exact gradients even with zeros."""
        a = self.data
        xp = array_module_of(a)
        if dim is None:
            axis, flat = 0, a.reshape(-1)
        else:
            axis = normalize_dim(dim, self.ndim, "prod")
            flat = a if a.ndim else a.reshape(1)
        out = flat.prod(axis=axis, keepdims=keepdim and dim is not None)
        if dim is not None and a.ndim == 0:
            out = out.reshape(())
        source_shape = a.shape

        def backward(g: Any) -> tuple:
            # the product of all the other elements: exclusive cumulative products from both ends
            moved = xp.moveaxis(flat, axis, -1)
            if moved.shape[-1] == 0:  # an empty product is 1 and has no inputs to pass a gradient to
                return (xp.zeros(source_shape, dtype=g.dtype),)
            ones = xp.ones(moved.shape[:-1] + (1,), dtype=moved.dtype)
            left = xp.concatenate([ones, xp.cumprod(moved, axis=-1)[..., :-1]], axis=-1)
            right = xp.flip(xp.concatenate([ones, xp.cumprod(xp.flip(moved, -1), axis=-1)[..., :-1]], axis=-1), -1)
            others = xp.moveaxis(left * right, -1, axis)
            gk = g if (keepdim and dim is not None) or flat.ndim == 0 else xp.expand_dims(g, axis)
            return ((gk * others).reshape(source_shape),)

        return make_result(out, (self,), backward, "prod")

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """True where any element (along ``dim``) is nonzero; a bool tensor without gradient."""
        axes = normalize_dims(dim, self.ndim, "any")
        return make_result(self.data.any(axis=axes, keepdims=keepdim), (), _no_backward, "any")

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """True where every element (along ``dim``) is nonzero; a bool tensor without gradient."""
        axes = normalize_dims(dim, self.ndim, "all")
        return make_result(self.data.all(axis=axes, keepdims=keepdim), (), _no_backward, "all")

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        """``log(sum(exp(self), dim))`` computed without overflow; its gradient is the softmax."""
        axes = normalize_dims(dim, self.ndim, "logsumexp")
        a = self.data
        if a.dtype.kind != "f":
            a = a.astype(DEFAULT_FLOAT)
        xp = array_module_of(a)
        shift = a.max(axis=axes, keepdims=True) if a.size else xp.zeros(kept_shape(a.shape, axes), dtype=a.dtype)
        shift = xp.where(xp.isinf(shift), 0, shift)  # all -inf (or an inf) must not give inf - inf = nan
        with np.errstate(divide="ignore"):
            kept = xp.log(xp.exp(a - shift).sum(axis=axes, keepdims=True)) + shift
        out = kept if keepdim else kept.reshape(reduced_shape(a.shape, axes))

        def backward(g: Any) -> tuple:
            gk = g.reshape(kept.shape)
            with np.errstate(invalid="ignore"):
                return (gk * xp.exp(a - kept),)

        return make_result(out, (self,), backward, "logsumexp")

    def cumsum(self, dim: int) -> Tensor:
        """Running sums along ``dim``; integer and bool tensors sum in int64, as in PyTorch."""
        a = self.data
        xp = array_module_of(a)
        if a.ndim == 0:
            normalize_dim(dim, 0, "cumsum")
            return make_result(a.astype(int64) if a.dtype.kind in "iub" else a.copy(), (self,),
                               _identity_backward, "cumsum")
        axis = normalize_dim(dim, self.ndim, "cumsum")
        out = xp.cumsum(a, axis=axis, dtype=int64 if a.dtype.kind in "iub" else a.dtype)
        return make_result(out, (self,), lambda g: (xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis),),
                           "cumsum")

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        """``(values, indices)`` sorted along ``dim`` (as ``torch.sort``); the gradient flows to the picked elements."""
        return self._sorted(dim, descending, None, "sort")

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim`` (as ``torch.topk``)."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TensorTypeError(f"topk: k must be an int, got {k!r}")
        size = self.shape[normalize_dim(dim, self.ndim, "topk")] if self.ndim else 1
        if not 0 <= k <= size:
            raise ShapeError(f"topk: k={k} is out of range for a dimension of size {size}")
        return self._sorted(dim, largest, int(k), "topk")

    def _sorted(self, dim: int, descending: bool, k: int | None, name: str) -> Any:
        a = self.data
        xp = array_module_of(a)
        if a.ndim == 0:
            normalize_dim(dim, 0, name)
            return SortResult(make_result(a.copy(), (self,), _identity_backward, name),
                              Tensor(xp.zeros((), dtype=int64)))
        axis = normalize_dim(dim, self.ndim, name)
        if descending and a.dtype.kind in "fi":
            index = backend.stable_argsort(-a, axis)  # ties keep their order, as a stable sort
        else:
            index = backend.stable_argsort(a, axis)
            if descending:
                index = xp.flip(index, axis)
        if k is not None:
            index = xp.take(index, xp.arange(k), axis=axis)
        values = xp.take_along_axis(a, index, axis=axis)
        shape = a.shape

        def backward(g: Any) -> tuple:
            grad = xp.zeros(shape, dtype=g.dtype)
            _put_along_axis(grad, index, g, axis)
            return (grad,)

        return SortResult(make_result(values, (self,), backward, name), Tensor(index.astype(int64, copy=False)))

    # --- more shape operations ----------------------------------------------------------------------------
    def flip(self, *dims: Any) -> Tensor:
        """Reverse the order of elements along ``dims`` (``flip(0)`` or ``flip((0, 1))``)."""
        axes = normalize_dims(shape_args(dims), self.ndim, "flip")
        a = self.data
        xp = array_module_of(a)
        if not axes:
            return make_result(a.copy(), (self,), _identity_backward, "flip")
        return make_result(xp.flip(a, axes), (self,), lambda g: (xp.flip(g, axes),), "flip")

    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor ``sizes[i]`` times along each dimension (``torch.Tensor.repeat``)."""
        sizes = tuple(shape_args(sizes))
        if len(sizes) < self.ndim:
            raise ShapeError(f"repeat: needs at least {self.ndim} repeat counts for shape {self.shape}, got {sizes}")
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in sizes):
            raise TensorTypeError(f"repeat: counts must be non-negative ints, got {sizes}")
        a = self.data
        xp = array_module_of(a)
        base = (1,) * (len(sizes) - a.ndim) + a.shape
        out = xp.tile(a.reshape(base), sizes)
        source = a.shape

        def backward(g: Any) -> tuple:
            split = []
            for r, s in zip(sizes, base):
                split += [r, s]
            summed = g.reshape(split).sum(axis=tuple(range(0, 2 * len(sizes), 2)))
            return (summed.reshape(source),)

        return make_result(out, (self,), backward, "repeat")

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes."""
        axis = normalize_dim(dim, self.ndim, "split")
        if self.ndim == 0:
            raise ShapeError("split: a 0-d tensor cannot be split")
        size = self.shape[axis]
        if isinstance(split_size_or_sections, (int, np.integer)) and not isinstance(split_size_or_sections, bool):
            step = int(split_size_or_sections)
            if step <= 0 and size > 0:
                raise ShapeError(f"split: split_size must be positive, got {step}")
            sections = [min(step, size - start) for start in range(0, size, step)] if size else [0]
        else:
            sections = [int(s) for s in split_size_or_sections]
            if sum(sections) != size or any(s < 0 for s in sections):
                raise ShapeError(f"split: sizes {sections} do not add up to the dimension's size {size}")
        pieces, start = [], 0
        for length in sections:
            index = (slice(None),) * axis + (slice(start, start + length),)
            pieces.append(self[index])
            start += length
        return tuple(pieces)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """Split into ``chunks`` nearly equal pieces along ``dim`` (fewer if the size is small), as torch."""
        if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks <= 0:
            raise TensorTypeError(f"chunk: chunks must be a positive int, got {chunks!r}")
        size = self.shape[normalize_dim(dim, self.ndim, "chunk")] if self.ndim else 0
        return self.split(max(1, -(-size // int(chunks))), dim)

    def gather(self, dim: int, index: Any) -> Tensor:
        """``out[i][j] = self[index[i][j]][j]`` for dim 0 (and alike for other dims), as ``torch.gather``."""
        axis, idx, full_index = self._scatter_index(dim, index, "gather")
        a = self.data
        xp = array_module_of(a)
        out = a[full_index]
        shape = a.shape

        def backward(g: Any) -> tuple:
            grad = xp.zeros(shape, dtype=g.dtype)
            xp.add.at(grad, full_index, g)
            return (grad,)

        return make_result(out, (self,), backward, "gather")

    def scatter(self, dim: int, index: Any, src: Any = None, value: Any = None) -> Tensor:
        """A copy with ``src`` (or the number ``value``) written at ``index`` along ``dim`` (``torch.scatter``)."""
        return self._scatter(dim, index, src if src is not None else value, accumulate=False)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """A copy with ``src`` added at ``index`` along ``dim``; repeated indices add up (``torch.scatter_add``)."""
        return self._scatter(dim, index, src, accumulate=True)

    def _scatter(self, dim: int, index: Any, src: Any, accumulate: bool) -> Tensor:
        name = "scatter_add" if accumulate else "scatter"
        axis, idx, full_index = self._scatter_index(dim, index, name)
        a = self.data
        xp = array_module_of(a)
        if isinstance(src, Tensor):
            if src.data.__class__ is not a.__class__:
                raise DeviceError(f"{name}: tensors on different devices ({self.device} and {src.device})")
            if src.ndim != self.ndim or any(i > s for i, s in zip(idx.shape, src.shape)):
                raise ShapeError(f"{name}: index of shape {idx.shape} is bigger than src of shape {src.shape}")
            values = src.data[tuple(slice(0, n) for n in idx.shape)].astype(a.dtype, copy=False)
            parents: tuple = (self, src)
        elif is_number(src) and not accumulate:
            values, parents = xp.asarray(src, dtype=a.dtype), (self,)
        else:
            raise TensorTypeError(f"{name}: src must be a tensor{'' if accumulate else ' or a number'}, "
                                  f"got {type(src).__name__}")
        out = a.copy()
        if accumulate:
            xp.add.at(out, full_index, values)
        else:
            out[full_index] = values
        src_shape = src.shape if isinstance(src, Tensor) else None

        def backward(g: Any) -> tuple:
            if accumulate:
                g_self = g
            else:
                g_self = g.copy()
                g_self[full_index] = 0
            if len(parents) == 1:
                return (g_self,)
            g_src = xp.zeros(src_shape, dtype=g.dtype)
            g_src[tuple(slice(0, n) for n in idx.shape)] = g[full_index]
            return (g_self, g_src)

        return make_result(out, parents, backward, name)

    def _scatter_index(self, dim: int, index: Any, what: str) -> tuple[int, Any, tuple]:
        """Validate gather/scatter's ``index`` and turn it into a full advanced index into ``self``."""
        axis = normalize_dim(dim, self.ndim, what)
        idx = index.data if isinstance(index, Tensor) else _index_key(np.asarray(index), self.data)
        xp = array_module_of(self.data)
        idx = xp.asarray(idx)
        if idx.dtype.kind not in "iu":
            raise TensorTypeError(f"{what}: index must be an integer tensor, got dtype {idx.dtype}")
        if idx.ndim != max(self.ndim, 1) and not (self.ndim == 0 and idx.ndim == 0):
            raise ShapeError(f"{what}: index needs {self.ndim} dimensions like the tensor, got shape {idx.shape}")
        if self.ndim == 0:
            if idx.size and int(idx.reshape(-1)[0]) not in (0, -1):
                raise IndexError(f"{what}: index {int(idx.reshape(-1)[0])} is out of range for a 0-d tensor")
            return axis, idx, ()
        for d, (i, s) in enumerate(zip(idx.shape, self.shape)):
            if d != axis and i > s:
                raise ShapeError(f"{what}: index of shape {idx.shape} is bigger than the tensor's {self.shape} "
                                 f"outside dim {dim}")
        size = self.shape[axis]
        if idx.size and (int(idx.min()) < -size or int(idx.max()) >= size):
            raise IndexError(f"{what}: index values must be in [{-size}, {size - 1}] for dim {dim} of shape "
                             f"{self.shape}")
        grids = list(xp.ix_(*[xp.arange(n) for n in idx.shape])) if idx.ndim else []
        grids[axis] = idx % size
        return axis, idx, tuple(grids)

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dimensions (below and on ``diagonal``); the rest is 0."""
        return self._triangle(diagonal, lower=True)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dimensions (above and on ``diagonal``); the rest is 0."""
        return self._triangle(diagonal, lower=False)

    def _triangle(self, diagonal: int, lower: bool) -> Tensor:
        name = "tril" if lower else "triu"
        if self.ndim < 2:
            raise ShapeError(f"{name}: needs a tensor with at least 2 dimensions, got shape {self.shape}")
        a = self.data
        xp = array_module_of(a)
        fn = xp.tril if lower else xp.triu
        return make_result(fn(a, diagonal), (self,), lambda g: (fn(g, diagonal),), name)

    # --- in-place writes (outside autograd) ---------------------------------------------------------------
    def __setitem__(self, index: Any, value: Any) -> None:
        """Write into the tensor's data, as ``t[mask] = 0``; refused for a tensor that requires grad.

        minitorch records no in-place operations in the graph, so writing into a tensor that
        requires grad (outside ``no_grad()``) would silently corrupt gradients: it is an error.
        Writing into a tensor that an earlier op used also changes what that op's backward sees.
        """
        if self.requires_grad and GRAD_STATE.enabled:
            raise TensorTypeError(
                "in-place assignment into a tensor that requires grad is not supported (minitorch records no "
                "in-place ops); write under minitorch.no_grad(), or build a new tensor (e.g. with where/masked_fill)"
            )
        key = _index_key(index, self.data)
        if isinstance(value, Tensor):
            if value.data.__class__ is not self.data.__class__:
                raise DeviceError(f"setitem: tensors on different devices ({self.device} and {value.device})")
            value = value.data
        elif isinstance(value, engine.Scalar):
            raise mixed_engines_error("value of setitem")
        elif not is_number(value) and not isinstance(value, (bool, np.bool_)):
            value = Tensor(value, device=self.device).data
        try:
            self.data[key] = value
        except IndexError as exc:
            raise IndexError(f"index {index!r} is invalid for a tensor of shape {self.shape}: {exc}") from None
        except ValueError as exc:
            raise ShapeError(f"setitem: cannot assign a value of shape {getattr(value, 'shape', ())} "
                             f"to index {index!r} of a tensor of shape {self.shape}: {exc}") from None

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
        xp = array_module_of(self.data)
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
                data = child.data
                if child_grad.__class__ is not data.__class__ or child_grad.dtype != data.dtype:
                    # a gradient has its tensor's dtype, and is an array (not a numpy scalar)
                    child_grad = array_module_of(data).asarray(child_grad, dtype=data.dtype)
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
        if grad is upstream or grad.base is not None:
            grad = grad.copy()
        leaf.grad = grad
    else:
        previous += grad


def _identity_backward(g: Any) -> tuple:
    return (g,)


def _negate_backward(g: Any) -> tuple:
    return (-g,)


def _no_backward(g: Any) -> tuple:
    return ()


def _zero_backward(g: Any) -> tuple:
    return (array_module_of(g).zeros_like(g),)


def _put_along_axis(target: Any, index: Any, values: Any, axis: int) -> None:
    """``target[..., index, ...] = values`` along ``axis`` (numpy's put_along_axis, built from plain indexing)."""
    xp = array_module_of(target)
    grids = list(xp.ix_(*[xp.arange(n) for n in index.shape]))
    grids[axis] = index
    target[tuple(grids)] = values



def _index_key(index: Any, array: Any) -> Any:
    """Turn tensors and lists inside an index into arrays numpy/CuPy understand."""
    if isinstance(index, tuple):
        return tuple(_index_key(i, array) for i in index)
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, list):
        return array_module_of(array).asarray(index)
    if array.__class__ is not _ndarray and isinstance(index, np.ndarray):
        return array_module_of(array).asarray(index)  # a host index for a GPU tensor
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
            dtype = array.dtype if from_array and array.dtype in FLOAT_DTYPES else float32
        elif kind in "iu":
            dtype = array.dtype if from_array and array.dtype in SUPPORTED_DTYPES else int64
        elif kind == "b":
            dtype = np.dtype(np.bool_)
        elif isinstance(data, engine.Scalar) or any(isinstance(v, engine.Scalar) for v in array.reshape(-1)):
            raise mixed_engines_error("tensor data")
        else:
            raise TensorTypeError(f"tensor data must be numeric, got values of dtype {array.dtype}")
    elif kind not in "fiub":
        raise TensorTypeError(f"tensor data must be numeric, got values of dtype {array.dtype}")
    array = array.astype(dtype, copy=False)
    if target != backend.device_of(array):
        array = backend.to_device(array, target)
    return array

