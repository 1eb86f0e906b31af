"""minitorch-train on bad input: every failure is one line on stderr and exit status 2.

The cases run in-process through ``minitorch.cli.main`` (fast); a fuzzer then builds argument
lists from the parser's own flags and a pool of good and bad values.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from minitorch import io
from minitorch.cli import build_parser, main
from minitorch.nn import MLP

QUICK = ["--n-samples", "20", "--layers", "3", "--steps", "1", "--quiet"]


def _run(argv: list[str], capsys) -> tuple[int, str]:
    """(exit status, stderr) of one in-process run."""
    try:
        code = main(argv)
    except SystemExit as stop:
        code = stop.code
    return code, capsys.readouterr().err


def _assert_one_line_error(code: int, err: str, message: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("minitorch-train: error:"), err
    assert message in err, err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A folder, a good CSV, and files that are wrong in the ways the cases below need."""
    tmp_path = tmp_path_factory.mktemp("cases")
    folder = tmp_path / "folder"
    folder.mkdir()
    good_csv = tmp_path / "good.csv"
    good_csv.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30)))
    nan_label = tmp_path / "nan.csv"
    nan_label.write_text("x,y\n" + "".join(f"{i},{0.5 * i + 0.25}\n" for i in range(3000)).replace(
        "10,5.25\n", "10,nan\n"))
    many_labels = tmp_path / "labels.csv"
    many_labels.write_text("x,y\n" + "".join(f"{i},name{i}\n" for i in range(1000)))
    weights = tmp_path / "weights.json"
    io.save(MLP(2, [3, 1]), weights)
    cases = {"huge.json": '{"seed": ' + "7" * 401 + "}", "deep.json": "{\"a\": " + "[" * 100_000 + "]" * 100_000 + "}",
             "list.json": "[1]", "meta.json": json.dumps({"format": "minitorch-experiment", "format_version": 1,
                                                          "config": {}, "metadata": [1]})}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    zeros = tmp_path / "zeros.json"
    with open(zeros, "wb") as handle:
        handle.truncate(1024**3)  # sparse: no disk used
    return tmp_path


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", "csv", "--csv", "{t}/folder"], "is a folder, not a CSV file"),
        (["--dataset", "csv", "--csv", "{t}/good.csv", "--label-column", "²"], "label column '²' not found"),
        (["--dataset", "csv", "--csv", "{t}/nan.csv"], "line 12, column 'y': 'nan' is not a finite number"),
        (["--dataset", "csv", "--csv", "{t}/labels.csv"], "classification supports at most 100 classes"),
        (["{t}/folder"], "is a folder, not a file"),
        (["{t}/huge.json"], "an integer with 401 digits"),
        (["{t}/deep.json"], "nested too deeply"),
        (["{t}/list.json"], "not a minitorch file"),
        (["{t}/zeros.json"], "minitorch reads experiment files of at most"),
        (["{t}/weights.json"], "holds weights only"),
        (["--layers", "4096,4096"], "use engine='tensor'"),
        ([f"--layers={','.join(['4096'] * 16)}", "--engine", "tensor"], "limit 2.0 GiB"),
        (["--n-samples", str(10**9)], "TrainConfig.n_samples"),
        (["--seed", "-1"], "TrainConfig.seed"),
        (["--features", "x1,x9"], "unknown feature 'x9'"),
        (["--export", "{t}/missing/m.pt"], "does not exist"),
        (["--export", "{t}/folder/"], "unknown format"),
    ],
)
def test_bad_invocations_are_one_line_and_exit_2(files, capsys, argv, message):
    argv = [arg.replace("{t}", str(files)) for arg in argv]
    code, err = _run([*argv, "--steps", "1", "--quiet"], capsys)
    _assert_one_line_error(code, err, message)


def test_an_export_path_that_is_a_folder(tmp_path, capsys):
    (tmp_path / "m.pt").mkdir()
    code, err = _run([*QUICK, "--export", str(tmp_path / "m.pt")], capsys)
    _assert_one_line_error(code, err, "is a folder; give a file name")


def test_full_disk_and_unwritable_outputs_after_training(tmp_path, capsys, monkeypatch):
    import torch

    def disk_full(*args, **kwargs):
        raise RuntimeError("[enforce fail at inline_container.cc:783] . PytorchStreamWriter failed writing file "
                           "data/0: file write failed\nsecond line of torch's message")

    monkeypatch.setattr(torch, "save", disk_full)
    code, err = _run([*QUICK, "--export", str(tmp_path / "m.pt")], capsys)
    _assert_one_line_error(code, err, "could not save: [enforce fail")
    monkeypatch.undo()

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    code, err = _run([*QUICK, "--export", str(tmp_path / "m.json")], capsys)
    _assert_one_line_error(code, err, "No space left on device")
    monkeypatch.undo()

    def read_only(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", dst)

    monkeypatch.setattr(os, "replace", read_only)
    code, err = _run([*QUICK, "--save-experiment", str(tmp_path / "run.json")], capsys)
    _assert_one_line_error(code, err, "Permission denied")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no temporary file left behind


# --- the fuzzer ----------------------------------------------------------------------------------------
def _flags() -> list[str]:
    return sorted({option for action in build_parser()._actions for option in action.option_strings
                   if option not in ("-h", "--help")})


VALUES = [
    "", "0", "1", "-1", "3", "0.5", "1e999", "nan", "-inf", "x", "²", "٣", "4096,4096", "3,0", "2,x", ",", "99" * 40,
    "moons", "sine", "spiral3", "csv", "digits", "relu", "tanh", "mse", "hinge", "cross_entropy", "sgd", "adam",
    "tensor", "scalar", "float32", "cuda", "cpu", "x1,x2,x1^2", "x1,x1", "y", "\0", "--quiet",
]
PATHS = ["folder", "good.csv", "missing.csv", "zeros.json", "huge.json", "deep.json", "list.json", "meta.json",
         "weights.json", "out/m.pt", "m.json", "m.safetensors", "m.txt", "folder/m.pt"]


@st.composite
def argument_lists(draw, folder: str) -> list[str]:
    flags = _flags()
    argv: list[str] = []
    if draw(st.integers(0, 3)) == 0:
        argv.append(os.path.join(folder, draw(st.sampled_from(PATHS))))
    for _ in range(draw(st.integers(0, 3))):
        flag = draw(st.sampled_from(flags))
        if flag in ("--quiet", "--json"):
            argv.append(flag)
            continue
        value = draw(st.one_of(st.sampled_from(VALUES), st.sampled_from(VALUES),
                               st.sampled_from(PATHS).map(lambda p: os.path.join(folder, p)), st.text(max_size=5)))
        if flag == "--layers" and value.replace(",", "").isdigit() and any(int(v) > 64 for v in value.split(",") if v):
            value = "4096,4096"  # big networks are refused; widths that pass stay small so each run is quick
        argv += [flag, value]
    steps = draw(st.sampled_from(["0", "1", "2", "1", "2", "-3", "x"]))
    return [*argv, "--steps", steps, "--n-samples", "20", "--quiet"]


@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory):
    return str(_populate(tmp_path_factory.mktemp("cli")))


def _populate(folder):
    (folder / "folder").mkdir()
    (folder / "good.csv").write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30)))
    for name, text in {"huge.json": '{"seed": ' + "7" * 401 + "}", "deep.json": "[" * 50_000 + "]" * 50_000,
                       "list.json": "[1]", "meta.json": '{"format": "minitorch-experiment", "metadata": [1]}'}.items():
        (folder / name).write_text(text)
    with open(folder / "zeros.json", "wb") as handle:
        handle.truncate(300 * 1024**2)
    io.save(MLP(2, [3, 1]), folder / "weights.json")
    return folder


@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_cli_arguments(fuzz_folder, capsys, data):
    argv = data.draw(argument_lists(fuzz_folder))
    capsys.readouterr()
    with contextlib.chdir(os.path.join(fuzz_folder, "folder")):  # a relative output path lands there
        code, err = _run(argv, capsys)
    event(f"exit {code}")
    if code == 0:
        return
    if code == 1:  # a run that diverged: its own one line
        assert err.count("\n") == 1 and "diverged" in err, err
        return
    _assert_one_line_error(code, err, "")
