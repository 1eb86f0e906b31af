"""The scalar autograd engine: a `Tensor` holds one number and remembers how it was made.

Every operation computes its value *and* its local derivatives (d out / d input) at
once, side by side, and stores them on the result. ``backward()`` then only has to
apply the chain rule: ``input.grad += local_derivative * out.grad``, walking the graph
from the result back to the leaves.

    >>> x = Tensor(2.0)
    >>> y = (x ** 2).relu()
    >>> y.backward()
    >>> x.grad
    4.0
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable
from operator import attrgetter

from .autograd import GRAD_ENABLED, enable_grad, is_grad_enabled, no_grad
from .errors import DivisionByZeroError, DomainError, TensorTypeError

__all__ = ["Tensor", "no_grad", "enable_grad", "is_grad_enabled"]

Number = int | float
_INF = float("inf")
_NAN = float("nan")
# local derivatives shared by every + and - node (d(a+b)/da = 1, d(a-b)/db = -1)
_ONE, _MINUS_ONE, _ONE_ONE, _ONE_MINUS_ONE = (1,), (-1,), (1, 1), (1, -1)
_COUNTER = itertools.count()  # creation numbers: a node is always newer than its inputs


def _as_number(value: object, what: str) -> Number:
    """Validate a plain number operand; floats and ints pass through unchanged."""
    kind = type(value)
    if kind is float or kind is int:
        return value  # type: ignore[return-value]
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Integral):
        return int(value)  # type: ignore[arg-type]
    if isinstance(value, numbers.Real):
        return float(value)
    if value is None:
        raise TensorTypeError(f"{what} must be an int or float, got None")
    if isinstance(value, str):
        raise TensorTypeError(f"{what} must be an int or float, got the string {value!r}")
    if isinstance(value, (list, tuple)) or hasattr(value, "shape"):
        raise TensorTypeError(
            f"{what} must be a single int or float, got {type(value).__name__}; "
            "the scalar engine holds one number per Tensor (use minitorch.tensor(...) for arrays)"
        )
    raise TensorTypeError(f"{what} must be an int or float, got {type(value).__name__}")


def _fmt(number: Number) -> str:
    return f"{number:g}" if isinstance(number, float) else str(number)


def _pow_value(base: Number, exponent: Number) -> Number:
    """base ** exponent with PyTorch's answers at the edges, and clear errors instead of complex numbers."""
    if base == 0 and exponent < 0:
        raise DivisionByZeroError(f"0 raised to the negative power {_fmt(exponent)} (division by zero)")
    if base < 0 and exponent != int(exponent):
        raise DomainError(
            f"negative base {_fmt(base)} raised to the non-integer power {_fmt(exponent)} has no real value"
        )
    try:
        return base**exponent
    except OverflowError:
        return _INF if base > 0 or int(exponent) % 2 == 0 else -_INF


def _pow_base_grad(base: Number, exponent: Number) -> Number:
    """d(base**n)/d(base) = n * base**(n-1); PyTorch defines it as 0 when n == 0."""
    if exponent == 0:
        return 0.0
    if base == 0 and exponent < 1:  # 0 < n < 1: the slope at 0 is infinite
        return _INF
    return exponent * _pow_value(base, exponent - 1)


def _pow_exponent_grad(base: Number, out: Number) -> float:
    """d(base**y)/dy = base**y * log(base); PyTorch masks base == 0 to 0 and gives NaN for base < 0."""
    if base > 0:
        return out * math.log(base)
    return 0.0 if base == 0 else _NAN


class Tensor:
    """A scalar value in a computation graph, with its gradient.

    ``data`` is the number, ``grad`` is d(root)/d(this) after ``root.backward()``.
    ``op`` names the operation that produced it and ``inputs`` are its operands
    (both empty for a leaf), so any graph can be walked without private fields.
    """

    __slots__ = ("data", "grad", "_prev", "_local", "_op", "_id", "label", "__weakref__")

    def __init__(self, data: Number, label: str = ""):
        if type(data) is not float and type(data) is not int:
            if isinstance(data, Tensor):
                raise TensorTypeError("Tensor(...) takes a number; to copy a Tensor use Tensor(t.data)")
            data = _as_number(data, "Tensor data")
        self.data = data
        self.grad: Number = 0
        self._prev: tuple[Tensor, ...] = ()
        self._local: tuple[Number, ...] = ()
        self._op = ""
        self._id = next(_COUNTER)
        self.label = label

    # --- read-only views of the graph -------------------------------------------------
    @property
    def op(self) -> str:
        """The operation that produced this value ('' for a leaf), e.g. '+', '*', 'tanh', '** 2'."""
        return self._op

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        """The Tensors this value was computed from (empty for a leaf)."""
        return self._prev

    @property
    def local_grads(self) -> tuple[Number, ...]:
        """d(self)/d(input) for each input, in the order of ``inputs``."""
        return self._local

    @property
    def is_leaf(self) -> bool:
        return not self._prev

    def __repr__(self) -> str:
        return f"Tensor(data={self.data}, grad={self.grad})"

    # --- arithmetic: value and local derivatives side by side ---------------------------
    def __add__(self, other: Tensor | Number) -> Tensor:
        if type(other) is Tensor:
            return _node(self.data + other.data, (self, other), _ONE_ONE, "+")
        other = _as_number(other, "operand of +")
        return _node(self.data + other, (self,), _ONE, f"+ {other!r}")

    def __radd__(self, other: Number) -> Tensor:  # number + tensor (and sum() starting at 0)
        other = _as_number(other, "operand of +")
        return _node(other + self.data, (self,), _ONE, f"{other!r} +")

    def __sub__(self, other: Tensor | Number) -> Tensor:
        if type(other) is Tensor:
            return _node(self.data - other.data, (self, other), _ONE_MINUS_ONE, "-")
        other = _as_number(other, "operand of -")
        return _node(self.data - other, (self,), _ONE, f"- {other!r}")

    def __rsub__(self, other: Number) -> Tensor:
        other = _as_number(other, "operand of -")
        return _node(other - self.data, (self,), _MINUS_ONE, f"{other!r} -")

    def __mul__(self, other: Tensor | Number) -> Tensor:
        if type(other) is Tensor:
            # d(ab)/da = b, d(ab)/db = a
            return _node(self.data * other.data, (self, other), (other.data, self.data), "*")
        other = _as_number(other, "operand of *")
        return _node(self.data * other, (self,), (other,), f"* {other!r}")

    def __rmul__(self, other: Number) -> Tensor:
        other = _as_number(other, "operand of *")
        return _node(other * self.data, (self,), (other,), f"{other!r} *")

    def __truediv__(self, other: Tensor | Number) -> Tensor:
        if type(other) is Tensor:
            b = other.data
            if b == 0:
                raise DivisionByZeroError(f"division by zero: {self.data} / {other!r}")
            # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            return _node(self.data / b, (self, other), (1 / b, -self.data / (b * b)), "/")
        other = _as_number(other, "divisor")
        if other == 0:
            raise DivisionByZeroError(f"division by zero: {self!r} / 0")
        return _node(self.data / other, (self,), (1 / other,), f"/ {other!r}")

    def __rtruediv__(self, other: Number) -> Tensor:
        other = _as_number(other, "numerator")
        b = self.data
        if b == 0:
            raise DivisionByZeroError(f"division by zero: {_fmt(other)} / {self!r}")
        return _node(other / b, (self,), (-other / (b * b),), f"{other!r} /")

    def __neg__(self) -> Tensor:
        return _node(-self.data, (self,), _MINUS_ONE, "neg")

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: Tensor | Number) -> Tensor:
        base = self.data
        if type(exponent) is Tensor:
            y = exponent.data
            out = _pow_value(base, y)
            # d(x^y)/dx = y x^(y-1), d(x^y)/dy = x^y log x
            local = (_pow_base_grad(base, y), _pow_exponent_grad(base, out))
            return _node(out, (self, exponent), local, "**")
        if not isinstance(exponent, numbers.Real):
            raise TensorTypeError(
                f"exponent must be a number or a Tensor, got {type(exponent).__name__} {exponent!r}"
            )
        n = _as_number(exponent, "exponent")
        return _node(_pow_value(base, n), (self,), (_pow_base_grad(base, n),), f"** {_fmt(n)}")

    def __rpow__(self, base: Number) -> Tensor:
        base = _as_number(base, "base of **")
        out = _pow_value(base, self.data)
        return _node(out, (self,), (_pow_exponent_grad(base, out),), f"{_fmt(base)} **")

    # --- functions and activations -------------------------------------------------------
    def exp(self) -> Tensor:
        try:
            out = math.exp(self.data)
        except OverflowError:  # PyTorch returns inf, so do we
            out = _INF
        return _node(out, (self,), (out,), "exp")  # d(e^x)/dx = e^x

    def log(self) -> Tensor:
        x = self.data
        if x <= 0:
            raise DomainError(f"log of a non-positive number ({x}): log is defined only for x > 0")
        return _node(math.log(x), (self,), (1 / x,), "log")

    def relu(self) -> Tensor:
        x = self.data
        return _node(x if x > 0 else 0, (self,), (1 if x > 0 else 0,), "relu")

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        x = self.data
        # PyTorch uses the negative slope at exactly 0
        slope = 1 if x > 0 else negative_slope
        return _node(x * slope, (self,), (slope,), "leaky_relu")

    def tanh(self) -> Tensor:
        t = math.tanh(self.data)  # math.tanh never overflows, unlike (e^2x - 1)/(e^2x + 1)
        return _node(t, (self,), (1 - t * t,), "tanh")

    def sigmoid(self) -> Tensor:
        x = self.data
        if x >= 0:
            s = 1 / (1 + math.exp(-x))
        else:  # written this way so exp never overflows for very negative x
            e = math.exp(x)
            s = e / (1 + e)
        return _node(s, (self,), (s * (1 - s),), "sigmoid")

    # --- backpropagation -------------------------------------------------------------------
    def backward(self) -> None:
        """Fill ``.grad`` of every node reachable from this one with d(self)/d(node).

        Leaf gradients accumulate across calls, as in PyTorch (zero them between steps);
        intermediate nodes are reset first, so a second ``backward()`` never double counts.

        Every node gets a creation number, and a node is always created after its inputs,
        so sorting the reachable nodes by that number, newest first, is a topological
        order: no recursion, and no per-edge bookkeeping on the hot path.
        """
        if not self._prev:  # a leaf: d(self)/d(self) = 1, accumulated like any leaf gradient
            self.grad += 1
            return
        # Pass 1: collect the reachable non-leaf nodes (the list doubles as the work queue).
        seen = {self}
        nodes = [self]
        for node in nodes:
            for child in node._prev:
                if child._prev and child not in seen:
                    seen.add(child)
                    child.grad = 0
                    nodes.append(child)
        nodes.sort(key=_creation_order, reverse=True)
        self.grad = 1
        # Pass 2: the chain rule, each node after every node that consumes it.
        for node in nodes:
            g = node.grad
            prev = node._prev
            if len(prev) == 2:
                a, b = prev
                da, db = node._local
                a.grad += da * g
                b.grad += db * g
            elif prev:
                prev[0].grad += node._local[0] * g


_creation_order = attrgetter("_id")


def _node(
    data: Number,
    inputs: tuple,
    local_grads: tuple,
    op: str,
    # bound once as locals: this function runs once per node of every graph
    _new: Callable = object.__new__,
    _recording: list = GRAD_ENABLED,
    _next_id: Callable = _COUNTER.__next__,
) -> Tensor:
    """The result of an operation: its value, its inputs and d(result)/d(input) for each.

    A plain function rather than ``Tensor.__init__``: the public constructor validates its
    argument, while operations produce numbers that are valid by construction, and this
    path runs once per node of every graph.
    """
    out = _new(Tensor)
    out.data = data
    out.grad = 0
    if _recording[0]:
        out._prev = inputs
        out._local = local_grads
    else:  # no_grad(): keep the value, forget how it was made
        out._prev = ()
        out._local = ()
    out._op = op
    out._id = _next_id()
    out.label = ""
    return out
