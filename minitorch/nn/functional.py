"""``torch.nn.functional`` under its names: ``import minitorch.nn.functional as F``.

This is the one functional namespace of minitorch. Every function works on n-d tensors
(`minitorch.Tensor`); the losses and activations that the seed's scalar networks use
also take lists of scalars (`minitorch.engine`) and look at their input to pick the
engine::

    F.cross_entropy(model(x), y)                           # n-d tensors
    F.mse_loss([mlp(x) for x in xs], ys, reduction="sum")  # lists of scalars

The implementations live in two modules with the same names and signatures, one per
engine: `minitorch.nn.tensor_functional` (fused n-d ops, each one graph node with a
hand-written backward) and `minitorch.nn.scalar_functional`.
"""

from __future__ import annotations

from typing import Any

from ..errors import TensorTypeError
from ..ndtensor import Tensor
from . import scalar_functional, tensor_functional
from ._reduction import REDUCTIONS
from .tensor_functional import (
    avg_pool2d,
    batch_norm,
    binary_cross_entropy,
    conv2d,
    dropout,
    elu,
    embedding,
    gelu,
    layer_norm,
    linear,
    max_pool2d,
    nll_loss,
    one_hot,
    pad,
    silu,
    softplus,
)

__all__ = [
    # layers
    "linear",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "batch_norm",
    "layer_norm",
    "dropout",
    "embedding",
    "pad",
    "one_hot",
    # activations
    "relu",
    "tanh",
    "sigmoid",
    "leaky_relu",
    "softmax",
    "log_softmax",
    "gelu",
    "silu",
    "elu",
    "softplus",
    # losses
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "hinge_loss",
    "l2_penalty",
    "REDUCTIONS",
]


def _engine_of(input: Any, name: str) -> Any:
    """The implementation module for ``input``: n-d tensors or (lists of) scalars."""
    if isinstance(input, Tensor):
        return tensor_functional
    if hasattr(input, "shape"):  # a numpy/CuPy array or a torch tensor
        raise TensorTypeError(
            f"{name} takes minitorch tensors, got {type(input).__module__}.{type(input).__name__}; "
            "wrap it with minitorch.tensor(...)"
        )
    return scalar_functional


def _refuse_n_d_only_options(name: str, **options: Any) -> None:
    """The scalar engine has no per-class weights and friends: refuse them instead of ignoring them."""
    given = [key for key, value in options.items() if value]
    if given:
        raise TensorTypeError(f"{name}: {', '.join(given)} needs n-d tensors (minitorch.tensor), not lists of scalars")


# --- activations ----------------------------------------------------------------------------------
def relu(input: Any) -> Any:
    """max(x, 0), elementwise."""
    return _engine_of(input, "relu").relu(input)


def tanh(input: Any) -> Any:
    return _engine_of(input, "tanh").tanh(input)


def sigmoid(input: Any) -> Any:
    """1 / (1 + exp(-x)), elementwise."""
    return _engine_of(input, "sigmoid").sigmoid(input)


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Any:
    """x if x > 0 else negative_slope * x, elementwise."""
    return _engine_of(input, "leaky_relu").leaky_relu(input, negative_slope)


def softmax(input: Any, dim: int | None = None, *, dtype: Any = None) -> Any:
    """exp(x) / sum(exp(x)) along ``dim`` (required for n-d tensors), computed without overflow."""
    if isinstance(input, Tensor):
        return tensor_functional.softmax(input, dim, dtype=dtype)
    _refuse_n_d_only_options("softmax", dtype=dtype is not None)
    return _engine_of(input, "softmax").softmax(input, dim=dim)


def log_softmax(input: Any, dim: int | None = None, *, dtype: Any = None) -> Any:
    """x - logsumexp(x) along ``dim`` (required for n-d tensors)."""
    if isinstance(input, Tensor):
        return tensor_functional.log_softmax(input, dim, dtype=dtype)
    _refuse_n_d_only_options("log_softmax", dtype=dtype is not None)
    return _engine_of(input, "log_softmax").log_softmax(input, dim=dim)


# --- losses ------------------------------------------------------------------------------------------
# As in PyTorch, everything after ``target`` (after ``weight`` for the class losses) is keyword-only.
def mse_loss(input: Any, target: Any, *, reduction: str = "mean") -> Any:
    """Mean (or summed) squared error ``(input - target) ** 2``."""
    return _engine_of(input, "mse_loss").mse_loss(input, target, reduction=reduction)


def l1_loss(input: Any, target: Any, *, reduction: str = "mean") -> Any:
    """Mean (or summed) absolute error ``|input - target|``."""
    return _engine_of(input, "l1_loss").l1_loss(input, target, reduction=reduction)


def binary_cross_entropy_with_logits(
    input: Any, target: Any, weight: Any = None, *, reduction: str = "mean", pos_weight: Any = None
) -> Any:
    """Sigmoid + binary cross-entropy of raw scores, stable for logits of +-1000."""
    engine = _engine_of(input, "binary_cross_entropy_with_logits")
    if engine is tensor_functional:
        return engine.binary_cross_entropy_with_logits(
            input, target, weight, reduction=reduction, pos_weight=pos_weight
        )
    _refuse_n_d_only_options("binary_cross_entropy_with_logits", weight=weight is not None,
                                 pos_weight=pos_weight is not None)
    return engine.binary_cross_entropy_with_logits(input, target, reduction=reduction)


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Any:
    """Softmax + negative log-likelihood of logits against class indices (or, n-d, class probabilities)."""
    engine = _engine_of(input, "cross_entropy")
    if engine is tensor_functional:
        return engine.cross_entropy(input, target, weight, ignore_index=ignore_index, reduction=reduction,
                                    label_smoothing=label_smoothing)
    _refuse_n_d_only_options("cross_entropy", weight=weight is not None, ignore_index=ignore_index != -100,
                                 label_smoothing=label_smoothing != 0.0)
    return engine.cross_entropy(input, target, reduction=reduction)


def hinge_loss(input: Any, target: Any, *, reduction: str = "mean") -> Any:
    """micrograd's max-margin loss ``relu(1 - target * input)`` with targets +-1 (no PyTorch twin)."""
    return _engine_of(input, "hinge_loss").hinge_loss(input, target, reduction=reduction)


def l2_penalty(parameters: Any, alpha: float = 1.0) -> Any:
    """``alpha * sum(p ** 2)`` over all parameters: the regularisation term of micrograd's demo."""
    params = list(parameters)
    if not params:
        raise ValueError("l2_penalty: got no parameters")
    return _engine_of(params[0], "l2_penalty").l2_penalty(params, alpha)
