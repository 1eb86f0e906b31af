"""The `Tensor` class of the n-d engine: one array (numpy or CuPy) per graph node, and its ops.

It shares its autograd core with the scalar engine (`minitorch.engine`): every node keeps
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
from ..errors import DeviceError, DomainError, ShapeError, TensorTypeError
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

__all__ = ["Tensor", "MaxMin", "make_result", "is_number"]

_ndarray = np.ndarray
MaxMin = namedtuple("MaxMin", ["values", "indices"])  # what max(dim)/min(dim) return, as in torch


def mixed_engines_error(where: str) -> TensorTypeError:
    return TensorTypeError(
        f"{where}: cannot mix a scalar-engine value (minitorch.engine) with an n-d Tensor "
        "(minitorch.tensor(...)); convert one side: minitorch.tensor(s.data) turns a scalar s "
        "into an n-d Tensor, and t.item() gives the number of a one-element Tensor t"
    )


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
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1 = inf and (-1) ** 0.5 = nan, as in torch
        return base**exponent


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
        elif is_number(other):
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
        if isinstance(other, engine.Tensor):
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
        if is_number(other):
            other, _, _, out = self._broadcasted(other, operator.add, "+", reverse=True)
            return make_result(out, (self,), _identity_backward, f"{_fmt(other)} +")
        return self._operand(other, "+").__add__(self)

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
        if is_number(other):
            other, _, _, out = self._broadcasted(other, operator.sub, "-", reverse=True)
            return make_result(out, (self,), _negate_backward, f"{_fmt(other)} -")
        return self._operand(other, "-").__sub__(self)

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
        if is_number(other):
            c, _, _, out = self._broadcasted(other, operator.mul, "*", reverse=True)
            return make_result(out, (self,), lambda g: (g * c,), f"{_fmt(c)} *")
        return self._operand(other, "*").__mul__(self)

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
        if is_number(other):
            c, a, _, out = self._broadcasted(other, operator.truediv, "/", reverse=True, floating=True)
            return make_result(out, (self,), lambda g: (-g * out / a,), f"{_fmt(c)} /")
        return self._operand(other, "/").__truediv__(self)

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
        if is_number(base):
            base, exponent, _, out = self._broadcasted(base, _power, "**", reverse=True)
            return make_result(out, (self,), lambda g: (g * _pow_exponent_grad(base, exponent, out),),
                               f"{_fmt(base)} **")
        return self._operand(base, "**").__pow__(self)

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

    def var(self, dim: Any = None, keepdim: bool = False, unbiased: bool = True) -> Tensor:
        """Variance (Bessel-corrected unless ``unbiased=False``), built from differentiable ops."""
        axes = normalize_dims(dim, self.ndim, "var")
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

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
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

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
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
        else:
            raise TensorTypeError(f"tensor data must be numeric, got values of dtype {array.dtype}")
    elif kind not in "fiub":
        raise TensorTypeError(f"tensor data must be numeric, got values of dtype {array.dtype}")
    array = array.astype(dtype, copy=False)
    if target != backend.device_of(array):
        array = backend.to_device(array, target)
    return array

