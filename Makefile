# Two commands do everything: `make run` (the app, with demo data) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-installed-stamp

.PHONY: run serve test bench lock clean-venv

# The virtual environment, with exactly the versions in requirements.txt (the lock) of what
# pyproject.toml asks for. Rebuilt when either file changes.
$(STAMP): pyproject.toml requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' > $(VENV)/requirements.in
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.txt -r $(VENV)/requirements.in
	@touch $(STAMP)

# Development server on SQLite in var/, with the seed lessons and demo logins.
run: export DJANGO_DEBUG ?= 1
run: export ALLOW_TEACHER_SIGNUP ?= 1
run: $(STAMP)
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_seeds
	$(BIN)/python manage.py setup_demo
	@echo ""
	@echo "Open http://127.0.0.1:$(PORT)/ and log in with one of the logins above. Ctrl-C stops the server."
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The production stack on this machine: debug off, PostgreSQL from DATABASE_URL, collectstatic,
# gunicorn with its production config. Plain HTTP on 127.0.0.1 for trying it out, so the
# HTTPS-only settings are switched off here (a real install keeps them on behind TLS; see
# docs/self-hosting.md). The secret key is made once and kept in var/serve-secret-key.
serve: export DJANGO_DEBUG = false
serve: export DJANGO_SECURE_SSL_REDIRECT ?= false
serve: export DJANGO_SECURE_COOKIES ?= false
serve: export DJANGO_HSTS_SECONDS ?= 0
serve: $(STAMP)
	@if [ -z "$$DATABASE_URL" ]; then \
	  echo "make serve runs the production stack on PostgreSQL. Set DATABASE_URL, e.g."; \
	  echo "  DATABASE_URL=postgresql://USER:PASSWORD@127.0.0.1:5432/DBNAME make serve"; \
	  exit 2; fi
	@mkdir -p var
	@if [ -z "$$DJANGO_SECRET_KEY$$DJANGO_SECRET_KEY_FILE" ] && [ ! -s var/serve-secret-key ]; then \
	  umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > var/serve-secret-key; fi
	@echo "Production settings over plain HTTP: DJANGO_SECURE_SSL_REDIRECT=$$DJANGO_SECURE_SSL_REDIRECT DJANGO_SECURE_COOKIES=$$DJANGO_SECURE_COOKIES DJANGO_HSTS_SECONDS=$$DJANGO_HSTS_SECONDS"
	@export DJANGO_SECRET_KEY_FILE="$${DJANGO_SECRET_KEY_FILE:-$$( [ -n "$$DJANGO_SECRET_KEY" ] || echo var/serve-secret-key )}"; \
	  set -e; \
	  $(BIN)/python manage.py check; \
	  $(BIN)/python manage.py migrate --noinput; \
	  $(BIN)/python manage.py collectstatic --noinput --verbosity 0; \
	  echo "Serving http://127.0.0.1:$(PORT)/ with gunicorn. Ctrl-C stops it."; \
	  echo "No login yet? $(BIN)/python manage.py createsuperuser (with the same DATABASE_URL)."; \
	  exec $(BIN)/gunicorn -c glfsite/gunicorn.conf.py --bind 127.0.0.1:$(PORT) glfsite.wsgi

# Lint, format check, then the whole suite (SQLite, or PostgreSQL when DATABASE_URL says so).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# The load tool of the benchmark (the "bench" extra), on top of the app's environment.
$(BENCH_STAMP): $(STAMP)
	@$(BIN)/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["bench"]))' > $(VENV)/requirements-bench.in
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.txt -r $(VENV)/requirements-bench.in
	@touch $(BENCH_STAMP)

# The load benchmark on PostgreSQL: a synthetic school in DBNAME_bench (created, then
# dropped), gunicorn with the production settings, Locust from another process, the scale
# curve. Prints a table and writes var/bench/. BENCH_ARGS=--quick for a short run.
bench: $(BENCH_STAMP)
	@if [ -z "$$DATABASE_URL" ]; then \
	  echo "make bench runs on PostgreSQL. Set DATABASE_URL, e.g."; \
	  echo "  DATABASE_URL=postgresql://USER:PASSWORD@127.0.0.1:5432/DBNAME make bench"; \
	  echo "It creates the database DBNAME_bench on that server and drops it afterwards."; \
	  exit 2; fi
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Re-resolve the newest versions pyproject.toml allows and write them to requirements.txt.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	@.venv-lock/bin/python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"] + p["optional-dependencies"]["bench"]))' > .venv-lock/requirements.in
	.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check -r .venv-lock/requirements.in
	@echo "# Exact versions of everything pyproject.toml asks for (used as pip constraints)." > requirements.txt
	@echo "# Regenerate with: make lock" >> requirements.txt
	.venv-lock/bin/python -m pip freeze --all --exclude pip --exclude setuptools --exclude wheel >> requirements.txt
	rm -rf .venv-lock

clean-venv:
	rm -rf $(VENV)
