"""Toy datasets (TensorFlow Playground / scikit-learn style), a validated CSV loader, and
scikit-learn's bundled sets, all returned as numpy arrays in a `Dataset`.

    data = load_dataset("moons", n_samples=200, noise=0.1, seed=0, label_format="pm1")
    data.x_train.shape, data.y_train[:3]     # (140, 2), array([ 1., -1.,  1.])

Every generator draws from ``numpy.random.default_rng(seed)``, so the same arguments
give the same points, bit for bit. Labels come in the convention the loss needs
(`LABEL_FORMATS`): "pm1" (-1/+1, for mse and hinge), "01" (0/1, for bce_logits),
"index" (class index, for cross_entropy) or "real" (regression targets).
"""

from __future__ import annotations

import csv
import math
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .errors import MinitorchError

__all__ = [
    "Dataset",
    "DatasetInfo",
    "DATASETS",
    "FEATURES",
    "LABEL_FORMATS",
    "DatasetError",
    "CSVFormatError",
    "MAX_CLASSES",
    "MAX_CSV_BYTES",
    "MAX_CSV_ROWS",
    "load_dataset",
    "load_csv",
    "make_moons",
    "make_circles",
    "make_xor",
    "make_gaussians",
    "make_spiral",
    "make_plane",
    "make_multi_gaussian",
    "make_sine",
    "feature_matrix",
    "label_format_for_loss",
    "convert_labels",
    "train_test_split",
]

LABEL_FORMATS = ("pm1", "01", "index", "real")


class DatasetError(MinitorchError, ValueError):
    """A dataset request that cannot be met: an unknown name, a bad argument, unusable labels."""


class CSVFormatError(DatasetError):
    """A CSV file that cannot be used, with the line (1-based) and column where known."""

    def __init__(self, message: str, line: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset name stands for (the GUI lists these)."""

    name: str
    task: str  # "classification" or "regression"
    input_dim: int | None  # None: known only once loaded (csv)
    num_classes: int | None  # None for regression / unknown until loaded
    description: str
    synthetic: bool = True
    n_samples: int | None = None  # the size of a bundled set (None: generated or known once loaded)


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        DatasetInfo("moons", "classification", 2, 2, "two interleaving half circles"),
        DatasetInfo("circles", "classification", 2, 2, "a small circle inside a large one"),
        DatasetInfo("xor", "classification", 2, 2, "four quadrants, opposite corners share a class"),
        DatasetInfo("gaussians", "classification", 2, 2, "two Gaussian blobs"),
        DatasetInfo("spiral", "classification", 2, 2, "two interleaved spirals"),
        DatasetInfo("spiral3", "classification", 2, 3, "three interleaved spirals (use cross_entropy)"),
        DatasetInfo("plane", "regression", 2, None, "a tilted plane y = 0.6 x1 + 0.4 x2"),
        DatasetInfo("multi_gaussian", "regression", 2, None, "a sum of Gaussian bumps and dips"),
        DatasetInfo("sine", "regression", 1, None, "y = sin(x) on [-pi, pi] (1-D input)"),
        DatasetInfo("csv", "classification", None, None, "your own CSV file (numeric features)", False),
        DatasetInfo("iris", "classification", 4, 3, "scikit-learn's iris (150 flowers)", False, 150),
        DatasetInfo("wine", "classification", 13, 3, "scikit-learn's wine (178 samples)", False, 178),
        DatasetInfo("breast_cancer", "classification", 30, 2, "scikit-learn's breast cancer (569)", False, 569),
        DatasetInfo("digits", "classification", 64, 10, "scikit-learn's 8x8 digits (1797)", False, 1797),
    ]
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split as numpy arrays (x: (n, d) float64; y: (n,) in ``label_format``)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str
    num_classes: int | None
    feature_names: tuple[str, ...]
    label_format: str
    class_names: tuple[str, ...] = field(default=())

    @property
    def input_dim(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def is_classification(self) -> bool:
        return self.task == "classification"

    def class_indices(self, y: np.ndarray) -> np.ndarray:
        """Labels in this dataset's format -> class indices 0..K-1 (classification only)."""
        return labels_to_indices(y, self.label_format)

    def extent(self, padding: float = 0.1) -> tuple[tuple[float, float], tuple[float, float]]:
        """((x1_min, x1_max), (x2_min, x2_max)) around all points, padded: a natural plot range."""
        points = np.concatenate([self.x_train, self.x_test])
        ranges = []
        for col in range(min(2, points.shape[1])):
            lo, hi = float(points[:, col].min()), float(points[:, col].max())
            pad = (hi - lo) * padding or 1.0
            ranges.append((lo - pad, hi + pad))
        if len(ranges) == 1:  # 1-D data: the second axis shows the target
            y = np.concatenate([self.y_train, self.y_test]).astype(float)
            lo, hi = float(y.min()), float(y.max())
            pad = (hi - lo) * padding or 1.0
            ranges.append((lo - pad, hi + pad))
        return ranges[0], ranges[1]

    def with_label_format(self, label_format: str) -> Dataset:
        """The same points with labels converted to another convention."""
        if label_format == self.label_format:
            return self
        if self.task == "regression":
            raise DatasetError(f"{self.name} is a regression dataset; its labels are real values, not {label_format!r}")
        to = convert_labels
        return replace(
            self,
            y_train=to(self.class_indices(self.y_train), label_format, self.num_classes),
            y_test=to(self.class_indices(self.y_test), label_format, self.num_classes),
            label_format=label_format,
        )


# --- label conventions -----------------------------------------------------------------------------
def label_format_for_loss(loss: str, task: str) -> str:
    """The label convention a loss expects for a task (see the module docstring)."""
    if task == "regression":
        if loss not in ("mse", "l1"):
            raise DatasetError(f"loss {loss!r} is for classification; a regression dataset needs 'mse' or 'l1'")
        return "real"
    return {"mse": "pm1", "l1": "pm1", "hinge": "pm1", "bce_logits": "01", "cross_entropy": "index"}[loss]


def convert_labels(indices: np.ndarray, label_format: str, num_classes: int | None) -> np.ndarray:
    """Class indices -> labels in ``label_format``; +-1 and 0/1 need exactly two classes."""
    indices = np.asarray(indices)
    if label_format == "index":
        return indices.astype(np.int64)
    if label_format in ("pm1", "01"):
        if num_classes != 2:
            raise DatasetError(
                f"labels {label_format!r} need 2 classes, this dataset has {num_classes}; use the cross_entropy loss"
            )
        return (2.0 * indices - 1.0) if label_format == "pm1" else indices.astype(np.float64)
    raise DatasetError(f"unknown label format {label_format!r}; choose one of {', '.join(LABEL_FORMATS)}")


def labels_to_indices(y: np.ndarray, label_format: str) -> np.ndarray:
    if label_format == "pm1":
        return (np.asarray(y) > 0).astype(np.int64)
    if label_format in ("01", "index"):
        return np.asarray(y).astype(np.int64)
    raise DatasetError("regression targets have no class indices")


# --- generators: (X (n, d), y) with class indices or real targets ------------------------------------
def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _check_n(n_samples: int, minimum: int = 2) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < minimum:
        raise DatasetError(f"n_samples must be an integer >= {minimum}, got {n_samples!r}")
    return int(n_samples)


def _check_noise(noise: float) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not math.isfinite(noise) or noise < 0:
        raise DatasetError(f"noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def _shuffle(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(x))
    return x[order], y[order]


def make_moons(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as scikit-learn's make_moons), centred on the origin."""
    n, noise, rng = _check_n(n_samples), _check_noise(noise), _rng(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    t_outer = np.linspace(0, math.pi, n_outer)
    t_inner = np.linspace(0, math.pi, n_inner)
    outer = np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1)
    inner = np.stack([1 - np.cos(t_inner), 1 - np.sin(t_inner) - 0.5], axis=1)
    x = np.concatenate([outer, inner]) - np.array([0.5, 0.25])
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    x = x + noise * rng.standard_normal(x.shape)
    return _shuffle(rng, x, y)


def make_circles(n_samples: int = 200, noise: float = 0.1, seed: int = 0, factor: float = 0.5):
    """A circle of radius ``factor`` (class 1) inside one of radius 1 (class 0)."""
    n, noise, rng = _check_n(n_samples), _check_noise(noise), _rng(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    t_outer = np.linspace(0, 2 * math.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0, 2 * math.pi, n_inner, endpoint=False)
    outer = np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1)
    inner = factor * np.stack([np.cos(t_inner), np.sin(t_inner)], axis=1)
    x = np.concatenate([outer, inner]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _shuffle(rng, x, y)


def make_xor(n_samples: int = 200, noise: float = 0.1, seed: int = 0):
    """Points in [-1, 1]^2; class 1 where x1 * x2 > 0 (before the noise is added)."""
    n, noise, rng = _check_n(n_samples), _check_noise(noise), _rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2))
    x = x + np.sign(x) * 0.05  # a small margin around the axes, as the TF playground does
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return x + noise * rng.standard_normal((n, 2)), y


def make_gaussians(n_samples: int = 200, noise: float = 0.1, seed: int = 0):
    """Two Gaussian blobs around (1, 1) (class 1) and (-1, -1) (class 0); noise widens them."""
    n, noise, rng = _check_n(n_samples), _check_noise(noise), _rng(seed)
    n0 = n // 2
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n - n0, np.int64)])
    centres = np.where(y[:, None] == 1, 1.0, -1.0)
    x = centres + (0.4 + noise) * rng.standard_normal((n, 2))
    return _shuffle(rng, x, y)


def make_spiral(n_samples: int = 200, noise: float = 0.1, seed: int = 0, num_classes: int = 2):
    """``num_classes`` interleaved spiral arms of radius up to 1."""
    n, noise, rng = _check_n(n_samples, num_classes), _check_noise(noise), _rng(seed)
    xs, ys = [], []
    for k in range(num_classes):
        count = n // num_classes + (1 if k < n % num_classes else 0)
        r = np.linspace(0.05, 1.0, count)
        t = 1.75 * 2 * math.pi * r + 2 * math.pi * k / num_classes
        arm = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        xs.append(arm + 0.5 * noise * rng.standard_normal(arm.shape))
        ys.append(np.full(count, k, np.int64))
    return _shuffle(rng, np.concatenate(xs), np.concatenate(ys))


def make_plane(n_samples: int = 200, noise: float = 0.1, seed: int = 0):
    """Regression: y = 0.6 x1 + 0.4 x2 (+ noise) on [-1, 1]^2."""
    n, noise, rng = _check_n(n_samples), _check_noise(noise), _rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2))
    return x, 0.6 * x[:, 0] + 0.4 * x[:, 1] + noise * rng.standard_normal(n)


def make_multi_gaussian(n_samples: int = 200, noise: float = 0.1, seed: int = 0):
    """Regression: bumps and dips y = sum_k s_k exp(-|x - c_k|^2 / 0.18) (+ noise) on [-1, 1]^2."""
    n, noise, rng = _check_n(n_samples), _check_noise(noise), _rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2))
    centres = np.array([[-0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [0.5, -0.5]])
    signs = np.array([1.0, 1.0, -1.0, -1.0])
    dist2 = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    y = (signs * np.exp(-dist2 / 0.18)).sum(axis=1)
    return x, y + noise * rng.standard_normal(n)


def make_sine(n_samples: int = 200, noise: float = 0.1, seed: int = 0):
    """Regression with one input: y = sin(x) (+ noise), x uniform on [-pi, pi]."""
    n, noise, rng = _check_n(n_samples), _check_noise(noise), _rng(seed)
    x = rng.uniform(-math.pi, math.pi, size=(n, 1))
    return x, np.sin(x[:, 0]) + noise * rng.standard_normal(n)


_GENERATORS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "moons": make_moons,
    "circles": make_circles,
    "xor": make_xor,
    "gaussians": make_gaussians,
    "spiral": make_spiral,
    "spiral3": lambda n_samples, noise, seed: make_spiral(n_samples, noise, seed, num_classes=3),
    "plane": make_plane,
    "multi_gaussian": make_multi_gaussian,
    "sine": make_sine,
}


# --- input features (computed from the raw inputs, for training and the grid alike) --------------------
FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x1": lambda x: x[:, 0],
    "x2": lambda x: x[:, 1],
    "x1^2": lambda x: x[:, 0] ** 2,
    "x2^2": lambda x: x[:, 1] ** 2,
    "x1*x2": lambda x: x[:, 0] * x[:, 1],
    "sin(x1)": lambda x: np.sin(x[:, 0]),
    "sin(x2)": lambda x: np.sin(x[:, 1]),
}
_USES_X2 = {"x2", "x2^2", "x1*x2", "sin(x2)"}
DEFAULT_FEATURES = ("x1", "x2")


def resolve_features(features: Sequence[str], raw_dim: int) -> list[str] | None:
    """The feature list to use for data with ``raw_dim`` raw inputs; None means "the raw columns".

    Features are defined for 1-D and 2-D inputs. Wider data (CSV, iris...) uses its raw
    columns and accepts only the default feature list.
    """
    features = list(features)
    if not features:
        raise DatasetError("features must name at least one input feature")
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise DatasetError(f"unknown feature(s) {', '.join(map(repr, unknown))}; choose from {', '.join(FEATURES)}")
    if raw_dim > 2:
        if features != list(DEFAULT_FEATURES):
            raise DatasetError(f"features like {features} apply to 1-D/2-D data only; this data has {raw_dim} columns")
        return None
    if raw_dim == 1:
        if features == list(DEFAULT_FEATURES):
            return ["x1"]
        bad = [f for f in features if f in _USES_X2]
        if bad:
            raise DatasetError(f"feature(s) {', '.join(map(repr, bad))} need a second input; this data has one")
    return features


def feature_matrix(x_raw: np.ndarray, features: Sequence[str] | None) -> np.ndarray:
    """(n, raw_dim) raw inputs -> (n, len(features)) feature columns (None: the raw inputs)."""
    x_raw = np.asarray(x_raw, dtype=np.float64)
    if features is None:
        return x_raw
    return np.stack([FEATURES[name](x_raw) for name in features], axis=1)


# --- splitting and loading -----------------------------------------------------------------------------
def train_test_split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int):
    """Shuffle with ``seed`` and hold out ``round(n * test_fraction)`` samples (at least 1 left to train)."""
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) or not 0 <= test_fraction < 1:
        raise DatasetError(f"test_fraction must be in [0, 1), got {test_fraction!r}")
    n = len(x)
    n_test = min(int(round(n * test_fraction)), n - 1)
    order = np.random.default_rng([seed, 1]).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def load_dataset(
    name: str,
    n_samples: int = 200,
    noise: float = 0.1,
    test_fraction: float = 0.3,
    seed: int = 0,
    label_format: str | None = None,
    csv_path: str | os.PathLike | None = None,
    label_column: str | int | None = None,
    standardize: bool | None = None,
) -> Dataset:
    """Build a `Dataset` by name (see `DATASETS`); the same arguments give the same arrays.

    ``label_format`` defaults to "index" for classification and "real" for regression.
    ``standardize`` (z-scores from the training split) defaults to True for CSV and
    scikit-learn data, whose columns can have any scale, and False for the toy sets.
    """
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    class_names: tuple[str, ...] = ()
    if name in _GENERATORS:
        x, y = _GENERATORS[name](n_samples=n_samples, noise=noise, seed=seed)
        info = DATASETS[name]
        task, num_classes = info.task, info.num_classes
        feature_names = tuple(f"x{i + 1}" for i in range(x.shape[1]))
    elif name == "csv":
        if csv_path is None:
            raise DatasetError("dataset 'csv' needs csv_path (the file to load)")
        table = load_csv(csv_path, label_column=label_column)
        x, y, task, num_classes = table.x, table.y, table.task, table.num_classes
        feature_names, class_names = table.feature_names, table.class_names
    else:
        x, y, feature_names, class_names = _load_sklearn(name)
        task, num_classes = "classification", len(class_names)
    x_train, y_train, x_test, y_test = train_test_split(x, y, test_fraction, seed)
    if standardize is None:
        standardize = not DATASETS[name].synthetic
    if standardize:
        mean = x_train.mean(axis=0)
        std = x_train.std(axis=0)
        std[std == 0] = 1.0
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    default_format = "index" if task == "classification" else "real"
    data = Dataset(
        name=name,
        x_train=np.ascontiguousarray(x_train, dtype=np.float64),
        y_train=y_train.astype(np.int64) if task == "classification" else y_train.astype(np.float64),
        x_test=np.ascontiguousarray(x_test, dtype=np.float64),
        y_test=y_test.astype(np.int64) if task == "classification" else y_test.astype(np.float64),
        task=task,
        num_classes=num_classes,
        feature_names=tuple(feature_names),
        label_format=default_format,
        class_names=tuple(class_names),
    )
    return data.with_label_format(label_format) if label_format else data


def _load_sklearn(name: str):
    try:
        from sklearn import datasets as sk
    except ImportError:
        raise ImportError(
            f"dataset {name!r} comes with scikit-learn; install it with "
            "pip install 'pytorch-mini-playground[datasets]'"
        ) from None
    loader = {"iris": sk.load_iris, "wine": sk.load_wine, "breast_cancer": sk.load_breast_cancer,
              "digits": sk.load_digits}[name]
    bunch = loader()  # these ship inside the scikit-learn package: no download
    names = [str(n) for n in getattr(bunch, "feature_names", [])] or [f"x{i + 1}" for i in range(bunch.data.shape[1])]
    return (np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64), names,
            [str(c) for c in bunch.target_names])


# --- CSV ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CSVTable:
    """A parsed CSV: numeric features ``x`` and labels ``y`` (class indices or real values)."""

    x: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    label_name: str
    task: str
    num_classes: int | None
    class_names: tuple[str, ...]


def _is_number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value)


MAX_CLASSES_FROM_INTEGERS = 20
MAX_CLASSES = 100  # a classifier gets one output per class; more distinct labels means a regression target
MAX_CSV_BYTES = 64 * 1024**2
MAX_CSV_ROWS = 100_000


def _read_rows(path: str) -> list[tuple[int, list[str]]]:
    """(line number, stripped cells) of every non-blank row, within the size limits."""
    try:
        info = os.stat(path)
        size = info.st_size
        if stat.S_ISDIR(info.st_mode):
            raise CSVFormatError(f"{path} is a folder, not a CSV file")
        if not stat.S_ISREG(info.st_mode):  # a device or a pipe could be endless
            raise CSVFormatError(f"{path} is not a regular file")
        if size > MAX_CSV_BYTES:
            raise CSVFormatError(f"{path} is {size:,} bytes; CSV files of at most {MAX_CSV_BYTES:,} bytes are read")
        rows = []
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for index, row in enumerate(csv.reader(handle)):
                if any(cell.strip() for cell in row):
                    if len(rows) > MAX_CSV_ROWS:  # the header and MAX_CSV_ROWS data rows are fine
                        raise CSVFormatError(f"{path} has more than {MAX_CSV_ROWS:,} data rows")
                    rows.append((index + 1, [cell.strip() for cell in row]))
    except FileNotFoundError:
        raise CSVFormatError(f"CSV file not found: {path}") from None
    except UnicodeDecodeError:
        raise CSVFormatError(f"{path} is not a text (UTF-8) CSV file") from None
    except csv.Error as exc:
        raise CSVFormatError(f"{path} is not a valid CSV file: {exc}") from None
    except (OSError, ValueError) as exc:  # a folder, no permission, a NUL in the path
        if isinstance(exc, CSVFormatError):
            raise
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CSVFormatError(f"cannot read the CSV file {path!r}: {reason}") from None
    return rows


def load_csv(
    path: str | os.PathLike,
    label_column: str | int | None = None,
    task: str | None = None,
) -> CSVTable:
    """Read numeric feature columns and one label column from a CSV file.

    The first row is a header if any of its cells is not a number (otherwise columns are
    named "column 1", "column 2", ...). ``label_column`` is a header name or a 0-based
    index (default: the last column). Labels that are text, or integers with at most
    20 distinct values, make a classification task (classes sorted, mapped to 0..K-1);
    other numeric labels a regression task. ``task`` forces either.

    Limits: `MAX_CSV_BYTES` (64 MiB), `MAX_CSV_ROWS` (100,000) data rows and `MAX_CLASSES`
    (100) distinct labels for classification.

    Every problem raises `CSVFormatError` naming the line and column: an empty file, a
    ragged row, a missing value, a non-numeric feature cell, a non-finite number, a
    label column that does not exist, or labels that cannot be classes.
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise CSVFormatError(f"a CSV path must be a string, got {type(path).__name__}")
    path = os.fsdecode(path)
    rows = _read_rows(path)
    if not rows:
        raise CSVFormatError(f"CSV file {path} is empty")
    first_line, first = rows[0]
    has_header = any(not _is_number(cell) for cell in first)
    if has_header:
        names = first
        if len(set(names)) != len(names) or any(not n for n in names):
            raise CSVFormatError(f"{path}, line {first_line}: header names must be unique and non-empty",
                                 line=first_line)
        body = rows[1:]
    else:
        names = [f"column {i + 1}" for i in range(len(first))]
        body = rows
    if not body:
        raise CSVFormatError(f"CSV file {path} has a header but no data rows")
    if len(body) > MAX_CSV_ROWS:
        raise CSVFormatError(f"{path} has more than {MAX_CSV_ROWS:,} data rows")
    if len(names) < 2:
        raise CSVFormatError(f"{path} needs at least two columns (features and a label), found {len(names)}")
    label_index = _label_index(names, label_column, path)
    label_name = names[label_index]
    features: list[list[float]] = []
    raw_labels: list[str] = []
    for line, row in body:
        if len(row) != len(names):
            raise CSVFormatError(f"{path}, line {line}: the row has {len(row)} values, expected {len(names)}",
                                 line=line)
        values = []
        for index, (name, cell) in enumerate(zip(names, row)):
            if cell == "":
                raise CSVFormatError(f"{path}, line {line}, column {name!r}: missing value", line=line, column=name)
            if index == label_index:
                raw_labels.append(cell)
                continue
            try:
                value = float(cell)
            except ValueError:
                raise CSVFormatError(f"{path}, line {line}, column {name!r}: {_cell(cell)} is not a number",
                                     line=line, column=name) from None
            if not math.isfinite(value):
                raise CSVFormatError(f"{path}, line {line}, column {name!r}: {_cell(cell)} is not a finite number",
                                     line=line, column=name)
            values.append(value)
        features.append(values)
    y, task, class_names = _labels(raw_labels, task, label_name, path, [line for line, _ in body])
    return CSVTable(
        x=np.array(features, dtype=np.float64),
        y=y,
        feature_names=tuple(n for i, n in enumerate(names) if i != label_index),
        label_name=label_name,
        task=task,
        num_classes=len(class_names) if task == "classification" else None,
        class_names=class_names,
    )


def _cell(text: str, limit: int = 40) -> str:
    """repr of a cell, cut short so that a message stays one readable line."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[:limit - 4] + "...'"


def _label_index(names: list[str], label_column: str | int | None, path: str) -> int:
    if label_column is None:
        return len(names) - 1
    if isinstance(label_column, int) and not isinstance(label_column, bool):
        if not -len(names) <= label_column < len(names):
            raise CSVFormatError(f"{path}: label column {label_column} does not exist (the file has "
                                 f"{len(names)} columns)", column=str(label_column))
        return label_column % len(names)
    if label_column in names:
        return names.index(label_column)
    if isinstance(label_column, str) and label_column.isascii() and label_column.isdigit() \
            and int(label_column) < len(names):
        return int(label_column)
    shown = ", ".join(map(_cell, names[:20])) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    raise CSVFormatError(f"{path}: label column {_cell(str(label_column))} not found; the columns are {shown}",
                         column=str(label_column))


def _labels(raw: list[str], task: str | None, name: str, path: str, lines: list[int]):
    if task not in (None, "classification", "regression"):
        raise DatasetError(f"task must be 'classification' or 'regression', got {task!r}")
    numbers = [_float_or_none(v) for v in raw]
    if all(v is not None for v in numbers):
        bad = next((i for i, v in enumerate(numbers) if not math.isfinite(v)), None)
        if bad is not None:  # one "nan" must not turn a numeric target into thousands of text classes
            raise CSVFormatError(f"{path}, line {lines[bad]}, column {name!r}: {_cell(raw[bad])} is not a finite "
                                 "number (the label column holds numbers)", line=lines[bad], column=name)
    numeric = all(v is not None for v in numbers)
    if task == "regression" and not numeric:
        bad = next(i for i, v in enumerate(numbers) if v is None)
        raise CSVFormatError(f"{path}, line {lines[bad]}, column {name!r}: {_cell(raw[bad])} is not a number "
                             "(a regression label must be)", line=lines[bad], column=name)
    if numeric:
        values = np.array(numbers, dtype=np.float64)
        integral = bool(np.all(values == np.round(values)))
        distinct = np.unique(values)
        if task is None:
            task = "classification" if integral and len(distinct) <= MAX_CLASSES_FROM_INTEGERS else "regression"
        if task == "regression":
            return values, task, ()
        classes = [f"{v:g}" for v in distinct]
        indices = np.searchsorted(distinct, values)
    else:
        classes = sorted(set(raw))
        if len(classes) > MAX_CLASSES:
            text = [i for i, v in enumerate(numbers) if v is None]
            hint = (f"; line {lines[text[0]]} holds {_cell(raw[text[0]])}, the other labels are numbers"
                    if len(text) * 2 < len(raw) else "")
            raise CSVFormatError(f"{path}: label column {name!r} has {len(classes):,} distinct text labels; "
                                 f"classification supports at most {MAX_CLASSES} classes{hint}", column=name)
        lookup = {c: i for i, c in enumerate(classes)}
        indices = np.array([lookup[v] for v in raw])
        task = "classification"
    if len(classes) > MAX_CLASSES:
        raise CSVFormatError(f"{path}: label column {name!r} has {len(classes):,} distinct values; classification "
                             f"supports at most {MAX_CLASSES} classes (numeric targets can be a regression task)",
                             column=name)
    if len(classes) < 2:
        raise CSVFormatError(f"{path}: label column {name!r} has a single class ({_cell(classes[0])}); need at "
                             "least 2", column=name)
    return indices.astype(np.int64), task, tuple(classes)


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
