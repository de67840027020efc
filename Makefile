# Migrant information assistant: `make setup`, `make run`, `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

LANGUAGES := $(shell grep -v '^\#' locales/languages.txt)
VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
RASA := PYTHONPATH=. $(RASA_VENV)/bin/rasa
PYBABEL := $(VENV)/bin/pybabel

# Python 3.11 for the app, Python 3.10 for Rasa (Rasa 3.6 needs Python < 3.11).
find_python = $(firstword $(foreach c,$(1),$(shell command -v $(c) >/dev/null 2>&1 && $(c) -c 'import sys; print(sys.executable)' 2>/dev/null)))
PYTHON311 ?= $(or $(call find_python,python3.11 $(wildcard $(HOME)/.pyenv/versions/3.11*/bin/python3.11) python3),$(error Python 3.11 not found))
PYTHON310 ?= $(call find_python,python3.10 $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10) $(wildcard /usr/bin/python3.10))


export RASA_PORT ?= 5005

.PHONY: help setup venv rasa-venv browser i18n-extract i18n-update i18n-compile db sample-data \
        nlu-cities train validate run run-prod test test-open-defects test-timing test-unit test-e2e lint bench eval eval-baseline clean screenshots

help:
	@echo "make setup   - environments, catalogs, database with sample data, trained model"
	@echo "make run     - Rasa + action server + app (web chat on http://127.0.0.1:8080/)"
	@echo "make run-prod - the production profile: N app workers, Rasa and action servers (PostgreSQL, Redis)"
	@echo "make test    - the whole test suite (SQLite and PostgreSQL)"
	@echo "make train   - train the Rasa model;  make bench - benchmarks -> docs/benchmarks.md"
	@echo "make eval    - NLU evaluation -> docs/nlu-report.md; make eval-baseline - vs Rasa's default"

setup:
	@mkdir -p var && start=$$(date +%s) && \
	$(MAKE) --no-print-directory venv rasa-venv browser i18n-compile db sample-data nlu-cities train && \
	echo "$$(( $$(date +%s) - start ))" > var/setup-seconds && \
	echo "setup done in $$(cat var/setup-seconds) s"

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

rasa-venv: $(RASA_VENV)/.installed
$(RASA_VENV)/.installed: rasa_components/requirements.txt rasa_components/requirements-test.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 is needed for Rasa 3.6 (see README: 'pyenv install 3.10')"; exit 1; }
	test -x $(RASA_VENV)/bin/python || $(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/python -m pip install -q --upgrade pip wheel 'setuptools<70'
	$(RASA_VENV)/bin/python -m pip install -q -r rasa_components/requirements.txt -r rasa_components/requirements-test.txt
	touch $@

# secrets shared by the app, Rasa and the action server: files readable by their owner only
var/rasa-auth-token var/action-server-token:
	@mkdir -p var && umask 077 && $(PY) -c "import secrets; print(secrets.token_urlsafe(32))" > $@

# the key of the texts kept encrypted at rest (app tables and Rasa's tracker store);
# rotate with `python -m bot.privacy rotate-text-key`, never by editing the file
var/text.key:
	@mkdir -p var && umask 077 && $(PY) -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" > $@

i18n-extract: venv
	$(PYBABEL) extract -F babel.cfg -k N_ --no-location --sort-output -o locales/messages.pot .

i18n-update: i18n-extract
	@for lang in $(LANGUAGES); do \
	  if [ -f locales/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(PYBABEL) update -i locales/messages.pot -d locales -l $$lang --no-fuzzy-matching; \
	  else $(PYBABEL) init -i locales/messages.pot -d locales -l $$lang; fi; done

i18n-compile: venv
	$(PYBABEL) compile -d locales --statistics

db: venv var/rasa-auth-token var/action-server-token var/text.key
	$(PY) -m bot.kb upgrade

sample-data: db
	$(PY) -m bot.kb load-sample
	$(PY) -m bot.staff load-canned-replies

# Debian's Chromium, for the browser tests (Playwright drives /usr/bin/chromium)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium >/dev/null || \
	  { $$SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium >/dev/null; }; }
	@chromium --version

nlu-cities: venv
	$(PY) -m bot.kb export-nlu

train: rasa-venv
	@mkdir -p var && start=$$(date +%s) && \
	$(RASA) train --config config.yml --domain domain.yml --data nlu_data --out models --fixed-model-name assistant && \
	echo "$$(( $$(date +%s) - start ))" > var/train-seconds

validate: rasa-venv
	$(RASA) data validate --config config.yml --domain domain.yml --data nlu_data --fail-on-warnings

run: var/rasa-auth-token var/action-server-token var/text.key
	@test -f models/assistant.tar.gz || { echo "no model: run 'make setup' first"; exit 1; }
	@mkdir -p var
	$(VENV)/bin/honcho start -f Procfile

# the production profile on this machine: PROD_APP_WORKERS, PROD_RASA_SERVERS and
# PROD_ACTION_SERVERS of each kind (2 by default) against PostgreSQL (DATABASE_URL, default
# postgresql://postgres@127.0.0.1:5432/assistant, created and migrated) and Redis (REDIS_URL)
run-prod: var/rasa-auth-token var/action-server-token var/text.key
	@test -f models/assistant.tar.gz || { echo "no model: run 'make setup' first"; exit 1; }
	$(PY) -m bot.ops run-prod

test: validate
	$(VENV)/bin/lint-imports
	PYTHONPATH=. $(RASA_VENV)/bin/python -m pytest --noconftest -q -p no:cacheprovider tests/rasa_components
	$(RASA) test core --stories tests/stories --model models/assistant.tar.gz --out var/story-results --fail-on-prediction-errors --no-plot
	$(PY) -m pytest -q -m "not open_defect"

screenshots:
	WRITE_SCREENSHOTS=1 $(PY) -m pytest -q tests/e2e/test_workspace.py -k "screenshots and sqlite"
	WRITE_SCREENSHOTS=1 $(PY) -m pytest -q tests/analytics/test_pages.py -k "screenshots and sqlite"

# tests of known defects, kept out of `make test` until fixed (none now: docs/scaling.md, "Defects found and fixed")
test-open-defects:
	$(PY) -m pytest -q -m open_defect

# the whole suite's wall time at an earlier commit and now, one after the other (~20 min):
# make test-timing BEFORE=138cdbd  (the section "suite" of docs/benchmarks.md)
test-timing:
	@test -n "$(BEFORE)" || { echo "usage: make test-timing BEFORE=<commit>"; exit 2; }
	$(PY) -m tests.bench.suite_timing --before $(BEFORE)

test-unit:
	$(PY) -m pytest -q -m "not e2e"

test-e2e:
	$(PY) -m pytest -q -m e2e

lint:
	$(VENV)/bin/ruff check bot actions rasa_components tests
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench:
	@# one section alone: make bench ONLY=security (replaces it in docs/benchmarks.md)
	$(PY) -m tests.bench.run --output docs/benchmarks.md $(if $(ONLY),--only $(ONLY))

eval: rasa-venv
	PYTHONPATH=. $(RASA_VENV)/bin/python -m tests.nlu_eval.evaluate --json var/nlu-eval.json

eval-baseline: rasa-venv
	PYTHONPATH=. $(RASA_VENV)/bin/python -m tests.nlu_eval.compare

clean:
	rm -rf var models .pytest_cache
