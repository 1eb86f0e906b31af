"""The network's forward graph for one sample, built and laid out without any GUI.

    request = model_request(config, trainer.state_dict(), sample=[0.3, -0.8])
    view = build_model_view(request)      # view.full: every scalar op; view.shown: neurons collapsed
    write_dot(view.shown, "model.dot")

The playground's "Model graph" tab runs `build_model_view` on a worker thread; the CLI and
the tests call it directly. `linear_layers` reads the (weight, bias) pairs of a
torch-Sequential state_dict of Linear layers, as the network drawing needs them; it loads
nothing heavy, while the graph builders load `minitorch.graph` (and networkx) on first use.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .activations import ACTIVATIONS, SCALAR_ACTIVATIONS
from .architecture import mlp_layers
from .autograd import enable_grad
from .backend import as_numpy

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "MAX_SCALAR_NODES",
    "ModelRequest",
    "ModelView",
    "build_model_view",
    "linear_layers",
    "model_request",
    "relayout",
    "resolve_output_activation",
    "tensor_model_graph",
]

#: Beyond this many scalar operations the forward graph is not built at all (it would take seconds).
MAX_SCALAR_NODES = 200_000
_LINEAR_KEY = re.compile(r"^(?:(.*)\.)?(\d+)\.weight$")


def linear_layers(state_dict: Mapping[str, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (weight (out, in), bias (out,)) pairs of a Sequential's Linear layers, in order.

    Keys that are not a Linear layer's (e.g. a Conv2d kernel) are skipped; a missing bias reads as zeros.
    """
    found: list[tuple[int, np.ndarray, np.ndarray]] = []
    for key, value in state_dict.items():
        match = _LINEAR_KEY.match(str(key))
        if not match:
            continue
        weight = np.asarray(value, dtype=float)
        if weight.ndim != 2:
            continue
        prefix = str(key)[: -len("weight")]
        bias = state_dict.get(prefix + "bias")
        bias_array = np.zeros(weight.shape[0]) if bias is None else np.asarray(bias, dtype=float).reshape(-1)
        found.append((int(match.group(2)), weight, bias_array))
    found.sort(key=lambda item: item[0])
    return [(w, b) for _, w, b in found]


@dataclass(frozen=True)
class ModelRequest:
    """Everything a build needs, copied so a worker thread shares nothing mutable."""

    token: int
    engine: str
    activation: str
    output_activation: str
    state_dict: dict[str, np.ndarray]
    sample: tuple[float, ...]
    input_names: tuple[str, ...] | None
    expanded: frozenset[str] = field(default_factory=frozenset)


@dataclass
class ModelView:
    """A finished build: the full graph, what is drawn (neurons collapsed) and where."""

    token: int
    full: nx.DiGraph
    shown: nx.DiGraph
    positions: dict[Hashable, tuple[float, float]]
    description: str
    routes: dict = field(default_factory=dict)  # waypoints of edges that skip layers


def _config_value(config: Any, name: str, default: Any) -> Any:
    """Read a TrainConfig field (config may be None, a dict or a dataclass)."""
    if config is None:
        return default
    value = config.get(name, default) if isinstance(config, Mapping) else getattr(config, name, default)
    return default if value is None else value


def resolve_output_activation(config: Any) -> str:
    """The output layer's activation as the trainer uses it.

    A `TrainConfig` knows (``resolved_output_activation()``: None means "chosen from the loss");
    a plain dict is turned into one when possible; otherwise "linear" (the raw output).
    """
    method = getattr(config, "resolved_output_activation", None)
    value: Any = None
    if callable(method):
        value = method()
    elif isinstance(config, Mapping) and config.get("output_activation") is None:
        try:
            from .training import TrainConfig

            value = TrainConfig.from_dict(dict(config)).resolved_output_activation()
        except ValueError:  # an incomplete or foreign dict: draw the raw output
            value = "linear"
    else:
        value = _config_value(config, "output_activation", "linear")
    return value if value in SCALAR_ACTIVATIONS else "linear"


def model_request(config: Any, state_dict: Mapping[str, Any], sample: Sequence[float] | None = None,
                  token: int = 0, expanded: frozenset[str] = frozenset()) -> ModelRequest:
    """Check and copy what a build needs; ValueError (or ShapeError) says what is wrong."""
    if not isinstance(state_dict, Mapping) or not state_dict:
        raise ValueError("there is no state_dict (no network) to draw")
    arrays = {}
    for key, value in state_dict.items():
        arrays[str(key)] = np.array(as_numpy(value), dtype=float)  # a copy: the caller may keep training
    layers = mlp_layers(arrays)
    num_inputs = layers[0][1].shape[1]
    if sample is None:
        sample = [0.0] * num_inputs
    sample = tuple(float(v) for v in np.asarray(sample, dtype=float).reshape(-1))
    if len(sample) != num_inputs:
        raise ValueError(f"the sample has {len(sample)} values but the network takes {num_inputs} inputs")
    features = _config_value(config, "features", None)
    names = tuple(str(f) for f in features) if features and len(features) == num_inputs else None
    activation = _config_value(config, "activation", "tanh")
    if activation not in SCALAR_ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r} in the configuration")
    return ModelRequest(
        token=token,
        engine=str(_config_value(config, "engine", "scalar")),
        activation=activation,
        output_activation=resolve_output_activation(config),
        state_dict=arrays,
        sample=sample,
        input_names=names,
        expanded=frozenset(expanded),
    )


def build_model_view(request: ModelRequest) -> ModelView:
    """Build, collapse and lay out the graph (safe on a worker thread).

    Recording is switched on here: a drawing needs the whole graph, whatever the thread's
    ``no_grad()`` state (grad mode is per thread).
    """
    with enable_grad():
        return _build_model_view(request)


def _build_model_view(request: ModelRequest) -> ModelView:
    from .graph import layered_layout_with_routes, mlp_from_state_dict, model_graph

    if request.engine == "tensor":
        graph = tensor_model_graph(request)
        positions, routes = layered_layout_with_routes(graph)
        description = (f"tensor-level graph: {graph.number_of_nodes()} nodes; grad = d(sum of outputs)/d(node) "
                       "for this sample")
        return ModelView(request.token, graph, graph, positions, description, routes)
    layers = mlp_layers(request.state_dict)
    estimate = sum(w.shape[0] * (2 * w.shape[1] + 3) for _, w, _ in layers)
    if estimate > MAX_SCALAR_NODES:
        raise ValueError(
            f"this network's scalar graph would have about {estimate:,} nodes, too many to draw "
            f"(the limit is {MAX_SCALAR_NODES:,}); use a smaller network or the tensor engine"
        )
    model, prefixes = mlp_from_state_dict(request.state_dict, request.activation, request.output_activation)
    graph = model_graph(model, request.sample, request.input_names, prefixes)
    return relayout(ModelView(request.token, graph, graph, {}, ""), request.expanded)


def _name_as_the_playground(shown: nx.DiGraph, full: nx.DiGraph) -> None:
    """Neuron boxes named and numbered as the playground's network drawing ("Hidden 1" is "H1"):
    "H1 · neuron 1" ... "out · neuron 1", counted from 1 (short enough for a box with its
    activation; the graph's groups are "<layer prefix>:<0-based index>")."""
    groups = {str(g) for _, g in full.nodes(data="group") if g is not None}
    prefixes = sorted({g.partition(":")[0] for g in groups if g.partition(":")[0].isdigit()}, key=int)
    names = {prefix: ("out" if k == len(prefixes) - 1 else f"H{k + 1}") for k, prefix in enumerate(prefixes)}
    for _, attrs in shown.nodes(data=True):
        group = attrs.get("group")
        if attrs.get("kind") == "group" and group:
            prefix, _, index = str(group).partition(":")
            if prefix in names and index.isdigit():
                attrs["label"] = f"{names[prefix]} · neuron {int(index) + 1}"


def _group_weights(shown: nx.DiGraph, full: nx.DiGraph) -> None:
    """Give each edge into a collapsed neuron the weight it carries (edge colour and width, as in the
    playground's drawing): the neuron's weight for that input, read from the full graph."""
    for source, target, attrs in shown.edges(data=True):
        target_attrs = shown.nodes[target]
        if target_attrs.get("kind") != "group":
            continue
        weight = _weight_between(full, shown.nodes[source], source, target_attrs)
        if weight is not None:
            attrs["weight"] = weight


def _weight_between(full: nx.DiGraph, source_attrs: Mapping[str, Any], source: Hashable,
                    target_attrs: Mapping[str, Any]) -> float | None:
    # The input's value node inside the full graph: a collapsed neuron's output node, or the leaf itself.
    source_node = source_attrs.get("output", source) if source_attrs.get("kind") == "group" else source
    members = set(target_attrs.get("members") or ())
    for product in full.successors(source_node) if source_node in full else ():
        if product not in members:
            continue
        for operand in full.predecessors(product):
            label = str(full.nodes[operand].get("label") or "")
            if ".weight[" in label and operand != source_node:
                value = full.nodes[operand].get("value")
                return float(value) if value is not None else None
    return None


def relayout(view: ModelView, expanded: frozenset[str] | set[str]) -> ModelView:
    """The same full graph with another set of expanded neurons, laid out again."""
    from .graph import collapse_groups, layered_layout_with_routes

    full = view.full
    grouped = any("group" in attrs for _, attrs in full.nodes(data=True))
    shown = collapse_groups(full, set(expanded)) if grouped else full
    if grouped:
        _group_weights(shown, full)
        _name_as_the_playground(shown, full)
    if grouped and expanded:
        positions, routes = _expanded_in_place(full, shown, set(expanded)), {}
    else:
        positions, routes = layered_layout_with_routes(shown)
    # The playground draws the first neuron (and x1) at the top: the layout counts rows upwards.
    positions = {node: (x, -y) for node, (x, y) in positions.items()}
    routes = {edge: [(x, -y) for x, y in points] for edge, points in routes.items()}
    return ModelView(view.token, full, shown, positions, scalar_description(full, shown), routes)


def _expanded_in_place(full: nx.DiGraph, shown: nx.DiGraph, expanded: set[str]) -> dict[Hashable, tuple[float, float]]:
    """Positions where every collapsed neuron keeps its place, and an expanded one opens in place.

    The layout of the fully collapsed network is the frame. An expanded neuron becomes a small
    block (its weights, products, sums and activation laid out left to right) where its box was:
    the columns after it move right to make room, and the boxes below it in its column move
    down. So expanding one neuron never scatters it over the whole graph.
    """
    from .graph import collapse_groups, layered_layout_with_routes

    base, _ = layered_layout_with_routes(collapse_groups(full, set()))
    blocks: dict[str, dict[Hashable, tuple[float, float]]] = {}
    for group in expanded:
        members = [n for n, g in full.nodes(data="group") if g == group and n in shown]
        key = f"group:{group}"
        if not members or key not in base:
            continue
        local, _ = layered_layout_with_routes(full.subgraph(members))
        low_x = min(x for x, _ in local.values())
        low_y = min(y for _, y in local.values())
        blocks[key] = {n: (x - low_x, y - low_y) for n, (x, y) in local.items()}
    # Extra width after each column (the widest block in it), then where each column starts.
    widths: dict[float, float] = {}
    for key, block in blocks.items():
        column = base[key][0]
        widths[column] = max(widths.get(column, 0.0), max(x for x, _ in block.values()))
    columns = sorted({x for x, _ in base.values()})
    start, shift = {}, 0.0
    for column in columns:
        start[column] = column + shift
        shift += widths.get(column, 0.0)
    positions: dict[Hashable, tuple[float, float]] = {}
    for column in columns:
        boxes = sorted((n for n, (x, _) in base.items() if x == column), key=lambda n: base[n][1])
        heights = {n: (max(y for _, y in blocks[n].values()) + 1 if n in blocks else 1.0) for n in boxes}
        top = -sum(heights.values()) / 2
        for node in boxes:
            if node in blocks:
                for member, (x, y) in blocks[node].items():
                    positions[member] = (start[column] + x, top + y)
            else:
                positions[node] = (start[column], top + 0.5)
            top += heights[node]
    return {node: positions[node] for node in shown.nodes if node in positions}


def scalar_description(full: nx.DiGraph, shown: nx.DiGraph) -> str:
    root = full.nodes[full.graph.get("root", 0)]
    output = "sum of outputs" if root.get("label") == "sum of outputs" else "output"
    return (f"scalar graph: {full.number_of_nodes()} nodes, shown as {shown.number_of_nodes()} "
            f"(click a neuron to expand or collapse it); grad = d({output})/d(node) for this sample")


def tensor_model_graph(request: ModelRequest) -> nx.DiGraph:
    """The tensor-level graph (matmul, add, activation, with shapes) of the n-d engine's forward pass."""
    from .graph import to_networkx
    from .ndtensor import tensor

    layers = mlp_layers(request.state_dict)
    x = tensor([list(request.sample)], dtype="float64")
    names: dict[int, str] = {id(x): "input"}
    params = []
    for k, (prefix, weight, bias) in enumerate(layers):
        w = tensor(weight, dtype="float64", requires_grad=True)
        b = tensor(bias, dtype="float64", requires_grad=True)
        params += [w, b]
        names[id(w)] = f"{prefix}.weight"
        names[id(b)] = f"{prefix}.bias"
        x = x @ w.T + b
        act = request.activation if k < len(layers) - 1 else request.output_activation
        x = ACTIVATIONS[act].apply(x)
    out = x.sum()
    names[id(out)] = "sum of outputs"
    out.backward()
    return to_networkx(out, names=names)
