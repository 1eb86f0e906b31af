"""The training history (a sequence of per-step records): a snapshot's view of it, and CSV text."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["HISTORY_COLUMNS", "HistoryView", "history_csv"]

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


class HistoryView(Sequence):
    """The first ``length`` records of an append-only list, without copying them.

    A snapshot's history: the trainer goes on appending frozen records to the same list (and
    starts a new list when it starts over), so a view taken now keeps showing exactly the
    records that existed then. Taking one costs nothing however long training has run,
    where copying the list into a tuple for every frame grew with the history.
    """

    __slots__ = ("_records", "_length")

    def __init__(self, records: list[Any] | None = None, length: int | None = None) -> None:
        self._records = [] if records is None else records
        self._length = len(self._records) if length is None else min(int(length), len(self._records))

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return tuple(self._records[i] for i in range(*index.indices(self._length)))
        position = index + self._length if index < 0 else index
        if not 0 <= position < self._length:
            raise IndexError("history index out of range")
        return self._records[position]

    def __iter__(self) -> Iterator[Any]:
        return itertools.islice(self._records, self._length)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == self._length and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  (like a list: it compares by content)

    def __repr__(self) -> str:
        return f"HistoryView({len(self)} records)"
