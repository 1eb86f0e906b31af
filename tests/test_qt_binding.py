"""The Qt binding the project runs on must not crash Python, and a bad one is refused clearly."""

import pytest

from gui import _qt_check


def test_installed_pyside6_keeps_its_references():
    assert not _qt_check.steals_references()


def test_a_broken_build_is_refused_with_the_fix_in_the_message(monkeypatch):
    monkeypatch.setattr(_qt_check, "steals_references", lambda: True)
    with pytest.raises(_qt_check.BrokenQtBindingError, match=r"PySide6-Essentials<6\.12"):
        _qt_check.check_qt_binding()
