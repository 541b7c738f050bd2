# Thin targets: each one sets up the virtualenv it needs, so a fresh clone runs any of them directly.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed


.PHONY: translations messages run dev example system test lint typecheck unit bench lock schema clean

$(STAMP): requirements/bootstrap.txt requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements/bootstrap.txt
	VIRTUAL_ENV=$(VENV) $(BIN)/uv pip sync -q --require-hashes requirements/dev.txt
	VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install -q --no-deps -e .
	touch $@

PO := advisor/translations/sv/LC_MESSAGES/messages.po
MO := $(PO:.po=.mo)

# The Swedish catalogue (the .po is the source) is checked against the code's strings and compiled.
$(MO): $(STAMP) $(PO) tools/build_translations.py babel.cfg $(shell find advisor web -name '*.py' -o -name '*.html')
	$(BIN)/python -m tools.build_translations

translations: $(MO)

## messages: add the code's new strings to the .po (untranslated) and drop gone ones; then translate them
messages: $(STAMP)
	$(BIN)/python -m tools.build_translations --update

# Where `make run` listens (gunicorn's ADVISOR_BIND); the image listens on 0.0.0.0:8000 instead.
ADVISOR_BIND ?= 127.0.0.1:8000

## run: the site under gunicorn on http://127.0.0.1:8000, as the image serves it (SQLite in instance/)
run: $(MO)
	ADVISOR_BIND='$(ADVISOR_BIND)' $(BIN)/gunicorn -c python:web.gunicorn_conf web.wsgi:app

## dev: Flask's development server on http://127.0.0.1:8000, restarting when a source file changes
dev: $(MO)
	$(BIN)/python -m web --reload

## example: plan the guide's example organisation on the command line
example: $(STAMP)
	$(BIN)/advisor plan examples/contoso.yaml --format table

## test: the whole suite (lint, types, tests); installs the Debian packages it needs first
test: system lint typecheck unit

system:
	bash tools/system-packages.sh

unit: $(MO)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check advisor web tests bench
	$(BIN)/ruff format --check advisor web tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

## bench: performance figures, measured side by side (not part of the tests)
bench: $(STAMP)
	$(BIN)/python -m bench

## schema: regenerate the JSON Schema that editors use for rules/*.yaml
schema: $(STAMP)
	$(BIN)/advisor rules schema --output rules/rules.schema.json

## lock: recompile the hashed requirement files after editing requirements/*.in
lock: $(STAMP)
	$(BIN)/uv pip compile -q -p 3.11 --generate-hashes requirements/main.in -o requirements/main.txt
	$(BIN)/uv pip compile -q -p 3.11 --generate-hashes requirements/dev.in -o requirements/dev.txt
	$(BIN)/uv pip compile -q -p 3.11 --generate-hashes requirements/bootstrap.in -o requirements/bootstrap.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
