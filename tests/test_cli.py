"""minitorch-train end to end: flags, config files, exports, progress output and error exits."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from minitorch import backend, io
from minitorch.cli import main

FAST = ["--n-samples", "40", "--layers", "4", "--steps", "5"]


def test_flags_train_and_export_every_format(tmp_path, capsys):
    paths = [tmp_path / f"model.{ext}" for ext in ("json", "safetensors", "pt")]
    argv = ["--dataset", "moons", "--activation", "relu", "--optimizer", "adam", "--lr", "0.01", *FAST]
    for path in paths:
        argv += ["--export", str(path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "train loss" in out and "test acc" in out and "weights saved to" in out
    for path in paths:
        assert io.load(path).architecture["sizes"] == [2, 4, 1]


def test_json_summary_and_experiment_then_resume(tmp_path, capsys):
    experiment = tmp_path / "run.json"
    assert main([*FAST, "--quiet", "--json", "--save-experiment", str(experiment)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["steps"] == 5 and summary["diverged"] is None and 0 <= summary["train_acc"] <= 1
    assert main([str(experiment), "--steps", "3", "--quiet", "--json"]) == 0
    resumed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert resumed["steps"] == 8  # the experiment's 5 steps, then 3 more


def test_config_file_with_overrides(tmp_path, capsys):
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"dataset": "xor", "hidden_layers": [3], "n_samples": 40}))
    saved = tmp_path / "resolved.json"
    assert main([str(config), "--lr", "0.05", "--steps", "2", "--quiet", "--save-config", str(saved)]) == 0
    resolved = json.loads(saved.read_text())["config"]
    assert resolved["dataset"] == "xor" and resolved["lr"] == 0.05 and resolved["hidden_layers"] == [3]


def test_regression_and_multiclass_pick_a_fitting_loss(capsys):
    assert main(["--dataset", "sine", *FAST, "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["train_acc"] is None
    assert main(["--dataset", "spiral3", *FAST, "--quiet", "--json"]) == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--layers", "8,x"], "expected comma-separated integers"),
        (["--dataset", "mnist"], "invalid choice: 'mnist'"),
        (["--lr", "fast"], "expected a number"),
        (["--lr", "nan"], "expected a finite number"),
        (["--lr", "-1"], "TrainConfig.lr"),
        (["--steps", "-5"], "--steps must be >= 0"),
        (["--dataset", "spiral3", "--loss", "hinge"], "TrainConfig.loss"),
        (["--export", "model.txt"], "unknown format '.txt'"),
        (["missing-config.json"], "config file not found"),
        (["--dataset", "csv"], "TrainConfig.csv_path"),
        (["--unknown-flag"], "unrecognized arguments"),
        (["--engine", "tensor", "--device", "tpu"], "unknown device 'tpu'"),
        (["--device", "cuda"], "the scalar engine runs on the CPU only"),
        (["--engine", "tensor", "--dtype", "float16"], "invalid choice: 'float16'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("minitorch-train: error:") and message in err


def test_bad_csv_and_bad_config_file(tmp_path, capsys):
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("a,b,y\n1,2,0\n3,oops,1\n")
    with pytest.raises(SystemExit) as info:
        main(["--dataset", "csv", "--csv", str(bad_csv), "--steps", "1"])
    assert info.value.code == 2 and "line 3, column 'b'" in capsys.readouterr().err
    corrupt = tmp_path / "cfg.json"
    corrupt.write_text("{not json")
    with pytest.raises(SystemExit) as info:
        main([str(corrupt)])
    assert info.value.code == 2 and "not valid JSON" in capsys.readouterr().err


def test_divergence_exits_1(capsys):
    code = main(["--dataset", "plane", "--layers", "8,8", "--activation", "relu", "--optimizer", "sgd",
                 "--lr", "50", "--n-samples", "60", "--steps", "200", "--quiet"])
    assert code == 1
    assert "diverged at step" in capsys.readouterr().err


def test_console_script_runs_as_a_process(tmp_path):
    export = tmp_path / "m.json"
    env = {**os.environ, "COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-m", "minitorch.cli", *FAST, "--export", str(export)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "training" in done.stdout and export.exists()
    bad = subprocess.run([sys.executable, "-m", "minitorch.cli", "--optimizer", "newton"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_plain_output_without_rich(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_rich(name, *args, **kwargs):
        if name.startswith("rich"):
            raise ImportError("No module named 'rich' (simulated)")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_rich)
    assert main(["--n-samples", "40", "--layers", "4", "--steps", "10"]) == 0
    out = capsys.readouterr().out
    assert "step 10/10  loss" in out and "train loss" in out


def test_tensor_engine_dtype_and_device_flags(tmp_path, capsys):
    path = tmp_path / "model.safetensors"
    assert main(["--engine", "tensor", "--dtype", "float32", "--device", "cpu", "--layers", "4", "--steps", "3",
                 "--export", str(path), "--quiet", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert math.isfinite(summary["train_loss"]) and summary["steps"] == 3
    assert path.stat().st_size > 0


@pytest.mark.skipif(backend.cuda_available(), reason="CUDA is present here; this checks the message where it is absent")
def test_cuda_without_cupy_is_one_clear_line(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--engine", "tensor", "--device", "cuda"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "CuPy/CUDA not available" in err
