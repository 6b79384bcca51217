# Two commands do all set-up on a fresh machine:  make run  and  make test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORTAL_INSTANCE_DIR ?= instance
export PORTAL_INSTANCE_DIR

.PHONY: run test check install lint typecheck format translations clean ci security-scan system-packages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

# Catalogues are compiled from the .po sources at build time; .mo files are never committed.
translations: $(STAMP)
	$(BIN)/python tools/i18n.py compile

# `make run PORT=8080 HOST=0.0.0.0` serves elsewhere; the defaults keep the portal on this machine only.
HOST ?= 127.0.0.1
PORT ?= 5000

run: install
	@if [ ! -e "$(PORTAL_INSTANCE_DIR)/.initialized" ]; then \
		$(BIN)/portal init --demo && touch "$(PORTAL_INSTANCE_DIR)/.initialized"; \
	else \
		$(BIN)/portal init; \
	fi
	$(BIN)/portal serve --host "$(HOST)" --port "$(PORT)"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Static types: strict for search_index (pyproject.toml [tool.mypy]).
typecheck: $(STAMP)
	$(BIN)/mypy

# The inner loop: lint, types and the tests that need no browser, no real server process and no PostgreSQL.
check: install lint typecheck
	PORTAL_TEST_DATABASE_URL= $(BIN)/pytest -q -n 2 --dist loadfile -m "not e2e and not slow" \
		--ignore=tests/e2e --ignore=tests/faults --ignore=tests/portal/test_serve.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# bandit must find nothing; the dependency audit fails on a known vulnerability and lists by name
# what it could not audit (see tests/security/dep_audit.py and docs/PROOF.md).
security-scan: $(STAMP)
	$(BIN)/bandit -q -c pyproject.toml -r portal articles qa search_index
	$(BIN)/python tests/security/dep_audit.py

# The browser tests need Debian's chromium: installed here when missing (as root), so a fresh machine
# needs nothing but `make test`.
system-packages:
	tools/system-packages.sh chromium

test: install lint typecheck security-scan system-packages
	$(BIN)/python tools/i18n.py missing
	$(BIN)/pytest -q -n 2 --dist loadfile

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
