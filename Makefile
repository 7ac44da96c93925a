# amip: two commands do all the set-up on a fresh Debian 12 machine (as root):
#   make demo   generate the synthetic Jobcenter, import it, print the overview
#   make test   run the whole test suite
# Both install what they need (Debian packages, a venv, pinned Python packages), idempotently.

SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
AMIP := $(BIN)/amip
DEMO ?= out/demo
PORT ?= 8000
DEB_PACKAGES := python3-venv python3-dev postgresql libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils chromium openjdk-17-jre-headless
STAMP_SYS := $(VENV)/.system-packages
STAMP_PY := $(VENV)/.installed

.PHONY: demo test venv system bench clean-demo

demo: venv
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(AMIP) synth --out $(DEMO)/extract
	$(AMIP) import $(DEMO)/extract --store $(DEMO)/amip.duckdb
	$(AMIP) targets import examples/targets.csv --store $(DEMO)/amip.duckdb
	$(AMIP) risk train --store $(DEMO)/amip.duckdb
	$(AMIP) overview --store $(DEMO)/amip.duckdb
	$(AMIP) report programme --year 2020 --store $(DEMO)/amip.duckdb --out $(DEMO)/berichte
	@# November: the latest month whose benefit payments are in the extract (those of December
	@# are recorded in January, after the extract's end), as the dashboard's default month
	$(AMIP) report monthly --month 2020-11 --store $(DEMO)/amip.duckdb --out $(DEMO)/berichte
	@echo
	@echo "Berichte: $(DEMO)/berichte (PDF, HTML, XLSX, CSV). Daten: $(DEMO)/amip.duckdb"
	@echo
	@echo "Demo-Benutzer für das Dashboard (Rolle Controlling):"
	@$(AMIP) users add demo --role controlling --store $(DEMO)/amip.duckdb
	@echo
	@echo "Dashboard: http://127.0.0.1:$(PORT)/  (Benutzer: demo, Passwort siehe oben; beenden mit Strg+C)"
	$(AMIP) serve --store $(DEMO)/amip.duckdb --host 127.0.0.1 --port $(PORT) --insecure-cookies

test: venv
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/python bench/run_all.py

venv: $(STAMP_PY)

# Debian packages: installed only when one is missing (dpkg -s is quick).
$(STAMP_SYS): Makefile
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@touch $@

$(STAMP_PY): $(STAMP_SYS) requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	@touch $@

clean-demo:
	rm -rf $(DEMO)
