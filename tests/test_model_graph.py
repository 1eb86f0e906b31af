"""The Qt-free model graph (minitorch.model_graph) and history CSV (minitorch.training.history)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from minitorch.errors import ShapeError
from minitorch.model_graph import build_model_view, linear_layers, model_request, relayout, resolve_output_activation
from minitorch.training import TrainConfig, Trainer
from minitorch.training.history import HISTORY_COLUMNS, history_csv

ROOT = Path(__file__).resolve().parent.parent


def small_trainer(engine: str = "scalar") -> Trainer:
    return Trainer(TrainConfig(dataset="moons", n_samples=40, hidden_layers=[3, 2], seed=3, engine=engine))


def test_linear_layers_reads_sequential_keys_in_order_and_skips_others():
    state = {"2.weight": np.ones((1, 3)), "2.bias": np.zeros(1), "0.weight": np.ones((3, 2)), "0.bias": np.ones(3),
             "conv.0.weight": np.ones((2, 1, 3, 3)), "4.weight": np.full((2, 1), 2.0)}
    layers = linear_layers(state)
    assert [w.shape for w, _ in layers] == [(3, 2), (1, 3), (2, 1)]
    assert layers[0][1].tolist() == [1, 1, 1] and layers[2][1].tolist() == [0, 0]  # a missing bias reads as zeros


def test_linear_layers_module_loads_nothing_heavy():
    code = ("import sys, minitorch.model_graph as m; m.linear_layers({}); "
            "print(sorted(n for n in ('networkx', 'minitorch.graph', 'torch') if n in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_model_view_forward_value_matches_torch(engine):
    trainer = small_trainer(engine)
    state = trainer.state_dict()
    sample = [0.3, -0.8]
    view = build_model_view(model_request(trainer.config, state, sample, token=7))
    assert view.token == 7
    root = view.full.nodes[view.full.graph["root"]]
    layers = [torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1),
              torch.nn.Tanh()]
    net = torch.nn.Sequential(*layers).double()
    net.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    expected = net(torch.tensor([sample], dtype=torch.float64)).sum().item()
    assert root["value"] == pytest.approx(expected, rel=1e-12)


def test_expanding_a_neuron_shows_its_scalar_ops():
    view = build_model_view(model_request({"activation": "tanh", "loss": "mse"}, small_trainer().state_dict()))
    groups = sorted({g for _, g in view.full.nodes(data="group") if g is not None})
    assert view.shown.number_of_nodes() < view.full.number_of_nodes()
    expanded = relayout(view, {groups[0]})
    assert expanded.shown.number_of_nodes() > view.shown.number_of_nodes()
    assert set(expanded.positions) == set(expanded.shown.nodes)


def test_bad_requests_say_what_is_wrong():
    state = small_trainer().state_dict()
    with pytest.raises(ValueError, match="no state_dict"):
        model_request({}, {})
    with pytest.raises(ValueError, match="3 values but the network takes 2"):
        model_request({}, state, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="unknown activation"):
        model_request({"activation": "swish"}, state)
    bad = dict(state, **{"2.weight": np.ones((2, 5))})
    with pytest.raises(ShapeError):
        model_request({}, bad)


def test_output_activation_follows_the_loss():
    assert resolve_output_activation({"loss": "mse", "dataset": "moons"}) == "tanh"
    assert resolve_output_activation({"loss": "bce_logits", "dataset": "moons"}) == "linear"
    assert resolve_output_activation(TrainConfig(loss="mse", dataset="plane")) == "linear"
    assert resolve_output_activation({"output_activation": "sigmoid"}) == "sigmoid"


def test_history_csv_has_a_header_and_one_row_per_step():
    trainer = small_trainer()
    trainer.run(5)
    text = history_csv(trainer.snapshot().history)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == HISTORY_COLUMNS
    assert [int(r[0]) for r in rows[1:]] == [h["step"] for h in trainer.history]
    assert float(rows[-1][2]) == pytest.approx(trainer.history[-1]["train_loss"])


def test_history_csv_writes_missing_values_as_empty_cells():
    text = history_csv([{"step": 1, "epoch": 0, "train_loss": 0.5, "test_loss": 0.6, "train_acc": None}])
    assert text.splitlines() == ["step,epoch,train_loss,test_loss,train_acc,test_acc", "1,0,0.5,0.6,,"]


def test_neurons_are_named_numbered_and_ordered_as_in_the_playground():
    trainer = Trainer(TrainConfig(dataset="moons", n_samples=40, hidden_layers=[16, 16], seed=3))
    state = trainer.state_dict()
    view = build_model_view(model_request(trainer.config, state, [0.3, -0.8]))
    labels = {attrs["label"]: node for node, attrs in view.shown.nodes(data=True) if attrs.get("kind") == "group"}
    assert {"H1 · neuron 1", "H1 · neuron 16", "H2 · neuron 16", "out · neuron 1"} <= set(labels)
    assert not any(label.startswith("0:") for label in labels)
    y = {label: view.positions[node][1] for label, node in labels.items()}
    # Neuron 1 above neuron 2 (smaller y is higher on screen), x1 above x2, as in the network drawing.
    assert y["H1 · neuron 1"] < y["H1 · neuron 2"] < y["H1 · neuron 16"]
    leaves = {attrs["label"]: view.positions[node][1] for node, attrs in view.shown.nodes(data=True)
              if attrs.get("kind") == "leaf"}
    assert leaves["x1"] < leaves["x2"]


def test_edges_into_a_neuron_carry_its_weights():
    trainer = small_trainer()
    state = trainer.state_dict()
    view = build_model_view(model_request(trainer.config, state, [0.3, -0.8]))
    shown = view.shown
    by_label = {attrs.get("label"): node for node, attrs in shown.nodes(data=True)}
    for j in range(2):  # hidden 2's neurons, fed by hidden 1's three
        for i in range(3):
            edge = shown.edges[by_label[f"H1 · neuron {i + 1}"], by_label[f"H2 · neuron {j + 1}"]]
            assert edge["weight"] == pytest.approx(state["2.weight"][j, i], rel=1e-12)
    for i, name in enumerate(["x1", "x2"]):
        edge = shown.edges[by_label[name], by_label["H1 · neuron 3"]]
        assert edge["weight"] == pytest.approx(state["0.weight"][2, i], rel=1e-12)


def test_an_expanded_neuron_opens_in_place():
    trainer = small_trainer()
    view = build_model_view(model_request(trainer.config, trainer.state_dict(), [0.3, -0.8]))
    label_of = {node: attrs.get("label") for node, attrs in view.shown.nodes(data=True)}
    before = {label_of[n]: view.positions[n] for n in view.shown.nodes}
    expanded = relayout(view, {"0:1"})  # H1 · neuron 2
    shown, positions = expanded.shown, expanded.positions
    assert set(positions) == set(shown.nodes)
    assert len(set(positions.values())) == len(positions)  # no two boxes on one spot
    after = {shown.nodes[n].get("label"): positions[n] for n in shown.nodes if shown.nodes[n].get("kind") != "op"}
    members = [n for n in shown.nodes if shown.nodes[n].get("group") == "0:1"]
    xs = [positions[n][0] for n in members]
    ys = [positions[n][1] for n in members]
    # The block sits in hidden layer 1's column, between neuron 1 and neuron 3, as the box did.
    assert min(xs) == before["H1 · neuron 1"][0] == after["H1 · neuron 1"][0]
    assert after["H1 · neuron 1"][1] < min(ys) and max(ys) < after["H1 · neuron 3"][1]
    # Later columns keep their order and move right to make room.
    assert after["H2 · neuron 1"][0] > max(xs) and after["out · neuron 1"][0] > after["H2 · neuron 1"][0]
    assert after["H2 · neuron 1"][1] < after["H2 · neuron 2"][1]
    assert after["x1"] == before["x1"] and after["x1"][1] < after["x2"][1]
