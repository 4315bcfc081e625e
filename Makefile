# PHR Share: the two commands are `make run` and `make test`; everything else is a helper.
# Needs only Python 3.11+ with venv and pip on the machine.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Re-install when the project's dependencies change.
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO   := deploy/demo/demo-ccd.xml
VAR    ?= var

.PHONY: run test lint typecheck unit bench clean

run: $(STAMP)
	@$(BIN)/phr-share split $(DEMO) --patient 2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10 --out $(VAR)/demo-segments
	@echo
	@echo "Segments written to $(VAR)/demo-segments/. Rebuild what a reader granted only"
	@echo "health-status and physical-signs would see:"
	@echo "  $(BIN)/phr-share rebuild $(VAR)/demo-segments --kinds health-status,physical-signs"

test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check phr_share tests bench
	$(BIN)/ruff format --check phr_share tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/split.py
	$(BIN)/python bench/deid.py

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "PHR Share needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

clean:
	rm -rf $(VENV) $(VAR) .mypy_cache .ruff_cache .pytest_cache
