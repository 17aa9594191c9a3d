# Two commands do everything: `make run` (the app, with demo data) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lock clean-venv

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

# Lint, format check, then the whole suite (SQLite, or PostgreSQL when DATABASE_URL says so).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# Re-resolve the newest versions pyproject.toml allows and write them to requirements.txt.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	@.venv-lock/bin/python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' > .venv-lock/requirements.in
	.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check -r .venv-lock/requirements.in
	@echo "# Exact versions of everything pyproject.toml asks for (used as pip constraints)." > requirements.txt
	@echo "# Regenerate with: make lock" >> requirements.txt
	.venv-lock/bin/python -m pip freeze --all --exclude pip --exclude setuptools --exclude wheel >> requirements.txt
	rm -rf .venv-lock

clean-venv:
	rm -rf $(VENV)
