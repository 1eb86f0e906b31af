"""Reading JSON files that may be corrupt or hostile: every failure is a `FormatError` naming the file.

    data = read_json_object("run.json", "experiment")

The limits are checked before the whole file is read or parsed:

- a file larger than ``max_bytes`` (default `MAX_JSON_BYTES`, 256 MiB) is refused from its
  size alone, and a file whose first non-blank byte is not ``{`` from its first bytes;
- an integer literal longer than `MAX_INT_DIGITS` digits is refused while parsing (a longer
  one cannot be a float64, and Python's own digit limit would raise a bare ValueError);
- nesting deeper than the interpreter's recursion limit is refused (no RecursionError);
- ``NaN``/``Infinity`` literals are refused unless ``allow_nonfinite``.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from .errors import FormatError

__all__ = ["MAX_JSON_BYTES", "MAX_INT_DIGITS", "read_json_object", "parse_json", "check_file_size"]

MAX_JSON_BYTES = 256 * 1024**2
MAX_INT_DIGITS = 300
_BLANK = b" \t\r\n"
_UTF8_BOM = b"\xef\xbb\xbf"


class _Refused(Exception):
    """Raised from inside the parser's hooks; turned into a FormatError naming the file."""


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"an integer with {len(text.lstrip('-')):,} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _refuse_constant(name: str) -> float:
    raise _Refused(f"the value {name} (numbers must be finite)")


def parse_json(text: str | bytes, source: str, allow_nonfinite: bool = False) -> Any:
    """``json.loads`` with the limits above; ``source`` names the file in the messages."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FormatError(f"{source} is not a text (UTF-8) JSON file: it looks binary or corrupt") from None
    hooks: dict[str, Any] = {"parse_int": _bounded_int}
    if not allow_nonfinite:
        hooks["parse_constant"] = _refuse_constant
    try:
        return json.loads(text, **hooks)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{source} is truncated or not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except _Refused as exc:
        raise FormatError(f"{source} holds {exc}") from None
    except RecursionError:
        raise FormatError(f"{source} is nested too deeply to be a minitorch file") from None


def check_file_size(path: str, what: str, max_bytes: int) -> int:
    """The size of the regular file ``path``; FormatError if it is a directory, not a file, or too big.

    A missing file raises FileNotFoundError naming it.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {path}") from None
    if stat.S_ISDIR(info.st_mode):
        raise FormatError(f"{path} is a folder, not a {what} file")
    if not stat.S_ISREG(info.st_mode):
        raise FormatError(f"{path} is not a regular file")
    if info.st_size > max_bytes:
        raise FormatError(f"{path} is {info.st_size:,} bytes; minitorch reads {what} files of at most "
                          f"{max_bytes:,} bytes")
    return info.st_size


def read_json_object(path: str | os.PathLike, what: str = "JSON", max_bytes: int = MAX_JSON_BYTES,
                     allow_nonfinite: bool = False) -> dict[str, Any]:
    """Read a file holding one JSON object, within the limits above; ``what`` names the kind of file."""
    path = os.fspath(path)
    check_file_size(path, what, max_bytes)
    with open(path, "rb") as handle:
        head = handle.read(4096)
        first = head.removeprefix(_UTF8_BOM).lstrip(_BLANK)[:1]
        if first and first != b"{":
            raise FormatError(f"{path} is not a minitorch {what} file (it does not start with a JSON object)")
        blob = head + handle.read()
    data = parse_json(blob, path, allow_nonfinite)
    if not isinstance(data, dict):
        raise FormatError(f"{path} is not a minitorch {what} file (the JSON top level is not an object)")
    return data
