"""The training history as numpy columns for the plots (no Qt, no pyqtgraph)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def history_columns(history: Sequence[Any], *keys: str) -> list[np.ndarray]:
    """Columns of a history (a sequence of dicts) as float arrays; missing values become NaN."""
    columns = []
    for key in keys:
        values = [row.get(key) if hasattr(row, "get") else getattr(row, key, None) for row in history]
        columns.append(np.array([np.nan if v is None else float(v) for v in values], dtype=float))
    return columns


HISTORY_KEYS = ("step", "train_loss", "test_loss", "train_acc", "test_acc")


class HistoryColumns:
    """The training history as growing numpy columns, extended incrementally.

    A history only grows while one trainer lives, so each frame converts just the new
    rows; a new ``generation`` (a rebuilt or reset trainer) or a shorter history starts over.
    """

    def __init__(self, keys: Sequence[str] = HISTORY_KEYS):
        self.keys = tuple(keys)
        self._generation: object = None
        self._length = 0
        self._columns = {key: np.empty(0) for key in self.keys}

    def update(self, history: Sequence[Any], generation: object = None) -> dict[str, np.ndarray]:
        length = len(history)
        if generation != self._generation or length < self._length:
            self._generation, self._length = generation, 0
        if length > self._length:
            new = history[self._length : length]
            fresh = history_columns(new, *self.keys)
            for key, column in zip(self.keys, fresh):
                self._columns[key] = self._append(self._columns[key], self._length, column)
            self._length = length
        return {key: self._columns[key][:length] for key in self.keys}

    @staticmethod
    def _append(buffer: np.ndarray, used: int, values: np.ndarray) -> np.ndarray:
        needed = used + len(values)
        if needed > len(buffer):  # grow geometrically: appends stay amortised O(1)
            grown = np.empty(max(needed, 2 * len(buffer), 256))
            grown[:used] = buffer[:used]
            buffer = grown
        buffer[used:needed] = values
        return buffer
