"""The losses and activations of `minitorch.nn.functional` for the scalar engine.

A loss takes a list of scalars (the predictions, one per sample) and a list of numbers
or scalars (the targets)::

    loss = F.mse_loss([model(x) for x in xs], ys, reduction="sum")

Numerically delicate losses (``binary_cross_entropy_with_logits``, ``cross_entropy``,
``log_softmax``) pick, per value, the algebraically equal form whose ``exp()`` argument
is <= 0, so logits of +-1000 never overflow while the gradient still flows through
ordinary graph nodes. Import these through `minitorch.nn.functional`, which sends n-d
tensors to `minitorch.nn.tensor_functional` instead.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from ..engine import Scalar
from ..errors import ShapeError, TensorTypeError
from ._reduction import check_reduction

__all__ = [
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "softmax",
    "log_softmax",
    "l2_penalty",
    "relu",
    "tanh",
    "sigmoid",
    "leaky_relu",
]

Target = float | int | Scalar


# --- helpers ----------------------------------------------------------------------------------
def _as_list(values: Any, what: str) -> list:
    """Predictions may be one scalar or a sequence of them; always return a list."""
    if isinstance(values, Scalar):
        return [values]
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TensorTypeError(f"{what} must be a list of Scalars (minitorch.engine), got {type(values).__name__}")
    return list(values)


def _as_scalar(value: Any, what: str) -> Scalar:
    if isinstance(value, Scalar):
        return value
    raise TensorTypeError(f"{what} must be a Scalar (minitorch.engine), got {type(value).__name__} {value!r}")


def _predictions_and_targets(input: Any, target: Any, name: str) -> tuple[list[Scalar], list[Target]]:
    preds = [_as_scalar(p, f"{name}: each prediction") for p in _as_list(input, f"{name}: input")]
    if isinstance(target, (Scalar, int, float)) and not isinstance(target, bool):
        targets: list = [target]
    else:
        targets = _as_list(target, f"{name}: target")
    if len(preds) != len(targets):
        raise ShapeError(f"{name}: {len(preds)} predictions but {len(targets)} targets")
    if not preds:
        raise ShapeError(f"{name}: got no predictions (an empty batch)")
    return preds, targets


def _number(value: Target, what: str) -> float:
    """The plain value of a target (a target given as a scalar is treated as a constant)."""
    if isinstance(value, Scalar):
        return value.data
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            return float(value)  # numpy scalars
        except (TypeError, ValueError):
            raise TensorTypeError(f"{what} must be a number, got {type(value).__name__} {value!r}") from None
    return value


def _reduce_terms(terms: list[Scalar], reduction: str) -> Any:
    if reduction == "none":
        return terms
    total = sum(terms)  # starts at 0, exactly as the seed's hand-written loop
    return total if reduction == "sum" else total / len(terms)


# --- regression losses -----------------------------------------------------------------------
def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    check_reduction(reduction, "mse_loss")
    preds, targets = _predictions_and_targets(input, target, "mse_loss")
    return _reduce_terms([(p - t) ** 2 for p, t in zip(preds, targets)], reduction)


def _abs(x: Scalar) -> Scalar:
    """|x| = relu(x) + relu(-x): slope sign(x), and 0 at x == 0 as in PyTorch."""
    return x.relu() + (-x).relu()


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    check_reduction(reduction, "l1_loss")
    preds, targets = _predictions_and_targets(input, target, "l1_loss")
    return _reduce_terms([_abs(p - t) for p, t in zip(preds, targets)], reduction)


# --- classification losses -------------------------------------------------------------------
def _bce_with_logits_term(logit: Scalar, target: Target) -> Scalar:
    """max(x, 0) - x*y + log(1 + exp(-|x|)), built from engine operations.

    The branch on the sign of x only picks the algebraically equal form whose exp()
    argument is <= 0, so nothing overflows for logits of +-1000 and the gradient
    (sigmoid(x) - y) flows through ordinary graph nodes.
    """
    y = target if isinstance(target, Scalar) else _number(target, "binary_cross_entropy_with_logits: target")
    if logit.data >= 0:
        return logit - logit * y + (1 + (-logit).exp()).log()
    return (1 + logit.exp()).log() - logit * y


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Any:
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    preds, targets = _predictions_and_targets(input, target, "binary_cross_entropy_with_logits")
    return _reduce_terms([_bce_with_logits_term(p, t) for p, t in zip(preds, targets)], reduction)


def _logsumexp(row: Sequence[Scalar]) -> Scalar:
    """log(sum(exp(z))) with the largest value subtracted first, so exp() never overflows.

    The shift is a plain number: its contributions to the gradient cancel exactly, and the
    gradient that flows back to each z_i is softmax(z)_i.
    """
    top = max(z.data for z in row)
    if math.isinf(top):
        top = 0.0  # all -inf or an inf logit: let inf/nan come out as in PyTorch
    return sum((z - top).exp() for z in row).log() + top


def _rows(input: Any, name: str) -> list[list[Scalar]]:
    """A batch of logit rows (list of lists of scalars); one bare row is a batch of one."""
    items = _as_list(input, f"{name}: input")
    if not items:
        raise ShapeError(f"{name}: got no logits (an empty batch)")
    if all(isinstance(item, Scalar) for item in items):
        return [items]
    rows = [[_as_scalar(z, f"{name}: each logit") for z in _as_list(row, f"{name}: each row")] for row in items]
    widths = {len(row) for row in rows}
    if len(widths) != 1 or 0 in widths:
        raise ShapeError(f"{name}: every row of logits must have the same, non-zero length, got {sorted(widths)}")
    return rows


def log_softmax(input: Any, dim: int | None = None) -> Any:
    """z - logsumexp(z) for one row of scalars or a list of rows (``dim`` may only name the last axis)."""
    if dim not in (None, -1, 0, 1):
        raise ValueError(f"log_softmax: dim must be -1 for lists of scalars, got {dim}")
    single = all(isinstance(z, Scalar) for z in _as_list(input, "log_softmax: input"))
    out = []
    for row in _rows(input, "log_softmax"):
        lse = _logsumexp(row)
        out.append([z - lse for z in row])
    return out[0] if single else out


def softmax(input: Any, dim: int | None = None) -> Any:
    """exp(z_i - logsumexp(z)), which never overflows."""
    logs = log_softmax(input, dim)
    if logs and isinstance(logs[0], Scalar):
        return [v.exp() for v in logs]
    return [[v.exp() for v in row] for row in logs]


def cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Any:
    """``logsumexp(z) - z[target]`` per row; rows of logits and integer class indices."""
    check_reduction(reduction, "cross_entropy")
    rows = _rows(input, "cross_entropy")
    single = isinstance(target, numbers.Integral) or isinstance(target, Scalar)
    targets = [target] if single else _as_list(target, "cross_entropy: target")
    if len(targets) != len(rows):
        raise ShapeError(f"cross_entropy: {len(rows)} rows of logits but {len(targets)} targets")
    terms = []
    for row, label in zip(rows, targets):
        index = _class_index(label, len(row))
        terms.append(_logsumexp(row) - row[index])
    return _reduce_terms(terms, reduction)


def _class_index(label: Any, num_classes: int) -> int:
    if isinstance(label, Scalar):
        label = label.data
    if isinstance(label, bool) or not float(label).is_integer():
        raise TensorTypeError(f"cross_entropy: targets must be integer class indices, got {label!r}")
    index = int(label)
    if not 0 <= index < num_classes:
        raise ValueError(f"cross_entropy: target {index} is out of range for {num_classes} classes")
    return index


def hinge_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    check_reduction(reduction, "hinge_loss")
    preds, targets = _predictions_and_targets(input, target, "hinge_loss")
    return _reduce_terms([(1 - t * p if isinstance(t, Scalar) else 1 - _number(t, "hinge_loss: target") * p).relu()
                          for p, t in zip(preds, targets)], reduction)


def l2_penalty(parameters: list[Scalar], alpha: float = 1.0) -> Any:
    return alpha * sum(p * p for p in parameters)


# --- activations -------------------------------------------------------------------------------
def _elementwise(input: Any, method: str, *args: Any) -> Any:
    if isinstance(input, Scalar):
        return getattr(input, method)(*args)
    return [_elementwise(v, method, *args) for v in _as_list(input, f"{method}: input")]


def relu(input: Any) -> Any:
    return _elementwise(input, "relu")


def tanh(input: Any) -> Any:
    return _elementwise(input, "tanh")


def sigmoid(input: Any) -> Any:
    return _elementwise(input, "sigmoid")


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Any:
    return _elementwise(input, "leaky_relu", negative_slope)
