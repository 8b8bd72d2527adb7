# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint format bench clean assets

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps re-run the install whenever pyproject.toml changes.
$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-base

# The benchmarks' peers (LiteLLM, DuckDB) and charts (matplotlib) come with the bench extra.
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed-base

# The sentence-embedding model of the assist pack (the ml extra) needs PyTorch; TORCH names the
# build to take first (CI takes the CPU wheel, `torch==2.13.0` where a wheel directory offers it),
# since a bare `torch` from PyPI is a multi-gigabyte CUDA build.
TORCH ?= torch
$(VENV)/.installed-ml: pyproject.toml $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet '$(TORCH)'
	$(BIN)/python -m pip install --quiet -e '.[dev,ml]'
	touch $@

demo: $(VENV)/.installed-base
	$(BIN)/vantage demo --host $(HOST) --port $(PORT)

# Two worker processes share the suite by file; the tests that time real server or worker
# processes (marked serial) run afterwards on their own, so the others cannot starve them.
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not serial"
	$(BIN)/python -m pytest -m serial

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m tests.support.layering src/vantage

# Every benchmark beside its peer; JSON, charts and table in bench/results (docs/PERFORMANCE.md).
# BENCH_SIZE=quick checks in minutes that all of it runs; documented takes two to three hours.
BENCH_SIZE ?= documented
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.run_all --size $(BENCH_SIZE) --out bench/results

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

# The browser files Vantage vendors (pinned in assets/package-lock.json): uPlot ships in the
# package, axe-core only serves the accessibility checks of the browser tests.
assets:
	cd assets && npm ci --no-audit --no-fund
	cp assets/node_modules/uplot/dist/uPlot.esm.js src/vantage/web/static/vendor/uplot.esm.js
	cp assets/node_modules/uplot/dist/uPlot.min.css src/vantage/web/static/vendor/uplot.min.css
	cp assets/node_modules/axe-core/axe.min.js tests/web/vendor/axe.min.js

clean:
	rm -rf $(VENV) .vantage .pytest_cache .mypy_cache .ruff_cache
