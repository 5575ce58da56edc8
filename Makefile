# Two commands: `make demo` and `make test`. Everything else builds on the venv target.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test bench mutate lint venv spark clean docs

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# Spark (the `spark` extra, ~300 MB) only where the tests need it: `make demo` stays light
spark: $(VENV)/.spark-installed

$(VENV)/.spark-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,spark]'
	touch $@

demo: venv
	$(BIN)/billing demo

# the suite runs on every core (pytest-xdist); each worker has its own databases. The bytecode
# is compiled first: where PYTHONDONTWRITEBYTECODE is set, every `billing` process the tests
# start (each command of the docs) would otherwise compile the package from source again
test: venv spark $(VENV)/.docs-installed
	$(BIN)/ruff check .
	$(BIN)/python -m compileall -q billing invoices ratecards alembic
	$(BIN)/pytest -q -n auto --durations=25

bench: venv spark
	$(BIN)/python -m bench.run

# mutation testing of the money core (not part of `make test`); writes bench/mutation.json
mutate: venv
	$(BIN)/python -m bench.mutation

# the documentation site (MkDocs + Material) into site/; any warning fails the build
docs: $(VENV)/.docs-installed
	$(BIN)/python -m billing.cli.reference > docs/commands.md
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

$(VENV)/.docs-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,docs]'
	touch $@

lint: venv
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) billing.db billing.db-* demo documents site .pytest_cache .hypothesis mutants
