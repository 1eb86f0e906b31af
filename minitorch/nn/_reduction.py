"""The ``reduction`` argument shared by every loss ("mean", "sum" or "none"), as ``torch.nn._reduction``."""

from __future__ import annotations

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str, what: str = "loss") -> str:
    """Return ``reduction`` if it is one of `REDUCTIONS`; otherwise raise a ValueError naming the loss."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{what}: reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")
    return reduction
