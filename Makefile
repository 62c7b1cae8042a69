# The two commands a newcomer needs: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QUARTER ?= 2025Q3
SCALE ?= 0.01
BENCH_SCALE ?= 1.0

.DEFAULT_GOAL := help
.PHONY: help setup system-packages run test lint demo db-start db-stop airflow airflow-ui celery-smoke lock clean bench bench-ingest

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml setup.py crvs/feeds/_fastload.c
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	@touch $(STAMP)

setup: $(STAMP) ## create .venv from the pinned requirements.txt (idempotent)

# Debian's packages the tests use: redis-server (the Celery broker of `make celery-smoke`), chromium and
# its driver (the UI's browser test; never a downloaded browser). Skipped when all are installed.
SYSTEM_PACKAGES := chromium chromium-driver redis-server
system-packages: ## apt-get install the Debian packages the tests need (Chromium, Redis), unless installed
	@if [ "$$(dpkg-query -W -f='$${db:Status-Status}\n' $(SYSTEM_PACKAGES) 2>/dev/null | grep -cx installed)" \
	     -ne $(words $(SYSTEM_PACKAGES)) ]; then \
	  if [ "$$(id -u)" -ne 0 ]; then echo "make system-packages: needs root for apt-get install $(SYSTEM_PACKAGES)" >&2; exit 1; fi; \
	  echo "installing Debian's $(SYSTEM_PACKAGES) (about 2 minutes, once)"; \
	  apt-get -o DPkg::Lock::Timeout=600 update -qq \
	    && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	fi

run: setup ## start the embedded PostgreSQL, generate a sample quarter, run the DAGs end to end
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/crvs demo --quarter $(QUARTER) --scale $(SCALE)

# Two pytest-xdist workers, a module's tests on one worker (module fixtures build once); each worker
# starts its own embedded PostgreSQL and Airflow home (tests/conftest.py). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: setup lint system-packages ## make lint, then the whole test suite on TEST_WORKERS=2 workers (each starts its own embedded PostgreSQL)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

lint: setup ## ruff check, ruff format --check and sqlfluff lint of the dbt models (configured in pyproject.toml, .sqlfluff)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models --processes $$(nproc)

bench: setup ## a quarter from deliveries to report and a day's delivery, against a bare COPY (BENCH_SCALE=1.0 is national scale); table in bench-path.json
	$(BIN)/crvs bench path --scale $(BENCH_SCALE) --json bench-path.json

bench-ingest: setup ## loader rows/s against a bare COPY of the same sample quarter (BENCH_SCALE=1.0 is national scale)
	$(BIN)/crvs bench ingest --scale $(BENCH_SCALE)

db-start: setup ## start the embedded PostgreSQL
	$(BIN)/crvs db start

db-stop: setup ## stop the embedded PostgreSQL
	$(BIN)/crvs db stop

airflow: setup ## Airflow on http://127.0.0.1:8080: scheduler, dag-processor, api-server, triggerer (LocalExecutor), until Ctrl-C
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/crvs airflow up

airflow-ui: airflow ## the same as `make airflow`

celery-smoke: setup system-packages ## a sample quarter from delivery to e-mail on the CeleryExecutor: Redis, two workers (~5 min)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/crvs airflow celery-smoke --scale $(SCALE)

lock: ## re-resolve requirements.txt from requirements.in in a throw-away venv
	rm -rf /tmp/crvs-lock && $(PYTHON) -m venv /tmp/crvs-lock
	/tmp/crvs-lock/bin/pip install --quiet -r requirements.in && /tmp/crvs-lock/bin/pip check
	( echo "# Pinned with 'make lock' from requirements.in. Python 3.11."; /tmp/crvs-lock/bin/pip freeze ) > requirements.txt

clean: ## stop the database and remove .crvs (all local state!) and .venv
	-$(BIN)/crvs db stop
	rm -rf .crvs $(VENV)
