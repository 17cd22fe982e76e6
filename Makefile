# Two commands matter: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# The suite runs in parallel, one process per core (pytest-xdist); TEST_WORKERS=0 runs it in one.
TEST_WORKERS ?= auto
FLASK := $(BIN)/flask --app wsgi
export SPC_PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test setup install translations extract-messages lint serve-prod demo-code browser-tools

# The mail sender (it logs e-mails when no SMTP server is configured) and the search worker
# (it reads uploaded files' text for the index and removes crash leftovers) run beside the
# server, are started again if they stop, and stop with it (deploy/run_local.py).
run: setup
	$(FLASK) seed-demo
	$(BIN)/python deploy/run_local.py --port $(PORT)

test: install translations browser-tools
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

setup: install translations
	$(FLASK) keys init
	$(FLASK) db upgrade
	$(FLASK) states load
	$(FLASK) questionnaires load

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# axe-core, which the browser journeys inject into every page (from the npm registry, pinned).
AXE := tests/browser/js/node_modules/axe-core/axe.min.js
browser-tools: $(AXE)
$(AXE): tests/browser/js/package.json tests/browser/js/package-lock.json
	cd tests/browser/js && npm ci --no-audit --no-fund --silent
	touch $@

translations: install
	$(BIN)/pybabel compile -d coop_platform/translations >/dev/null

# For developers: refresh the catalogue after adding strings, then translate the .po files.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l --ignore-dirs '.* venv' -o coop_platform/translations/messages.pot .
	$(BIN)/pybabel update -i coop_platform/translations/messages.pot -d coop_platform/translations

# The production stack on this machine: nginx (TLS, self-signed) -> gunicorn (4 workers) ->
# PostgreSQL and Redis, with the mail sender; https://localhost:8443 (docs/DEPLOYMENT.md).
serve-prod: install translations
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || \
		{ echo "serve-prod needs Debian's nginx: apt-get install nginx"; exit 2; }
	$(BIN)/python deploy/serve_prod.py

# The current TOTP code of a demo account: make demo-code EMAIL=focal.fra@demo.spc.invalid
demo-code: install
	@test -n "$(EMAIL)" || { echo "usage: make demo-code EMAIL=<demo account e-mail>"; exit 2; }
	@$(FLASK) demo-code "$(EMAIL)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
