"""The computation graph as data: extraction to networkx, a layered layout, GraphML/DOT export,
a step-by-step replay of backpropagation, and the graph of a network's forward pass.

Everything here is Qt-free; `gui.explorer` draws what this module computes.

    >>> from minitorch import Scalar
    >>> x = Scalar(2.0, label="x")
    >>> y = (x * x + 1).tanh()
    >>> y.backward()
    >>> g = to_networkx(y)            # nodes 0..n-1, node 0 is y; edges point the way data flows
    >>> pos = layered_layout(g)       # {node: (layer, row)}: inputs on the left, y on the right
    >>> text = to_dot(g)              # Graphviz text, no graphviz install needed

Extraction is duck-typed: any node with ``.data``, ``.grad``, ``.op`` and ``.inputs`` (or
``._prev``) works, so the scalar engine and the n-d `minitorch.ndtensor.Tensor` are drawn
alike; n-d nodes also get a ``shape`` attribute.
"""

from __future__ import annotations

import math
import os
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from .architecture import ModelSpec, mlp_layers
from .autograd import enable_grad, reverse_topological_order
from .errors import ShapeError
from .fileio import atomic_write

__all__ = [
    "to_networkx",
    "layered_layout",
    "layered_layout_with_routes",
    "count_crossings",
    "collapse_groups",
    "to_dot",
    "write_dot",
    "write_graphml",
    "BackwardStep",
    "BackwardStepper",
    "mlp_from_state_dict",
    "model_graph",
    "describe_value",
]


# --- extraction ----------------------------------------------------------------------------------


def _inputs_of(node: Any) -> tuple:
    inputs = getattr(node, "inputs", None)
    if inputs is None:
        inputs = getattr(node, "_prev", ())
    return tuple(inputs)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_networkx(
    root: Any,
    names: Mapping[int, str] | None = None,
    groups: Mapping[int, str] | None = None,
    attributes: Mapping[str, Mapping[int, Any]] | None = None,
) -> nx.DiGraph:
    """The graph that produced ``root`` as a `networkx.DiGraph`.

    Nodes are numbered 0..n-1 in reverse topological order (node 0 is ``root``; every node
    comes before the nodes it was computed from), which is also the order of the backward
    pass. Edges go from an input to the node computed from it. Node attributes:

    - ``op``: the operation ('' for a leaf), ``kind``: "leaf" or "op"
    - ``label``: ``names[id(tensor)]`` if given, else the tensor's own ``label``
    - ``value`` and ``grad``: numbers for the scalar engine, arrays for n-d tensors
    - ``shape``: only for n-d tensors; ``group``: ``groups[id(tensor)]`` if given
    - any ``attributes[name][id(tensor)]`` given (e.g. ``{"expr": {...}}`` for source text)

    Edge attributes: ``index`` (the input's argument position) and, for scalar nodes,
    ``local_grad`` = d(node)/d(input), summed when the same input is used twice (``x * x``).
    """
    names = names or {}
    groups = groups or {}
    order = reverse_topological_order(root)
    index = {id(node): i for i, node in enumerate(order)}
    graph = nx.DiGraph(root=0)
    for i, node in enumerate(order):
        attrs: dict[str, Any] = {
            "op": str(getattr(node, "op", "") or ""),
            "kind": "op" if _inputs_of(node) else "leaf",
            "label": names.get(id(node)) or str(getattr(node, "label", "") or ""),
            "value": node.data,
            "grad": getattr(node, "grad", None),
        }
        shape = getattr(node, "shape", None)
        if shape is not None:
            attrs["shape"] = tuple(int(s) for s in shape)
        group = groups.get(id(node))
        if group is not None:
            attrs["group"] = group
        for name, values in (attributes or {}).items():
            if id(node) in values:
                attrs[name] = values[id(node)]
        graph.add_node(i, **attrs)
    for i, node in enumerate(order):
        locals_ = tuple(getattr(node, "local_grads", ()) or ())
        for position, child in enumerate(_inputs_of(node)):
            j = index[id(child)]
            local = locals_[position] if position < len(locals_) and _is_scalar(locals_[position]) else None
            if graph.has_edge(j, i):  # the same input used twice: d/dx (x*x) = x + x
                edge = graph.edges[j, i]
                if edge.get("local_grad") is not None and local is not None:
                    edge["local_grad"] += local
                edge["multiplicity"] += 1
            else:
                graph.add_edge(j, i, index=position, multiplicity=1)
                if local is not None:
                    graph.edges[j, i]["local_grad"] = local
    return graph


# --- layout --------------------------------------------------------------------------------------


def _layers(graph: nx.DiGraph) -> dict[Hashable, int]:
    """Layer of every node.

    Start from `networkx.topological_generations` (each node as early as possible). Then, from
    the output backwards, move a node right up to the layer before its consumer when that
    shortens edges: sources (constants, weights, inputs) always; a value used once when at most
    one of its inputs stays where it is (the others move along). So an expression tree has no
    edge that skips a layer, while values used many times (a layer's neurons) and whatever
    they all feed stay aligned in one column.
    """
    layer: dict[Hashable, int] = {}
    for depth, generation in enumerate(nx.topological_generations(graph)):
        for node in generation:
            layer[node] = depth
    order = list(nx.topological_sort(graph))
    movable: dict[Hashable, bool] = {}
    for node in order:
        consumers = graph.out_degree(node)
        if consumers == 0:
            movable[node] = False
        elif graph.in_degree(node) == 0:
            movable[node] = True
        else:
            staying = sum(1 for p in graph.predecessors(node) if not movable[p])
            movable[node] = consumers == 1 and staying <= 1
    for node in reversed(order):
        if movable[node]:
            layer[node] = max(layer[node], min(layer[s] for s in graph.successors(node)) - 1)
    return layer


#: Edges that skip layers get routing points unless that would add more than this many
#: points per node of the graph (a big network's full graph would grow several times over).
MAX_ROUTE_POINTS_PER_NODE = 3.0
#: Vertical room a waypoint takes in its layer, in rows (a node takes 1).
WAYPOINT_HEIGHT = 0.3


class _Waypoint:
    """A placeholder where an edge crosses a layer it skips (the 'dummy node' of Sugiyama layouts)."""

    __slots__ = ("edge",)

    def __init__(self, edge: tuple[Hashable, Hashable]):
        self.edge = edge


def layered_layout(graph: nx.DiGraph, sweeps: int = 4) -> dict[Hashable, tuple[float, float]]:
    """A deterministic left-to-right layered layout: ``{node: (layer, row)}``.

    See `layered_layout_with_routes`, which also says where edges that skip layers should pass.
    """
    return layered_layout_with_routes(graph, sweeps)[0]


def layered_layout_with_routes(
    graph: nx.DiGraph, sweeps: int = 4
) -> tuple[dict[Hashable, tuple[float, float]], dict[tuple[Hashable, Hashable], list[tuple[float, float]]]]:
    """Positions ``{node: (layer, row)}`` and routes ``{(a, b): [(layer, row), ...]}``.

    Layers come from `networkx.topological_generations` (data flows left to right; see
    `_layers` for how single-use values move next to their consumer). An edge that skips
    layers gets a waypoint in each layer it crosses, which takes a row there like a node, so
    the edge passes between boxes instead of behind them (skipped for huge graphs, see
    `MAX_ROUTE_POINTS_PER_NODE`). Inside a layer, rows are ordered by the barycenter heuristic
    (each node moves to the mean row of its neighbours), sweeping forwards and backwards and
    keeping the ordering with the fewest edge crossings. Rows are centred on 0, nodes one unit
    apart (waypoints `WAYPOINT_HEIGHT`); layers are one unit apart. The same graph always gets
    the same drawing.
    """
    if graph.number_of_nodes() == 0:
        return {}, {}
    if not nx.is_directed_acyclic_graph(graph):
        raise ValueError("layered_layout needs a directed acyclic graph (a computation graph has no cycles)")
    layer: dict[Hashable, int] = _layers(graph)
    num_layers = max(layer.values()) + 1
    rows: list[list[Hashable]] = [[] for _ in range(num_layers)]
    for node in graph.nodes:  # insertion order keeps the result deterministic
        rows[layer[node]].append(node)
    preds: dict[Hashable, list] = {n: list(graph.predecessors(n)) for n in graph.nodes}
    succs: dict[Hashable, list] = {n: list(graph.successors(n)) for n in graph.nodes}

    # waypoints for edges that skip layers, chained a -> w1 -> ... -> b in the ordering graph
    waypoints: dict[tuple[Hashable, Hashable], list[_Waypoint]] = {}
    needed = sum(layer[b] - layer[a] - 1 for a, b in graph.edges)
    if 0 < needed <= MAX_ROUTE_POINTS_PER_NODE * graph.number_of_nodes():
        for a, b in graph.edges:
            span = layer[b] - layer[a]
            if span < 2:
                continue
            chain = [_Waypoint((a, b)) for _ in range(span - 1)]
            waypoints[(a, b)] = chain
            previous = a
            for k, point in enumerate(chain):
                layer[point] = layer[a] + 1 + k
                rows[layer[point]].append(point)
                preds[point] = [previous]
                succs[point] = []
                succs[previous] = [point if s == b else s for s in succs[previous]] if previous == a else [point]
                previous = point
            succs[previous] = [b]
            preds[b] = [chain[-1] if p == a else p for p in preds[b]]

    def positions(ordering: list[list[Hashable]]) -> dict[Hashable, float]:
        # normalised to [0, 1] per layer so layers of different sizes compare fairly
        out = {}
        for row in ordering:
            scale = 1.0 / max(1, len(row) - 1)
            for k, node in enumerate(row):
                out[node] = k * scale
        return out

    best = [list(r) for r in rows]
    best_crossings = _crossings_of(best, layer, succs)
    current = [list(r) for r in rows]
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        neighbours = preds if forward else succs
        pos = positions(current)
        layer_order = range(num_layers) if forward else range(num_layers - 1, -1, -1)
        for li in layer_order:
            row = current[li]

            def barycenter(node: Hashable, row_pos: dict = pos, near_of: dict = neighbours) -> float:
                near = near_of[node]
                if not near:
                    return row_pos[node]
                return sum(row_pos[m] for m in near) / len(near)

            # stable sort: ties keep their current order, so the result is deterministic
            current[li] = sorted(row, key=barycenter)
            scale = 1.0 / max(1, len(row) - 1)
            for k, node in enumerate(current[li]):
                pos[node] = k * scale
        crossings = _crossings_of(current, layer, succs)
        if crossings < best_crossings:
            best, best_crossings = [list(r) for r in current], crossings
    coords: dict[Hashable, tuple[float, float]] = {}
    for li, row in enumerate(best):
        # a node takes one row; a waypoint only a thin lane, so routed edges cost little height
        heights = [WAYPOINT_HEIGHT if isinstance(node, _Waypoint) else 1.0 for node in row]
        middle = (sum(heights) - heights[0] / 2 - heights[-1] / 2) / 2
        y = -middle
        for k, node in enumerate(row):
            if k:
                y += (heights[k - 1] + heights[k]) / 2
            coords[node] = (float(li), float(y))
    routes = {edge: [coords.pop(point) for point in chain] for edge, chain in waypoints.items()}
    return coords, routes


def _crossings_of(rows: list[list[Hashable]], layer: Mapping[Hashable, int], succs: Mapping) -> int:
    """Crossings between edges that leave the same layer.

    Two edges from one layer cross when their sources and their targets come in opposite
    orders (targets compared by (layer, row), a fair proxy for edges that skip layers).
    Counted with numpy pair comparisons for the usual sizes, a Fenwick tree for huge layers.
    """
    rank = {node: k for row in rows for k, node in enumerate(row)}
    width = max((len(row) for row in rows), default=1) + 1
    total = 0
    for row in rows:
        sources, targets = [], []
        for node in row:
            r = rank[node]
            for target in succs[node]:
                sources.append(r)
                targets.append(layer[target] * width + rank[target])
        n = len(sources)
        if n < 2:
            continue
        if n <= 2000:
            src, key = np.array(sources), np.array(targets)
            total += int(np.count_nonzero((src[:, None] < src[None, :]) & (key[:, None] > key[None, :])))
        else:
            total += _inversions(sorted(zip(sources, targets)))
    return total


def _inversions(edges: list[tuple[int, int]]) -> int:
    """Pairs i < j (edges sorted by source) whose targets are in the opposite order (Fenwick tree)."""
    keys = sorted({t for _, t in edges})
    index = {k: i + 1 for i, k in enumerate(keys)}
    tree = [0] * (len(keys) + 1)
    total = seen = 0
    for _, target in edges:
        k = index[target]
        at_most = 0
        i = k
        while i > 0:
            at_most += tree[i]
            i -= i & -i
        total += seen - at_most
        i = k
        while i <= len(keys):
            tree[i] += 1
            i += i & -i
        seen += 1
    return total


def count_crossings(graph: nx.DiGraph, pos: Mapping[Hashable, Sequence[float]]) -> int:
    """Edge crossings of a layered drawing, for any layout whose x is the layer (used by the benchmark)."""
    layer_of = {n: round(float(pos[n][0]), 6) for n in graph.nodes}
    layers = sorted(set(layer_of.values()))
    layer_index = {value: i for i, value in enumerate(layers)}
    rows: list[list[Hashable]] = [[] for _ in layers]
    for node in sorted(graph.nodes, key=lambda n: (layer_of[n], float(pos[n][1]))):
        rows[layer_index[layer_of[node]]].append(node)
    layer = {n: layer_index[layer_of[n]] for n in graph.nodes}
    succs = {n: list(graph.successors(n)) for n in graph.nodes}
    return _crossings_of(rows, layer, succs)


# --- collapsing groups (one box per neuron) ---------------------------------------------------------


def collapse_groups(graph: nx.DiGraph, expanded: Iterable[str] = ()) -> nx.DiGraph:
    """Merge the nodes of each ``group`` attribute into one node, except groups in ``expanded``.

    A merged node is named ``"group:<name>"``; it takes the value and gradient of the group's
    output (its node that feeds something outside the group, or the graph's root), ``op`` of
    that output, ``kind`` "group", and ``size`` = how many nodes it stands for. Edges between
    merged nodes are kept once.
    """
    expanded = set(expanded)
    rep: dict[Hashable, Hashable] = {}
    members: dict[str, list[Hashable]] = {}
    for node, attrs in graph.nodes(data=True):
        group = attrs.get("group")
        if group is not None and group not in expanded:
            rep[node] = f"group:{group}"
            members.setdefault(group, []).append(node)
        else:
            rep[node] = node
    out = nx.DiGraph(**graph.graph)
    for node, attrs in graph.nodes(data=True):
        target = rep[node]
        if target == node:
            out.add_node(node, **attrs)
        elif target not in out:
            group = attrs["group"]
            nodes = members[group]
            output = _group_output(graph, nodes, set(nodes))
            out_attrs = dict(graph.nodes[output])
            out_attrs.update(kind="group", size=len(nodes), members=tuple(nodes), output=output)
            out_attrs["label"] = graph.graph.get("group_labels", {}).get(group, group)
            out.add_node(target, **out_attrs)
    for a, b, attrs in graph.edges(data=True):
        ra, rb = rep[a], rep[b]
        if ra != rb and not out.has_edge(ra, rb):
            out.add_edge(ra, rb, **{k: v for k, v in attrs.items() if k != "local_grad"})
    if "root" in graph.graph:
        out.graph["root"] = rep[graph.graph["root"]]
    return out


def _group_output(graph: nx.DiGraph, nodes: list[Hashable], inside: set) -> Hashable:
    for node in nodes:
        if graph.out_degree(node) == 0 or any(s not in inside for s in graph.successors(node)):
            return node
    return nodes[0]


# --- export --------------------------------------------------------------------------------------


def describe_value(value: Any, digits: int = 4) -> str:
    """A short text for a node's value or gradient: a number, or shape and range for an array."""
    if value is None:
        return "?"
    if _is_scalar(value):
        return f"{value:.{digits}g}"
    shape = getattr(value, "shape", None)
    if shape is not None:
        try:
            import numpy as np

            array = np.asarray(value, dtype=float)
            if array.size == 1:
                return f"{float(array.reshape(-1)[0]):.{digits}g}"
            return f"{'x'.join(map(str, shape))} [{array.min():.{digits}g}, {array.max():.{digits}g}]"
        except (TypeError, ValueError):
            return f"array {tuple(shape)}"
    return str(value)


def _plain_attributes(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes GraphML can hold (str, int, float, bool); arrays and tuples become text."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if value is None or key in ("members", "output"):
            continue
        if key in ("value", "grad", "local_grad") and isinstance(value, int) and not isinstance(value, bool):
            out[key] = float(value)  # one GraphML type per attribute: 2 and 0.5 are both doubles
        elif isinstance(value, bool) or isinstance(value, (int, float, str)):
            out[key] = value
        elif key == "shape":
            out[key] = "x".join(str(s) for s in value)
        else:
            out[key] = describe_value(value, digits=17)
    return out


def write_graphml(graph: nx.DiGraph, path: str | os.PathLike) -> None:
    """Save the graph as GraphML (readable by networkx, yEd, Gephi); written atomically."""
    plain = nx.DiGraph()
    for node, attrs in graph.nodes(data=True):
        plain.add_node(str(node), **_plain_attributes(attrs))
    for a, b, attrs in graph.edges(data=True):
        plain.add_edge(str(a), str(b), **_plain_attributes(attrs))
    atomic_write(path, lambda tmp: nx.write_graphml(plain, tmp))


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def node_caption(attrs: Mapping[str, Any]) -> str:
    """The node's title: its label and/or its operation (what a person reads first)."""
    label, op = attrs.get("label") or "", attrs.get("op") or ""
    if label and op:
        return f"{label} = {op}"
    return label or op or "leaf"


def to_dot(graph: nx.DiGraph, name: str = "computation") -> str:
    """Graphviz DOT text (left to right, data-flow edges); render with ``dot -Tpng`` anywhere."""
    safe_name = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "computation"
    lines = [f"digraph {safe_name} {{", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for node, attrs in graph.nodes(data=True):
        text = node_caption(attrs)
        if "shape" in attrs:
            text += f"\nshape {tuple(attrs['shape'])}"
        text += f"\ndata {describe_value(attrs.get('value'))}\ngrad {describe_value(attrs.get('grad'))}"
        style = ", style=rounded" if attrs.get("kind") == "leaf" else ""
        lines.append(f"  {_dot_quote(str(node))} [label={_dot_quote(text)}{style}];")
    for a, b in graph.edges:
        lines.append(f"  {_dot_quote(str(a))} -> {_dot_quote(str(b))};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_dot(graph: nx.DiGraph, path: str | os.PathLike, name: str = "computation") -> None:
    """Save `to_dot` text to ``path`` atomically."""
    text = to_dot(graph, name)

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)

    atomic_write(path, write)


# --- step-by-step backward -------------------------------------------------------------------------


@dataclass(frozen=True)
class BackwardStep:
    """One step of the replayed backward pass.

    ``node`` has just received its final gradient ``grad``; ``contributions`` lists, for each of
    its inputs, ``(input, local_grad, local_grad * grad)``: what the chain rule adds to that input.
    """

    index: int
    node: Hashable
    grad: float
    contributions: tuple[tuple[Hashable, float, float], ...]


class BackwardStepper:
    """Replays backpropagation on a scalar graph from `to_networkx`, one node at a time.

    Nodes are processed in the order of the backward pass (node ids 0, 1, 2, ...: each node
    after every node that consumes it), so when a node is processed its gradient is complete:
    ``grad(input) += local_grad * grad(node)`` for each input. The stepper never touches the
    tensors; after the last step `grads` equal what ``root.backward()`` computes.
    """

    def __init__(self, graph: nx.DiGraph):
        for a, b, attrs in graph.edges(data=True):
            if attrs.get("local_grad") is None:
                raise ValueError(
                    f"edge {a} -> {b} has no local gradient; step-by-step backward needs a scalar graph"
                )
        self.graph = graph
        self.root = graph.graph.get("root", 0)
        self.order: list[Hashable] = list(reversed(list(nx.topological_sort(graph))))
        if all(isinstance(n, int) for n in graph.nodes):
            self.order = sorted(graph.nodes)  # the engine's own backward order (see to_networkx)
        self.reset()

    def reset(self) -> None:
        """Forget all gradients; the next step starts again at the root."""
        self.position = 0
        self.grads: dict[Hashable, float | None] = {node: None for node in self.graph.nodes}
        self.done: set[Hashable] = set()
        self.history: list[BackwardStep] = []

    @property
    def finished(self) -> bool:
        return self.position >= len(self.order)

    @property
    def total_steps(self) -> int:
        return len(self.order)

    def step(self) -> BackwardStep | None:
        """Process the next node; returns what happened, or None when backward is complete."""
        if self.finished:
            return None
        node = self.order[self.position]
        if self.position == 0:
            self.grads[node] = 1.0  # d(root)/d(root)
        grad = self.grads[node]
        if grad is None:  # unreachable from the root; cannot happen for a graph from to_networkx
            grad = 0.0
            self.grads[node] = grad
        contributions = []
        edges = sorted(self.graph.in_edges(node, data=True), key=lambda e: e[2].get("index", 0))
        for source, _, attrs in edges:
            local = attrs["local_grad"]
            added = local * grad
            previous = self.grads[source]
            self.grads[source] = added if previous is None else previous + added
            contributions.append((source, local, added))
        step = BackwardStep(self.position, node, grad, tuple(contributions))
        self.done.add(node)
        self.history.append(step)
        self.position += 1
        return step

    def run(self) -> None:
        """Finish the whole backward pass."""
        while not self.finished:
            self.step()


# --- the model's own graph ----------------------------------------------------------------------


def mlp_from_state_dict(
    state_dict: Mapping[str, Any], activation: str = "tanh", output_activation: str | None = None
) -> tuple[Any, list[str]]:
    """A scalar `minitorch.nn.MLP` with the shapes and weights of a torch-Sequential state_dict
    (``output_activation`` defaults to ``activation``, as in the seed's MLP).

    Returns ``(model, layer_prefixes)``; the prefixes ("0", "2", ...) name the Linear layers.
    """
    layers = mlp_layers(state_dict)
    spec = ModelSpec.from_state_dict(state_dict, activation, output_activation or activation)
    model = spec.build_scalar(seed=0)  # seeded: leaves Python's global random alone
    model.load_state_dict({f"{prefix}.{kind}": array for prefix, weight, bias in layers
                           for kind, array in (("weight", weight), ("bias", bias))})
    return model, [prefix for prefix, _, _ in layers]


@enable_grad()  # a drawing needs the whole graph, even when this thread is inside no_grad()
def model_graph(
    model: Any,
    sample: Sequence[float],
    input_names: Sequence[str] | None = None,
    layer_names: Sequence[str] | None = None,
) -> nx.DiGraph:
    """The computation graph of ``model(sample)`` for a scalar `MLP`, with gradients of the output.

    Parameters are labelled by their state_dict name and index (``"0.weight[2,1]"``,
    ``"0.bias[2]"``), inputs by ``input_names`` (default ``x[0]``, ``x[1]``, ...), and every node
    a neuron computes (its weights, products, sums and activation) gets ``group`` = that
    neuron (``"0:2"`` = layer "0", neuron 2) so `collapse_groups` can draw one box per neuron.
    A network with several outputs is drawn up to the sum of its outputs, whose gradient
    flows back to every node.
    """
    from .engine import Scalar

    sizes = model.sizes
    if len(sample) != sizes[0]:
        raise ShapeError(f"the sample has {len(sample)} values but the network takes {sizes[0]} inputs")
    layer_names = list(layer_names or [str(2 * k) for k in range(len(model.layers))])
    input_names = list(input_names or [f"x[{i}]" for i in range(sizes[0])])
    if len(input_names) != sizes[0]:
        input_names = [f"x[{i}]" for i in range(sizes[0])]
    names: dict[int, str] = {}
    groups: dict[int, str] = {}
    inputs = []
    for i, value in enumerate(sample):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
            raise ValueError(f"sample value {i} must be a finite number, got {value!r}")
        leaf = Scalar(float(value), label=input_names[i])
        names[id(leaf)] = input_names[i]
        inputs.append(leaf)
    known: set[int] = {id(t) for t in inputs}
    current: list[Any] = inputs
    for k, layer in enumerate(model.layers):
        prefix = layer_names[k]
        outputs = []
        for j, neuron in enumerate(layer.neurons):
            for i, weight in enumerate(neuron.weights):
                names[id(weight)] = f"{prefix}.weight[{j},{i}]"
            names[id(neuron.bias)] = f"{prefix}.bias[{j}]"
            out = neuron(current)
            _claim_group(out, known, groups, f"{prefix}:{j}")
            outputs.append(out)
        current = outputs
    root = current[0]
    for extra in current[1:]:
        root = root + extra
    if len(current) > 1:
        names[id(root)] = "sum of outputs"
    root.backward()
    graph = to_networkx(root, names=names, groups=groups)
    graph.graph["layers"] = layer_names
    graph.graph["group_labels"] = {
        f"{prefix}:{j}": f"{prefix}: neuron {j}"
        for k, prefix in enumerate(layer_names)
        for j in range(len(model.layers[k].neurons))
    }
    return graph


def _claim_group(out: Any, known: set[int], groups: dict[int, str], group: str) -> None:
    """Put every node reachable from ``out`` that no earlier neuron claimed into ``group``."""
    stack = [out]
    while stack:
        node = stack.pop()
        if id(node) in known:
            continue
        known.add(id(node))
        groups[id(node)] = group
        stack.extend(_inputs_of(node))
