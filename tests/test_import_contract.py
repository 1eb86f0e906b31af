"""The package's layering, checked on the source with ast, so it holds for every module:

- every import between minitorch modules goes down `LAYERS` (or stays inside one layer),
  at module level and inside functions alike, so no circle can cross two layers;
- the module-level imports form no circle at all (one inside a layer would make import order
  matter);
- minitorch never imports gui, Qt or pyqtgraph, imports torch only inside functions,
  and never calls eval/exec.

`LAYERS` is the one table of the layering; docs/architecture.md shows it (rendered by
``python tests/test_import_contract.py``) and a test keeps the two identical.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

REPO = Path(__file__).resolve().parent.parent
ROOT = REPO / "minitorch"
MODULES = sorted(ROOT.rglob("*.py"))
FORBIDDEN_ANYWHERE = ("PySide6", "PySide2", "PyQt5", "PyQt6", "pyqtgraph", "qtpy", "gui")
FORBIDDEN_AT_TOP = ("torch",)

# (layer, what lives there, module prefixes), lowest first. A module may import modules of its
# own layer and of the layers below, never above. The longest matching prefix places a module.
LAYERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("foundations", "project errors, the version, grad mode, the activation table",
     ("errors", "_version", "autograd", "activations")),
    ("arrays and files", "numpy/CuPy devices and `as_numpy`, atomic file writes, datasets",
     ("backend", "fileio", "datasets", "images")),
    ("engines", "the scalar engine (`Scalar`) and the n-d engine (`Tensor`)", ("engine", "ndtensor")),
    ("nn", "modules, layers, functional, losses, init, the seed's MLP", ("nn",)),
    ("architecture", "`ModelSpec`: one description of a network, built for either engine or torch",
     ("architecture",)),
    ("training", "optimizers, schedulers, `TrainConfig`, `Trainer`, experiments", ("optim", "training")),
    ("tools", "weight files and torch export, graphs of computations, expressions",
     ("io", "graph", "model_graph", "expression")),
    ("live training", "the playgrounds' Qt-free sessions and the child process they train in", ("live",)),
    ("entry points", "the command line and the package's own namespace", ("cli", "__init__")),
)


def render_layers() -> str:
    """The layer table as Markdown, top layer first (as docs/architecture.md shows it)."""
    rows = ["| layer | modules (`minitorch.`...) | what lives there | may import |", "|---|---|---|---|"]
    for index in range(len(LAYERS) - 1, -1, -1):
        name, what, prefixes = LAYERS[index]
        modules = ", ".join(f"`{p}`" if p != "__init__" else "`minitorch` itself" for p in prefixes)
        below = f"layers 0–{index - 1}" if index > 1 else ("layer 0" if index else "no minitorch module")
        rows.append(f"| {index}. {name} | {modules} | {what} | {below} |")
    return "\n".join(rows)


# --- reading the imports -------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    """'minitorch.nn.layers' for minitorch/nn/layers.py, 'minitorch' for minitorch/__init__.py."""
    parts = ["minitorch", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


KNOWN = {_module_name(p) for p in MODULES}


def _target(name: str) -> str | None:
    """The minitorch module that an imported dotted name lives in (None outside minitorch)."""
    while name and name not in KNOWN:
        name = name.rpartition(".")[0]
    return name or None


def _walk_imports(tree: ast.Module):
    """(node, inside_a_function) for every import statement, with where it runs."""
    pending = [(node, False) for node in tree.body]
    while pending:
        node, lazy = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, lazy
            continue
        inside = lazy or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        pending.extend((child, inside) for child in ast.iter_child_nodes(node))


def _imported_names(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """Absolute dotted names an import statement refers to (`from . import x` -> 'pkg.x')."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        base = node.module or ""
    else:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    return [f"{base}.{alias.name}" for alias in node.names]


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported dotted name, inside a function) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _module_name(path)
    found = []
    for node, lazy in _walk_imports(tree):
        found.extend((name, lazy) for name in _imported_names(node, module, path.name == "__init__.py"))
    return found


def layer_of(module: str) -> int:
    """The index in `LAYERS` of a minitorch module (longest matching prefix)."""
    relative = module[len("minitorch."):] if module != "minitorch" else "__init__"
    best, best_length = None, -1
    for index, (_, _, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (relative == prefix or relative.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    if best is None:
        raise LookupError(f"{module} is in no layer: add it to LAYERS in tests/test_import_contract.py "
                          "(and the table in docs/architecture.md)")
    return best


def import_graph(paths=MODULES) -> nx.DiGraph:
    """minitorch module -> minitorch module it imports; edges carry ``lazy`` (only inside functions)."""
    graph = nx.DiGraph()
    for path in paths:
        source = _module_name(path)
        graph.add_node(source)
        for name, lazy in _imports(path):
            target = _target(name) if name.split(".")[0] == "minitorch" else None
            if target is None or target == source:
                continue
            if graph.has_edge(source, target):
                graph.edges[source, target]["lazy"] &= lazy
            else:
                graph.add_edge(source, target, lazy=lazy)
    return graph


def layering_violations(graph: nx.DiGraph) -> list[str]:
    problems = []
    for source, target, data in graph.edges(data=True):
        if layer_of(target) > layer_of(source):
            where = "inside a function" if data["lazy"] else "at module level"
            problems.append(f"{source} ({LAYERS[layer_of(source)][0]}) imports {target} "
                            f"({LAYERS[layer_of(target)][0]}) {where}")
    return sorted(problems)


def import_cycles(graph: nx.DiGraph) -> list[list[str]]:
    """Circles among minitorch modules through module-level imports."""
    eager = nx.DiGraph((s, t) for s, t, data in graph.edges(data=True) if not data["lazy"])
    return sorted(sorted(cycle) for cycle in nx.simple_cycles(eager))


# --- the layering -----------------------------------------------------------------------------------------
GRAPH = import_graph()


def test_there_are_modules_to_check():
    names = {p.relative_to(ROOT).as_posix() for p in MODULES}
    assert {"engine.py", "optim.py", "io.py", "datasets.py", "training/trainer.py", "architecture.py"} <= names
    assert GRAPH.number_of_edges() > 40


@pytest.mark.parametrize("module", sorted(KNOWN))
def test_every_module_has_a_layer(module):
    layer_of(module)


def test_imports_go_down_the_layers():
    problems = layering_violations(GRAPH)
    assert not problems, "imports that go up the layer table:\n" + "\n".join(problems)


def test_the_imports_form_no_circle():
    cycles = import_cycles(GRAPH)
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_docs_show_the_layer_table():
    docs = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert render_layers() in docs, "docs/architecture.md must contain the output of " \
                                    "`python tests/test_import_contract.py`"


# --- the checker itself catches what it should ---------------------------------------------------------
def _fake_package(tmp_path: Path, files: dict[str, str]) -> list[Path]:
    for name, text in files.items():
        path = tmp_path / "minitorch" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return sorted((tmp_path / "minitorch").rglob("*.py"))


def test_the_checker_catches_an_upward_import_and_a_circle(tmp_path, monkeypatch):
    paths = _fake_package(tmp_path, {
        "__init__.py": "from . import engine\n",
        "engine.py": "def f():\n    from .training import trainer\n",   # engines -> training: upward
        "training/__init__.py": "",
        "training/trainer.py": "from ..optim import SGD\n",
        "optim.py": "from .training.trainer import x\n",             # optim <-> training.trainer: a circle
        "nn/__init__.py": "from . import a\n",
        "nn/a.py": "def f():\n    from .b import g\n",               # a lazy circle inside one layer
        "nn/b.py": "from .a import f\n",
        "errors.py": "",
    })
    this = sys.modules[__name__]
    monkeypatch.setattr(this, "ROOT", tmp_path / "minitorch")
    monkeypatch.setattr(this, "KNOWN", {_module_name(p) for p in paths})
    graph = import_graph(paths)
    assert layering_violations(graph) == [
        "minitorch.engine (engines) imports minitorch.training.trainer (training) inside a function"]
    assert import_cycles(graph) == [["minitorch.optim", "minitorch.training.trainer"]]
    assert graph.edges["minitorch.nn.a", "minitorch.nn.b"]["lazy"] is True
    assert graph.edges["minitorch", "minitorch.engine"]["lazy"] is False


def test_a_module_outside_the_table_is_named():
    with pytest.raises(LookupError, match="minitorch.newthing is in no layer"):
        layer_of("minitorch.newthing")


def test_a_plain_import_minitorch_exposes_the_public_namespace():
    code = ("import minitorch\n"
            "from minitorch.engine import Tensor as SeedTensor\n"
            "assert minitorch.nn.Linear and minitorch.optim.SGD and minitorch.nn.functional.mse_loss\n"
            "assert isinstance(minitorch.tensor([1.0]), minitorch.Tensor)\n"
            "assert SeedTensor is minitorch.Scalar and not issubclass(minitorch.Scalar, minitorch.Tensor)\n"
            "assert set(minitorch.__all__) <= set(dir(minitorch))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


# --- what minitorch never imports -------------------------------------------------------------------------
def _root(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_gui_toolkit_imports(path):
    bad = [name for name, _ in _imports(path) if _root(name) in FORBIDDEN_ANYWHERE]
    assert not bad, f"{path.name} imports {bad}: minitorch must stay Qt-free"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_torch_only_lazily(path):
    bad = [name for name, lazy in _imports(path) if _root(name) in FORBIDDEN_AT_TOP and not lazy]
    assert not bad, f"{path.name} imports {bad} at module level; import torch inside the function that needs it"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_eval_or_exec(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    calls = [node.func.id for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec")]
    assert not calls, f"{path.name} calls {calls}"


def test_the_checker_sees_imports_wherever_they_run(tmp_path):
    path = tmp_path / "minitorch" / "probe.py"
    path.parent.mkdir()
    path.write_text("import os\nif True:\n    import torch\n"
                    "class A:\n    def f(self):\n        from PySide6 import QtCore\n")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {name: lazy for node, lazy in _walk_imports(tree)
             for name in _imported_names(node, "minitorch.probe", False)}
    assert found == {"os": False, "torch": False, "PySide6.QtCore": True}


if __name__ == "__main__":
    print(render_layers())
