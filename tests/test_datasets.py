"""Toy datasets, label conventions, features, the CSV loader and its errors, sklearn's bundled sets."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch import datasets as ds
from minitorch.datasets import CSVFormatError, load_csv, load_dataset

SYNTHETIC = ["moons", "circles", "xor", "gaussians", "spiral", "spiral3", "plane", "multi_gaussian", "sine"]


@pytest.mark.parametrize("name", SYNTHETIC)
def test_shapes_split_and_determinism(name):
    data = load_dataset(name, n_samples=100, noise=0.2, test_fraction=0.25, seed=3)
    info = ds.DATASETS[name]
    assert data.x_train.shape == (75, info.input_dim) and data.x_test.shape == (25, info.input_dim)
    assert data.y_train.shape == (75,) and data.y_test.shape == (25,)
    assert data.task == info.task and data.num_classes == info.num_classes
    assert np.all(np.isfinite(data.x_train))
    again = load_dataset(name, n_samples=100, noise=0.2, test_fraction=0.25, seed=3)
    np.testing.assert_array_equal(data.x_train, again.x_train)
    np.testing.assert_array_equal(data.y_test, again.y_test)
    other = load_dataset(name, n_samples=100, noise=0.2, test_fraction=0.25, seed=4)
    assert not np.array_equal(data.x_train, other.x_train)
    if data.task == "classification":
        assert set(np.concatenate([data.y_train, data.y_test])) == set(range(info.num_classes))


@pytest.mark.parametrize("name", ["moons", "circles", "xor", "gaussians", "spiral"])
def test_binary_label_formats(name):
    data = load_dataset(name, n_samples=60, seed=1)
    pm1 = data.with_label_format("pm1")
    zero_one = data.with_label_format("01")
    assert set(pm1.y_train) == {-1.0, 1.0} and set(zero_one.y_train) == {0.0, 1.0}
    np.testing.assert_array_equal(pm1.class_indices(pm1.y_train), data.y_train)
    np.testing.assert_array_equal(zero_one.y_train, data.y_train.astype(float))
    assert ds.label_format_for_loss("hinge", "classification") == "pm1"
    assert ds.label_format_for_loss("bce_logits", "classification") == "01"
    assert ds.label_format_for_loss("cross_entropy", "classification") == "index"
    assert ds.label_format_for_loss("mse", "regression") == "real"


def test_label_errors():
    with pytest.raises(ValueError, match="need 2 classes.*cross_entropy"):
        load_dataset("spiral3", label_format="pm1")
    with pytest.raises(ValueError, match="regression dataset"):
        load_dataset("sine").with_label_format("01")
    with pytest.raises(ValueError, match="regression dataset needs 'mse' or 'l1'"):
        ds.label_format_for_loss("hinge", "regression")


def test_noise_moves_points_and_shapes_are_right():
    clean_x, clean_y = ds.make_moons(50, noise=0.0, seed=0)
    noisy_x, _ = ds.make_moons(50, noise=0.3, seed=0)
    assert not np.allclose(clean_x, noisy_x)
    outer = clean_x[clean_y == 0] + np.array([0.5, 0.25])
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0)  # the outer moon is a unit half circle
    cx, cy = ds.make_circles(80, noise=0.0, seed=0)
    radius = np.hypot(cx[:, 0], cx[:, 1])
    np.testing.assert_allclose(radius[cy == 0], 1.0)
    np.testing.assert_allclose(radius[cy == 1], 0.5)
    xx, xy = ds.make_xor(200, noise=0.0, seed=0)
    np.testing.assert_array_equal(xy, (xx[:, 0] * xx[:, 1] > 0).astype(int))
    px, py = ds.make_plane(30, noise=0.0)
    np.testing.assert_allclose(py, 0.6 * px[:, 0] + 0.4 * px[:, 1])
    sx, sy = ds.make_sine(30, noise=0.0)
    np.testing.assert_allclose(sy, np.sin(sx[:, 0]))


def test_bad_generator_arguments():
    with pytest.raises(ValueError, match="n_samples"):
        ds.make_moons(1)
    with pytest.raises(ValueError, match="noise"):
        ds.make_moons(10, noise=-1)
    with pytest.raises(ValueError, match="test_fraction"):
        load_dataset("moons", test_fraction=1.0)
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        load_dataset("mnist")


def test_features_from_raw_inputs():
    x = np.array([[1.0, 2.0], [-0.5, 3.0]])
    out = ds.feature_matrix(x, ["x1", "x2^2", "x1*x2", "sin(x1)"])
    np.testing.assert_allclose(out, [[1, 4, 2, np.sin(1)], [-0.5, 9, -1.5, np.sin(-0.5)]])
    assert ds.resolve_features(["x1", "x2"], 1) == ["x1"]
    assert ds.resolve_features(["x1", "x2"], 4) is None
    with pytest.raises(ValueError, match="need a second input"):
        ds.resolve_features(["x1", "x2^2"], 1)
    with pytest.raises(ValueError, match="unknown feature"):
        ds.resolve_features(["x3"], 2)
    with pytest.raises(ValueError, match="1-D/2-D data only"):
        ds.resolve_features(["x1^2"], 4)


def test_extent_covers_all_points():
    data = load_dataset("moons", seed=0)
    (x0, x1), (y0, y1) = data.extent()
    points = np.concatenate([data.x_train, data.x_test])
    assert x0 < points[:, 0].min() and x1 > points[:, 0].max()
    assert y0 < points[:, 1].min() and y1 > points[:, 1].max()


# --- CSV ---------------------------------------------------------------------------------------------
def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_header_and_text_labels(tmp_path):
    path = _write(tmp_path, "a,b,kind\n1,2,cat\n3,4.5,dog\n-1,0,cat\n")
    table = load_csv(path, label_column="kind")
    np.testing.assert_array_equal(table.x, [[1, 2], [3, 4.5], [-1, 0]])
    np.testing.assert_array_equal(table.y, [0, 1, 0])
    assert table.class_names == ("cat", "dog") and table.task == "classification"
    assert table.feature_names == ("a", "b")


def test_csv_without_header_regression_and_label_index(tmp_path):
    path = _write(tmp_path, "0.5,1.25,3.5\n1,2,0.1\n2,3,7.25\n")
    table = load_csv(path, label_column=0)
    assert table.task == "regression" and table.feature_names == ("column 2", "column 3")
    np.testing.assert_array_equal(table.y, [0.5, 1, 2])
    assert load_csv(path).task == "regression"


def test_sample_csv_trains_through_load_dataset():
    data = load_dataset("csv", csv_path="assets/data/sample.csv", label_column="label", seed=0)
    assert data.task == "classification" and data.num_classes == 2
    assert abs(float(data.x_train.mean())) < 1e-9  # standardised from the training split


@pytest.mark.parametrize(
    "text, kwargs, message, line",
    [
        ("", {}, "is empty", None),
        ("\n\n", {}, "is empty", None),
        ("a,b,y\n", {}, "no data rows", None),
        ("a,b,y\n1,2,0\n3,4\n", {}, "line 3: the row has 2 values, expected 3", 3),
        ("a,b,y\n1,2,0\n3,,1\n", {}, "line 3, column 'b': missing value", 3),
        ("a,b,y\n1,2,0\n3,x7,1\n", {}, "line 3, column 'b': 'x7' is not a number", 3),
        ("a,b,y\n1,inf,0\n3,2,1\n", {}, "line 2, column 'b': 'inf' is not a finite number", 2),
        ("a,b,y\n1,2,0\n3,4,1\n", {"label_column": "target"}, "label column 'target' not found", None),
        ("a,b,y\n1,2,0\n3,4,1\n", {"label_column": 5}, "label column 5 does not exist", None),
        ("a,b,y\n1,2,0\n3,4,0\n", {}, "single class", None),
        ("a,a,y\n1,2,0\n", {}, "header names must be unique", 1),
        ("y\n1\n2\n", {}, "at least two columns", None),
    ],
)
def test_csv_errors_name_line_and_column(tmp_path, text, kwargs, message, line):
    path = _write(tmp_path, text)
    with pytest.raises(CSVFormatError, match=message) as info:
        load_csv(path, **kwargs)
    assert info.value.line == line
    assert isinstance(info.value, ValueError)


def test_csv_missing_and_binary_files(tmp_path):
    with pytest.raises(CSVFormatError, match="not found"):
        load_csv(tmp_path / "nope.csv")
    path = tmp_path / "blob.csv"
    path.write_bytes(b"\xff\xfe\x00\x81binary")
    with pytest.raises(CSVFormatError, match="not a text"):
        load_csv(path)
    with pytest.raises(ValueError, match="needs csv_path"):
        load_dataset("csv")


@pytest.mark.parametrize("name, dim, classes", [("iris", 4, 3), ("wine", 13, 3), ("breast_cancer", 30, 2),
                                                 ("digits", 64, 10)])
def test_sklearn_bundled_sets(name, dim, classes):
    data = load_dataset(name, seed=0)
    assert data.input_dim == dim and data.num_classes == classes and len(data.class_names) == classes
    assert np.allclose(data.x_train.mean(axis=0), 0, atol=1e-9)


def test_csv_path_that_is_a_folder_or_unreadable(tmp_path):
    with pytest.raises(CSVFormatError, match="is a folder, not a CSV file"):
        load_csv(tmp_path)
    with pytest.raises(CSVFormatError, match="cannot read the CSV file"):
        load_csv(str(tmp_path / "a\0b.csv"))
    with pytest.raises(CSVFormatError, match="not a regular file"):
        load_csv("/dev/zero")
    with pytest.raises(CSVFormatError, match="is a folder"):
        load_dataset("csv", csv_path=str(tmp_path))
    from minitorch.training import TrainConfig, Trainer, load_experiment

    with pytest.raises(CSVFormatError, match="is a folder"):
        Trainer(TrainConfig(dataset="csv", csv_path=str(tmp_path)))
    config = tmp_path / "config.json"
    config.write_text(f'{{"dataset": "csv", "csv_path": "{tmp_path}"}}')
    with pytest.raises(CSVFormatError, match=f"{config}: .*is a folder"):
        load_experiment(config)


def test_label_column_digits_are_ascii_indices_only(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,0\n3,4,1\n")
    assert load_csv(path, label_column="0").label_name == "a"
    with pytest.raises(CSVFormatError, match="label column '²' not found"):
        load_csv(path, label_column="²")  # a superscript digit: str.isdigit() is True, int() refuses it


def test_one_nan_label_in_a_regression_file_names_its_line(tmp_path):
    rows = [f"{i},{0.5 * i + 0.1}" for i in range(3000)]
    rows[1234] = "1234,nan"
    path = _write(tmp_path, "x,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(CSVFormatError, match=r"line 1236, column 'y': 'nan' is not a finite number") as info:
        load_csv(path)
    assert info.value.line == 1236


def test_too_many_classes_are_refused_with_the_limit(tmp_path):
    text_labels = _write(tmp_path, "x,y\n" + "".join(f"{i},label{i}\n" for i in range(100_000)))
    with pytest.raises(CSVFormatError, match=f"100,000 distinct text labels; classification supports at most "
                                             f"{ds.MAX_CLASSES} classes"):
        load_csv(text_labels)
    mostly_numbers = tmp_path / "numbers.csv"
    mostly_numbers.write_text("x,y\n" + "".join(f"{i},{i * 0.37}\n" for i in range(500)) + "7,n/a\n")
    with pytest.raises(CSVFormatError, match="line 502 holds 'n/a', the other labels are numbers"):
        load_csv(mostly_numbers)
    integers = tmp_path / "ints.csv"
    integers.write_text("x,y\n" + "".join(f"{i},{i}\n" for i in range(ds.MAX_CLASSES + 1)))
    assert load_csv(integers).task == "regression"  # many distinct integers: a regression target
    with pytest.raises(CSVFormatError, match=f"{ds.MAX_CLASSES + 1} distinct values"):
        load_csv(integers, task="classification")
    exactly = tmp_path / "exactly.csv"
    exactly.write_text("x,y\n" + "".join(f"{i},c{i}\n" for i in range(ds.MAX_CLASSES)))
    assert load_csv(exactly).num_classes == ds.MAX_CLASSES


def test_csv_size_and_row_limits_are_checked_first(tmp_path, monkeypatch):
    path = _write(tmp_path, "a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(50)))
    monkeypatch.setattr(ds, "MAX_CSV_BYTES", 100)
    with pytest.raises(CSVFormatError, match="CSV files of at most 100 bytes"):
        load_csv(path)
    monkeypatch.setattr(ds, "MAX_CSV_BYTES", 10**6)
    monkeypatch.setattr(ds, "MAX_CSV_ROWS", 49)
    with pytest.raises(CSVFormatError, match="more than 49 data rows"):
        load_csv(path)
    monkeypatch.setattr(ds, "MAX_CSV_ROWS", 50)
    assert load_csv(path).x.shape == (50, 1)


def test_argument_errors_are_project_errors():
    from minitorch.errors import MinitorchError

    for call in (lambda: load_dataset("mnist"), lambda: ds.make_moons(n_samples=1),
                 lambda: ds.make_moons(noise=float("nan")), lambda: ds.train_test_split([1], [1], 1.5, 0)):
        with pytest.raises(ds.DatasetError) as info:
            call()
        assert isinstance(info.value, MinitorchError) and isinstance(info.value, ValueError)
