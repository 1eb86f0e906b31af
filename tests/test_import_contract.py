"""minitorch/ never imports Qt, pyqtgraph or gui, never imports torch at module top level,
and never calls eval/exec (checked on the source with ast, so it holds for every module)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "minitorch"
MODULES = sorted(ROOT.rglob("*.py"))
FORBIDDEN_ANYWHERE = ("PySide6", "PySide2", "PyQt5", "PyQt6", "pyqtgraph", "qtpy", "gui")
FORBIDDEN_AT_TOP = ("torch",)


def _imports(tree: ast.AST):
    """(module name, node) for every import statement."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node


def _top_level_imports(tree: ast.Module):
    """Imports that run when the module is imported: module body, including if/try blocks."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                pending.extend(getattr(node, field, []))
        elif isinstance(node, ast.ExceptHandler):
            pending.extend(node.body)


def _root(name: str) -> str:
    return name.split(".")[0]


def test_there_are_modules_to_check():
    names = {p.relative_to(ROOT).as_posix() for p in MODULES}
    assert {"engine.py", "optim.py", "io.py", "datasets.py", "training/trainer.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_gui_toolkit_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [name for name, _ in _imports(tree) if _root(name) in FORBIDDEN_ANYWHERE]
    assert not bad, f"{path.name} imports {bad}: minitorch must stay Qt-free"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_torch_only_lazily(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [name for name in _top_level_imports(tree) if _root(name) in FORBIDDEN_AT_TOP]
    assert not bad, f"{path.name} imports {bad} at module level; import torch inside the function that needs it"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_eval_or_exec(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    calls = [node.func.id for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec")]
    assert not calls, f"{path.name} calls {calls}"


def test_the_checker_catches_violations():
    tree = ast.parse("import os\nif True:\n    import torch\ndef f():\n    from PySide6 import QtCore\n")
    assert "torch" in list(_top_level_imports(tree))
    assert "PySide6" in [name for name, _ in _imports(tree)]
    assert "os" in list(_top_level_imports(tree))
