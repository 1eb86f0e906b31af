"""Graph explorer timings: layout + first draw of a ~2,000-node computation graph.

Runs our layered layout (barycenter crossing reduction) next to the peer -- networkx's
``multipartite_layout`` over ``topological_generations``, the plain recipe -- on the same
graph, then times ``GraphCanvas.set_graph`` plus the first paint. Prints medians, the ratio,
and the edge crossings each layout leaves.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_graph_layout.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import networkx as nx
import PySide6  # noqa: F401  (Qt binding first)
from PySide6.QtWidgets import QApplication

from minitorch.graph import collapse_groups, count_crossings, layered_layout, model_graph
from minitorch.nn import MLP

BUDGET_S = 0.5


def median_time(func, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peer_layout(graph: nx.DiGraph) -> dict:
    """The peer: layers from topological_generations, drawn by networkx.multipartite_layout."""
    layered = graph.copy()
    for depth, generation in enumerate(nx.topological_generations(layered)):
        for node in generation:
            layered.nodes[node]["layer"] = depth
    return nx.multipartite_layout(layered, subset_key="layer")


def time_edge_drawing(canvas, graph: nx.DiGraph, positions: dict, repeats: int) -> tuple[float, float]:
    """Edges only, fitted into an image: our segment array against one big QPainterPath of curves."""
    from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen

    canvas.set_graph(graph, positions)
    image = QImage(1400, 900, QImage.Format.Format_ARGB32_Premultiplied)
    bounds = canvas._bounds
    scale = min(1400 / bounds.width(), 900 / bounds.height())
    path = QPainterPath()
    for a, b in graph.edges:
        canvas._edge_path(path, a, b)  # the same curves, as cubic Béziers in one path

    def draw(with_path: bool) -> None:
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(scale, scale)
        painter.translate(-bounds.left(), -bounds.top())
        pen = QPen(QColor("gray"), 1.2)
        pen.setCosmetic(True)
        painter.setPen(pen)
        if with_path:
            painter.drawPath(path)
        else:
            canvas._edge_lines.draw(painter)
        painter.end()

    ours_s, _ = median_time(lambda: draw(False), repeats)
    path_s, _ = median_time(lambda: draw(True), repeats)
    return ours_s, path_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    from gui.explorer.canvas import GraphCanvas

    random.seed(0)
    model = MLP(10, [20, 20, 1])  # the full scalar graph of one forward pass: ~2,000 nodes
    graph = model_graph(model, [0.1 * i for i in range(10)])
    n_nodes, n_edges = graph.number_of_nodes(), graph.number_of_edges()
    print(f"graph: scalar MLP(10, [20, 20, 1]) forward pass, {n_nodes} nodes, {n_edges} edges")
    print(f"median of {args.repeats} runs each, {time.strftime('%Y-%m-%d')}, Python {sys.version.split()[0]}, "
          f"networkx {nx.__version__}")

    ours_s, ours_pos = median_time(lambda: layered_layout(graph), args.repeats)
    peer_s, peer_pos = median_time(lambda: peer_layout(graph), args.repeats)
    ours_x, peer_x = count_crossings(graph, ours_pos), count_crossings(graph, peer_pos)
    print()
    print(f"{'layout':<44}{'median':>10}{'crossings':>12}")
    print(f"{'minitorch.graph.layered_layout (ours)':<44}{ours_s * 1e3:>8.1f}ms{ours_x:>12,}")
    print(f"{'networkx multipartite_layout (peer)':<44}{peer_s * 1e3:>8.1f}ms{peer_x:>12,}")
    print(f"ours / peer time: {ours_s / peer_s:.2f}x;  crossings left: {ours_x / max(peer_x, 1):.2f}x the peer's")

    canvas = GraphCanvas()
    canvas.resize(1400, 900)
    canvas.show()
    app.processEvents()

    def first_draw() -> None:
        canvas.set_graph(graph, ours_pos)
        canvas.grab()  # renders paintEvent into a pixmap: the first frame the user would see

    draw_s, _ = median_time(first_draw, args.repeats)

    def layout_and_draw() -> None:
        pos = layered_layout(graph)
        canvas.set_graph(graph, pos)
        canvas.grab()

    total_s, _ = median_time(layout_and_draw, args.repeats)

    def zoomed_in_draw() -> None:  # 1:1 zoom, every visible node with its text: the painter's slow case
        canvas.zoom_by(1.0 / canvas.zoom)
        canvas.grab()
        canvas.fit_view()

    canvas.set_graph(graph, ours_pos)
    zoom_s, _ = median_time(zoomed_in_draw, args.repeats)

    collapsed = collapse_groups(graph)
    collapsed_s, _ = median_time(
        lambda: (canvas.set_graph(collapsed, layered_layout(collapsed)), canvas.grab()), args.repeats
    )
    print()
    print(f"{'view':<44}{'median':>10}")
    print(f"{'set_graph + first paint (fit, 1400x900)':<44}{draw_s * 1e3:>8.1f}ms")
    print(f"{'repaint at 1:1 zoom (text drawn)':<44}{zoom_s * 1e3:>8.1f}ms")
    print(f"{'layout + set_graph + first paint':<44}{total_s * 1e3:>8.1f}ms")
    print(f"{'same, neurons collapsed (' + str(collapsed.number_of_nodes()) + ' boxes)':<44}"
          f"{collapsed_s * 1e3:>8.1f}ms")
    edge_ours_s, edge_path_s = time_edge_drawing(canvas, graph, ours_pos, min(3, args.repeats))
    print()
    print(f"{'drawing the ' + str(n_edges) + ' edges once (1400x900 image)':<44}{'median':>10}")
    print(f"{'numpy segments, one drawLines call (ours)':<44}{edge_ours_s * 1e3:>8.1f}ms")
    print(f"{'one QPainterPath of cubic curves (naive)':<44}{edge_path_s * 1e3:>8.1f}ms")
    print(f"naive / ours: {edge_path_s / edge_ours_s:.1f}x")
    verdict = "within" if total_s <= BUDGET_S else "OVER"
    print(f"\nlayout + first draw of {n_nodes} nodes: {total_s:.3f} s, {verdict} the {BUDGET_S} s budget")
    canvas.close()


if __name__ == "__main__":
    main()
