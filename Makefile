# PHR Share: the two commands are `make run` and `make test`; everything else is a helper.
# Needs only Python 3.11+ with venv and pip on the machine.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Re-install when the project's dependencies change.
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# Keystone (for the tests of Swift behind Keystone v3) lives in a venv of its own.
KVENV  ?= .venv-keystone
KSTAMP := $(KVENV)/.installed-$(shell cksum deploy/keystone/requirements.txt | cut -d' ' -f1)
VAR    ?= var
# `make test` runs the database tests a second time on this PostgreSQL, when reachable.
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# The corpus tests walk HL7's shipped examples, and this larger corpus when it is there.
PHR_CORPUS_DIR ?= $(wildcard ../shared/corpus)
# The chart library the pages serve from their own origin (npm, pinned by package-lock).
CHARTJS := phr_share/web/static/vendor/chart.umd.min.js
# The manual's search from pages opened as files (npm, pinned by the same package-lock).
SEARCH_SHIM := docs/assets/iframe-worker-shim.js
# The browser the end-to-end tests drive (Debian's; Playwright never downloads one).
CHROMIUM ?= /usr/bin/chromium
# Reads the visit report back in its tests (Debian's poppler-utils: pdftotext, pdftoppm).
PDFTOTEXT ?= /usr/bin/pdftotext
# The local Swift proxy's cache (Debian's memcached; the stack runs without it if absent).
MEMCACHED ?= /usr/bin/memcached

.PHONY: run stop test lint typecheck unit postgres docs keystone bench clean web-assets

run: $(STAMP) $(CHARTJS) $(MEMCACHED)
	@$(BIN)/phr-share stack up
	@$(BIN)/python deploy/demo/seed.py
	@echo
	@echo "The local stack is running (state in $(VAR)/); stop it with: make stop"
	@echo "Mails it sends (notices, forgotten-password links) land in $(VAR)/stack/maildir/new/"
	@echo "Also try: $(BIN)/phr-share get TRACKING_ID --as dr.kim   (the password, then a code from dr.kim's secret; segments: $(BIN)/phr-share segments --patient 2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10)"
	@echo
	@$(BIN)/phr-share web

stop: $(STAMP)
	@$(BIN)/phr-share stack down

test: $(STAMP) $(KSTAMP) $(CHARTJS) $(CHROMIUM) $(MEMCACHED) $(PDFTOTEXT) lint typecheck docs unit postgres

lint: $(STAMP)
	$(BIN)/ruff check phr_share tests bench deploy docs
	$(BIN)/ruff format --check phr_share tests bench deploy docs
	$(BIN)/lint-imports --no-cache --no-logo

typecheck: $(STAMP)
	$(BIN)/mypy

# The manual in docs/: the API's OpenAPI document written from the app, then the site
# built strictly (a broken link or anchor, or a page left out of nav, fails it).
docs: $(STAMP) $(SEARCH_SHIM)
	$(BIN)/python docs/export_openapi.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

unit: $(STAMP)
	PHR_CORPUS_DIR='$(PHR_CORPUS_DIR)' $(BIN)/pytest -q

postgres: $(STAMP)
	@if $(BIN)/python -c 'import sys, sqlalchemy; sqlalchemy.create_engine(sys.argv[1], connect_args={"connect_timeout": 3}).connect().close()' '$(PG_URL)' 2>/dev/null; then \
		echo "== the database tests again, on PostgreSQL at $(PG_URL)"; \
		PHR_TEST_DATABASE_URL='$(PG_URL)' $(BIN)/pytest -q -m db; \
	else \
		echo "== PostgreSQL is not reachable at $(PG_URL): the database tests ran on SQLite only."; \
		echo "   (set PG_URL=postgresql+psycopg://USER@HOST:PORT/DB to test against a server)"; \
	fi

bench: $(STAMP)
	$(BIN)/python bench/split.py
	$(BIN)/python bench/deid.py
	$(BIN)/python bench/crypto.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/decide.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/web.py

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "PHR Share needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,docs]'
	rm -f $(VENV)/.installed-*
	touch $@

$(CHARTJS): deploy/web/package-lock.json
	cd deploy/web && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(dir $@)
	cp deploy/web/node_modules/chart.js/dist/chart.umd.min.js $@

$(SEARCH_SHIM): deploy/web/package-lock.json
	cd deploy/web && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(dir $@)
	cp deploy/web/node_modules/iframe-worker/shim/index.js $@

# Debian's Chromium for the browser tests: installed once, as root or through sudo.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	echo "== installing Debian's chromium and chromium-driver for the browser tests"; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver \
	|| { echo "Could not install chromium (needs root or sudo): the browser tests will be skipped."; }

# Debian's poppler-utils for the visit report's tests: installed once, as root or sudo.
$(PDFTOTEXT):
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	echo "== installing Debian's poppler-utils (pdftotext) for the visit report's tests"; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq poppler-utils \
	|| { echo "Could not install poppler-utils (needs root or sudo): the report's PDF tests will be skipped."; }

# Debian's memcached for the local Swift proxy's cache: installed once, as root or sudo.
$(MEMCACHED):
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	echo "== installing Debian's memcached for the local Swift proxy"; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq memcached \
	|| { echo "Could not install memcached (needs root or sudo): Swift runs without its cache."; }

keystone: $(KSTAMP)

$(KSTAMP): $(STAMP)
	$(PYTHON) -m venv $(KVENV)
	$(KVENV)/bin/pip install --quiet --upgrade pip
	$(KVENV)/bin/pip install --quiet -r deploy/keystone/requirements.txt
	rm -f $(KVENV)/.installed-*
	touch $@

web-assets: $(CHARTJS)

clean:
	rm -rf $(VENV) $(KVENV) $(VAR) .mypy_cache .ruff_cache .pytest_cache deploy/web/node_modules phr_share/web/static/vendor \
		build/docs $(SEARCH_SHIM) docs/api/openapi.json
