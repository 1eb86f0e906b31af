"""The one table of training losses: a name (as `TrainConfig.loss` spells it) to everything the
trainer and the playground need.

    LOSSES["bce_logits"].graph(predictions, targets)   # in the graph, either engine (nn.functional)
    LOSSES["bce_logits"].numpy(outputs, targets)       # on arrays, no graph (evaluation)
    LOSSES["bce_logits"].label                         # "Binary cross-entropy": the name on screen

The graph functions are `minitorch.nn.functional`'s, which take lists of scalars or n-d tensors.
The numpy versions compute the same means the stable way, for (n, outputs) arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..nn import functional as F

__all__ = ["Loss", "LOSSES", "loss_named"]


def _numpy_cross_entropy(outputs: np.ndarray, targets: np.ndarray) -> float:
    top = outputs.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(outputs - top).sum(axis=1))
    return float(np.mean(lse - outputs[np.arange(len(outputs)), targets.astype(np.int64)]))


def _numpy_bce_logits(outputs: np.ndarray, targets: np.ndarray) -> float:
    pred = outputs[:, 0]
    return float(np.mean(np.maximum(pred, 0) - pred * targets + np.log1p(np.exp(-np.abs(pred)))))


@dataclass(frozen=True)
class Loss:
    """One loss. ``classes``: targets are class indices and the network has one output per class
    (else one output, compared with a number per sample). ``regression``: fits real targets."""

    name: str
    label: str
    graph: Callable[..., Any]  # (predictions, targets, reduction="mean")
    numpy_mean: Callable[[np.ndarray, np.ndarray], float]
    classes: bool = False
    regression: bool = False

    def numpy(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        """The mean loss of (n, outputs) float64 outputs against the targets, as the graph computes it."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self.numpy_mean(outputs, targets)


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("mse", "Mean squared error", F.mse_loss, lambda o, t: float(np.mean((o[:, 0] - t) ** 2)),
             regression=True),
        Loss("l1", "Mean absolute error (L1)", F.l1_loss, lambda o, t: float(np.mean(np.abs(o[:, 0] - t))),
             regression=True),
        Loss("bce_logits", "Binary cross-entropy", F.binary_cross_entropy_with_logits, _numpy_bce_logits),
        Loss("cross_entropy", "Cross-entropy", F.cross_entropy, _numpy_cross_entropy, classes=True),
        Loss("hinge", "Hinge (max-margin)", F.hinge_loss,
             lambda o, t: float(np.mean(np.maximum(0.0, 1.0 - t * o[:, 0])))),
    )
}


def loss_named(name: Any) -> Loss:
    """The table entry for ``name``; ValueError listing the choices for an unknown one."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}") from None
