"""Writing and reading minitorch's files safely: the one place every file write goes through.

    atomic_write_text("run.json", text)
    atomic_write_bytes("model.safetensors", blob)
    atomic_write("graph.png", lambda tmp: image.save(tmp))   # for writers that want a path
    data = read_json("run.json")                              # strict: no NaN, a JSON object

A write goes to a short temporary name in the target's folder, is flushed to disk and then
renamed over the target with ``os.replace``, so a crash mid-write never leaves a broken file
under the user's name. The result looks like a plain ``open(path, "w")`` had written it:

- a new file gets the permissions a plain write gives (``0o666`` minus the umask), an existing
  file keeps its mode;
- a symbolic link is followed: the file it points to is replaced, the link stays a link;
- any legal file name works (the temporary name is short, whatever the target's length);
- errors name the user's path, never the temporary file.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from .backend import as_numpy
from .errors import MinitorchError, ShapeError

__all__ = [
    "FormatError",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "read_json",
    "parse_json",
    "check_file",
    "MAX_JSON_BYTES",
    "MAX_WEIGHTS_BYTES",
    "errors_naming",
    "tensors_to_json",
    "torch_to_numpy",
    "tensors_from_json",
    "WEIGHTS_FORMAT",
    "EXPERIMENT_FORMAT",
    "CONFIG_FORMAT",
    "WEIGHT_FILE_TYPES",
    "weights_extension",
    "import_safetensors_numpy",
    "import_torch",
]

# The "format" names minitorch's JSON files declare, so each reader can tell the others apart.
WEIGHTS_FORMAT = "minitorch-weights"
EXPERIMENT_FORMAT = "minitorch-experiment"
CONFIG_FORMAT = "minitorch-config"

# The weights files minitorch writes and reads; the extension picks the format.
WEIGHT_FILE_TYPES = (".json", ".safetensors", ".pt")

_MAX_KEPT_SUFFIX = 16  # writers that pick a format from the extension (Qt's image writer) see it


class FormatError(MinitorchError, ValueError):
    """A file that is not a valid minitorch file: wrong format, version, structure or a corrupt body."""


@contextmanager
def errors_naming(path: str) -> Iterator[None]:
    """Re-raise a project error from the block with ``path`` in front of its message (unless the
    message names the file already), so every refusal of a file says which file."""
    try:
        yield
    except MinitorchError as exc:
        if path in str(exc):
            raise
        raise type(exc)(f"{path}: {exc}") from None


# --- atomic writes -------------------------------------------------------------------------------------
def _new_file_mode(target: str) -> int | None:
    """The mode to give the new file: the existing file's, or None for 'what a plain open gives'."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return None


def _create_temporary(folder: str, suffix: str) -> str:
    """A new empty file with a short random name in ``folder``; created with mode 0o666 so the
    kernel applies the umask exactly as for a plain ``open(path, "w")``."""
    for _ in range(100):
        tmp = os.path.join(folder, f".tmp-{secrets.token_hex(6)}{suffix}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"could not create a temporary file in {folder}")


def _renamed(exc: OSError, path: str) -> OSError:
    """The same error, naming the user's path instead of the temporary file."""
    return type(exc)(exc.errno, exc.strerror or str(exc), path)


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, flush it to disk, then rename it
    over ``path`` (see the module docstring for permissions, links and errors).

    The temporary name keeps ``path``'s extension when it is short, for writers that pick a
    format from it.
    """
    path = os.fspath(path)
    target = os.path.realpath(path)  # follow symbolic links: replace the file, not the link
    folder = os.path.dirname(target)
    suffix = os.path.splitext(target)[1]
    if len(suffix) > _MAX_KEPT_SUFFIX:
        suffix = ""
    try:
        mode = _new_file_mode(target)
        tmp = _create_temporary(folder, suffix)
    except OSError as exc:
        raise _renamed(exc, path) from None
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename in (tmp, target):
            raise _renamed(exc, path) from None
        raise
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    """Flush the rename itself to disk where the platform allows opening a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see `atomic_write`)."""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            handle.write(data)

    atomic_write(path, write)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (see `atomic_write`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


# --- reading -----------------------------------------------------------------------------------------------
# Limits checked before a file is read or parsed in full; docs/training.md states them.
MAX_JSON_BYTES = 256 * 1024**2  # a bigger model belongs in .safetensors or .pt
# .safetensors and .pt files are refused above this size, and a file whose tensors would take
# more than this as float64 (docs/training.md).
MAX_WEIGHTS_BYTES = 1024**3
MAX_INT_DIGITS = 300  # a longer integer literal cannot be a float64 (and Python refuses > 4300 digits)
_BLANK = b" \t\r\n"
_UTF8_BOM = b"\xef\xbb\xbf"


class _Refused(Exception):
    """Raised from the JSON parser's hooks; becomes a FormatError naming the file."""


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _Refused(f"an integer with {digits:,} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _reject_constant(name: str) -> float:
    raise _Refused(f"{name}: numbers must be finite (NaN or infinite value)")


def parse_json(text: str | bytes, source: str) -> Any:
    """``json.loads`` that refuses NaN/Infinity, integers over `MAX_INT_DIGITS` digits and
    nesting beyond the recursion limit: every failure a FormatError naming ``source``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FormatError(f"{source} is not a text JSON file (binary or corrupt)") from None
    try:
        return json.loads(text, parse_int=_bounded_int, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{source} is truncated or not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except _Refused as exc:
        raise FormatError(f"{source} holds {exc}") from None
    except RecursionError:
        raise FormatError(f"{source} is nested too deeply to be a minitorch file") from None


def check_file(path: str, what: str, max_bytes: int) -> int:
    """The size of the regular file ``path``; FormatError for a folder, a non-file or a file over
    ``max_bytes`` (judged from its size alone); FileNotFoundError naming a missing one."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {path}") from None
    if stat.S_ISDIR(info.st_mode):
        raise FormatError(f"{path} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise FormatError(f"{path} is not a regular file")
    if info.st_size > max_bytes:
        raise FormatError(f"{path} is {info.st_size:,} bytes; minitorch reads {what} files of at most "
                          f"{max_bytes:,} bytes")
    return info.st_size


def read_json(path: str | os.PathLike, what: str = "JSON", max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """The JSON object in ``path``; FormatError (naming the path) for a folder, a file over
    ``max_bytes``, one that does not start with ``{``, binary, truncated, NaN/Infinity literals,
    huge integers, deep nesting or a non-object top level. ``what`` names the kind of file."""
    path = os.fspath(path)
    check_file(path, what, max_bytes)
    with open(path, "rb") as handle:
        head = handle.read(4096)
        first = head.removeprefix(_UTF8_BOM).lstrip(_BLANK)[:1]
        if first and first != b"{":  # refused from its first bytes, not after reading it all
            if first.isascii() and first.decode().isprintable():
                raise FormatError(f"{path} is not a minitorch file (it does not start with a JSON object)")
            raise FormatError(f"{path} is not a text JSON file (binary or corrupt)")
        blob = head + handle.read()
    data = parse_json(blob, path)
    if not isinstance(data, dict):
        raise FormatError(f"{path} is not a minitorch file (the JSON top level is not an object)")
    return data


# --- tensors in JSON ------------------------------------------------------------------------------------------
def as_float64(value: Any, key: str) -> np.ndarray:
    """A finite float64 numpy array from a list, numpy/CuPy array, n-d minitorch or torch tensor."""
    try:
        source = as_numpy(value)
        if np.iscomplexobj(source):  # casting would silently drop the imaginary part
            raise FormatError(f"tensor {key!r} holds complex numbers; weights must be real")
        array = np.array(source, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, FormatError):
            raise
        raise FormatError(f"tensor {key!r} is not numeric, is ragged or is out of float64's range") from None
    if not np.all(np.isfinite(array)):
        raise FormatError(f"tensor {key!r} contains NaN or infinite values")
    return array


def torch_to_numpy(tensor: Any, key: str, source: str) -> np.ndarray:
    """A torch tensor read from ``source`` as a host numpy array: bfloat16/float16 widened to
    float32 (numpy has no bfloat16); meta, sparse, quantized and complex tensors refused."""
    import torch  # the caller has torch: it holds a torch tensor

    if tensor.is_meta:
        raise FormatError(f"{source}: tensor {key!r} is a meta tensor (a shape without values)")
    if tensor.layout != torch.strided or tensor.is_quantized:
        raise FormatError(f"{source}: tensor {key!r} is {'quantized' if tensor.is_quantized else 'sparse'}; "
                          "save a dense, unquantized state_dict")
    if tensor.is_complex():
        raise FormatError(f"{source}: tensor {key!r} holds complex numbers; weights must be real")
    if tensor.dtype in (torch.bfloat16, torch.float16):
        tensor = tensor.to(torch.float32)  # exact: float32 holds every bfloat16 and float16 value
    return tensor.detach().cpu().numpy()


def weights_extension(path: str | os.PathLike, error: type[Exception] = ValueError) -> str:
    """The lower-case extension of a weights file; ``error`` when it is none of `WEIGHT_FILE_TYPES`."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in WEIGHT_FILE_TYPES:
        raise error(f"unknown weights format {ext or '(no extension)'!r} for {os.fspath(path)}; "
                    f"use one of {', '.join(WEIGHT_FILE_TYPES)}")
    return ext


def import_safetensors_numpy() -> Any:
    """``safetensors.numpy``, or an ImportError that says how to install it."""
    try:
        import safetensors.numpy as stnp
    except ImportError:
        raise ImportError("the .safetensors format needs the safetensors package: "
                          "pip install 'pytorch-mini-playground[io]'") from None
    return stnp


def import_torch(needed_for: str = ".pt files") -> Any:
    """``torch``, or an ImportError that says what needs it and how to install it."""
    try:
        import torch
    except ImportError:
        raise ImportError(f"PyTorch is needed for {needed_for}: pip install 'pytorch-mini-playground[torch]'") from None
    return torch


def tensors_to_json(state: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """``{"shapes": {key: shape}, "state_dict": {key: nested lists}}`` for a JSON file."""
    return {"shapes": {k: list(v.shape) for k, v in state.items()},
            "state_dict": {k: v.tolist() for k, v in state.items()}}


def tensors_from_json(data: Mapping[str, Any], source: str) -> OrderedDict[str, np.ndarray]:
    """The float64 arrays of a document written with `tensors_to_json`, every shape checked."""
    raw = data.get("state_dict")
    if not isinstance(raw, dict):
        raise FormatError(f"{source} has no 'state_dict' object")
    shapes = data.get("shapes")
    if not isinstance(shapes, dict) or set(shapes) != set(raw):
        raise FormatError(f"{source}: 'shapes' must list the shape of every tensor in 'state_dict'")
    state = OrderedDict()
    for key, value in raw.items():
        array = as_float64(value, key)
        if list(array.shape) != shapes[key]:
            raise ShapeError(f"{source}: tensor {key!r} has shape {list(array.shape)} but the file says {shapes[key]}")
        state[key] = array
    return state
