# SCSync: `make run` starts everything on the embedded defaults; `make test` runs the checks and tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install lint setup-run clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,emulators]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=scsync_site.settings_test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# Development server, Celery worker, Beat and the emulators, all stopped together on Ctrl-C.
run: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py setup_demo
	PATH="$(CURDIR)/$(BIN):$$PATH" DJANGO_DEBUG=1 SCSYNC_DEMO_SHOP_TOKEN=shpat_local_demo \
		SCSYNC_DEMO_SHOP_CA="$(CURDIR)/var/emulator/shop-ca.pem" $(BIN)/honcho -f Procfile.dev start

clean:
	rm -rf var/
