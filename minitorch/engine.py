"""The scalar autograd engine: a `Scalar` holds one number and remembers how it was made.

Every operation computes its value *and* its local derivatives (d out / d input) at
once, side by side, and stores them on the result. ``backward()`` then only has to
apply the chain rule: ``input.grad += local_derivative * out.grad``, walking the graph
from the result back to the leaves.

    >>> x = Scalar(2.0)
    >>> y = (x ** 2).relu()
    >>> y.backward()
    >>> x.grad
    4.0

Comparisons: ``<``, ``<=``, ``>`` and ``>=`` compare the values and return a plain ``bool``
(no graph: a comparison has no derivative), so ``if loss < 0.01:`` works as in micrograd.
``==`` and ``hash`` are deliberately *identity*, like Python objects and micrograd's
``Value``: graph nodes are kept in sets and dict keys (the backward pass, the graph
drawings), and two different nodes that happen to hold the same number must stay two
nodes. Compare values with ``a.data == b.data``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from .autograd import GRAD_STATE, THREADS_WITHOUT_GRAD, enable_grad, is_grad_enabled, no_grad
from .errors import DivisionByZeroError, DomainError, TensorTypeError, mixed_engines_error

__all__ = ["Scalar", "Tensor", "no_grad", "enable_grad", "is_grad_enabled"]

Number = int | float
_INF = float("inf")
_new = object.__new__
_NAN = float("nan")


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
    if _is_nd_tensor(value):
        raise mixed_engines_error(what)
    if isinstance(value, (list, tuple)) or hasattr(value, "shape"):
        raise TensorTypeError(
            f"{what} must be a single int or float, got {type(value).__name__}; "
            "the scalar engine holds one number per Scalar (use minitorch.tensor(...) for arrays)"
        )
    raise TensorTypeError(f"{what} must be an int or float, got {type(value).__name__}")


def _is_nd_tensor(value: object) -> bool:
    """True for the n-d engine's tensor or a subclass such as ``nn.Parameter`` (checked by
    name: the engine never imports ndtensor)."""
    return any(kind.__name__ == "Tensor" and kind.__module__.startswith("minitorch.")
               for kind in type(value).__mro__)


def _compared(other: object, op: str) -> Number:
    return other.data if type(other) is Scalar else _as_number(other, f"operand of {op}")  # type: ignore[union-attr]


def _fmt(number: Number) -> str:
    return f"{number:g}" if isinstance(number, float) else str(number)


class _MaskedZero(float):
    """A local derivative of 0 that *masks* the incoming gradient: 0 x inf gives 0 here, not NaN.

    PyTorch applies relu's gradient, and the zero derivatives of ``x ** 0`` and ``0 ** y``, as a
    mask (``where(mask, 0, grad)``) rather than a product, so an infinite gradient arriving at a
    clipped relu never reaches its input. Ordinary zeros (``x * 0``) still give NaN there, as in
    PyTorch. Multiplying by it returns int 0, so integer gradients stay integers.
    """

    __slots__ = ()

    def __mul__(self, other: object) -> int:
        return 0

    __rmul__ = __mul__


class _DivideBy(float):
    """The local derivative 1/b of a division when 1/b overflows (b subnormal).

    PyTorch applies such derivatives as ``grad / b``; with 1/b = inf stored, ``grad * inf``
    would lose every finite answer (``log(y) * 1e-10`` at y = 1e-310 has gradient 1e300).
    """

    __slots__ = ("divisor",)

    def __new__(cls, divisor: float) -> _DivideBy:
        self = float.__new__(cls, _INF if divisor > 0 else -_INF)
        self.divisor = divisor
        return self

    def __mul__(self, other: object) -> float:
        return other / self.divisor  # type: ignore[operator]

    __rmul__ = __mul__


_MASKED_ZERO = _MaskedZero(0.0)


def _reciprocal(b: Number) -> Number:
    """1/b as a local derivative, applied as a division when 1/b overflows."""
    r = 1 / b
    return _DivideBy(b) if r == _INF or r == -_INF else r


def _pow_value(base: Number, exponent: Number) -> Number:
    """base ** exponent with PyTorch's answers at the edges, and clear errors instead of complex numbers."""
    if base == 0 and exponent < 0:
        raise DivisionByZeroError(f"0 raised to the negative power {_fmt(exponent)} (division by zero)")
    if exponent != exponent or exponent == _INF or exponent == -_INF:
        return math.pow(base, exponent)  # C99 rules, as PyTorch: (-2)**inf = inf, (-2)**nan = nan, 1**nan = 1
    if base < 0 and exponent != int(exponent):
        raise DomainError(
            f"negative base {_fmt(base)} raised to the non-integer power {_fmt(exponent)} has no real value"
        )
    try:
        return base**exponent
    except OverflowError:
        return _INF if base > 0 or int(exponent) % 2 == 0 else -_INF


def _pow_base_grad(base: Number, exponent: Number) -> Number:
    """d(base**n)/d(base) = n * base**(n-1); PyTorch masks it to 0 where n == 0."""
    if exponent == 0:
        return _MASKED_ZERO
    if base == 0 and exponent < 1:  # 0 < n < 1: the slope at 0 is infinite
        return _INF
    return exponent * _pow_value(base, exponent - 1)


def _pow_exponent_grad(base: Number, exponent: Number, out: Number) -> Number:
    """d(base**y)/dy = base**y * log(base); PyTorch masks it to 0 where base == 0 and y >= 0
    and gives NaN for base < 0."""
    if base > 0:
        return out * math.log(base)
    if base == 0 and exponent >= 0:
        return _MASKED_ZERO
    return _NAN


class _Named:
    """The ``_op`` of a Scalar that has a label: its operation and its name together.

    Few nodes are named (the leaves of an expression, a drawing's inputs), so the name
    lives here instead of in a slot every node would pay for.
    """

    __slots__ = ("op", "label")

    def __init__(self, op: str, label: str):
        self.op = op
        self.label = label


class Scalar:
    """A scalar value in a computation graph, with its gradient.

    ``data`` is the number, ``grad`` is d(root)/d(this) after ``root.backward()``.
    ``op`` names the operation that produced it and ``inputs`` are its operands
    (both empty for a leaf), so any graph can be walked without private fields.
    """

    # Inputs and their local derivatives live in slots rather than tuples: one allocation per
    # node instead of three, which is most of the cost of building a graph in Python.
    # Eight slots make a node 96 bytes with the collector's header (ten made 112): a training
    # step builds tens of thousands of nodes, and the cyclic collector and the backward pass
    # read every one of them, so a smaller node is a faster step. Hence no ``__weakref__`` and
    # no label slot: the rare named node keeps its name in ``_op`` (see `_Named`).
    __slots__ = ("data", "grad", "_a", "_da", "_b", "_db", "_op", "_visited")

    def __init__(self, data: Number, label: str = ""):
        if type(data) is not float and type(data) is not int:
            if isinstance(data, Scalar):
                raise TensorTypeError("Scalar(...) takes a number; to copy a Scalar use Scalar(t.data)")
            if _is_nd_tensor(data):
                raise mixed_engines_error("Scalar(...)")
            data = _as_number(data, "Scalar data")
        self.data = data
        self.grad: Number = 0
        self._a: Scalar | None = None  # first input (None for a leaf)
        self._da: Number = 0  # d(self)/d(first input)
        self._b: Scalar | None = None  # second input, for binary operations
        self._db: Number = 0
        self._op = _Named("", label) if label else ""
        self._visited = None  # used only by backward()

    # --- read-only views of the graph -------------------------------------------------
    @property
    def op(self) -> str:
        """The operation that produced this value ('' for a leaf), e.g. '+', '*', 'tanh', '** 2'."""
        op = self._op
        if op.__class__ is _Named:
            op = op.op
        if "{" in op:  # a template around the constant operand, formatted only when someone asks
            c = self._db  # where an operation with a number keeps it (see _node)
            return op.format(c=c, short=_fmt(c))
        return op

    @property
    def inputs(self) -> tuple[Scalar, ...]:
        """The Scalars this value was computed from (empty for a leaf)."""
        if self._a is None:
            return ()
        return (self._a,) if self._b is None else (self._a, self._b)

    _prev = inputs  # the name minitorch.autograd's graph walkers use for both engines

    @property
    def local_grads(self) -> tuple[Number, ...]:
        """d(self)/d(input) for each input, in the order of ``inputs``."""
        if self._a is None:
            return ()
        return (self._da,) if self._b is None else (self._da, self._db)

    @property
    def label(self) -> str:
        """A name for drawings ('' unless given, e.g. ``Scalar(2.0, label="x")``)."""
        op = self._op
        return op.label if op.__class__ is _Named else ""

    @label.setter
    def label(self, name: str) -> None:
        op = self._op
        self._op = _Named(op.op if op.__class__ is _Named else op, name)

    @property
    def is_leaf(self) -> bool:
        return self._a is None

    def __repr__(self) -> str:
        return f"Scalar(data={self.data}, grad={self.grad})"

    # --- comparisons: values only, no graph (== stays identity; see the module docstring) --
    def __lt__(self, other: Scalar | Number) -> bool:
        return self.data < _compared(other, "<")

    def __le__(self, other: Scalar | Number) -> bool:
        return self.data <= _compared(other, "<=")

    def __gt__(self, other: Scalar | Number) -> bool:
        return self.data > _compared(other, ">")

    def __ge__(self, other: Scalar | Number) -> bool:
        return self.data >= _compared(other, ">=")

    # --- arithmetic: value and local derivatives side by side ---------------------------
    def __add__(self, other: Scalar | Number) -> Scalar:
        if type(other) is Scalar:
            if THREADS_WITHOUT_GRAD.count:  # some thread is in no_grad(): _node checks which
                return _node(self.data + other.data, "+", self, 1, other, 1)
            # Written out rather than calling _node, as in __mul__: the two operations of every
            # weighted sum make nearly all of a network's nodes, and the call costs a fifth of each.
            out = _new(Scalar)
            out.data = self.data + other.data
            out._a, out._da = self, 1  # d(a+b)/da = 1
            out._b, out._db = other, 1  # d(a+b)/db = 1
            out.grad, out._op, out._visited = 0, "+", None
            return out
        other = _as_number(other, "operand of +")
        return _node(self.data + other, "+ {c!r}", self, 1, constant=other)

    def __radd__(self, other: Number) -> Scalar:  # number + tensor (and sum() starting at 0)
        other = _as_number(other, "operand of +")
        return _node(other + self.data, "{c!r} +", self, 1, constant=other)

    def __sub__(self, other: Scalar | Number) -> Scalar:
        if type(other) is Scalar:
            return _node(self.data - other.data, "-", self, 1, other, -1)
        other = _as_number(other, "operand of -")
        return _node(self.data - other, "- {c!r}", self, 1, constant=other)

    def __rsub__(self, other: Number) -> Scalar:
        other = _as_number(other, "operand of -")
        return _node(other - self.data, "{c!r} -", self, -1, constant=other)

    def __mul__(self, other: Scalar | Number) -> Scalar:
        if type(other) is Scalar:
            if THREADS_WITHOUT_GRAD.count:  # some thread is in no_grad(): _node checks which
                return _node(self.data * other.data, "*", self, other.data, other, self.data)
            out = _new(Scalar)  # _node written out, as in __add__
            out.data = self.data * other.data
            out._a, out._da = self, other.data  # d(ab)/da = b
            out._b, out._db = other, self.data  # d(ab)/db = a
            out.grad, out._op, out._visited = 0, "*", None
            return out
        other = _as_number(other, "operand of *")
        return _node(self.data * other, "* {c!r}", self, other, constant=other)

    def __rmul__(self, other: Number) -> Scalar:
        other = _as_number(other, "operand of *")
        return _node(other * self.data, "{c!r} *", self, other, constant=other)

    def __truediv__(self, other: Scalar | Number) -> Scalar:
        if type(other) is Scalar:
            b = other.data
            if b == 0:
                raise DivisionByZeroError(f"division by zero: {self.data} / {other!r}")
            # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 (as -(a/b)/b: b*b underflows for tiny b)
            q = self.data / b
            return _node(q, "/", self, _reciprocal(b), other, -q / b)
        other = _as_number(other, "divisor")
        if other == 0:
            raise DivisionByZeroError(f"division by zero: {self!r} / 0")
        return _node(self.data / other, "/ {c!r}", self, _reciprocal(other), constant=other)

    def __rtruediv__(self, other: Number) -> Scalar:
        other = _as_number(other, "numerator")
        b = self.data
        if b == 0:
            raise DivisionByZeroError(f"division by zero: {_fmt(other)} / {self!r}")
        q = other / b
        return _node(q, "{c!r} /", self, -q / b, constant=other)  # d(c/b)/db = -c/b^2, without b*b underflowing

    def __neg__(self) -> Scalar:
        return _node(-self.data, "neg", self, -1)

    def __pos__(self) -> Scalar:
        return self

    def __pow__(self, exponent: Scalar | Number) -> Scalar:
        base = self.data
        if type(exponent) is Scalar:
            y = exponent.data
            out = _pow_value(base, y)
            # d(x^y)/dx = y x^(y-1), d(x^y)/dy = x^y log x
            return _node(out, "**", self, _pow_base_grad(base, y), exponent, _pow_exponent_grad(base, y, out))
        if not isinstance(exponent, numbers.Real) and not _is_nd_tensor(exponent):
            raise TensorTypeError(
                f"exponent must be a number or a Scalar, got {type(exponent).__name__} {exponent!r}"
            )
        n = _as_number(exponent, "exponent")
        return _node(_pow_value(base, n), "** {short}", self, _pow_base_grad(base, n), constant=n)

    def __rpow__(self, base: Number) -> Scalar:
        base = _as_number(base, "base of **")
        out = _pow_value(base, self.data)
        return _node(out, "{short} **", self, _pow_exponent_grad(base, self.data, out), constant=base)

    # --- functions and activations -------------------------------------------------------
    def exp(self) -> Scalar:
        try:
            out = math.exp(self.data)
        except OverflowError:  # PyTorch returns inf, so do we
            out = _INF
        return _node(out, "exp", self, out)  # d(e^x)/dx = e^x

    def log(self) -> Scalar:
        x = self.data
        if x <= 0:
            raise DomainError(f"log of a non-positive number ({x}): log is defined only for x > 0")
        return _node(math.log(x), "log", self, _reciprocal(x))

    def relu(self) -> Scalar:
        x = self.data
        if x <= 0:  # the gradient is masked off (never 0 x inf = NaN), as in PyTorch
            return _node(0, "relu", self, _MASKED_ZERO)
        return _node(x, "relu", self, 1)  # also for NaN: relu(nan) = nan with slope 1, as in PyTorch

    def leaky_relu(self, negative_slope: float = 0.01) -> Scalar:
        x = self.data
        # PyTorch uses the negative slope at exactly 0
        slope = 1 if x > 0 else negative_slope
        return _node(x * slope, "leaky_relu", self, slope)

    def tanh(self) -> Scalar:
        t = math.tanh(self.data)  # math.tanh never overflows, unlike (e^2x - 1)/(e^2x + 1)
        return _node(t, "tanh", self, 1 - t * t)

    def sigmoid(self) -> Scalar:
        x = self.data
        if x >= 0:
            s = 1 / (1 + math.exp(-x))
        else:  # written this way so exp never overflows for very negative x
            e = math.exp(x)
            s = e / (1 + e)
        return _node(s, "sigmoid", self, s * (1 - s))

    # --- backpropagation -------------------------------------------------------------------
    def backward(self) -> None:
        """Fill ``.grad`` of every node reachable from this one with d(self)/d(node).

        Leaf gradients accumulate across calls, as in PyTorch (zero them between steps);
        intermediate nodes are reset first, so a second ``backward()`` never double counts.

        Pass 1 walks the graph depth first, without recursion, and lists each non-leaf node
        after all of its inputs (a topological order). Pass 2 walks that list backwards and
        applies the chain rule: a node passes its gradient on only after every node that
        consumes it has passed on its own.
        """
        if self._a is None:  # a leaf: d(self)/d(self) = 1, accumulated like any leaf gradient
            self.grad += 1
            return
        # A fresh mark for this call: a node is visited once it holds it, so no mark needs
        # clearing afterwards (not even when an interrupt stops the walk halfway).
        visited = object()
        self._visited = visited
        order: list[Scalar] = []
        listed = order.append
        path: list[Scalar] = []  # the consumers whose inputs are being visited, innermost last
        descend = path.append
        back_up = path.pop
        node = self
        while True:
            a = node._a
            if a._visited is not visited and a._a is not None:  # leaves are never listed
                a._visited = visited
                a.grad = 0
                descend(node)
                node = a
                continue
            b = node._b
            if b is not None and b._visited is not visited and b._a is not None:
                b._visited = visited
                b.grad = 0
                descend(node)
                node = b
                continue
            listed(node)  # all of its inputs are listed before it
            if not path:
                break
            node = back_up()
        self.grad = 1
        for node in reversed(order):
            g = node.grad
            node._a.grad += node._da * g
            b = node._b
            if b is not None:
                b.grad += node._db * g


# The seed's name for the scalar class: ``from minitorch.engine import Tensor`` keeps working.
# Inside the package it is called Scalar, so it is never confused with the n-d minitorch.Tensor.
Tensor = Scalar



def _node(
    data: Number,
    op: str,
    a: Scalar,
    da: Number,
    b: Scalar | None = None,
    db: Number = 0,
    constant: Number = 0,
    # bound once as locals: this function runs once per node of every graph
    _new: Callable = object.__new__,
    _grad_state: Any = GRAD_STATE,
    _threads_without_grad: Any = THREADS_WITHOUT_GRAD,
) -> Scalar:
    """The result ``data`` of operation ``op`` on input ``a`` (and ``b``), with the local
    derivatives d(result)/da = ``da`` and d(result)/db = ``db``.

    For an operation with a number (``x * 2.5``), ``op`` is a template such as ``"* {c!r}"``
    and ``constant`` the number: such a node has no second input, so the number waits in the
    second input's slot ``_db`` until `Scalar.op` formats the label, if anyone ever asks
    (most graphs are never drawn). No (template, number) tuple per node: the collector
    would track every one of them.

    A plain function rather than ``Scalar.__init__``: the public constructor validates its
    argument, while operations produce numbers that are valid by construction, and this
    path runs once per node of every graph.
    """
    out = _new(Scalar)
    out.data = data
    out.grad = 0
    if _threads_without_grad.count and not _grad_state.enabled:  # no_grad(): keep only the value
        out._a = None
        out._da = 0
        out._b = None
        out._db = constant
    else:
        out._a = a
        out._da = da
        out._b = b
        out._db = db if b is not None else constant
    out._op = op
    out._visited = None
    return out
