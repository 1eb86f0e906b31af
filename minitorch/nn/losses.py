"""Loss modules under PyTorch's names; each calls `minitorch.nn.functional`, so both engines work.

    criterion = MSELoss(reduction="sum")
    loss = criterion([model(x) for x in xs], ys)

Per-class ``weight`` and ``pos_weight`` are buffers, so ``state_dict()`` has the keys torch's has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import functional as F
from ._reduction import check_reduction
from .module import Module

__all__ = [
    "MSELoss",
    "L1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "NLLLoss",
    "CrossEntropyLoss",
    "HingeLoss",
]


class _Loss(Module):
    """A loss with a ``reduction`` ("mean", "sum" or "none"), checked when it is built."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(reduction, type(self).__name__)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


def _weight_buffer(value: Any) -> Any:
    """A weight given as a tensor/list/array, stored as a plain array buffer (None stays None)."""
    if value is None:
        return None
    data = getattr(value, "data", value)
    return data if hasattr(data, "__cuda_array_interface__") else np.asarray(data)


class MSELoss(_Loss):
    """Mean squared error, as ``torch.nn.MSELoss``."""

    def forward(self, input: Any, target: Any) -> Any:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error, as ``torch.nn.L1Loss``."""

    def forward(self, input: Any, target: Any) -> Any:
        return F.l1_loss(input, target, reduction=self.reduction)


class HingeLoss(_Loss):
    """micrograd's max-margin loss ``relu(1 - y * score)`` with labels +-1 (no PyTorch twin)."""

    def forward(self, input: Any, target: Any) -> Any:
        return F.hinge_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (logs clamped at -100), as ``torch.nn.BCELoss``."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _weight_buffer(weight))

    def forward(self, input: Any, target: Any) -> Any:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits (numerically stable), as ``torch.nn.BCEWithLogitsLoss``."""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _weight_buffer(weight))
        self.register_buffer("pos_weight", _weight_buffer(pos_weight))

    def forward(self, input: Any, target: Any) -> Any:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities, as ``torch.nn.NLLLoss``."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _weight_buffer(weight))
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> Any:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy from logits and class indices or probabilities, as ``torch.nn.CrossEntropyLoss``."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be between 0 and 1, got {label_smoothing}")
        self.register_buffer("weight", _weight_buffer(weight))
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Any, target: Any) -> Any:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)
