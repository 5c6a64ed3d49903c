# Two commands on a fresh machine:
#   make run    install into .venv, index seeds/, then start the bot (TELEGRAM_BOT_TOKEN set)
#               or an interactive question console (no token)
#   make test   install with the test extras and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run install test bench clean

run: install
	$(BIN)/incident-bot ingest
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ]; then $(BIN)/incident-bot run; else $(BIN)/incident-bot ask; fi

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) data
