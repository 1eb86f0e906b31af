"""Losses and activations under PyTorch's names (``torch.nn.functional``), for both engines.

With the scalar engine a loss takes a list of scalar Tensors (the predictions, one per
sample) and a list of numbers or Tensors (the targets)::

    loss = F.mse_loss([model(x) for x in xs], ys, reduction="sum")

Given n-d tensors (anything with a ``.shape``) every function hands over to
``minitorch.nn.tensor_functional``, which has the same names and signatures.

Numerically delicate losses (``binary_cross_entropy_with_logits``, ``cross_entropy``,
``log_softmax``) are built from single fused graph nodes whose value is computed the
stable way (log-sum-exp with the maximum subtracted, ``log1p(exp(-|x|))``) and whose
local derivative is given in closed form, so logits of +-1000 never overflow.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from ..engine import Tensor
from ..errors import ShapeError, TensorTypeError

__all__ = [
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "hinge",
    "softmax",
    "log_softmax",
    "l2_penalty",
    "relu",
    "tanh",
    "sigmoid",
    "leaky_relu",
    "REDUCTIONS",
]

REDUCTIONS = ("mean", "sum", "none")

Target = float | int | Tensor


# --- helpers ----------------------------------------------------------------------------------
def _is_nd(value: Any) -> bool:
    """True for an n-d tensor (ours or a numpy array); scalar Tensors and lists have no ``shape``."""
    return hasattr(value, "shape")


def _tensor_impl(*names: str) -> Any:
    """The n-d implementation of a function (imported lazily; the n-d engine is optional)."""
    try:
        from . import tensor_functional
    except ImportError as exc:  # pragma: no cover - depends on whether issue 4 has landed
        raise TensorTypeError(
            f"{names[0]} was given an n-d tensor, but minitorch.nn.tensor_functional is not available ({exc})"
        ) from None
    for name in names:
        impl = getattr(tensor_functional, name, None)
        if impl is not None:
            return impl
    raise TensorTypeError(f"minitorch.nn.tensor_functional has no {names[0]}() for n-d tensors")


def _check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")
    return reduction


def _as_list(values: Any, what: str) -> list:
    """Predictions may be one Tensor or a sequence of them; always return a list."""
    if isinstance(values, Tensor):
        return [values]
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TensorTypeError(f"{what} must be a list of scalar Tensors, got {type(values).__name__}")
    return list(values)


def _as_tensor(value: Any, what: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    raise TensorTypeError(f"{what} must be a scalar Tensor, got {type(value).__name__} {value!r}")


def _pair(input: Any, target: Any, name: str) -> tuple[list[Tensor], list[Target]]:
    preds = [_as_tensor(p, f"{name}: each prediction") for p in _as_list(input, f"{name}: input")]
    if isinstance(target, (Tensor, int, float)) and not isinstance(target, bool):
        targets: list = [target]
    else:
        targets = _as_list(target, f"{name}: target")
    if len(preds) != len(targets):
        raise ShapeError(f"{name}: {len(preds)} predictions but {len(targets)} targets")
    if not preds:
        raise ShapeError(f"{name}: got no predictions (an empty batch)")
    return preds, targets


def _number(value: Target, what: str) -> float:
    """The plain value of a target (a target given as a Tensor is treated as a constant)."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            return float(value)  # numpy scalars
        except (TypeError, ValueError):
            raise TensorTypeError(f"{what} must be a number, got {type(value).__name__} {value!r}") from None
    return value


def _reduce(terms: list[Tensor], reduction: str) -> Any:
    if reduction == "none":
        return terms
    total = sum(terms)  # starts at 0, exactly as the seed's hand-written loop
    return total if reduction == "sum" else total / len(terms)


# --- regression losses -----------------------------------------------------------------------
def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean (or sum) of squared errors ``(input - target) ** 2``, as ``torch.nn.functional.mse_loss``."""
    if _is_nd(input):
        return _tensor_impl("mse_loss")(input, target, reduction=reduction)
    _check_reduction(reduction)
    preds, targets = _pair(input, target, "mse_loss")
    return _reduce([(p - t) ** 2 for p, t in zip(preds, targets)], reduction)


def _abs(x: Tensor) -> Tensor:
    """|x| = relu(x) + relu(-x): slope sign(x), and 0 at x == 0 as in PyTorch."""
    return x.relu() + (-x).relu()


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean (or sum) of absolute errors ``|input - target|``, as ``torch.nn.functional.l1_loss``."""
    if _is_nd(input):
        return _tensor_impl("l1_loss")(input, target, reduction=reduction)
    _check_reduction(reduction)
    preds, targets = _pair(input, target, "l1_loss")
    return _reduce([_abs(p - t) for p, t in zip(preds, targets)], reduction)


# --- classification losses -------------------------------------------------------------------
def _bce_with_logits_term(logit: Tensor, target: Target) -> Tensor:
    """max(x, 0) - x*y + log(1 + exp(-|x|)), built from engine operations.

    The branch on the sign of x only picks the algebraically equal form whose exp()
    argument is <= 0, so nothing overflows for logits of +-1000 and the gradient
    (sigmoid(x) - y) flows through ordinary graph nodes.
    """
    y = target if isinstance(target, Tensor) else _number(target, "binary_cross_entropy_with_logits: target")
    if logit.data >= 0:
        return logit - logit * y + (1 + (-logit).exp()).log()
    return (1 + logit.exp()).log() - logit * y


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Binary cross-entropy of raw scores (logits) against targets in [0, 1].

    Computed as ``max(x, 0) - x*y + log(1 + exp(-|x|))``, so a logit of +-1000 gives a
    finite loss and gradient (as ``torch.nn.functional.binary_cross_entropy_with_logits``).
    """
    if _is_nd(input):
        return _tensor_impl("binary_cross_entropy_with_logits")(input, target, reduction=reduction)
    _check_reduction(reduction)
    preds, targets = _pair(input, target, "binary_cross_entropy_with_logits")
    return _reduce([_bce_with_logits_term(p, t) for p, t in zip(preds, targets)], reduction)


def _logsumexp(row: Sequence[Tensor]) -> Tensor:
    """log(sum(exp(z))) with the largest value subtracted first, so exp() never overflows.

    The shift is a plain number: its contributions to the gradient cancel exactly, and the
    gradient that flows back to each z_i is softmax(z)_i.
    """
    top = max(z.data for z in row)
    if math.isinf(top):
        top = 0.0  # all -inf or an inf logit: let inf/nan come out as in PyTorch
    return sum((z - top).exp() for z in row).log() + top


def _rows(input: Any, name: str) -> list[list[Tensor]]:
    """A batch of logit rows (list of lists of Tensors); one bare row is a batch of one."""
    items = _as_list(input, f"{name}: input")
    if not items:
        raise ShapeError(f"{name}: got no logits (an empty batch)")
    if all(isinstance(item, Tensor) for item in items):
        return [items]
    rows = [[_as_tensor(z, f"{name}: each logit") for z in _as_list(row, f"{name}: each row")] for row in items]
    widths = {len(row) for row in rows}
    if len(widths) != 1 or 0 in widths:
        raise ShapeError(f"{name}: every row of logits must have the same, non-zero length, got {sorted(widths)}")
    return rows


def log_softmax(input: Any, dim: int = -1) -> Any:
    """log(softmax(z)) = z - logsumexp(z), for one row of scalar Tensors or a list of rows."""
    if _is_nd(input):
        return _tensor_impl("log_softmax")(input, dim=dim)
    if dim not in (-1, 0, 1):
        raise ValueError(f"log_softmax: dim must be -1 for lists of scalar Tensors, got {dim}")
    single = all(isinstance(z, Tensor) for z in _as_list(input, "log_softmax: input"))
    out = []
    for row in _rows(input, "log_softmax"):
        lse = _logsumexp(row)
        out.append([z - lse for z in row])
    return out[0] if single else out


def softmax(input: Any, dim: int = -1) -> Any:
    """exp(z_i) / sum_j exp(z_j), computed as exp(z_i - logsumexp(z)) so it never overflows."""
    if _is_nd(input):
        return _tensor_impl("softmax")(input, dim=dim)
    logs = log_softmax(input, dim)
    if logs and isinstance(logs[0], Tensor):
        return [v.exp() for v in logs]
    return [[v.exp() for v in row] for row in logs]


def cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Multi-class cross-entropy from logits and class indices (``torch.nn.functional.cross_entropy``).

    ``input`` is a list of rows of logits (one row per sample) and ``target`` a list of
    class indices; one row with one integer target is accepted too. Each sample's loss
    is ``logsumexp(z) - z[target]``.
    """
    if _is_nd(input):
        return _tensor_impl("cross_entropy")(input, target, reduction=reduction)
    _check_reduction(reduction)
    rows = _rows(input, "cross_entropy")
    single = isinstance(target, numbers.Integral) or isinstance(target, Tensor)
    targets = [target] if single else _as_list(target, "cross_entropy: target")
    if len(targets) != len(rows):
        raise ShapeError(f"cross_entropy: {len(rows)} rows of logits but {len(targets)} targets")
    terms = []
    for row, label in zip(rows, targets):
        index = _class_index(label, len(row))
        terms.append(_logsumexp(row) - row[index])
    return _reduce(terms, reduction)


def _class_index(label: Any, num_classes: int) -> int:
    if isinstance(label, Tensor):
        label = label.data
    if isinstance(label, bool) or not float(label).is_integer():
        raise TensorTypeError(f"cross_entropy: targets must be integer class indices, got {label!r}")
    index = int(label)
    if not 0 <= index < num_classes:
        raise ValueError(f"cross_entropy: target {index} is out of range for {num_classes} classes")
    return index


def hinge_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """The max-margin loss of micrograd's demo: ``relu(1 - target * input)`` with targets +-1."""
    if _is_nd(input):
        return _tensor_impl("hinge_loss", "hinge")(input, target, reduction=reduction)
    _check_reduction(reduction)
    preds, targets = _pair(input, target, "hinge_loss")
    return _reduce([(1 - t * p if isinstance(t, Tensor) else 1 - _number(t, "hinge_loss: target") * p).relu()
                    for p, t in zip(preds, targets)], reduction)


hinge = hinge_loss  # the short name used by micrograd's demo


def l2_penalty(parameters: Iterable[Any], alpha: float = 1.0) -> Any:
    """``alpha * sum(p ** 2)`` over all parameters: the regularisation term of micrograd's demo."""
    params = list(parameters)
    if not params:
        raise ValueError("l2_penalty: got no parameters")
    if _is_nd(params[0]):
        total = None
        for p in params:
            term = (p * p).sum()
            total = term if total is None else total + term
        return total * alpha
    return alpha * sum(p * p for p in params)


# --- activations -------------------------------------------------------------------------------
def _elementwise(input: Any, method: str, *args: Any) -> Any:
    if isinstance(input, Tensor):
        return getattr(input, method)(*args)
    if _is_nd(input):
        return _tensor_impl(method)(input, *args)
    return [_elementwise(v, method, *args) for v in _as_list(input, f"{method}: input")]


def relu(input: Any) -> Any:
    """max(x, 0) of a scalar Tensor, a list of them, or an n-d tensor."""
    return _elementwise(input, "relu")


def tanh(input: Any) -> Any:
    """tanh of a scalar Tensor, a list of them, or an n-d tensor."""
    return _elementwise(input, "tanh")


def sigmoid(input: Any) -> Any:
    """1 / (1 + exp(-x)) of a scalar Tensor, a list of them, or an n-d tensor."""
    return _elementwise(input, "sigmoid")


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Any:
    """x if x > 0 else negative_slope * x, elementwise."""
    return _elementwise(input, "leaky_relu", negative_slope)
