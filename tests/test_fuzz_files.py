"""Weight, experiment and config files that are crafted or corrupted: every failure is a project
error naming the file, checked before the file is read in full, and never a partial load.

The fuzzer mutates real files (truncations, bit flips, spliced bytes, edited JSON and safetensors
headers, crafted .pt state_dicts) and loads each into a scalar MLP and a float32 n-d model.
"""

from __future__ import annotations

import functools
import json
import os
import random
import struct
import tempfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from minitorch import io
from minitorch.errors import MinitorchError
from minitorch.fileio import MAX_JSON_BYTES, FormatError
from minitorch.nn import MLP
from minitorch.nn import layers as L
from minitorch.training import TrainConfig, Trainer, load_experiment, save_experiment

SIZES = (3, [4, 2])


def _mlp(seed: int = 0) -> MLP:
    random.seed(seed)
    return MLP(SIZES[0], SIZES[1], "tanh", "linear")


def _nd_model(dtype: str = "float32") -> L.Sequential:
    return L.Sequential(L.Linear(3, 4, dtype=dtype), L.Tanh(), L.Linear(4, 2, dtype=dtype))


def _weights(model) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=np.float64) for k, v in model.state_dict().items()}


def _same(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(np.array_equal(a[k], b[k]) for k in a)


@functools.cache
def _original_files() -> dict[str, bytes]:
    """One valid file of each kind, written by minitorch (made once, kept as bytes)."""
    with tempfile.TemporaryDirectory() as folder:
        model = _mlp(1)
        paths = {fmt: os.path.join(folder, f"m.{fmt}") for fmt in ("json", "safetensors", "pt")}
        for path in paths.values():
            io.save(model, path, metadata={"note": "fuzz"})
        trainer = Trainer(TrainConfig(n_samples=20, hidden_layers=[4], features=["x1", "x2", "x1*x2"],
                                      loss="cross_entropy"))  # MLP(3, 4, 2), as the fuzzer's targets
        trainer.run(2)
        paths["experiment"] = os.path.join(folder, "run.json")
        save_experiment(trainer, paths["experiment"])
        return {name: open(path, "rb").read() for name, path in paths.items()}


@pytest.fixture
def originals() -> dict[str, bytes]:
    return _original_files()


def _weights_doc(originals) -> dict:
    return json.loads(originals["json"])


# --- regression cases: huge numbers, deep nesting ------------------------------------------------------
def _write(tmp_path, name: str, data: str | bytes):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.mark.parametrize("digits", [401, 5000])
def test_huge_integers_in_every_json_reader(tmp_path, originals, digits):
    huge = "9" * digits
    weights = _weights_doc(originals)
    text = json.dumps(weights).replace(json.dumps(weights["state_dict"]["0.bias"][0]), huge, 1)
    experiment = json.loads(originals["experiment"])
    experiment["history"][0]["step"] = 123456789
    history_text = json.dumps(experiment).replace("123456789", huge)
    cases = [
        (io.load, _write(tmp_path, "w.json", text)),
        (load_experiment, _write(tmp_path, "e.json", history_text)),
        (TrainConfig.load, _write(tmp_path, "c.json", '{"seed": ' + huge + "}")),
        (io.load, _write(tmp_path, "m.safetensors", _safetensors_with_metadata(originals, '{"n": ' + huge + "}"))),
    ]
    for reader, path in cases:
        with pytest.raises(FormatError, match=f"an integer with {digits:,} digits") as info:
            reader(path)
        assert str(path) in str(info.value)


@pytest.mark.parametrize("depth", [100_000, 1_000_000])
def test_deeply_nested_json_in_every_reader(tmp_path, originals, depth):
    deep = "[" * depth + "]" * depth
    cases = [
        (io.load, _write(tmp_path, "w.json", '{"format": "minitorch-weights", "state_dict": ' + deep + "}")),
        (load_experiment, _write(tmp_path, "e.json", '{"format": "minitorch-experiment", "history": ' + deep + "}")),
        (TrainConfig.load, _write(tmp_path, "c.json", '{"features": ' + deep + "}")),
        (io.load, _write(tmp_path, "m.safetensors", _safetensors_with_metadata(originals, deep))),
    ]
    for reader, path in cases:
        with pytest.raises(FormatError, match="nested too deeply") as info:
            reader(path)
        assert str(path) in str(info.value)


def _safetensors_with_metadata(originals, metadata_json: str) -> bytes:
    """The original safetensors file with its user metadata string replaced."""
    blob = originals["safetensors"]
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    header["__metadata__"]["metadata"] = metadata_json
    return _with_header(header, blob[8 + length:])


def _with_header(header: dict, body: bytes) -> bytes:
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


# --- regression cases: .pt contents -------------------------------------------------------------------
def _torch_state(dtype=torch.float64, seed: int = 0) -> dict:
    generator = torch.Generator().manual_seed(seed)
    return {"0.weight": torch.randn(4, 3, generator=generator, dtype=torch.float64).to(dtype),
            "0.bias": torch.randn(4, generator=generator, dtype=torch.float64).to(dtype),
            "2.weight": torch.randn(2, 4, generator=generator, dtype=torch.float64).to(dtype),
            "2.bias": torch.randn(2, generator=generator, dtype=torch.float64).to(dtype)}


def test_pt_with_bfloat16_and_float16_weights_is_widened(tmp_path):
    for dtype in (torch.bfloat16, torch.float16):
        state = _torch_state(dtype)
        path = tmp_path / "half.pt"
        torch.save(state, path)
        model = _mlp()
        io.load_into(model, path)
        for key, value in state.items():
            np.testing.assert_array_equal(_weights(model)[key], value.to(torch.float64).numpy())


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda s: {0: s.pop("0.weight"), **s}, "keys must be strings, got 0"),
        (lambda s: {**s, "0.weight": torch.empty(4, 3, device="meta")}, "is a meta tensor"),
        (lambda s: {**s, "0.weight": s["0.weight"].to_sparse()}, "is sparse"),
        (lambda s: {**s, "0.bias": s["0.bias"].to(torch.complex128)}, "complex numbers"),
        (lambda s: {**s, "0.bias": torch.tensor([1.0, float("nan"), 0.0, 0.0], dtype=torch.float64)}, "NaN"),
    ],
)
def test_pt_contents_we_refuse(tmp_path, mutate, message):
    path = tmp_path / "bad.pt"
    torch.save(mutate(_torch_state()), path)
    model = _mlp()
    before = _weights(model)
    with pytest.raises(FormatError, match=message) as info:
        io.load_into(model, path)
    assert str(path) in str(info.value)
    assert _same(_weights(model), before)


def test_experiment_metadata_must_be_an_object(tmp_path, originals):
    doc = json.loads(originals["experiment"])
    doc["metadata"] = [1, 2]
    path = _write(tmp_path, "run.json", json.dumps(doc))
    with pytest.raises(FormatError, match="'metadata' must be an object, got list"):
        io.load(path)


# --- regression cases: float32 range, sizes ------------------------------------------------------------
def test_float64_weights_beyond_float32_are_refused_and_the_model_stays_finite(tmp_path):
    state = {k: v.numpy() for k, v in _torch_state().items()}
    state["2.weight"][1, 3] = 1e300
    path = tmp_path / "big.safetensors"
    io.save(state, path)
    model = _nd_model("float32")
    before = _weights(model)
    with pytest.raises(FormatError, match="holds 1e\\+300, beyond float32's range") as info:
        io.load_into(model, path)
    assert str(path) in str(info.value)
    assert _same(_weights(model), before) and all(np.all(np.isfinite(v)) for v in _weights(model).values())
    with pytest.raises(ValueError, match="beyond float32's range"):
        model.load_state_dict(state)
    assert _same(_weights(model), before)
    io.load_into(_nd_model("float64"), path)  # float64 holds it
    trainer = Trainer(TrainConfig(dataset="moons", n_samples=20, hidden_layers=[4], engine="tensor", dtype="float32"))
    before = trainer.state_dict()
    wide = {"0.weight": np.full((4, 2), 1e39), "0.bias": np.zeros(4), "2.weight": np.zeros((1, 4)),
            "2.bias": np.zeros(1)}
    with pytest.raises(ValueError, match="beyond float32's range"):
        trainer.load_state_dict(wide)
    assert _same(trainer.state_dict(), before)


def test_size_limits_are_checked_before_reading(tmp_path, originals):
    zeros = tmp_path / "zeros.json"
    with open(zeros, "wb") as handle:  # a sparse 1 GiB file: no disk used, nothing to read
        handle.truncate(1024**3)
    with pytest.raises(FormatError, match=f"minitorch reads weights files of at most {MAX_JSON_BYTES:,} bytes"):
        io.load(zeros)
    with pytest.raises(FormatError, match=f"at most {MAX_JSON_BYTES:,} bytes"):
        TrainConfig.load(zeros)
    small_zeros = tmp_path / "small.json"
    with open(small_zeros, "wb") as handle:
        handle.truncate(100 * 1024**2)
    with pytest.raises(FormatError, match="binary or corrupt"):
        io.load(small_zeros)
    for name in ("big.safetensors", "big.pt"):
        path = tmp_path / name
        with open(path, "wb") as handle:
            handle.truncate(io.MAX_WEIGHTS_BYTES + 1)
        with pytest.raises(FormatError, match=f"at most {io.MAX_WEIGHTS_BYTES:,} bytes"):
            io.load(path)
    blob = originals["safetensors"]
    (length,) = struct.unpack("<Q", blob[:8])
    claims_huge_header = _write(tmp_path, "h.safetensors", struct.pack("<Q", 2**60) + blob[8:])
    with pytest.raises(FormatError, match="header claims 1,152,921,504,606,846,976 bytes"):
        io.load(claims_huge_header)
    header = json.loads(blob[8:8 + length])
    header["0.weight"]["shape"] = [100_000, 100_000]
    claims_huge_tensor = _write(tmp_path, "t.safetensors", _with_header(header, blob[8 + length:]))
    with pytest.raises(FormatError, match="outside the file's|needs 80,000,000,000 bytes"):
        io.load(claims_huge_tensor)
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(FormatError, match="is a folder"):
        io.load(tmp_path / "folder.json")


def test_safetensors_bfloat16_is_widened(tmp_path, originals):
    blob = originals["safetensors"]
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    state = _weights(_mlp(1))
    body = b""
    for key in state:
        bits = torch.from_numpy(state[key]).to(torch.bfloat16).view(torch.int16).numpy().tobytes()
        header[key] = {"dtype": "BF16", "shape": list(state[key].shape),
                       "data_offsets": [len(body), len(body) + len(bits)]}
        body += bits
    path = _write(tmp_path, "bf16.safetensors", _with_header(header, body))
    loaded = io.load(path).state_dict
    for key, value in state.items():
        np.testing.assert_array_equal(loaded[key], torch.from_numpy(value).to(torch.bfloat16).double().numpy())


# --- the fuzzer ----------------------------------------------------------------------------------------
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-2, 10**6), st.floats(allow_nan=False), st.text(max_size=4),
                 st.lists(st.integers(-1, 5), max_size=3),
                 st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))


def _json_paths(value, prefix=()):
    """Every position in a JSON document, as a path of keys and indices."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:6]):
            yield from _json_paths(item, (*prefix, index))


def _replace(document, path, new):
    if not path:
        return new
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return document


@st.composite
def mutated_files(draw, originals):
    kind = draw(st.sampled_from(["json", "safetensors", "pt", "experiment"]))
    blob = originals[kind]
    how = draw(st.sampled_from(["truncate", "flip", "splice", "structure", "structure", "intact"]))
    event(f"{kind}: {how}")
    if how == "truncate":
        blob = blob[:draw(st.integers(0, len(blob)))]
    elif how == "flip":
        data = bytearray(blob)
        for _ in range(draw(st.integers(1, 4))):
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= 1 << draw(st.integers(0, 7))
        blob = bytes(data)
    elif how == "splice":
        start = draw(st.integers(0, len(blob)))
        blob = blob[:start] + draw(st.binary(max_size=16)) + blob[start + draw(st.integers(0, 16)):]
    elif how == "structure" and kind in ("json", "experiment"):
        document = json.loads(blob)
        paths = list(_json_paths(document))
        for _ in range(draw(st.integers(1, 3))):
            document = _replace(document, draw(st.sampled_from(paths)), draw(JUNK))
            paths = list(_json_paths(document))
        blob = json.dumps(document).encode()
    elif how == "structure" and kind == "safetensors":
        (length,) = struct.unpack("<Q", blob[:8])
        header, body = json.loads(blob[8:8 + length]), blob[8 + length:]
        key = draw(st.sampled_from(sorted(header)))
        field = draw(st.sampled_from(["dtype", "shape", "data_offsets", "format", "architecture", "whole"]))
        if key == "__metadata__" or field == "whole":
            header[key] = draw(JUNK) if field == "whole" else {**header[key], draw(st.sampled_from(
                ["format", "format_version", "architecture", "metadata"])): draw(st.one_of(JUNK, st.just("[]")))}
        elif field in ("format", "architecture"):
            header[key]["dtype"] = draw(st.sampled_from(["F32", "F16", "BF16", "I64", "U8", "BOOL", "C64", "F8"]))
        else:
            header[key][field] = draw(st.one_of(JUNK, st.lists(st.integers(-1, 10**12), max_size=3)))
        blob = _with_header(header, body)
    elif how == "structure":  # a crafted .pt state_dict
        state = _torch_state(seed=draw(st.integers(0, 3)))
        key = draw(st.sampled_from(sorted(state)))
        change = draw(st.sampled_from(["shape", "dtype", "key", "drop", "extra", "value"]))
        if change == "shape":
            state[key] = torch.zeros(draw(st.lists(st.integers(0, 5), max_size=3)), dtype=torch.float64)
        elif change == "dtype":
            state[key] = state[key].to(draw(st.sampled_from(
                [torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.bool, torch.complex64])))
        elif change == "key":
            state[draw(st.sampled_from(["0.weights", "1.weight", "4.bias", "x"]))] = state.pop(key)
        elif change == "drop":
            del state[key]
        elif change == "extra":
            state["6.weight"] = torch.zeros(2, 2, dtype=torch.float64)
        else:
            state[key] = torch.full_like(state[key], draw(st.sampled_from([1e300, float("inf"), -1e39, 3e38])))
        return kind, state
    return kind, blob


@settings(max_examples=250, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_fuzz_weight_files(data):
    kind, content = data.draw(mutated_files(_original_files()))
    suffix = {"json": ".json", "experiment": ".json", "safetensors": ".safetensors", "pt": ".pt"}[kind]
    scalar, nd = _mlp(7), _nd_model("float32")
    before_scalar, before_nd = _weights(scalar), _weights(nd)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "file" + suffix)
        if isinstance(content, dict):
            torch.save(content, path)
        else:
            with open(path, "wb") as handle:
                handle.write(content)
        for target, before in ((scalar, before_scalar), (nd, before_nd)):
            try:
                checkpoint = io.load_into(target, path)
            except MinitorchError as exc:
                event("refused")
                assert path in str(exc), str(exc)
                assert _same(_weights(target), before)  # no partial load
            else:
                event("loaded")
                after = _weights(target)
                assert all(np.all(np.isfinite(v)) for v in after.values())
                for key, value in checkpoint.state_dict.items():
                    np.testing.assert_allclose(after[key], value, rtol=1e-6, atol=1e-37)  # float32 rounding
        if kind == "experiment":
            try:
                trainer = load_experiment(path)
            except MinitorchError as exc:
                assert path in str(exc), str(exc)
            else:
                event("experiment loaded")
                assert all(np.all(np.isfinite(v)) for v in trainer.state_dict().values())


def test_image_trainer_files_get_the_same_checks(tmp_path):
    from minitorch.training import image_trainer
    from minitorch.training.image_trainer import ImageConfigError, ImageTrainConfig

    deep = "[" * 100_000 + "]" * 100_000
    for name, text, message in [("huge.json", '{"seed": ' + "9" * 5000 + "}", "an integer with 5,000 digits"),
                                ("deep.json", '{"layers": ' + deep + "}", "nested too deeply")]:
        path = _write(tmp_path, name, text)
        with pytest.raises(ImageConfigError, match=message):
            ImageTrainConfig.load(path)
    half = tmp_path / "half.pt"
    torch.save({"0.weight": torch.ones(2, 2, dtype=torch.bfloat16) / 3}, half)
    state, _ = image_trainer._read_weights(str(half))
    np.testing.assert_array_equal(state["0.weight"], (torch.ones(2, 2, dtype=torch.bfloat16) / 3).float().numpy())
    meta = tmp_path / "meta.pt"
    torch.save({"0.weight": torch.empty(2, 2, device="meta")}, meta)
    with pytest.raises(ImageConfigError, match="meta tensor"):
        image_trainer._read_weights(str(meta))


@pytest.mark.parametrize("field, value, message", [
    ("dtype", [], "unsupported or missing dtype \\[\\]"),  # unhashable: once a TypeError
    ("dtype", "C64", "unsupported or missing dtype 'C64'"),
    ("shape", "4", "invalid shape '4'"),
    ("shape", [4, -1], "invalid shape"),
    ("data_offsets", [0, 10**12], "outside the file's"),
    ("data_offsets", [0, 8], "needs 32 bytes, the file gives it 8"),
])
def test_safetensors_header_claims_are_checked(tmp_path, originals, field, value, message):
    blob = originals["safetensors"]
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    header["0.bias"][field] = value
    path = _write(tmp_path, "claims.safetensors", _with_header(header, blob[8 + length:]))
    with pytest.raises(FormatError, match=message):
        io.load(path)


def test_an_architecture_naming_a_list_as_activation_is_refused(tmp_path, originals):
    from minitorch.architecture import ArchitectureError, ModelSpec

    doc = _weights_doc(originals)
    doc["architecture"]["activation"] = ["tanh"]
    with pytest.raises(FormatError, match="activation \\['tanh'\\] is not one of"):
        io.load(_write(tmp_path, "w.json", json.dumps(doc)))
    with pytest.raises(ArchitectureError, match="is not one of"):
        ModelSpec.from_dict({"input_shape": [3], "layers": [{"kind": "activation", "name": ["relu"]}]})
