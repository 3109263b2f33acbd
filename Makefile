# Two commands: `make run` and `make test`. Everything else is installed by them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format install bench bench-review

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/accounts_bench.py
	$(PY) bench/orders_bench.py

# The nightly 学习异常 scan on 200,000 (and 50,000) learners; needs PostgreSQL on 127.0.0.1:5432 (about 20 minutes).
bench-review: $(STAMP)
	$(PY) bench/review_bench.py

# The heartbeat against the anonymous /healthz and a bare Django app (wrk, bracketed rounds), the capacity model
# (about 3 minutes; PostgreSQL and Redis on 127.0.0.1, wrk).
.PHONY: bench-heartbeat
bench-heartbeat: $(STAMP) bench-tools
	$(PY) bench/heartbeat_bench.py --learners 200 --seconds 10 --wrk-seconds 10 --rounds 3

# --- H2 (issue 17): latency at a fixed rate and the year-end rush (PostgreSQL and Redis on 127.0.0.1; wrk, nginx) ---
.PHONY: bench-latency bench-rush bench-tools
bench-tools:
	@command -v wrk >/dev/null && command -v nginx >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk nginx-light)

# Each hot request at half its capacity: p50/p99 against the targets (about 6 minutes).
bench-latency: $(STAMP) bench-tools
	$(PY) bench/latency_bench.py

# Ten minutes of the year-end mix with gunicorn, Celery worker and beat (about 13 minutes; --minutes 1 to try).
bench-rush: $(STAMP)
	$(PY) bench/rush.py
# --- /H2 ---

# --- H1 (issue 17): pages flat at 200,000 learners (PostgreSQL and Redis on 127.0.0.1; about 15 minutes) ---
.PHONY: bench-pages
# Every learner page and back-office list, empty → page-full → full, with the heaviest query's EXPLAIN;
# `make bench-pages ARGS="--learners 20000"` for a quick run.
bench-pages: $(STAMP)
	$(PY) bench/pages_bench.py $(ARGS)
# --- /H1 ---
