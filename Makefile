# One command to set up and test, one to set up and launch the app.
#   make test   - create .venv, install everything, lint with ruff, run pytest
#   make run    - create .venv, install everything, launch the playground
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export QT_API := pyside6
export PYQTGRAPH_QT_LIB := PySide6

.PHONY: setup test lint run bench screenshot clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints-dev.txt scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints-dev.txt -e '.[dev]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check .

test: setup
	$(BIN)/ruff check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

run: setup
	$(BIN)/minitorch-playground $(ARGS)

bench: setup
	$(BIN)/python benchmarks/bench_scalar_vs_micrograd.py

screenshot: setup
	WITH_XVFB=1 bash scripts/install-system-deps.sh
	bash scripts/screenshot.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
