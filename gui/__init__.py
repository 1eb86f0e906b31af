"""The PyTorch Mini desktop playground (PySide6 + pyqtgraph views over minitorch)."""

from ._qt_check import check_qt_binding as _check_qt_binding

_check_qt_binding()
