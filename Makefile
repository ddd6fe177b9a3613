# bayesml developer entry points. `make demo` and `make test` work on a fresh machine:
# they find a Python >= 3.12, create .venv, install the project and run.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXTRAS ?= test,nutpie,plot
export PYTENSOR_FLAGS ?= base_compiledir=$(CURDIR)/.cache/pytensor
export NUMBA_CACHE_DIR ?= $(CURDIR)/.cache/numba
export MPLBACKEND ?= Agg
PYTEST_ARGS ?=

.PHONY: demo test test-slow test-all lint bench bench-issue15 calibration notebooks plots venv clean

$(STAMP): pyproject.toml
	@PYTHON_BIN=$$(.ci/find-python) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYTHON_BIN"; $$PYTHON_BIN -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/bayesml fit models/rats.yaml --draws 500 --tune 500 --chains 2 --seed 1

test: $(STAMP)
	$(PY) -m pytest -m "not slow" -n 2 $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

test-all: $(STAMP)
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check bayesml tests bench notebooks docs

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[$(EXTRAS),bench]"
	$(PY) bench/nuts.py
	$(PY) bench/hlik.py

bench-issue15: $(STAMP)
	$(PY) -m pip install --quiet -e ".[$(EXTRAS),bench]"
	$(PY) bench/issue15.py $(BENCH_ARGS)

# the calibration suite (tests/calibration) run in full: rewrites docs/calibration.md and its plots
# (CALIBRATION_ARGS="--n 100" for more simulations; runs resume from .cache/calibration)
calibration: $(STAMP)
	$(PY) bench/calibration.py $(CALIBRATION_ARGS)

notebooks: $(STAMP)
	$(PY) -m pip install --quiet -e ".[$(EXTRAS),notebooks]"
	$(PY) notebooks/build.py

plots: $(STAMP)
	$(PY) docs/gallery/build.py

clean:
	rm -rf $(VENV) .cache .pytest_cache
