"""Atomic writes look like plain writes (permissions, links, long names, error messages) and never
leave a half-written file; strict JSON reading."""

from __future__ import annotations

import os
import stat

import pytest

from minitorch.fileio import FormatError, atomic_write, atomic_write_bytes, atomic_write_text, read_json


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    """Set the process umask for one test and put the old one back."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda value: os.umask(value)
    os.umask(saved)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_mode_a_plain_write_gives(tmp_path, umask, mask):
    umask(mask)
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    atomic_write_text(tmp_path / "atomic.txt", "x")
    assert _mode(tmp_path / "atomic.txt") == _mode(plain) == 0o666 & ~mask


@pytest.mark.parametrize("existing", [0o644, 0o640, 0o664])
def test_an_existing_file_keeps_its_mode(tmp_path, umask, existing):
    umask(0o077)
    path = tmp_path / "keep.json"
    path.write_text("old")
    os.chmod(path, existing)
    atomic_write_text(path, "new")
    assert path.read_text() == "new" and _mode(path) == existing


def test_a_writer_that_reopens_the_file_keeps_the_mode_too(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "graph.png"
    path.write_bytes(b"old")
    os.chmod(path, 0o604)

    def write(tmp):
        with open(tmp, "wb") as handle:  # as torch.save or a Qt image writer would
            handle.write(b"new")

    atomic_write(path, write)
    assert path.read_bytes() == b"new" and _mode(path) == 0o604


def test_a_symlink_is_followed_and_stays_a_link(tmp_path):
    target = tmp_path / "real" / "model.json"
    target.parent.mkdir()
    target.write_text("old")
    os.chmod(target, 0o644)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new" and _mode(target) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.json"]


def test_a_dangling_symlink_creates_its_target(tmp_path):
    target = tmp_path / "made.json"
    link = tmp_path / "link.json"
    link.symlink_to(target)
    atomic_write_text(link, "hello")
    assert link.is_symlink() and target.read_text() == "hello"


def test_a_250_character_file_name_works(tmp_path):
    name = "w" * 245 + ".json"
    assert len(name) == 250
    atomic_write_text(tmp_path / name, "{}")
    assert (tmp_path / name).read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_long_extension_still_writes(tmp_path):
    name = "a." + "b" * 200
    atomic_write_bytes(tmp_path / name, b"1")
    assert (tmp_path / name).read_bytes() == b"1"


def test_the_temporary_name_keeps_a_short_extension(tmp_path):
    seen = []

    def write(tmp):
        seen.append(tmp)
        with open(tmp, "w") as handle:
            handle.write("x")

    atomic_write(tmp_path / ("n" * 240 + ".png"), write)
    assert seen[0].endswith(".png") and len(os.path.basename(seen[0])) < 32
    assert os.path.dirname(seen[0]) == str(tmp_path)


def test_errors_name_the_users_path_not_the_temporary_file(tmp_path):
    missing_folder = tmp_path / "no-such-folder" / "model.json"
    with pytest.raises(FileNotFoundError) as info:
        atomic_write_text(missing_folder, "x")
    assert info.value.filename == str(missing_folder) and ".tmp" not in str(info.value)

    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as info:
        atomic_write_text(folder, "x")
    assert info.value.filename == str(folder) and ".tmp" not in str(info.value)

    def refuse(tmp):
        raise PermissionError(13, "Permission denied", tmp)

    with pytest.raises(PermissionError) as info:
        atomic_write(tmp_path / "x.json", refuse)
    assert info.value.filename == str(tmp_path / "x.json") and ".tmp" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder"]  # nothing left behind


def test_a_crash_mid_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    path.write_text("original")

    def crash(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        atomic_write_text(path, "replacement")
    assert path.read_text() == "original"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_read_json_is_strict(tmp_path):
    good = tmp_path / "good.json"
    good.write_text('{"a": 1}')
    assert read_json(good) == {"a": 1}
    for name, text, error, message in [
        ("cut.json", '{"a": ', FormatError, "truncated"),
        ("list.json", "[1, 2]", FormatError, "does not start with a JSON object"),
        ("nan.json", '{"a": NaN}', ValueError, "NaN"),
    ]:
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(error, match=message) as info:
            read_json(path)
        assert str(path) in str(info.value)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FormatError, match="binary|does not start with a JSON object"):
        read_json(binary)


def test_errors_naming_puts_the_file_in_front_once():
    from minitorch.errors import ShapeError
    from minitorch.fileio import errors_naming

    with pytest.raises(ShapeError, match=r"^run\.json: bad shape$"):
        with errors_naming("run.json"):
            raise ShapeError("bad shape")
    with pytest.raises(FormatError, match=r"^run\.json is truncated$"):
        with errors_naming("run.json"):
            raise FormatError("run.json is truncated")
    with pytest.raises(KeyError):  # not a project error: left alone
        with errors_naming("run.json"):
            raise KeyError("x")
