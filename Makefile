# The two commands the README promises: `make run` and `make test`.
# Each sets up everything it needs: system packages, .venv, dependencies, translations, database.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FLASK  := $(BIN)/flask
export FLASK_APP := wsgi.py

.PHONY: run test setup system-packages test-system-packages lint format bench clean translations

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

system-packages:
	@scripts/system-packages.sh runtime

test-system-packages:
	@scripts/system-packages.sh test

translations: $(STAMP)
	@$(BIN)/pybabel compile --statistics -d tracker/translations

setup: system-packages $(STAMP) translations

run: setup
	$(FLASK) db upgrade
	$(FLASK) setup --demo
	$(FLASK) run --host 127.0.0.1 --port 5000

# The whole suite on SQLite, then (when TRACKER_TEST_DATABASE_URL is set) on PostgreSQL.
test: test-system-packages $(STAMP) translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 -q -p no:cacheprovider
	@if [ -n "$$TRACKER_TEST_DATABASE_URL" ]; then \
	  echo "== the suite again on PostgreSQL ($$TRACKER_TEST_DATABASE_URL) =="; \
	  $(BIN)/pytest -n 2 -q -p no:cacheprovider; \
	else \
	  echo "TRACKER_TEST_DATABASE_URL is not set: the PostgreSQL run was skipped."; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache
