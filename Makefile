# One command per habit. `make install` is idempotent; every other target installs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test lint format demo clean eval

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The offline price extractor's accuracy on the labelled calls in evals/prices.jsonl.
eval: install
	$(BIN)/python -m shared.pricing.evaluate

demo: install
	@echo "make demo: the offline demo (simulated providers, local voice agent) is not built yet."
	@echo "Until it lands, run the services: $(BIN)/uvicorn api.main:app --port 8000"
	@exit 1

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
