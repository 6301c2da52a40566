# Wijkloket. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# The browser tests drive Debian's Chromium (Playwright never downloads a browser).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

.PHONY: help install browser demo run worker test test-sqlite test-postgres translations lint typecheck rules clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.txt -r requirements-dev.txt
	touch $@

# Front-end packages from npm, copied into our own static files (nothing loads from a CDN):
# Leaflet, and NL Design System's component classes (EUPL-1.2). The design tokens those
# classes read are our own (app/static/css/tokens.css; each tenant's theme, /theme/<slug>.css,
# overrides the colours): Utrecht's own token package is not open source (all rights reserved).
app/static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf app/static/vendor && mkdir -p app/static/vendor/leaflet app/static/vendor/utrecht
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
	      node_modules/leaflet/dist/images app/static/vendor/leaflet/
	cp node_modules/@utrecht/component-library-css/dist/index.css \
	   app/static/vendor/utrecht/component-library.css
	cp node_modules/@utrecht/component-library-css/LICENSE.md \
	   app/static/vendor/utrecht/component-library-LICENSE.md
	touch $@

install: $(VENV)/.installed app/static/vendor/.installed ## Create the virtualenv, install pinned requirements and npm packages
	$(BIN)/pybabel compile -d translations >/dev/null

# Only the tests need it, so `make demo` does not. Quick when installed; apt-get update only
# when the package lists are missing or stale.
browser: ## Install Debian's chromium for the browser tests, when it is missing
	@test -x $(CHROMIUM) || { \
	  if apt-cache show chromium >/dev/null 2>&1; then \
	    $(APT_INSTALL) chromium || { $(SUDO) apt-get update -qq && $(APT_INSTALL) chromium; }; \
	  else $(SUDO) apt-get update -qq && $(APT_INSTALL) chromium; fi; }

demo: install ## Set up and run the demo (SQLite, demo municipality, worker) on http://127.0.0.1:5000
	$(FLASK) db upgrade
	$(FLASK) demo seed
	@echo "Wijkloket runs on http://127.0.0.1:5000 (Ctrl+C stops web server and worker)"
	@trap 'kill 0' INT TERM EXIT; $(FLASK) worker & $(FLASK) run --host 127.0.0.1 --port 5000

test: install ## Run the whole test suite on SQLite and on PostgreSQL (browser tests once)
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: install browser ## Run the tests on SQLite, the browser tests included
	WIJKLOKET_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q -p no:cacheprovider

test-postgres: install ## Run the tests on PostgreSQL ($$PG_TEST_URL), all but the browser tests
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q -p no:cacheprovider -m "not browser"

translations: install ## Extract, update (-N) and compile the catalogues
	$(BIN)/pybabel extract -F babel.cfg -k _l -w 100 -o translations/messages.pot --no-location --sort-output --project Wijkloket . >/dev/null
	$(BIN)/pybabel update -N --ignore-obsolete -w 100 -i translations/messages.pot -d translations >/dev/null
	$(BIN)/python -m app.translations_tool fill-english translations/en/LC_MESSAGES/messages.po
	$(BIN)/pybabel compile -d translations >/dev/null

lint: install ## ruff
	$(BIN)/ruff check .

rules: install ## Check and test every shipped ruleset (gaps, unaddressed life areas, example cases)
	@for ruleset in referral_rules/rulesets/*.cases.yaml; do \
	  slug=$$(basename $$ruleset .cases.yaml); \
	  $(FLASK) rules check --tenant $$slug >/dev/null || { $(FLASK) rules check --tenant $$slug; exit 1; }; \
	  $(FLASK) rules test --tenant $$slug || exit 1; \
	done

typecheck: install ## mypy (strict on the libraries geo/, referral_rules/, disclosure/; app/)
	$(BIN)/mypy --strict geo referral_rules disclosure
	$(BIN)/mypy app

clean: ## Remove the virtualenv and the demo database
	rm -rf $(VENV) instance
