# Two commands work on a fresh machine (Python 3.11, pip, make, git): `make site` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ADDR ?= 127.0.0.1:8000
export NO_MKDOCS_2_WARNING := 1

.PHONY: venv site serve test lint bench eval clean

$(BIN)/glossary: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/glossary

site: venv
	$(BIN)/glossary validate
	$(BIN)/glossary build

serve: venv
	$(BIN)/mkdocs serve --dev-addr $(ADDR)

test: venv lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check generator tests bench
	$(BIN)/ruff format --check generator tests bench

eval: venv  # the configured judge on the shipped labelled set (calls the model: needs a key)
	$(BIN)/glossary eval-judge $(EVAL_ARGS)

bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf site .cache .pytest_cache
