# SCSync: `make run` starts everything on the embedded defaults; `make test` runs the checks and tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,emulators]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# The Pub/Sub API's message classes, generated from proto/pubsub_api.proto (not committed).
PROTOS := connectors/salesforce/pubsub_api_pb2.py emulators/salesforce/pubsub_api_pb2.py
$(PROTOS): proto/pubsub_api.proto $(STAMP)
	PYTHON=$(BIN)/python scripts/build-protos

install: $(STAMP) $(PROTOS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=scsync_site.settings_test $(BIN)/python manage.py makemigrations --check --dry-run
	scripts/ensure-chromium
	$(BIN)/pytest

# Local development settings, read by settings.py (django-environ) and by honcho: written when absent, never
# overwritten, so manage.py commands work from any terminal after `source .venv/bin/activate`.
.env:
	@printf '%s\n' \
		"# Local development settings written by make run (it never overwrites this file; delete it to start over)." \
		"DJANGO_DEBUG=1" \
		"SCSYNC_ALLOW_LOOPBACK=1" \
		"SCSYNC_MEDIA_ALLOW_LOCAL_URLS=1" \
		"SALESFORCE_EMULATOR_CONNECTION_FILE=$(CURDIR)/var/emulator/connection.json" \
		"SHOPIFY_DEMO_TOKEN=shpat_local_demo" \
		"EMAIL_URL=consolemail://" \
		"SHOPIFY_DEMO_CA=$(CURDIR)/var/emulator/shop-ca.pem" > $@
	@echo "wrote $@ (local development settings)"

# Development server, Celery worker, Beat and the emulators, all stopped together on Ctrl-C.
run: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_demo
	@# Ctrl-C ends honcho with 130 after every process stopped: that is the normal way out
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start || [ $$? -eq 130 ]

clean:
	rm -rf var/
