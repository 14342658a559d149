# One-command entry points. `make test` and `make demo` create .venv when it is missing.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Lava (lava-nc 0.10.0) imports only on Python 3.10: find one on PATH first, then under pyenv.
find_py310 = $(shell \
  for c in python3.10 python3 python; do \
    p=$$(command -v $$c 2>/dev/null) || continue; \
    v=$$($$p -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); \
    [ "$$v" = "3.10" ] && { echo $$p; exit 0; }; \
  done; \
  root=$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv); \
  for p in $$root/versions/3.10*/bin/python3; do [ -x $$p ] && { echo $$p; exit 0; }; done)

.PHONY: setup test test-slow test-all demo bench clean which-python
setup: $(STAMP)

$(STAMP): pyproject.toml
	@py="$(find_py310)"; \
	if [ -z "$$py" ]; then \
	  echo "error: Python 3.10 not found (lava-nc 0.10.0 needs >=3.10,<3.11)." >&2; \
	  echo "       Put python3.10 on PATH or install it with 'pyenv install 3.10'." >&2; exit 1; \
	fi; \
	echo "using $$py"; \
	[ -x $(PY) ] || $$py -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,data]'
	@touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

test-all: $(STAMP)
	$(PY) -m pytest -q -m ''

demo: $(STAMP)
	$(PY) -m examples.demo

bench: $(STAMP)
	$(PY) benchmarks/layer_step.py
	$(PY) benchmarks/engine_vs_lava.py
	$(PY) benchmarks/compile_scale.py
	$(PY) benchmarks/bootstrap_step.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

which-python:
	@echo "$(find_py310)"
