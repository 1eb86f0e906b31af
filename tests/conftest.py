"""Shared pytest fixtures. GUI tests use these so they never touch the user's settings."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")


@pytest.fixture
def qsettings_file(tmp_path):
    """A private QSettings (INI file in tmp_path) for one test; the user's settings stay untouched."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "playground-settings.ini"), QSettings.Format.IniFormat)
