# CrossTrust: `make run` starts the platform with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lock run test lint format worker bench clean

# Installs exactly what requirements-dev.lock pins, every file checked against its hash, then the project
# itself (which builds the GS1 linters' C extension) without resolving anything again.
$(STAMP): pyproject.toml requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "CrossTrust needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; echo 'pyproject.toml asks for what the lock lacks: run make lock' >&2; exit 1; }
	touch $(STAMP)

# Regenerates both lock files from pyproject.toml (the newest versions its ranges admit; one package:
# `make lock UPGRADE="--upgrade-package NAME"`), for CPython 3.11 on Linux x86_64, with hashes.
# requirements.lock (what a server needs) is held to the same versions as requirements-dev.lock.
UPGRADE ?=
LOCK_FLAGS = --quiet --generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
	--no-header --annotation-style line $(UPGRADE)
lock:
	test -x $(BIN)/uv || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); $(BIN)/python -m pip install -q uv; }
	$(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
		| $(BIN)/uv pip compile $(LOCK_FLAGS) --extra dev pyproject.toml - -o requirements-dev.lock
	$(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
		| $(BIN)/uv pip compile $(LOCK_FLAGS) --constraint requirements-dev.lock pyproject.toml - -o requirements.lock

run: $(STAMP)
	@scripts/system-deps.sh run || echo "warning: could not install the CJK font; PDF label sheets will answer 503"
	$(BIN)/crosstrust up

test: $(STAMP)
	scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker: $(STAMP)
	$(BIN)/crosstrust worker

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
