"""pytest-qt tests of the graph explorer widgets: type, step, verify, bad input, export, model graph."""

from __future__ import annotations

import os
import random
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import networkx as nx
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage

from gui.explorer import ExpressionExplorer, ModelGraphPanel
from minitorch.autograd import reverse_topological_order
from minitorch.expression import parse
from minitorch.nn import MLP


@pytest.fixture
def explorer(qtbot):
    widget = ExpressionExplorer()
    widget.resize(1200, 700)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def type_expression(qtbot, explorer: ExpressionExplorer, text: str) -> None:
    explorer.expression_edit.clear()
    qtbot.keyClicks(explorer.expression_edit, text)
    qtbot.waitUntil(lambda: not explorer.typing, timeout=5000)  # the graph follows after a pause in typing


def engine_gradients(text: str, values: dict[str, float]) -> dict[int, float]:
    """What root.backward() gives, keyed by node id (the graph numbers nodes in backward order)."""
    root = parse(text).evaluate(values)
    root.backward()
    return {i: float(t.grad) for i, t in enumerate(reverse_topological_order(root))}


def tooltip_grad(explorer: ExpressionExplorer, node) -> float | None:
    line = next(ln for ln in explorer.canvas.tooltip_text(node).splitlines() if ln.startswith("grad"))
    return None if "not computed" in line else float(line.split(":", 1)[1])


@pytest.mark.parametrize(
    "text", ["tanh(w1*x1 + w2*x2 + b)", "(x**2 + y).relu()", "exp(z) / (z + 1)", "x * x + x.sigmoid() - 3 / x"]
)
def test_typed_expression_stepped_gradients_match_engine(qtbot, explorer, text) -> None:
    type_expression(qtbot, explorer, text)
    assert explorer.error_text == ""
    graph = explorer.graph
    assert graph.number_of_nodes() == len(reverse_topological_order(parse(text).evaluate(explorer.values)))
    expected = engine_gradients(text, explorer.values)
    assert all(g is None for g in explorer.displayed_gradients().values())  # nothing computed yet
    assert explorer.canvas.node_lines(0)[2] == "grad ?"
    steps = 0
    while explorer.step_button.isEnabled():
        qtbot.mouseClick(explorer.step_button, Qt.MouseButton.LeftButton)
        steps += 1
        shown = explorer.displayed_gradients()
        for node, grad in shown.items():
            if node in explorer.stepper.done:
                # the box and the full-precision tooltip both show the engine's gradient
                assert grad == pytest.approx(expected[node], rel=1e-12, abs=1e-15)
                assert tooltip_grad(explorer, node) == pytest.approx(expected[node], rel=1e-12, abs=1e-15)
                assert explorer.canvas.node_lines(node)[2] == f"grad {expected[node]:.4g}" or abs(
                    expected[node] - grad) < 1e-12
            else:
                assert grad is None and tooltip_grad(explorer, node) is None
        assert len(explorer.stepper.done) == steps
    assert steps == graph.number_of_nodes()
    assert explorer.stepper.finished and not explorer.play_button.isEnabled()


def test_step_highlights_current_node_and_its_gradient_edges(qtbot, explorer) -> None:
    type_expression(qtbot, explorer, "tanh(w1*x1 + b)")
    explorer.step()
    step = explorer.step()
    assert explorer.canvas._current == step.node
    assert set(explorer.canvas._hot_edges) == {(source, step.node) for source, _, _ in step.contributions}
    assert "w1*x1 + b" in explorer.explanation_label.text() and ".grad +=" in explorer.explanation_label.text()
    assert explorer.progress_label.text() == f"2 of {explorer.graph.number_of_nodes()} nodes done"


def test_play_pause_and_reset(qtbot, explorer) -> None:
    explorer.speed_slider.setValue(10)
    qtbot.mouseClick(explorer.play_button, Qt.MouseButton.LeftButton)
    assert explorer.playing and explorer.play_button.text().startswith("Pause")
    qtbot.waitUntil(lambda: explorer.stepper.position >= 2, timeout=3000)
    qtbot.mouseClick(explorer.play_button, Qt.MouseButton.LeftButton)  # pause
    assert not explorer.playing
    paused_at = explorer.stepper.position
    qtbot.wait(400)
    assert explorer.stepper.position == paused_at
    explorer.play_button.click()
    qtbot.waitUntil(lambda: explorer.stepper.finished, timeout=5000)
    assert not explorer.playing and explorer.play_button.text().startswith("Play")
    qtbot.mouseClick(explorer.reset_button, Qt.MouseButton.LeftButton)
    assert explorer.stepper.position == 0
    assert all(g is None for g in explorer.displayed_gradients().values())


def test_finish_shows_every_gradient(qtbot, explorer) -> None:
    qtbot.mouseClick(explorer.finish_button, Qt.MouseButton.LeftButton)
    expected = engine_gradients(explorer.expression_edit.text(), explorer.values)
    assert explorer.displayed_gradients() == pytest.approx(expected, rel=1e-12)


def test_editing_a_value_in_the_table_updates_the_graph(qtbot, explorer) -> None:
    type_expression(qtbot, explorer, "x * 2 + y")
    assert explorer.variables_table.rowCount() == 2
    explorer.set_variable("x", 4.0)
    assert explorer.graph.nodes[0]["value"] == pytest.approx(8.0 + explorer.values["y"])
    # a value that is not a number is refused with a message and the old value comes back
    row = 0 if explorer.variables_table.item(0, 0).text() == "x" else 1
    explorer.variables_table.item(row, 1).setText("abc")
    assert "must be a finite number" in explorer.error_text
    assert explorer.variables_table.item(row, 1).text() == "4.0" and explorer.values["x"] == 4.0
    # variables typed earlier keep their values when the expression changes
    type_expression(qtbot, explorer, "x + z")
    assert explorer.values["x"] == 4.0
    assert [explorer.variables_table.item(r, 0).text() for r in range(2)] == ["x", "z"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x +", "syntax error"),
        ("sin(x)", "unknown function 'sin'"),
        ("x.__class__", "attribute access"),
        ("import os", "statements"),
        ("lambda: x", "lambda"),
        ("[x for x in y]", "comprehensions"),
        ("x[0]", "subscripts"),
        ("x ** 99999", "too large"),
        ("tanh(" * 45 + "x" + ")" * 45, "nested too deeply"),
        ("log(x - 10)", "math error: log of a non-positive number"),
        ("1 / (x - x)", "math error: division by zero"),
    ],
)
def test_every_class_of_bad_input_gets_a_message(qtbot, explorer, text, fragment) -> None:
    explorer.set_expression("x * y")
    good_nodes = explorer.graph.number_of_nodes()
    explorer.set_expression(text)  # pasted at once (typing passes through valid prefixes such as "x")
    assert fragment in explorer.error_text
    assert explorer.error_label.isVisible()
    if "math error" not in fragment:
        assert explorer.graph.number_of_nodes() == good_nodes  # the last good graph stays
    type_expression(qtbot, explorer, "x * y")
    assert explorer.error_text == "" and not explorer.error_label.isVisible()


def test_syntax_error_points_at_the_column(qtbot, explorer) -> None:
    type_expression(qtbot, explorer, "x * * 2")
    assert "column" not in explorer.error_text  # the caret line shows the place instead
    assert "x * * 2\n    ^" in explorer.error_text


def test_verify_with_pytorch(qtbot, explorer) -> None:
    type_expression(qtbot, explorer, "tanh(w1*x1 + w2*x2 + b) + exp(x1 / 4)")
    qtbot.mouseClick(explorer.verify_button, Qt.MouseButton.LeftButton)
    table = explorer.verify_table
    assert table.rowCount() == 1 + 5
    rows = {table.item(r, 0).text(): (table.item(r, 1).toolTip(), table.item(r, 2).toolTip()) for r in range(6)}
    assert set(rows) == {"value", "∂f/∂w1", "∂f/∂x1", "∂f/∂w2", "∂f/∂x2", "∂f/∂b"}
    for ours, theirs in rows.values():
        assert float(ours) == pytest.approx(float(theirs), rel=1e-12, abs=1e-14)
    assert "agrees with PyTorch" in explorer.verify_label.text()
    assert explorer.verify() < 1e-12


def test_verify_without_torch_says_how_to_install(qtbot, explorer, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    assert explorer.verify() is None
    assert "pip install torch" in explorer.verify_label.text()
    assert explorer.verify_table.rowCount() == 0


def test_exports(qtbot, explorer, tmp_path) -> None:
    explorer.finish_backward()
    explorer.export_png(tmp_path / "g.png")
    explorer.export_svg(tmp_path / "g.svg")
    explorer.export_graphml(tmp_path / "g.graphml")
    explorer.export_dot(tmp_path / "g.dot")
    image = QImage(str(tmp_path / "g.png"))
    assert not image.isNull() and image.width() > 300 and image.height() > 100
    svg = (tmp_path / "g.svg").read_text()
    assert "<svg" in svg and "tanh" in svg
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert back.number_of_nodes() == explorer.graph.number_of_nodes()
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert sorted(os.listdir(tmp_path)) == ["g.dot", "g.graphml", "g.png", "g.svg"]


def test_canvas_zoom_pan_hover_and_click(qtbot, explorer) -> None:
    canvas = explorer.canvas
    node = 0
    center = canvas.node_center_in_widget(node)
    assert canvas.node_at(center) == node and canvas.node_at(QPointF(-500, -500)) is None
    zoom = canvas.zoom
    canvas.zoom_by(2.0, center)
    assert canvas.zoom == pytest.approx(zoom * 2) and canvas.node_at(center) == node  # zoom keeps the anchor
    before = canvas.node_center_in_widget(node)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    qtbot.mouseMove(canvas, QPoint(80, 60))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(80, 60))
    after = canvas.node_center_in_widget(node)
    assert (after.x() - before.x(), after.y() - before.y()) == pytest.approx((60, 40), abs=1)
    canvas.fit_view()
    with qtbot.waitSignal(canvas.nodeClicked) as clicked:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.node_center_in_widget(2).toPoint())
    assert clicked.args == [2]
    text = canvas.tooltip_text(explorer.graph.number_of_nodes() - 1)
    assert "data:" in text and "grad: not computed yet" in text


# --- the model's graph --------------------------------------------------------------------------------


@pytest.fixture
def panel(qtbot):
    widget = ModelGraphPanel()
    widget.resize(1000, 600)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.wait_until_idle()


def small_model(seed: int = 0) -> MLP:
    random.seed(seed)
    return MLP(2, [4, 3, 1], activation="tanh", output_activation="linear")


def config(**fields):
    from minitorch.training import TrainConfig

    return TrainConfig(hidden_layers=[4, 3], activation="tanh", output_activation="linear", **fields)


def test_model_graph_collapsed_then_expanded_on_click(qtbot, panel) -> None:
    model = small_model()
    panel.update_model(config(), model.state_dict(), [0.3, -0.8])
    assert panel.busy  # built on the worker thread, not inside update_model
    assert panel.wait_until_idle() and panel.error == ""
    shown = panel.view.shown
    boxes = [n for n, kind in shown.nodes(data="kind") if kind == "group"]
    assert len(boxes) == 4 + 3 + 1
    assert shown.nodes[shown.graph["root"]]["value"] == pytest.approx(model([0.3, -0.8]).data)
    canvas = panel.canvas
    target = "group:0:2"
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.node_center_in_widget(target).toPoint())
    assert "0:2" in panel.expanded
    expanded = panel.view.shown
    assert target not in expanded
    labels = {attrs.get("label") for _, attrs in expanded.nodes(data=True)}
    assert {"0.weight[2,0]", "0.weight[2,1]", "0.bias[2]"} <= labels
    # clicking any node of the expanded neuron collapses it again
    member = next(n for n, attrs in expanded.nodes(data=True) if attrs.get("label") == "0.bias[2]")
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.node_center_in_widget(member).toPoint())
    assert target in panel.view.shown and not panel.expanded
    panel.expand_all()
    assert not any(kind == "group" for _, kind in panel.view.shown.nodes(data="kind"))
    assert panel.view.shown.number_of_nodes() == panel.view.full.number_of_nodes()
    panel.collapse_all()
    assert panel.view.shown.number_of_nodes() == len(boxes) + 2 + 0  # boxes and the two inputs


def test_model_graph_gradients_match_the_engine(qtbot, panel) -> None:
    model = small_model(4)
    panel.update_model(config(), model.state_dict(), [1.0, 0.5])
    panel.wait_until_idle()
    panel.expand_all()
    model.zero_grad()
    model([1.0, 0.5]).backward()
    by_label = {attrs["label"]: n for n, attrs in panel.view.shown.nodes(data=True) if attrs.get("label")}
    for k, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.weights):
                node = by_label[f"{2 * k}.weight[{j},{i}]"]
                assert panel.canvas.grad_of(node) == pytest.approx(w.grad, rel=1e-12, abs=1e-15)


def test_rapid_updates_coalesce_and_the_last_one_wins(qtbot, panel) -> None:
    models = [small_model(seed) for seed in range(15)]
    for m in models:
        panel.update_model(config(), m.state_dict(), [0.2, 0.1])
    assert panel.wait_until_idle()
    assert panel.view.token == 15  # the newest request is what is shown
    shown = panel.view.shown
    assert shown.nodes[shown.graph["root"]]["value"] == pytest.approx(models[-1]([0.2, 0.1]).data)


def test_feature_names_label_the_inputs(qtbot, panel) -> None:
    panel.update_model(config(features=["x1", "x2"]), small_model().state_dict(), [0.0, 1.0])
    panel.wait_until_idle()
    labels = {attrs.get("label") for _, attrs in panel.view.shown.nodes(data=True)}
    assert {"x1", "x2"} <= labels


@pytest.mark.parametrize(
    ("state_dict", "sample", "fragment"),
    [
        ({}, [0.0], "no state_dict"),
        ({"0.weight": [[1.0, 2.0]], "0.bias": [0.0]}, [1.0], "the sample has 1 values"),
        ({"0.weight": [[1.0, 2.0]]}, [1.0, 2.0], "needs both"),
    ],
)
def test_bad_model_input_gives_a_message(qtbot, panel, state_dict, sample, fragment) -> None:
    panel.update_model(config(), state_dict, sample)
    panel.wait_until_idle()
    assert fragment in panel.error and fragment in panel.status_label.text()


def test_too_big_network_is_refused_without_building(qtbot, panel) -> None:
    import numpy as np

    big = {"0.weight": np.zeros((400, 400)), "0.bias": np.zeros(400), "2.weight": np.zeros((1, 400)),
           "2.bias": np.zeros(1)}
    panel.update_model(config(), big, [0.0] * 400)
    panel.wait_until_idle()
    assert "too many to draw" in panel.error


def test_tensor_engine_shows_the_tensor_level_graph(qtbot, panel) -> None:
    panel.update_model(config(engine="tensor"), small_model().state_dict(), [0.3, -0.8])
    assert panel.wait_until_idle() and panel.error == ""
    graph = panel.view.shown
    ops = [attrs["op"] for _, attrs in graph.nodes(data=True)]
    assert ops.count("matmul") == 3 and ops.count("tanh") == 2
    matmul_shapes = sorted(attrs["shape"] for _, attrs in graph.nodes(data=True) if attrs["op"] == "matmul")
    assert matmul_shapes == [(1, 1), (1, 3), (1, 4)]
    assert graph.nodes[0]["value"] == pytest.approx(small_model()([0.3, -0.8]).data)
    assert "tensor-level" in panel.status_label.text()


def test_model_panel_exports(qtbot, panel, tmp_path) -> None:
    panel.update_model(config(), small_model().state_dict(), [0.3, -0.8])
    panel.wait_until_idle()
    panel.export_png(tmp_path / "m.png")
    panel.export_svg(tmp_path / "m.svg")
    panel.export_graphml(tmp_path / "m.graphml")
    panel.export_dot(tmp_path / "m.dot")
    assert not QImage(str(tmp_path / "m.png")).isNull()
    assert nx.read_graphml(tmp_path / "m.graphml").number_of_nodes() == panel.view.full.number_of_nodes()
    assert "group:0:1" in (tmp_path / "m.dot").read_text()


def test_trainer_snapshot_is_drawn_with_the_trainers_output_activation(qtbot, panel) -> None:
    from minitorch import training

    cfg = training.TrainConfig(hidden_layers=[3], n_samples=40, loss="mse", output_activation=None)
    trainer = training.Trainer(cfg)
    for _ in range(3):
        trainer.step()
    snapshot = trainer.snapshot()
    sample = trainer.data.x_train[0]
    for config_form in (cfg, cfg.to_dict()):  # the main window passes a plain dict
        panel.update_model(config_form, snapshot.state_dict, sample)
        assert panel.wait_until_idle() and panel.error == ""
        shown = panel.view.shown
        root = shown.nodes[shown.graph["root"]]
        assert root["op"] == cfg.resolved_output_activation() == "tanh"
        assert root["value"] == pytest.approx(trainer.model([float(v) for v in sample]).data, rel=1e-12)


def test_model_graph_is_whole_when_the_building_thread_is_inside_no_grad(qtbot, panel, monkeypatch) -> None:
    """Grad mode is per thread, and a build records its graph whatever that thread's mode: built once."""
    import gui.explorer.model_panel as model_panel
    from minitorch import no_grad

    real_build = model_panel.build_model_view
    calls = []

    def build_inside_no_grad(request):
        calls.append(request.token)
        with no_grad():
            return real_build(request)

    monkeypatch.setattr(model_panel, "build_model_view", build_inside_no_grad)
    model = small_model()
    panel.update_model(config(), model.state_dict(), [0.3, -0.8])
    assert panel.wait_until_idle() and panel.error == ""
    assert len(calls) == 1
    shown = panel.view.shown
    assert shown.nodes[shown.graph["root"]]["value"] == pytest.approx(model([0.3, -0.8]).data)
    assert any(str(data.get("label", "")).startswith("0.weight") for _, data in panel.view.full.nodes(data=True))


def test_big_graph_expands_on_the_worker_thread(qtbot, panel, monkeypatch) -> None:
    import gui.explorer.model_panel as model_panel

    monkeypatch.setattr(model_panel, "SYNC_RELAYOUT_NODES", 10)  # treat this small graph as big
    model = small_model()
    panel.update_model(config(), model.state_dict(), [0.3, -0.8])
    panel.wait_until_idle()
    collapsed_nodes = panel.view.shown.number_of_nodes()
    panel.expand_all()
    assert panel.busy and panel.view.shown.number_of_nodes() == collapsed_nodes  # not done in the GUI thread
    assert panel.wait_until_idle()
    assert panel.view.shown.number_of_nodes() == panel.view.full.number_of_nodes()
    assert not any(kind == "group" for _, kind in panel.view.shown.nodes(data="kind"))


def test_canvas_draws_edges_nodes_and_background(qtbot, explorer) -> None:
    """Pixel check of a rendering: background stays background, an edge's middle is painted."""
    from gui.explorer.canvas import COLOR_BACKGROUND, NODE_WIDTH

    explorer.set_expression("x * 2")
    canvas = explorer.canvas
    image = canvas.render_image()
    bounds = canvas._bounds
    scale = image.width() / bounds.width()

    def pixel(x: float, y: float):
        return image.pixelColor(int((x - bounds.left()) * scale), int((y - bounds.top()) * scale))

    assert pixel(bounds.left() + 2, bounds.top() + 2) == COLOR_BACKGROUND
    leaf, op = canvas.centers[canvas._index[1]], canvas.centers[canvas._index[0]]
    middle = ((leaf[0] + NODE_WIDTH / 2 + op[0] - NODE_WIDTH / 2) / 2, (leaf[1] + op[1]) / 2)
    assert pixel(*middle) != COLOR_BACKGROUND  # the edge between the two boxes
    assert pixel(*op) != COLOR_BACKGROUND  # inside a node box
    # halfway between the boxes but well above the edge: nothing drawn
    assert pixel(middle[0], middle[1] - 25) == COLOR_BACKGROUND


def test_examples_menu_and_constant_expression(qtbot, explorer) -> None:
    explorer.examples.setCurrentIndex(2)
    explorer.examples.activated.emit(2)
    assert explorer.expression_edit.text() == explorer.examples.itemText(2)
    assert explorer.examples.currentIndex() == 0 and explorer.error_text == ""
    explorer.set_expression("2 * 3 + 1")  # no variables: one leaf, still steppable and verifiable
    assert explorer.graph.number_of_nodes() == 1 and explorer.variables_table.rowCount() == 0
    explorer.step()
    assert explorer.displayed_gradients() == {0: 1.0}
    assert explorer.verify() == 0.0 and explorer.verify_table.rowCount() == 1


def test_hovering_a_node_shows_its_full_precision_tooltip(qtbot, explorer, monkeypatch) -> None:
    import gui.explorer.canvas as canvas_module

    shown = []
    monkeypatch.setattr(canvas_module.QToolTip, "showText", lambda pos, text, widget=None: shown.append(text))
    explorer.finish_backward()
    canvas = explorer.canvas
    qtbot.mouseMove(canvas, canvas.node_center_in_widget(0).toPoint())
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    root = parse(explorer.expression_edit.text()).evaluate(explorer.values)
    assert f"data: {root.data!r}" in shown[-1] and "grad: 1.0" in shown[-1]
    assert "computes: tanh(w1*x1 + w2*x2 + b)" in shown[-1]


def test_edges_that_skip_layers_are_drawn_between_boxes(qtbot, explorer) -> None:
    from gui.explorer.canvas import NODE_HEIGHT, NODE_WIDTH

    explorer.set_expression("sigmoid(a * b - c) * log(a) + a.tanh() / (b * b + 1)")
    canvas = explorer.canvas
    assert canvas._routes
    for a, b in canvas._routes:
        pieces = canvas._edge_pieces(a, b)
        assert len(pieces) == 2 * len(canvas._routes[(a, b)]) + 1
        for is_curve, start, end in pieces:
            if is_curve:
                continue
            middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
            for x, y in canvas.centers:  # the straight run through a skipped layer misses every box
                assert abs(x - middle[0]) > NODE_WIDTH / 2 or abs(y - middle[1]) > NODE_HEIGHT / 2
    # the highlighted edge of a step follows the same route
    while (step := explorer.step()) is not None:
        if any((source, step.node) in canvas._routes for source, _, _ in step.contributions):
            break
    assert step is not None


def test_an_input_used_twice_is_one_edge_marked_x2(qtbot, explorer) -> None:
    explorer.set_expression("x * x")
    assert explorer.graph.number_of_edges() == 1
    assert [text for _, text in explorer.canvas._edge_counts] == ["×2"]
    explorer.finish_backward()
    assert explorer.displayed_gradients()[1] == pytest.approx(2 * explorer.values["x"])


# --- long input, extreme values, half-typed words ------------------------------------------------------------
def test_a_long_syntax_error_never_widens_the_window(qtbot, explorer) -> None:
    width = explorer.window().width()
    bad = "x + " * 100 + "*"  # 401 characters, a syntax error at the end
    explorer.set_expression(bad)
    qtbot.wait(50)
    assert explorer.error_text
    assert explorer.window().width() == width
    assert explorer.window().minimumSizeHint().width() < 1200
    shown = explorer.error_text.splitlines()
    assert max(len(line) for line in shown[1:]) <= 61  # the echo is a window around the error, elided
    assert "…" in shown[-2] and shown[-1].strip() == "^"
    explorer.set_expression("x + 1")
    qtbot.wait(50)
    assert explorer.window().width() == width and explorer.error_text == ""


def test_echo_window_keeps_the_caret_under_the_error() -> None:
    from gui.explorer.expression_explorer import echo_window

    assert echo_window("x + * y", 5) == ("x + * y", 4)
    source = "a" * 50 + "#" + "b" * 100
    piece, caret = echo_window(source, 51, width=20)
    assert len(piece) == 20 and piece[caret] == "#" and piece[0] == piece[-1] == "…"


@pytest.mark.parametrize("text, values", [("x / y", {"y": 1e-170, "x": 1e170}), ("(-x) ** exp(y)", {"y": 1000.0})])
def test_engine_errors_on_extreme_values_are_shown_in_the_view(qtbot, explorer, text, values, monkeypatch) -> None:
    import sys

    hooked = []
    monkeypatch.setattr(sys, "excepthook", lambda *args: hooked.append(args))
    explorer.set_expression(text)
    for name, value in values.items():
        explorer.set_variable(name, value)
    assert hooked == []
    # The engine raises (a math error) or gives inf (a warning over the drawn graph): either way it is shown.
    assert "math error" in explorer.error_text or "math warning: f = inf" in explorer.error_text
    explorer.set_expression("x + 1")  # a good expression clears the message
    assert explorer.error_text == ""


def test_half_typed_function_names_do_not_replace_the_graph(qtbot, explorer) -> None:
    type_expression(qtbot, explorer, "x * y")
    good = set(explorer.graph.nodes(data="op"))
    explorer.expression_edit.clear()
    qtbot.keyClicks(explorer.expression_edit, "tan")  # on the way to tanh(...)
    assert explorer.typing  # nothing rebuilt while typing
    assert set(explorer.graph.nodes(data="op")) == good
    qtbot.keyClicks(explorer.expression_edit, "h(x)")
    qtbot.waitUntil(lambda: not explorer.typing, timeout=5000)
    assert "tanh" in {op for _, op in explorer.graph.nodes(data="op")}


def test_dot_and_graphml_exports_carry_the_computed_gradients(qtbot, explorer, tmp_path) -> None:
    import networkx as nx

    text = "x * x + 2 * y"
    type_expression(qtbot, explorer, text)
    explorer.finish_backward()
    expected = engine_gradients(text, explorer.values)
    graphml, dot = tmp_path / "g.graphml", tmp_path / "g.dot"
    explorer.export_graphml(graphml)
    explorer.export_dot(dot)
    loaded = nx.read_graphml(graphml)
    assert {int(n): float(a["grad"]) for n, a in loaded.nodes(data=True)} == pytest.approx(expected)
    assert any(g != 0 for g in expected.values())
    source = graphml.read_text(encoding="utf-8")
    assert source.count('attr.name="local_grad"') == 1 and source.count('attr.name="grad"') == 1
    root_grad = f"grad {expected[0]:.4g}"
    assert root_grad in dot.read_text(encoding="utf-8")


def test_exports_before_backward_write_no_gradient(qtbot, explorer, tmp_path) -> None:
    type_expression(qtbot, explorer, "x * y")
    explorer.export_dot(tmp_path / "g.dot")
    assert "grad 0" not in (tmp_path / "g.dot").read_text(encoding="utf-8")


def test_model_graph_starts_readable_and_refits_on_resize(qtbot, panel) -> None:
    from minitorch.training import TrainConfig, Trainer

    trainer = Trainer(TrainConfig(dataset="moons", n_samples=40, hidden_layers=[16, 16], seed=1))
    panel.resize(900, 500)
    panel.update_model(trainer.config, trainer.state_dict(), [0.3, -0.8])
    assert panel.wait_until_idle() and panel.error == ""
    canvas = panel.canvas
    assert canvas.zoom >= 0.8  # node text about 9 px or more, not 5
    before = canvas.zoom
    panel.resize(900, 2200)  # tall enough to fit everything: the view fits again by itself
    qtbot.waitUntil(lambda: canvas.zoom != before, timeout=3000)
    assert canvas.node_at(canvas.node_center_in_widget(canvas.nodes[0])) == canvas.nodes[0]
    canvas.zoom_by(1.5)  # once the user zooms, a resize leaves the view alone
    zoomed = canvas.zoom
    panel.resize(900, 600)
    qtbot.wait(50)
    assert canvas.zoom == zoomed


def test_model_graph_edges_are_coloured_by_weight(qtbot, panel) -> None:
    model = small_model()
    panel.update_model(config(), model.state_dict(), [0.3, -0.8])
    assert panel.wait_until_idle() and panel.error == ""
    pens = [pen.color() for pen, _ in panel.canvas._weighted_lines]
    assert pens and {(c.red(), c.green(), c.blue()) for c in pens} <= {(8, 119, 189), (245, 147, 34)}
