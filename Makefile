# The two entry points a new user needs: `make run` and `make test`.
# Every target installs what it needs first, so a fresh Debian/Ubuntu machine works as root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_PACKAGES := libportaudio2 espeak-ng libespeak-ng1 python3-venv
TEST_PACKAGES := $(RUN_PACKAGES) pulseaudio pulseaudio-utils libasound2-plugins

.PHONY: run test lint format bench clean system-run system-test

run: system-run $(VENV)/.installed
	$(BIN)/voice-coach session

test: system-test $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	@# The CPU-bound tests on two workers, then the live and wall-clock ones alone.
	source scripts/pulse-null-sink.sh && $(BIN)/python -m pytest -n 2 --dist worksteal -m "not serial" && \
	  $(BIN)/python -m pytest -m serial

bench: system-test $(VENV)/.installed
	source scripts/pulse-null-sink.sh && for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

system-run:
	@scripts/setup-system.sh $(RUN_PACKAGES)

system-test:
	@scripts/setup-system.sh $(TEST_PACKAGES)

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "voice-coach needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	@echo "Installing voice-coach and its Python packages into $(VENV) (the first run takes a few minutes)..."
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@# Not -q: pip's own lines and progress bars show the download is moving.
	$(BIN)/python -m pip install --progress-bar on -e '.[dev]'
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
