# Two commands for a fresh machine:
#   make demo   install into .venv (if needed) and run the quick benchmark on the embedded default
#   make test   install into .venv (if needed) and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.rnnbench-installed

.PHONY: demo test lint doctor clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rnnbench run --suite quick

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .

doctor: $(STAMP)
	$(VENV)/bin/rnnbench doctor

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
