# Two commands on a fresh machine:
#   make run    install into .venv, index seeds/, then start the bot when a token is
#               configured (TELEGRAM_BOT_TOKEN in the environment or .env), otherwise
#               open a question console
#   make test   install with the test extras and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HAS_TOKEN := from retrieval import Settings; raise SystemExit(Settings().telegram_bot_token is None)

.PHONY: run install install-test test bench bench-growth clean

run: install
	$(BIN)/incident-bot ingest
	@if $(BIN)/python -c "$(HAS_TOKEN)"; then $(BIN)/incident-bot run; else $(BIN)/incident-bot ask; fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The test extras build llama.cpp from source (about 6 minutes the first time).
install-test: $(VENV)/.installed-test

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

test: install-test
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python -m benchmarks.run

bench-growth: install-test
	$(BIN)/python -m benchmarks.growth

clean:
	rm -rf $(VENV) data
