"""The PyTorch Mini desktop playground (PySide6 + pyqtgraph views over minitorch)."""

from ._qt_fixes import install as _install_qt_fixes

_install_qt_fixes()
