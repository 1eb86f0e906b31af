"""Configs and CSV files that are wrong in every way we could think of, and fuzzed ones.

Each bad input must end in a project error (`ConfigError`, `CSVFormatError`, both
ValueErrors) with a one-line message; the fuzzers are derandomized and bounded, so they
run the same cases on every machine.
"""

from __future__ import annotations

import json
import math
import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from minitorch import datasets as ds
from minitorch.datasets import CSVFormatError, load_csv
from minitorch.errors import MinitorchError
from minitorch.graph import to_networkx
from minitorch.nn.scalar import MLP
from minitorch.training import TrainConfig, Trainer
from minitorch.training import config as config_module
from minitorch.training.config import MAX_MODEL_BYTES, MAX_SCALAR_GRAPH_NODES, ConfigError, check_model_size
from minitorch.training.losses import LOSSES


def fuzz(max_examples: int) -> settings:
    """Derandomized (the same cases everywhere), bounded, no example database, no deadline."""
    return settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- regression cases ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fields, message",
    [
        ({"features": [["x1"]]}, "unknown feature \\['x1'\\]"),
        ({"features": ["x1", {"a": 1}]}, "unknown feature"),
        ({"lr": 10**400}, "got an integer with 401 digits"),
        ({"seed": 2**64}, "seed: must be at most 2\\*\\*63 - 1"),
        ({"dataset": ["moons"]}, "dataset: must be one of"),
        ({"engine": {"name": "scalar"}}, "engine: must be one of"),
        ({1: 2}, "unknown field\\(s\\) 1"),
        ({"hidden_layers": [4096] * 16}, "scalar engine would build about 16,360,747,041 graph nodes"),
        ({"hidden_layers": [4096, 4096]}, "limit 1,000,000\\); use engine='tensor'"),
        ({"hidden_layers": [4096] * 16, "engine": "tensor"}, "tensor engine would need about 7.6 GiB"),
        ({"hidden_layers": [4096, 4096], "engine": "tensor", "n_samples": 100_000}, "limit 2.0 GiB"),
        ({"dataset": "digits", "loss": "cross_entropy", "hidden_layers": [128], "batch_size": 128},
         "2,452,106 graph nodes per step for MLP\\(64, 128, 10\\)"),
    ],
)
def test_bad_configs_raise_config_errors_naming_the_field(fields, message):
    with pytest.raises(ConfigError, match=message) as info:
        TrainConfig.from_dict(fields)
    assert isinstance(info.value, MinitorchError) and isinstance(info.value, ValueError)
    assert "\n" not in str(info.value) and len(str(info.value)) < 400


def test_size_limits_let_through_what_runs():
    TrainConfig(hidden_layers=[64, 64]).validate()
    TrainConfig(hidden_layers=[4096, 4096], engine="tensor").validate()  # 537 MB of weights and moments
    TrainConfig(dataset="digits", loss="cross_entropy", hidden_layers=[32]).validate()
    # exactly at the limit passes, one node more does not
    width = 1
    while config_module._scalar_graph_nodes([2, width + 1, 1], 32) <= MAX_SCALAR_GRAPH_NODES:
        width += 1
    check_model_size([2, width, 1], "scalar", 32, 100)
    with pytest.raises(ConfigError):
        check_model_size([2, width + 1, 1], "scalar", 32, 100)
    # MLP(2, 1, 1): 5 parameters, widths 1 + 1; 8 bytes each for weights, gradients, two moments,
    # three arrays per output of a one-sample batch, and the evaluation outputs
    fixed = 8 * (4 * 5 + 3 * 2)
    largest = (MAX_MODEL_BYTES - fixed) // (8 * 2)
    check_model_size([2, 1, 1], "tensor", 1, largest)
    with pytest.raises(ConfigError):
        check_model_size([2, 1, 1], "tensor", 1, largest + 1)


@pytest.mark.parametrize("sizes, batch", [([2, 8, 8, 1], 4), ([5, 16, 3], 7), ([4, 12, 12, 12, 1], 3)])
def test_scalar_node_estimate_matches_the_graph_a_step_builds(sizes, batch):
    model = MLP(sizes[0], sizes[1:])
    rng = np.random.default_rng(0)
    predictions = [model(list(row)) for row in rng.normal(size=(batch, sizes[0]))]
    loss = "mse" if sizes[-1] == 1 else "cross_entropy"
    built = to_networkx(LOSSES[loss].graph(predictions, [0.5] * batch if loss == "mse" else [0] * batch))
    estimate = config_module._scalar_graph_nodes(sizes, batch)
    assert 0.9 * built.number_of_nodes() <= estimate <= built.number_of_nodes()  # only the loss's nodes are left out


def test_trainer_checks_again_once_the_csv_is_read(tmp_path, monkeypatch):
    wide = tmp_path / "wide.csv"
    columns = 600
    wide.write_text(",".join(f"f{i}" for i in range(columns)) + ",y\n"
                    + "".join(",".join(str((i * j) % 7) for j in range(columns)) + f",{i % 2}\n" for i in range(40)))
    cfg = TrainConfig(dataset="csv", csv_path=str(wide), hidden_layers=[64, 64], batch_size=32)  # validates
    built = []
    monkeypatch.setattr("minitorch.training.trainer.BACKENDS", {"scalar": lambda spec: built.append(spec)})
    with pytest.raises(ConfigError, match="MLP\\(600, 64, 64, 1\\) with 28 samples per batch"):
        Trainer(cfg)
    assert built == []  # refused before anything was built


def test_config_files_with_huge_numbers_or_deep_nesting(tmp_path):
    cases = {
        "digits.json": '{"seed": ' + "9" * 401 + "}",
        "python-limit.json": '{"seed": ' + "9" * 5000 + "}",
        "deep.json": '{"features": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "nan.json": '{"lr": NaN}',
        "list.json": "[1, 2]",
        "zeros.json": "\0" * 10_000,
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(MinitorchError) as info:
            TrainConfig.load(path)
        assert str(path) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(MinitorchError, match="is a folder"):
        TrainConfig.load(tmp_path)


# --- fuzzers -------------------------------------------------------------------------------------------
FIELDS = list(TrainConfig.__dataclass_fields__)
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 5000), st.integers(min_value=10**18, max_value=10**500),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
    st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=2), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
PLAUSIBLE = {
    "dataset": st.sampled_from(list(ds.DATASETS)),
    "features": st.lists(st.sampled_from([*ds.FEATURES, "x3"]), max_size=4),
    "hidden_layers": st.lists(st.one_of(st.integers(1, 4096), st.sampled_from([0, -3, 4097, 2.0])), max_size=17),
    "activation": st.sampled_from(["tanh", "relu", "sigmoid", "leaky_relu", "linear", "gelu"]),
    "output_activation": st.sampled_from([None, "tanh", "linear", "softmax"]),
    "loss": st.sampled_from([*config_module.LOSSES, "nll"]),
    "optimizer": st.sampled_from([*config_module.OPTIMIZERS, "lbfgs"]),
    "engine": st.sampled_from(["scalar", "tensor", "jax"]),
    "dtype": st.sampled_from(["float64", "float32", "float16"]),
    "device": st.sampled_from(["cpu", "cuda", "", "tpu"]),
    "batch_size": st.integers(-1, 10**6),
    "n_samples": st.integers(0, 200_000),
    "lr_schedule": st.sampled_from([None, "step", "cosine", "exp"]),
    "betas": st.lists(st.floats(-0.5, 1.5), min_size=0, max_size=3),
    "csv_path": st.sampled_from([None, "", "data.csv"]),
}
NUMBERS = st.one_of(st.floats(0, 1), st.integers(1, 64), st.floats(-1e3, 1e3), st.integers(-5, 10**4),
                    st.floats(allow_nan=True, allow_infinity=True))
def _value(name: str) -> st.SearchStrategy:
    plausible = PLAUSIBLE.get(name, NUMBERS)
    return st.one_of(plausible, plausible, plausible, JUNK)  # mostly plausible, so validation runs deep


CONFIG_DICTS = st.lists(st.sampled_from(FIELDS), max_size=6, unique=True).flatmap(
    lambda names: st.fixed_dictionaries({name: _value(name) for name in names})
).flatmap(lambda d: st.one_of(st.just(d), st.just(d), st.builds(lambda k, v: {**d, k: v}, st.text(max_size=5), JUNK)))


@fuzz(300)
@given(CONFIG_DICTS)
def test_fuzz_config_dicts(fields):
    try:
        cfg = TrainConfig.from_dict(fields)
    except ConfigError as exc:
        event("refused")
        message = str(exc)
        assert message and "\n" not in message and len(message) < 600, message
        return
    event("valid")
    again = TrainConfig.from_dict(json.loads(cfg.to_json()))  # what validates also round-trips through a file
    assert again.to_dict() == cfg.to_dict()
    assert all(isinstance(f, str) for f in cfg.features)


CELL = st.one_of(
    st.integers(-50, 50).map(str), st.floats(-1e6, 1e6).map(repr), st.sampled_from(
        ["", " ", "nan", "inf", "-inf", "1e999", "x", "a,b", '"q"', "²", "1_0", "\0", "0x10", "label", " 3 "]),
    st.text(max_size=4),
)
NUMBER_CELL = st.one_of(st.integers(-50, 50).map(str), st.floats(-1e6, 1e6).map(repr))
LABEL_CELL = st.one_of(st.integers(0, 3).map(str), st.floats(-5, 5).map(repr), st.sampled_from(["cat", "dog", "x"]))


@st.composite
def csv_rows(draw) -> list[list[str]]:
    """A numeric table with a label column (header or not), then zero to three cells replaced by anything."""
    width, count = draw(st.integers(2, 4)), draw(st.integers(1, 12))
    labels = draw(st.lists(LABEL_CELL, min_size=count, max_size=count))
    rows = [[*draw(st.lists(NUMBER_CELL, min_size=width - 1, max_size=width - 1)), label] for label in labels]
    if draw(st.booleans()):
        rows.insert(0, [f"c{i}" for i in range(width - 1)] + ["y"])
    for _ in range(draw(st.integers(0, 3))):
        row = draw(st.integers(0, len(rows) - 1))
        if draw(st.booleans()) and rows[row]:
            rows[row][draw(st.integers(0, len(rows[row]) - 1))] = draw(CELL)
        else:
            rows[row] = draw(st.lists(CELL, max_size=5))  # a ragged or empty row
    return rows


def _csv_text(rows: list[list[str]]) -> str:
    import csv
    import io as text_io

    out = text_io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


@fuzz(150)
@given(rows=csv_rows(), raw=st.one_of(st.none(), st.none(), st.none(), st.binary(max_size=64)),
       label=st.sampled_from([None, None, None, 0, 1, -1, 7, "y", "²", "1", "label"]),
       task=st.sampled_from([None, None, "classification", "regression"]))
def test_fuzz_csv_files(rows, raw, label, task):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "data.csv")
        with open(path, "wb") as handle:
            handle.write(raw if raw is not None else _csv_text(rows).encode("utf-8", "surrogatepass"))
        try:
            table = load_csv(path, label_column=label, task=task)
        except CSVFormatError as exc:
            event("refused")
            assert "\n" not in str(exc) and path in str(exc) or "cannot read" in str(exc), str(exc)
            return
    event(f"loaded ({table.task})")
    n = len(table.y)
    assert table.x.dtype == np.float64 and table.x.shape == (n, len(table.feature_names)) and n >= 1
    assert np.all(np.isfinite(table.x))
    if table.task == "classification":
        assert 2 <= table.num_classes <= ds.MAX_CLASSES
        assert table.y.dtype == np.int64 and set(table.y.tolist()) <= set(range(table.num_classes))
    else:
        assert table.task == "regression" and all(math.isfinite(v) for v in table.y)

