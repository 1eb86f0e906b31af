"""Loss modules under PyTorch's names; each calls `minitorch.nn.functional`, so both engines work.

    criterion = MSELoss(reduction="sum")
    loss = criterion([model(x) for x in xs], ys)
"""

from __future__ import annotations

from typing import Any

from . import functional as F
from ._reduction import check_reduction
from .module import Module

__all__ = ["MSELoss", "L1Loss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HingeLoss"]


class _Loss(Module):
    """A loss with a ``reduction`` ("mean", "sum" or "none"), checked when it is built."""

    _function = staticmethod(F.mse_loss)

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(reduction, type(self).__name__)

    def forward(self, input: Any, target: Any) -> Any:
        return type(self)._function(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error, as ``torch.nn.MSELoss``."""

    _function = staticmethod(F.mse_loss)


class L1Loss(_Loss):
    """Mean absolute error, as ``torch.nn.L1Loss``."""

    _function = staticmethod(F.l1_loss)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits (numerically stable), as ``torch.nn.BCEWithLogitsLoss``."""

    _function = staticmethod(F.binary_cross_entropy_with_logits)


class CrossEntropyLoss(_Loss):
    """Cross-entropy from logits and class indices, as ``torch.nn.CrossEntropyLoss``."""

    _function = staticmethod(F.cross_entropy)


class HingeLoss(_Loss):
    """micrograd's max-margin loss ``relu(1 - y * score)`` with labels +-1 (no PyTorch twin)."""

    _function = staticmethod(F.hinge_loss)
