# One command per habit. `make install` is idempotent; every other target installs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test lint format demo clean eval bench bench-personas

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# An editable install makes setuptools warn about same-named folders, which is the
	@# point of one: keep the first install's output to what matters.
	PYTHONWARNINGS="ignore:Editable installation:UserWarning" \
		$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The offline price extractor's accuracy on every labelled set in evals/*.jsonl, one line per
# set at the end (agreed price, first quote); exits 1 when a set is below 97%.
eval: install
	$(BIN)/python -m pricing.evaluate

# The call bridge under load: N concurrent real-time calls echoed by a fake Grok (minutes).
# Extra flags: make bench BENCH_ARGS="--n 50,100 --audio-format pcm24k"
bench: install
	$(BIN)/python bench/bridge_bench.py $(BENCH_ARGS)

# The whole product offline (~2 min): both services on embedded SQLite, simulated providers,
# the local voice agent (Grok if XAI_API_KEY is set), live progress, transcripts, ranked quotes.
# Extra flags: make demo DEMO_ARGS="--only ace_plumbing,busy_bee --budget 180"
demo: install
	$(BIN)/python -m cli.demo $(DEMO_ARGS)

# Every simulated provider against the local agent: recogniser word error rate, prices heard,
# agreement rate, agreed price over each floor, budget never exceeded (a few minutes).
bench-personas: install
	$(BIN)/python bench/personas.py $(PERSONAS_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
