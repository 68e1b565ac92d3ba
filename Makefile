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

.PHONY: run test test-fast bench bench-scale lab kernel clean-outputs browser fonts

# the project's environment as a Jupyter kernel, under the name the notebooks ask for
KERNEL := $(VENV)/share/jupyter/kernels/churnlab/kernel.json
# JupyterLab refuses to run as root (the usual container case) unless told
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
LAB_PORT ?= 8888

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name churnlab --display-name "churnlab (project .venv)"
	@touch $(STAMP)

# an environment set up before the kernel was part of the set-up gets it here
$(KERNEL): $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name churnlab --display-name "churnlab (project .venv)"

kernel: $(KERNEL)

run: $(STAMP) fonts
	$(BIN)/churnlab run --jobs $(RUN_JOBS)

# headless Chromium for the report tests (Debian package, installed when root)
browser:
	@bash scripts/ensure_chromium.sh

# a font with Chinese glyphs for `lang: zh` figures (Debian package, installed when root)
fonts:
	@bash scripts/ensure_cjk_font.sh

test: $(STAMP) $(KERNEL) browser fonts
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -q

test-fast: $(STAMP) $(KERNEL)
	$(BIN)/python -m pytest -n $(JOBS) -q -m "not notebooks"

# benchmarks (see benchmarks/bench.py): bench = default study vs floor, collection at 1M
# customers / ~50M lines vs a DuckDB floor, Cox at 1M; bench-scale adds the issue-14 sections
# (telecom 1M and retail 50M studies, collection engines, BG/NBD vs lifetimes), one repeat,
# under the shared big-run lock; medians in benchmarks/results.json
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

bench-scale: $(STAMP)
	flock /tmp/churnlab-big.lock $(BIN)/python benchmarks/bench.py --scale --repeats 1

# JupyterLab at the project root (notebooks/, params/, outputs/), on this machine only
lab: $(STAMP) $(KERNEL)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
		--ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT)

clean-outputs:
	rm -rf outputs/*/ outputs/index.html
