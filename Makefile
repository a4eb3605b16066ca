# gatelab: two commands do everything on a fresh machine.
#   make lessons   build the Bengali, Hindi and English lessons into site/
#   make test      lint, unit tests, catalog checks, every notebook of every edition, browser checks
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Where pip finds the CPU-only torch wheel. Empty: pip's own configuration (a local wheel here).
# On your own Linux machine: make lessons TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=

.PHONY: lessons test venv system editions notebooks lab checkpoints extract update report clean

# (jupyter/: what the install puts into JupyterLab, see jupyter/README.md)
$(STAMP): pyproject.toml setup.py $(shell find jupyter -type f)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# the CPU wheel first, so that nothing later reaches for a CUDA build
	$(PY) -m pip install --quiet "torch==2.13.0" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install --quiet -e ".[html,test,classroom]"
	# JupyterHub's proxy (npm) for the classroom tests, into $(VENV)/node
	bash scripts/hub-install-proxy.sh $(VENV)/node
	touch $(STAMP)

venv: $(STAMP)

# Debian's Chromium for the browser checks (root on Debian; skipped where it is present)
system:
	@test -x /usr/bin/chromium || bash scripts/install-chromium.sh

extract: venv
	$(PY) -m gatelab.publish extract
update: venv
	$(PY) -m gatelab.publish update
report: venv
	$(PY) -m gatelab.publish report
editions: venv
	$(PY) -m gatelab.publish editions
# the .ipynb of every edition, from the committed .md (make test never regenerates the editions:
# a test proves the committed ones are current)
notebooks: venv
	$(PY) -m gatelab.publish notebooks

# the trained models in data/, from fixed seeds (minutes on a CPU; the results are committed)
checkpoints: venv
	$(PY) scripts/train_checkpoints.py

lab: notebooks
	$(VENV)/bin/jupyter lab notebooks/

# executes the editions side by side (one per core, one torch thread each; an edition whose .md,
# package, data/ and locales/ are unchanged is reused), then writes the pages (a page whose
# inputs are unchanged is kept); it says each step and how long it took
lessons: editions
	@echo "make lessons: the editions are current; now executing them and writing site/"
	$(PY) -m gatelab.publish html

test: venv system notebooks
	$(VENV)/bin/ruff check src tests scripts benchmarks
	$(VENV)/bin/pytest -n auto --dist loadfile tests --nbval-lax --nbval-cell-timeout=600 notebooks

# the .ipynb of the chapters too, except one that was run or edited since it was built
clean:
	rm -rf site build
	test ! -x $(PY) || $(PY) -m gatelab.publish clean
