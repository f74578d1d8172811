# Quick start: `make run` serves the app (the website at /, the API, the admin); `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PORT ?= 8000
FIXTURES := $(sort $(wildcard fixtures/*.json))

.PHONY: run serve test bench docs setup dev-setup migrate load check lint format clean backup restore

# What running needs (requirements.txt) apart from what testing and benchmarking need
# (requirements-dev.txt, which includes the former): `make run` installs only the first.
$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

setup: $(STAMP)

dev-setup: $(DEV_STAMP)

migrate: setup
	$(BIN)/python manage.py migrate --noinput

load: migrate
	$(BIN)/python manage.py load_fixtures --if-empty

run: load
	@echo ""
	@echo "  Site:  http://127.0.0.1:$(PORT)/"
	@echo "  Admin: http://127.0.0.1:$(PORT)/admin/   (create a login: $(BIN)/python manage.py createsuperuser)"
	@echo "  API:   http://127.0.0.1:$(PORT)/api/v1/   docs: http://127.0.0.1:$(PORT)/api/docs/"
	@echo ""
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Production-style: gunicorn + WhiteNoise. Needs DJANGO_ENV=production, SECRET_KEY,
# ALLOWED_HOSTS and DATABASE_URL in the environment (see docs/operations.md).
serve: load
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/gunicorn -c gunicorn.conf.py config.wsgi

# PostgreSQL backups that restore exactly: same ids, same audit trail, same data version.
# `make backup [BACKUP=file]` dumps $$DATABASE_URL; `make restore [BACKUP=file]` restores it into
# $$DATABASE_URL (best a fresh database: createdb, then make restore; no migrate needed).
BACKUP ?= backup.dump

backup:
	pg_dump --format=custom --file="$(BACKUP)" "$$DATABASE_URL"

restore:
	pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction --dbname="$$DATABASE_URL" "$(BACKUP)"

# One pytest worker per core (pytest-xdist): the suite is CPU-bound. Bytecode is written even where the
# environment says not to (PYTHONDONTWRITEBYTECODE): otherwise every worker, and every manage.py or
# gunicorn process a test starts, compiles the project and rewrites the test modules' asserts again
# (about 20 s of each worker's start on a 2-core machine).
test: dev-setup
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -q -n auto --dist loadgroup

check: dev-setup
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Needs the local PostgreSQL and Redis; installs wrk and nginx from Debian if they are missing
# (nginx runs as the benchmark's own process, never the system's service).
bench: dev-setup
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update -qq && apt-get install -y -qq nginx)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The manual (docs/, mkdocs.yml) into site/; --strict: a broken link or anchor fails the build.
docs: dev-setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: check

format: dev-setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles site
