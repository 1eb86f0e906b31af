"""Save and load weights (.json, .safetensors, .pt) and convert models to PyTorch.

    io.save(model_or_trainer_or_state_dict, "model.json", metadata={"note": "moons"})
    ckpt = io.load("model.safetensors")      # a Checkpoint: state_dict, architecture, metadata
    io.load_into(model, "model.pt")          # validated, all-or-nothing
    net = io.to_torch(model)                 # the equivalent torch.nn.Sequential (float64)

Formats, chosen by the file extension:

- ``.json``: human-readable: format name and version, architecture (layer sizes and
  activations), each tensor's shape and values (nested lists), and metadata.
- ``.safetensors``: the safetensors package's numpy API; the architecture and metadata
  are JSON strings in the file's metadata.
- ``.pt``: a plain PyTorch ``state_dict`` (float64 tensors under ``torch.nn.Sequential``
  keys) that ``torch.load(path, weights_only=True)`` reads and the Sequential built from
  the same architecture loads with ``load_state_dict``. torch is imported only here, lazily.

Every write goes through `minitorch.fileio` (atomic, with the permissions a plain write
gives). Every load is validated (format, version, keys, shapes, finiteness) before anything
is changed. Whole experiments (config + weights + history) live in `minitorch.training`.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import re
import struct
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._version import __version__
from .activations import ACTIVATIONS, SCALAR_ACTIVATIONS
from .architecture import ArchitectureError, LayerSpec, ModelSpec
from .errors import MinitorchError, ShapeError
from .fileio import (
    EXPERIMENT_FORMAT,
    MAX_WEIGHTS_BYTES,
    WEIGHT_FILE_TYPES,
    WEIGHTS_FORMAT,
    FormatError,
    as_float64,
    atomic_write,
    atomic_write_bytes,
    atomic_write_text,
    check_file,
    errors_naming,
    import_safetensors_numpy,
    import_torch,
    parse_json,
    read_json,
    tensors_from_json,
    tensors_to_json,
    torch_to_numpy,
    weights_extension,
)

__all__ = [
    "FormatError",
    "Checkpoint",
    "save",
    "load",
    "load_into",
    "load_model",
    "to_torch",
    "FORMATS",
]

FORMAT_VERSION = 1
FORMATS = WEIGHT_FILE_TYPES
_KEY = re.compile(r"^(\d+)\.(weight|bias)$")


# --- what gets saved ----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Checkpoint:
    """Loaded weights: float64 arrays under torch Sequential keys, the architecture if known, metadata."""

    state_dict: OrderedDict[str, np.ndarray]
    architecture: dict[str, Any] | None
    metadata: dict[str, Any] = field(default_factory=dict)
    format: str = ""

    @property
    def spec(self) -> ModelSpec:
        """The `ModelSpec` of these weights (needs the architecture's activations)."""
        return _mlp_spec(_require_activations(self.architecture, "describe the model"))

    def build_model(self) -> Any:
        """A new scalar `MLP` holding these weights (needs the architecture's activations)."""
        model = _mlp_spec(_require_activations(self.architecture, "build a model")).build_scalar()
        model.load_state_dict(self.state_dict)
        return model


def _mlp_spec(arch: dict[str, Any]) -> ModelSpec:
    """The `ModelSpec` of a file's MLP architecture. Activations a file does not record (a .pt
    file) stand in as "linear": they take the same indices, so keys and shapes are the same."""
    sizes = arch["sizes"]
    return ModelSpec.mlp(sizes[0], sizes[1:-1], sizes[-1], arch.get("activation") or "linear",
                         arch.get("output_activation") or "linear")


def _architecture_dict(spec: ModelSpec, activations_known: bool = True) -> dict[str, Any]:
    """What the files record for an MLP spec."""
    return {"type": "mlp", "sizes": spec.sizes,
            "activation": spec.activation if activations_known else None,
            "output_activation": spec.output_activation if activations_known else None}


def _architecture_of(obj: Any) -> dict[str, Any] | None:
    """The architecture of a trainer, a scalar MLP or a Sequential of Linear + activation modules."""
    if hasattr(obj, "architecture") and callable(obj.architecture):
        return dict(obj.architecture())
    if hasattr(obj, "sizes") and hasattr(obj, "activation") and hasattr(obj, "output_activation"):
        return {"type": "mlp", "sizes": list(obj.sizes), "activation": obj.activation,
                "output_activation": obj.output_activation}
    if hasattr(obj, "named_children"):  # an n-d Sequential(Linear, act, Linear, ...)
        spec = _sequential_spec([child for _, child in obj.named_children()])
        if spec is not None:
            return _architecture_dict(spec)
    return None


def _sequential_spec(children: list[Any]) -> ModelSpec | None:
    """The MLP `ModelSpec` of a list of Linear and activation modules, else None."""
    by_module = {a.module: name for name, a in ACTIVATIONS.items()}
    layers = []
    for child in children:
        kind = type(child).__name__
        if kind == "Linear":
            layers.append(LayerSpec("linear", out_features=int(child.out_features)))
        elif kind in by_module:
            layers.append(LayerSpec("activation", name=by_module[kind]))
        else:
            return None
    if not layers or layers[0].kind != "linear":
        return None
    spec = ModelSpec((int(children[0].in_features),), tuple(layers))
    return spec if spec.is_mlp else None


def _extract(obj: Any) -> tuple[OrderedDict[str, np.ndarray], dict[str, Any] | None]:
    """(state_dict as float64 arrays, architecture or None) from a trainer, model or state_dict."""
    if isinstance(obj, Checkpoint):
        return OrderedDict(obj.state_dict), obj.architecture
    if isinstance(obj, Mapping):
        state = obj
        arch = None
    elif isinstance(getattr(obj, "state_dict", None), Mapping):  # a training Snapshot
        state = obj.state_dict
        arch = dict(obj.architecture) if getattr(obj, "architecture", None) is not None else None
    elif hasattr(obj, "state_dict") and callable(obj.state_dict):
        state = obj.state_dict()
        arch = _architecture_of(obj)
    else:
        raise TypeError(f"save() takes a state_dict, a model or a Trainer, got {type(obj).__name__}")
    out = OrderedDict()
    for key, value in state.items():
        if not isinstance(key, str):
            raise TypeError(f"state_dict keys must be strings, got {key!r}")
        out[key] = as_float64(value, key)
    if arch is None:
        arch = _infer_architecture(out)
    return out, arch


def _infer_architecture(state: Mapping[str, np.ndarray]) -> dict[str, Any] | None:
    """Layer sizes from the shapes of a Sequential-of-Linear state_dict (activations unknown),
    None when the keys are not those of one; ShapeError when the shapes do not chain."""
    try:
        spec = ModelSpec.from_state_dict(state, "linear", "linear")
    except ArchitectureError:
        return None
    return _architecture_dict(spec, activations_known=False)


def _validate_architecture(arch: Any) -> dict[str, Any] | None:
    if arch is None:
        return None
    if not isinstance(arch, dict) or arch.get("type") != "mlp":
        raise FormatError(f"unsupported architecture {arch!r} (expected an object with type 'mlp')")
    sizes = arch.get("sizes")
    if (not isinstance(sizes, list) or len(sizes) < 2
            or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes)):
        raise FormatError(f"architecture sizes must be a list of at least two positive integers, got {sizes!r}")
    for name in ("activation", "output_activation"):
        value = arch.get(name)
        if value is not None and (not isinstance(value, str) or value not in SCALAR_ACTIVATIONS):
            raise FormatError(f"architecture {name} {value!r} is not one of {', '.join(SCALAR_ACTIVATIONS)}")
    return {"type": "mlp", "sizes": list(sizes), "activation": arch.get("activation"),
            "output_activation": arch.get("output_activation")}


def _validate_state(state: Mapping[str, np.ndarray], arch: dict[str, Any] | None, source: str) -> None:
    """Keys, shapes and finiteness; for an MLP architecture the exact keys and shapes it needs."""
    if not state:
        raise FormatError(f"{source} holds no tensors")
    for key, value in state.items():
        if not np.all(np.isfinite(value)):
            raise FormatError(f"{source}: tensor {key!r} contains NaN or infinite values")
    if arch is None:
        return
    try:
        _mlp_spec(arch).check_state_dict(state, source)
    except ArchitectureError as exc:
        raise FormatError(str(exc)) from None


def _require_activations(arch: dict[str, Any] | None, purpose: str) -> dict[str, Any]:
    if arch is None or arch.get("activation") is None or arch.get("output_activation") is None:
        raise ValueError(f"cannot {purpose}: the file does not record the activations "
                         "(save a model or a Trainer, or pass metadata={'architecture': {...}})")
    return arch


def _metadata_for(obj: Any, metadata: dict[str, Any] | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"saved_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                            "minitorch_version": __version__}
    config = getattr(obj, "config", None)
    if config is not None and hasattr(config, "to_dict"):
        meta["training"] = {"config": config.to_dict(), "step": getattr(obj, "step_count", None),
                            "epoch": getattr(obj, "epoch", None),
                            "metrics": {k: v for k, v in getattr(obj, "last_metrics", {}).items()}}
    if metadata:
        if not isinstance(metadata, dict):
            raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
        meta.update(metadata)
    try:
        json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata must be JSON-serialisable with finite numbers: {exc}") from None
    return meta


# --- save ----------------------------------------------------------------------------------------------
def save(obj: Any, path: str | os.PathLike, metadata: dict[str, Any] | None = None) -> None:
    """Save a state_dict, a model, a Trainer or a training Snapshot; the format follows the extension.

    ``metadata`` (a JSON-serialisable dict) is stored alongside; a key "architecture"
    in it describes a bare state_dict: {"type": "mlp", "sizes": [...], "activation": ...,
    "output_activation": ...}.
    """
    ext = weights_extension(path)
    state, arch = _extract(obj)
    metadata = dict(metadata or {})
    if "architecture" in metadata:
        arch = _validate_architecture(metadata.pop("architecture"))
    arch = _validate_architecture(arch)
    _validate_state(state, arch, "the weights to save")
    meta = _metadata_for(obj, metadata)
    if ext == ".json":
        atomic_write_text(path, json.dumps(_weights_json(state, arch, meta), indent=1, allow_nan=False) + "\n")
    elif ext == ".safetensors":
        _save_safetensors(state, arch, meta, path)
    else:
        _save_pt(state, path)


def _weights_json(state: Mapping[str, np.ndarray], arch: dict[str, Any] | None, meta: dict[str, Any]) -> dict:
    return {
        "format": WEIGHTS_FORMAT,
        "format_version": FORMAT_VERSION,
        "architecture": arch,
        **tensors_to_json(state),
        "metadata": meta,
    }


def _save_safetensors(state, arch, meta, path) -> None:
    stnp = import_safetensors_numpy()
    header = {"format": WEIGHTS_FORMAT, "format_version": str(FORMAT_VERSION),
              "architecture": json.dumps(arch), "metadata": json.dumps(meta)}
    data = stnp.save({k: np.ascontiguousarray(v) for k, v in state.items()}, metadata=header)
    atomic_write_bytes(path, data)


def _save_pt(state: Mapping[str, np.ndarray], path: str | os.PathLike) -> None:
    torch = import_torch(".pt files and to_torch()")
    tensors = OrderedDict((k, torch.from_numpy(np.ascontiguousarray(v))) for k, v in state.items())
    atomic_write(path, lambda tmp: torch.save(tensors, tmp))


# --- load ----------------------------------------------------------------------------------------------
def load(path: str | os.PathLike) -> Checkpoint:
    """Read and validate a weights file; FormatError or ShapeError naming the file and the problem
    (FileNotFoundError for a missing file). Sizes are checked before the file is read in full."""
    path = os.fspath(path)
    with errors_naming(path):
        return _load(path)


def _load(path: str) -> Checkpoint:
    ext = weights_extension(path)
    if ext == ".json":
        data = read_json(path, "weights")
        if data.get("format") == EXPERIMENT_FORMAT:
            _check_version(data, path)
            state, arch = _state_from_json(data, path)
            return Checkpoint(state, arch, _metadata_object(data, path), "json")
        if data.get("format") != WEIGHTS_FORMAT:
            raise FormatError(f"{path} is not a minitorch weights file (no 'format': '{WEIGHTS_FORMAT}')")
        _check_version(data, path)
        state, arch = _state_from_json(data, path)
        return Checkpoint(state, arch, _metadata_object(data, path), "json")
    if ext == ".safetensors":
        return _load_safetensors(path)
    return _load_pt(path)


def _metadata_object(data: dict[str, Any], path: str) -> dict[str, Any]:
    meta = data.get("metadata")
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise FormatError(f"{path}: 'metadata' must be an object, got {type(meta).__name__}")
    return meta


def _check_version(data: dict[str, Any], path: str) -> None:
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise FormatError(f"{path}: unsupported format_version {version!r} (this minitorch reads {FORMAT_VERSION})")


def _state_from_json(data: dict[str, Any], path: str) -> tuple[OrderedDict[str, np.ndarray], dict | None]:
    arch = _validate_architecture(data.get("architecture"))
    state = tensors_from_json(data, path)
    _validate_state(state, arch, path)
    return state, arch


# safetensors dtype names -> numpy dtypes; BF16 is widened to float32 by hand (numpy has no bfloat16)
_SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4",
                       "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}
_MAX_SAFETENSORS_HEADER = 100 * 1024**2  # the safetensors format's own limit


def _safetensors_entries(header: dict[str, Any], body_size: int, path: str) -> list[tuple[str, str, list, int]]:
    """(key, dtype, shape, offset) of every tensor, each claim checked against the file's size
    before the body is read."""
    entries = []
    total = 0
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("dtype"), str) \
                or entry["dtype"] not in _SAFETENSORS_DTYPES:
            dtype = entry.get("dtype") if isinstance(entry, dict) else None
            raise FormatError(f"{path}: tensor {key!r} has an unsupported or missing dtype {dtype!r}")
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if (not isinstance(shape, list) or len(shape) > 8
                or any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in shape)):
            raise FormatError(f"{path}: tensor {key!r} has an invalid shape {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2
                or any(isinstance(o, bool) or not isinstance(o, int) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= body_size):
            raise FormatError(f"{path}: tensor {key!r} claims bytes {offsets!r} outside the file's "
                              f"{body_size:,} data bytes (truncated or corrupt)")
        count = math.prod(shape)
        itemsize = np.dtype(_SAFETENSORS_DTYPES[entry["dtype"]]).itemsize
        if count * itemsize != offsets[1] - offsets[0]:
            raise FormatError(f"{path}: tensor {key!r} of shape {shape} needs {count * itemsize:,} bytes, "
                              f"the file gives it {offsets[1] - offsets[0]:,}")
        total += count
        entries.append((key, entry["dtype"], shape, offsets[0]))
    if 8 * total > MAX_WEIGHTS_BYTES:
        raise FormatError(f"{path} holds {total:,} numbers; minitorch loads at most {MAX_WEIGHTS_BYTES // 8:,}")
    return entries


def _safetensors_array(body: bytes, dtype: str, shape: list, offset: int) -> np.ndarray:
    array = np.frombuffer(body, dtype=_SAFETENSORS_DTYPES[dtype], count=math.prod(shape), offset=offset)
    if dtype == "BF16":  # the top half of a float32
        array = (array.astype(np.uint32) << 16).view(np.float32)
    return array.reshape(shape)


def _load_safetensors(path: str) -> Checkpoint:
    size = check_file(path, "safetensors weights", MAX_WEIGHTS_BYTES)
    with open(path, "rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise FormatError(f"{path} is truncated or not a safetensors file")
        (header_len,) = struct.unpack("<Q", prefix)
        if header_len > min(size - 8, _MAX_SAFETENSORS_HEADER):
            raise FormatError(f"{path} is truncated or not a safetensors file (its header claims "
                              f"{header_len:,} bytes)")
        header = parse_json(handle.read(header_len), path)
        if not isinstance(header, dict):
            raise FormatError(f"{path} is not a safetensors file (its header is not a JSON object)")
        entries = _safetensors_entries(header, size - 8 - header_len, path)
        body = handle.read()
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or meta.get("format") != WEIGHTS_FORMAT:
        raise FormatError(f"{path} is a safetensors file but not one written by minitorch (no format metadata)")
    if meta.get("format_version") != str(FORMAT_VERSION):
        raise FormatError(f"{path}: unsupported format_version {meta.get('format_version')!r} "
                          f"(this minitorch reads {FORMAT_VERSION})")
    architecture, user_meta = meta.get("architecture", "null"), meta.get("metadata", "{}")
    if not isinstance(architecture, str) or not isinstance(user_meta, str):
        raise FormatError(f"{path}: its metadata values must be JSON strings")
    arch = _validate_architecture(parse_json(architecture, f"{path} (architecture metadata)"))
    user_meta = parse_json(user_meta, f"{path} (metadata)")
    state = OrderedDict((key, as_float64(_safetensors_array(body, dtype, shape, offset), key))
                        for key, dtype, shape, offset in sorted(entries, key=lambda e: _key_order((e[0], None))))
    _validate_state(state, arch, path)
    return Checkpoint(state, arch, user_meta if isinstance(user_meta, dict) else {}, "safetensors")


def _key_order(item: tuple[str, Any]) -> tuple:
    match = _KEY.match(item[0])
    return (0, int(match.group(1)), match.group(2) == "bias") if match else (1, item[0])


def _torch_values(tensor: Any, key: Any, path: str) -> np.ndarray:
    """A torch tensor from a .pt file as a float64 array (see `fileio.torch_to_numpy`)."""
    if not isinstance(key, str):
        raise FormatError(f"{path}: state_dict keys must be strings, got {key!r} ({type(key).__name__})")
    try:
        return as_float64(torch_to_numpy(tensor, key, path), key)
    except FormatError as exc:
        raise FormatError(exc.args[0] if path in str(exc) else f"{path}: {exc}") from None


def _load_pt(path: str) -> Checkpoint:
    torch = import_torch(".pt files and to_torch()")
    check_file(path, "PyTorch weights", MAX_WEIGHTS_BYTES)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, bad pickle, disallowed global: all "not a valid file"
        raise FormatError(f"{path} is corrupt or not a PyTorch weights file ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise FormatError(f"{path} does not hold a state_dict (a dict of tensors); got {type(obj).__name__}")
    total = sum(v.numel() for v in obj.values())
    if 8 * total > MAX_WEIGHTS_BYTES:
        raise FormatError(f"{path} holds {total:,} numbers; minitorch loads at most {MAX_WEIGHTS_BYTES // 8:,}")
    state = OrderedDict((k, _torch_values(v, k, path)) for k, v in obj.items())
    arch = _infer_architecture(state)
    if arch is None:
        raise FormatError(f"{path}: its keys {list(state)[:4]} are not those of a torch.nn.Sequential of Linear layers")
    _validate_state(state, arch, path)
    return Checkpoint(state, arch, {}, "pt")


def load_into(target: Any, path: str | os.PathLike, check_activations: bool = True) -> Checkpoint:
    """Load a weights file into a model or a Trainer: everything is validated first, then copied.

    With ``check_activations`` a file that records different activations than the target
    is refused (the weights would fit, but compute something else).
    """
    ckpt = load(path)
    target_arch = _architecture_of(target)
    if target_arch is not None and ckpt.architecture is not None:
        if target_arch["sizes"] != ckpt.architecture["sizes"]:
            raise ShapeError(f"{os.fspath(path)} holds an MLP{tuple(ckpt.architecture['sizes'])}, "
                             f"the model is MLP{tuple(target_arch['sizes'])}")
        if check_activations:
            for name in ("activation", "output_activation"):
                theirs = ckpt.architecture.get(name)
                if theirs is not None and theirs != target_arch.get(name):
                    raise FormatError(f"{os.fspath(path)} was saved with {name} {theirs!r}, "
                                      f"the model uses {target_arch.get(name)!r}")
    try:
        target.load_state_dict(ckpt.state_dict)  # validates again (a float32 model: the range too), all-or-nothing
    except (KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, MinitorchError):
            raise
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        raise FormatError(f"{os.fspath(path)} does not fit the model: {message}") from None
    return ckpt


def load_model(path: str | os.PathLike) -> Any:
    """A new scalar `MLP` built from a weights file's architecture and weights."""
    return load(path).build_model()


# --- PyTorch ---------------------------------------------------------------------------------------------
def to_torch(obj: Any, dtype: Any = None) -> Any:
    """The equivalent ``torch.nn.Sequential(Linear, act, Linear, ...)`` holding the same weights (float64).

    Takes a scalar MLP, a Trainer, an n-d Sequential or a `Checkpoint`. A hidden "linear"
    activation becomes ``nn.Identity()`` so the Linear layers keep the keys 0, 2, 4, ...
    """
    torch = import_torch(".pt files and to_torch()")
    state, arch = _extract(obj)
    arch = _require_activations(_validate_architecture(arch), "build the PyTorch module")
    _validate_state(state, arch, "the model")
    dtype = dtype or torch.float64
    net = _mlp_spec(arch).build_torch(dtype)
    net.load_state_dict({k: torch.from_numpy(v).to(dtype) for k, v in state.items()})
    return net
