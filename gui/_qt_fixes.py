"""A guard against a reference-count bug of some PySide6 builds on Python 3.11 and older.

PySide6 6.12.0 (seen on Python 3.11) returns ``None``, ``True`` and ``False`` from wrapped
calls without taking a reference to them, and drops one extra reference to ``None``
after calling a Python slot from C++. From Python 3.12 those objects are immortal
(PEP 683) so this is harmless there; on 3.11 every ``widget.update()``, every signal
``emit()`` and every timer-driven slot steals a reference, and after a few thousand
calls Python aborts with "Fatal Python error: none_dealloc: deallocating None" (or
``bool_dealloc``).

`install()` measures whether the running build has the bug and, only if it does,
gives ``None``, ``True`` and ``False`` an enormous reference count, which makes them
effectively immortal as they are on 3.12. On a correct build it changes nothing.
"""

from __future__ import annotations

import ctypes
import sys

# Far more references than any run can steal (2**60 calls at 1e9 calls/s: 36 years).
_HEADROOM = 1 << 60
_installed = False


def _steals_references() -> bool:
    """True when void Qt calls or signal emits lose a reference to None/True/False."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    singletons = (None, True, False)
    before = [sys.getrefcount(obj) for obj in singletons]
    for _ in range(8):
        probe.setObjectName("probe")  # a void method: returns None
        probe.ping.emit()  # returns a bool
    after = [sys.getrefcount(obj) for obj in singletons]
    return sum(b - a for a, b in zip(after, before)) >= 8


def _add_references(obj: object, count: int) -> None:
    # ob_refcnt is the first field of every object in a release build of CPython.
    field = ctypes.c_ssize_t.from_address(id(obj))
    field.value += count


def install() -> bool:
    """Protect None/True/False when this PySide6 build needs it; returns whether it did."""
    global _installed
    if _installed:
        return True
    if sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount"):
        return False  # immortal singletons (or a debug build, whose layout differs)
    if not _steals_references():
        return False
    for obj in (None, True, False):
        _add_references(obj, _HEADROOM)
    _installed = True
    return True
