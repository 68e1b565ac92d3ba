# Two commands do everything on a fresh machine (Python 3.11 + pip):
#   make run    set up .venv if needed, then run the whole study for all scenarios
#   make test   set up .venv if needed, then run the tests
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2
# studies run at once by `make run`: three scenarios on two cores overlap kernel start-up
RUN_JOBS ?= 3

.PHONY: run test test-fast bench lab clean-outputs browser

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/churnlab run --jobs $(RUN_JOBS)

# headless Chromium for the report tests (Debian package, installed when root)
browser:
	@bash scripts/ensure_chromium.sh

test: $(STAMP) browser
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) -q -m "not notebooks"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

clean-outputs:
	rm -rf outputs/*/ outputs/index.html
