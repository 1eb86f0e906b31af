"""Graph extraction, layered layout, exports, step-by-step backward and the model's graph."""

from __future__ import annotations

import os
import random

import networkx as nx
import numpy as np
import pytest
import torch

from minitorch.autograd import reverse_topological_order
from minitorch.engine import Scalar
from minitorch.errors import ShapeError
from minitorch.expression import parse
from minitorch.graph import (
    BackwardStepper,
    collapse_groups,
    count_crossings,
    layered_layout,
    mlp_from_state_dict,
    model_graph,
    to_dot,
    to_networkx,
    write_dot,
    write_graphml,
)
from minitorch.nn import MLP

VALUES = {"x": 1.3, "y": -0.7, "z": 0.4, "w1": -3.0, "w2": 1.0, "x1": 2.0, "x2": 0.0, "b": 6.8813735870195432}
EXPRESSIONS = [
    "tanh(w1*x1 + w2*x2 + b)",
    "(x**2 + y).relu()",
    "exp(z) / (z + 1)",
    "x * x * x + x.sigmoid() - y / x",
    "x ** y + log(z) * leaky_relu(y)",
    "x",
]


def build(text: str) -> Scalar:
    return parse(text).evaluate(VALUES)


def test_nodes_edges_and_attributes() -> None:
    x = Scalar(2.0, label="x")
    y = Scalar(-1.0, label="y")
    out = (x * y + x).tanh()
    out.backward()
    g = to_networkx(out)
    assert g.number_of_nodes() == 5 and g.graph["root"] == 0
    assert g.nodes[0]["op"] == "tanh" and g.nodes[0]["value"] == out.data and g.nodes[0]["grad"] == 1
    leaves = {attrs["label"]: n for n, attrs in g.nodes(data=True) if attrs["kind"] == "leaf"}
    assert set(leaves) == {"x", "y"}
    assert g.nodes[leaves["x"]]["grad"] == x.grad and g.nodes[leaves["y"]]["value"] == -1.0
    # edges point the way data flows: input -> result
    for a, b in g.edges:
        assert a > b  # node ids are the backward order: consumers come first
    assert g.out_degree(0) == 0 and g.in_degree(leaves["x"]) == 0
    mul = next(n for n, op in g.nodes(data="op") if op == "*")
    assert g.edges[leaves["x"], mul]["local_grad"] == -1.0  # d(x*y)/dx = y
    assert g.edges[leaves["y"], mul]["local_grad"] == 2.0


def test_node_order_is_the_engines_backward_order() -> None:
    out = build("x * x * x + x.sigmoid() - y / x")
    g = to_networkx(out)
    order = reverse_topological_order(out)
    assert [g.nodes[i]["value"] for i in range(len(order))] == [t.data for t in order]


def test_same_input_twice_is_one_edge_with_summed_local_gradient() -> None:
    x = Scalar(3.0, label="x")
    out = x * x
    g = to_networkx(out)
    assert g.number_of_edges() == 1
    edge = g.edges[1, 0]
    assert edge["multiplicity"] == 2 and edge["local_grad"] == 6.0  # d(x*x)/dx = 2x


def test_names_groups_and_extra_attributes() -> None:
    x = Scalar(1.0)
    out = x.exp()
    g = to_networkx(out, names={id(x): "input"}, groups={id(out): "n0"}, attributes={"expr": {id(out): "exp(x)"}})
    assert g.nodes[1]["label"] == "input" and g.nodes[0]["group"] == "n0" and g.nodes[0]["expr"] == "exp(x)"


def test_ndtensor_graph_has_shapes() -> None:
    from minitorch import ndtensor

    a = ndtensor.tensor(np.ones((2, 3)), requires_grad=True)
    w = ndtensor.tensor(np.full((3, 4), 0.5), requires_grad=True)
    out = (a @ w).relu().sum()
    out.backward()
    g = to_networkx(out)
    ops = {attrs["op"]: attrs for _, attrs in g.nodes(data=True)}
    assert ops["matmul"]["shape"] == (2, 4) and ops["relu"]["shape"] == (2, 4)
    assert g.nodes[0]["shape"] == () and g.nodes[0]["value"] == pytest.approx(12.0)
    pos = layered_layout(g)
    assert all(pos[a][0] < pos[b][0] for a, b in g.edges)
    assert "shape (2, 4)" in to_dot(g)


# --- layout ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_layout_is_layered_left_to_right_and_deterministic(text: str) -> None:
    g = to_networkx(build(text))
    pos = layered_layout(g)
    assert set(pos) == set(g.nodes)
    for a, b in g.edges:
        assert pos[a][0] < pos[b][0]  # data flows left to right
    assert len(set(pos.values())) == len(pos)  # no two nodes on the same spot
    assert layered_layout(to_networkx(build(text))) == pos  # same graph, same drawing
    assert pos[0][0] == max(x for x, _ in pos.values())  # the output is the rightmost node


def test_sources_sit_next_to_their_first_consumer() -> None:
    g = to_networkx(build("tanh(w1*x1 + w2*x2 + b)"))
    pos = layered_layout(g)
    bias = next(n for n, label in g.nodes(data="label") if label == "b")
    consumer = next(iter(g.successors(bias)))
    assert pos[consumer][0] - pos[bias][0] == 1


def test_layout_reduces_crossings_compared_with_multipartite_layout() -> None:
    random.seed(3)
    model = MLP(3, [6, 6, 2])
    g = model_graph(model, [0.2, -0.4, 0.9])
    ours = layered_layout(g)
    for depth, generation in enumerate(nx.topological_generations(g)):
        for node in generation:
            g.nodes[node]["layer"] = depth
    baseline = nx.multipartite_layout(g, subset_key="layer")
    assert count_crossings(g, ours) < count_crossings(g, baseline)


def test_layout_of_empty_graph_and_cycle() -> None:
    assert layered_layout(nx.DiGraph()) == {}
    with pytest.raises(ValueError, match="acyclic"):
        layered_layout(nx.DiGraph([(0, 1), (1, 0)]))


def test_count_crossings_counts_a_single_crossing() -> None:
    g = nx.DiGraph([("a", "d"), ("b", "c")])
    assert count_crossings(g, {"a": (0, 0), "b": (0, 1), "c": (1, 0), "d": (1, 1)}) == 1
    assert count_crossings(g, {"a": (0, 0), "b": (0, 1), "c": (1, 1), "d": (1, 0)}) == 0


# --- step-by-step backward ------------------------------------------------------------------------


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_stepper_reproduces_backward_node_by_node(text: str) -> None:
    out = build(text)
    g = to_networkx(out)
    stepper = BackwardStepper(g)
    out.backward()
    final = {i: float(t.grad) for i, t in enumerate(reverse_topological_order(out))}
    seen = []
    while (step := stepper.step()) is not None:
        # a node's gradient is complete when it is processed: it already equals backward()'s
        assert step.grad == pytest.approx(final[step.node], rel=1e-12, abs=1e-15)
        for source, local, added in step.contributions:
            assert g.has_edge(source, step.node) and added == pytest.approx(local * step.grad)
        seen.append(step.node)
    assert seen == sorted(g.nodes) and stepper.finished and stepper.total_steps == g.number_of_nodes()
    for node, grad in stepper.grads.items():
        assert grad == pytest.approx(final[node], rel=1e-12, abs=1e-15)


def test_stepper_reset_and_partial_state() -> None:
    g = to_networkx(build("tanh(w1*x1 + w2*x2 + b)"))
    stepper = BackwardStepper(g)
    assert all(v is None for v in stepper.grads.values())
    first = stepper.step()
    assert first.node == 0 and first.grad == 1.0 and stepper.done == {0}
    assert stepper.grads[first.contributions[0][0]] is not None
    stepper.run()
    stepper.reset()
    assert stepper.position == 0 and not stepper.done and all(v is None for v in stepper.grads.values())


def test_stepper_refuses_a_graph_without_local_gradients() -> None:
    with pytest.raises(ValueError, match="local gradient"):
        BackwardStepper(nx.DiGraph([(1, 0)], root=0))


# --- export ----------------------------------------------------------------------------------------


def test_graphml_round_trip(tmp_path) -> None:
    out = build("tanh(w1*x1 + w2*x2 + b)")
    out.backward()
    g = to_networkx(out)
    path = tmp_path / "graph.graphml"
    write_graphml(g, path)
    back = nx.read_graphml(path)
    assert back.number_of_nodes() == g.number_of_nodes() and back.number_of_edges() == g.number_of_edges()
    assert back.nodes["0"]["op"] == "tanh" and back.nodes["0"]["value"] == pytest.approx(out.data)
    assert {d["label"] for _, d in back.nodes(data=True)} >= {"w1", "x1", "w2", "x2", "b"}
    assert os.listdir(tmp_path) == ["graph.graphml"]  # the temporary file is gone


def test_graphml_of_ndtensor_graph_turns_arrays_into_text(tmp_path) -> None:
    from minitorch import ndtensor

    a = ndtensor.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = (a * 2).sum()
    out.backward()
    path = tmp_path / "nd.graphml"
    write_graphml(to_networkx(out), path)
    back = nx.read_graphml(path)
    leaf = next(d for _, d in back.nodes(data=True) if d["kind"] == "leaf")
    assert leaf["shape"] == "2x3" and "[0, 5]" in leaf["value"]


def test_dot_text_is_valid_and_escaped(tmp_path) -> None:
    x = Scalar(1.5, label='say "hi"\\')
    out = (x * 2).relu()
    text = to_dot(to_networkx(out), name="my graph")
    assert text.startswith("digraph my_graph {") and text.rstrip().endswith("}")
    assert "rankdir=LR" in text and '"2" -> "1";' in text and '"1" -> "0";' in text
    assert 'say \\"hi\\"\\\\' in text  # quotes and backslashes escaped
    path = tmp_path / "g.dot"
    write_dot(to_networkx(out), path)
    assert path.read_text() == to_dot(to_networkx(out))


def test_failed_write_leaves_old_file_and_no_temporary_file(tmp_path, monkeypatch) -> None:
    g = to_networkx(build("x"))
    with pytest.raises(OSError):
        write_graphml(g, tmp_path / "missing-folder" / "g.graphml")
    target = tmp_path / "g.graphml"
    target.write_text("old")

    def broken_writer(graph, path):
        with open(path, "w") as handle:
            handle.write("half")
        raise OSError("disk full")

    monkeypatch.setattr(nx, "write_graphml", broken_writer)
    with pytest.raises(OSError, match="disk full"):
        write_graphml(g, target)
    assert os.listdir(tmp_path) == ["g.graphml"] and target.read_text() == "old"


# --- the model's graph ------------------------------------------------------------------------------


def test_model_graph_labels_values_and_gradients() -> None:
    random.seed(0)
    model = MLP(2, [3, 1], activation="tanh", output_activation="linear")
    sample = [0.5, -1.0]
    g = model_graph(model, sample)
    root = g.nodes[0]
    assert root["value"] == pytest.approx(model(sample).data)
    labels = {attrs["label"]: n for n, attrs in g.nodes(data=True) if attrs["label"]}
    assert {"x[0]", "x[1]", "0.weight[2,1]", "0.bias[0]", "2.weight[0,2]", "2.bias[0]"} <= set(labels)
    # gradients are d(output)/d(node); compare the parameters with a direct backward pass
    model.zero_grad()
    model(sample).backward()
    for j, neuron in enumerate(model.layers[0].neurons):
        for i, w in enumerate(neuron.weights):
            assert g.nodes[labels[f"0.weight[{j},{i}]"]]["grad"] == pytest.approx(w.grad, rel=1e-12)
    # every node a neuron computes belongs to that neuron's group
    groups = {attrs.get("group") for _, attrs in g.nodes(data=True)}
    assert groups == {"0:0", "0:1", "0:2", "2:0", None}
    assert g.nodes[labels["x[0]"]].get("group") is None


def test_collapse_groups_one_box_per_neuron_and_expand() -> None:
    random.seed(1)
    model = MLP(2, [4, 4, 2])
    g = model_graph(model, [0.1, 0.2], input_names=["x1", "x2"])
    collapsed = collapse_groups(g)
    boxes = [n for n, kind in collapsed.nodes(data="kind") if kind == "group"]
    assert len(boxes) == 10  # 4 + 4 + 2 neurons
    inputs = [n for n, attrs in collapsed.nodes(data=True) if attrs.get("label") in ("x1", "x2")]
    assert len(inputs) == 2
    # the sum of the two outputs stays an ordinary node fed by the two output neurons
    assert collapsed.graph["root"] == 0 and collapsed.in_degree(0) == 2
    box = collapsed.nodes["group:0:1"]
    assert box["label"] == "0: neuron 1" and box["op"] == "tanh"
    assert box["value"] == pytest.approx(model.layers[0].neurons[1]([0.1, 0.2]).data)
    # first-layer neurons read both inputs; second-layer neurons read all first-layer boxes
    assert collapsed.in_degree("group:0:1") == 2 and collapsed.in_degree("group:2:3") == 4
    expanded = collapse_groups(g, expanded={"0:1"})
    assert "group:0:1" not in expanded
    assert expanded.number_of_nodes() == collapsed.number_of_nodes() - 1 + box["size"]
    assert nx.is_directed_acyclic_graph(expanded)


def test_mlp_from_torch_state_dict_matches_torch_forward() -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2), torch.nn.Tanh()
    ).double()
    model, prefixes = mlp_from_state_dict(net.state_dict(), "relu", "tanh")
    assert prefixes == ["0", "2"] and model.sizes == [3, 5, 2]
    sample = [0.3, -1.2, 2.0]
    expected = net(torch.tensor([sample], dtype=torch.float64))[0].tolist()
    assert [o.data for o in model(sample)] == pytest.approx(expected, rel=1e-12)
    sd = {k: v.numpy() for k, v in net.state_dict().items()}
    g = model_graph(model, sample, layer_names=prefixes)
    assert g.nodes[0]["value"] == pytest.approx(sum(expected), rel=1e-12)
    assert mlp_from_state_dict(sd, "relu", "tanh")[0].sizes == [3, 5, 2]


@pytest.mark.parametrize(
    ("state_dict", "error", "fragment"),
    [
        ({}, ValueError, "empty"),
        ({"0.weight": [[1.0]]}, ValueError, "needs both"),
        ({"fc.weight": [[1.0]], "fc.bias": [1.0]}, ValueError, "not a Linear"),
        ({"0.weight": [1.0], "0.bias": [1.0]}, ShapeError, "shapes"),
        ({"0.weight": [[1.0, 2.0]], "0.bias": [1.0], "2.weight": [[1.0, 2.0]], "2.bias": [0.0]}, ShapeError,
         "takes 2 inputs"),
    ],
)
def test_bad_state_dicts_are_named(state_dict, error, fragment) -> None:
    with pytest.raises(error, match=fragment):
        mlp_from_state_dict(state_dict)


def test_model_graph_rejects_a_wrong_sample() -> None:
    model = MLP(2, [1])
    with pytest.raises(ShapeError, match="takes 2 inputs"):
        model_graph(model, [1.0])
    with pytest.raises(ValueError, match="finite"):
        model_graph(model, [1.0, float("nan")])


def test_model_graph_is_whole_even_inside_no_grad() -> None:
    from minitorch import no_grad

    random.seed(0)
    model = MLP(2, [2])
    with no_grad():  # grad mode is per thread; the drawing switches recording on for itself
        graph = model_graph(model, [1.0, 2.0])
    labels = {data.get("label") for _, data in graph.nodes(data=True)}
    assert {"0.weight[0,0]", "0.weight[1,1]", "0.bias[0]", "0.bias[1]", "x[0]", "x[1]"} <= labels


def test_crossing_counts_agree_with_brute_force() -> None:
    import itertools

    from minitorch.graph import _inversions

    rng = random.Random(7)
    for _ in range(30):
        edges = sorted((rng.randrange(8), rng.randrange(8)) for _ in range(rng.randrange(2, 30)))
        brute = sum(1 for (a, b), (c, d) in itertools.combinations(edges, 2) if a < c and b > d)
        assert _inversions(edges) == brute
        # the same edges as a two-layer graph go through the numpy path of count_crossings
        g = nx.DiGraph()
        pos = {}
        for s, t in edges:
            g.add_edge(("s", s), ("t", t))
            pos[("s", s)], pos[("t", t)] = (0, s), (1, t)
        assert count_crossings(g, pos) == sum(
            1 for (a, b), (c, d) in itertools.combinations(sorted(set(edges)), 2) if a < c and b > d
        )


def test_edges_that_skip_layers_get_waypoints_between_the_boxes() -> None:
    from minitorch.graph import WAYPOINT_HEIGHT, layered_layout_with_routes

    g = to_networkx(build("sigmoid(x * y - z) * log(x) + x.tanh() / (y * y + 1)"))
    pos, routes = layered_layout_with_routes(g)
    assert routes and set(pos) == set(g.nodes)
    for (a, b), points in routes.items():
        assert g.has_edge(a, b)
        assert [x for x, _ in points] == [float(layer) for layer in range(int(pos[a][0]) + 1, int(pos[b][0]))]
        for x, y in points:  # a waypoint never sits on a box of its layer
            for node, (nx_, ny) in pos.items():
                if nx_ == x:
                    assert abs(ny - y) >= (1 + WAYPOINT_HEIGHT) / 2 - 1e-9, (node, (x, y))
    for a, b in g.edges:  # every other edge joins neighbouring layers
        if (a, b) not in routes:
            assert pos[b][0] - pos[a][0] == 1
    assert layered_layout_with_routes(to_networkx(build("sigmoid(x * y - z) * log(x) + x.tanh() / (y * y + 1)"))) \
        == (pos, routes)
    # expression trees need none: every value moves next to its consumer
    assert layered_layout_with_routes(to_networkx(build("tanh(w1*x1 + w2*x2 + b)")))[1] == {}


def test_waypoints_are_skipped_when_they_would_swamp_the_graph(monkeypatch) -> None:
    import minitorch.graph as graph_module
    from minitorch.graph import layered_layout_with_routes

    monkeypatch.setattr(graph_module, "MAX_ROUTE_POINTS_PER_NODE", 0.0)
    g = to_networkx(build("sigmoid(x * y - z) * log(x) + x.tanh() / (y * y + 1)"))
    pos, routes = layered_layout_with_routes(g)
    assert routes == {} and pos == layered_layout(g)
