# Two commands: `make demo` and `make test`. Everything else builds on the venv target.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test bench lint venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

demo: venv
	$(BIN)/billing demo

test: venv
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench: venv
	$(BIN)/python -m bench.run

lint: venv
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) billing.db billing.db-* demo documents .pytest_cache .hypothesis
