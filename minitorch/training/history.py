"""The training history (a sequence of per-step records) as CSV text."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["HISTORY_COLUMNS", "history_csv"]

HISTORY_COLUMNS = ("step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc")


def history_csv(history: Sequence[Any]) -> str:
    """The loss history as CSV text: a header, then one row per recorded step (missing values empty).

    Each record is a mapping (``Trainer.history``, a `Snapshot`'s history) or an object with
    those attributes.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    for row in history:
        if isinstance(row, Mapping):
            values = [row.get(c) for c in HISTORY_COLUMNS]
        else:
            values = [getattr(row, c, None) for c in HISTORY_COLUMNS]
        writer.writerow(["" if v is None else v for v in values])
    return buffer.getvalue()
