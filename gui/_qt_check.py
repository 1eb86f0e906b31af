"""Refuse to run on a PySide6 build with a known reference-count bug, with a clear message.

PySide6 6.12.0 on Python 3.11 returns ``None``, ``True`` and ``False`` from wrapped calls
without taking a reference to them, so after a few thousand ``widget.update()`` or signal
``emit()`` calls Python aborts with "Fatal Python error: none_dealloc" (or ``bool_dealloc``),
taking the user's session with it. From Python 3.12 those objects are immortal and the bug
is harmless. The project's metadata excludes such builds (``PySide6-Essentials<6.12`` on
Python < 3.12) and the dev set-up pins a good one; this check catches an environment that
got a bad build anyway, before any work can be lost.
"""

from __future__ import annotations

import sys


class BrokenQtBindingError(RuntimeError):
    """The installed PySide6 build would crash the interpreter."""


def steals_references() -> bool:
    """True when void Qt calls or signal emits lose references to None/True/False."""
    if sys.version_info >= (3, 12):
        return False  # immortal singletons: the bug cannot do harm
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


def check_qt_binding() -> None:
    """Raise `BrokenQtBindingError` (with the fix) when this PySide6 build has the bug."""
    if steals_references():
        import PySide6

        raise BrokenQtBindingError(
            f"PySide6 {PySide6.__version__} on Python {sys.version_info.major}.{sys.version_info.minor} "
            "has a reference-count bug that crashes Python after a few thousand Qt calls. "
            "Install a build without it: pip install 'PySide6-Essentials<6.12' (or use Python 3.12+)."
        )
