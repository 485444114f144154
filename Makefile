# Two commands set everything up: `make run` serves the app, `make test` runs the whole suite.
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
PORT ?= 5000
export ASSISTANT_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test install system translations migrate demo extract chromium check-forms bench screenshots

# What WeasyPrint needs from Debian to draw receipts: Pango, and fonts for every script (Noto covers Pashto).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-core

system:
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(SYSTEM_PACKAGES))

$(BIN)/.installed: requirements.txt pyproject.toml | system
	python3 -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	touch $@

install: $(BIN)/.installed

translations: install
	$(BIN)/pybabel compile -d locales

migrate: translations
	$(BIN)/flask db migrate

demo: migrate
	$(BIN)/flask demo load

# `make run PORT=5050` serves on another port; e-mail links and the printed logins follow unless
# ASSISTANT_BASE_URL says otherwise.
# `make run ASSISTANT_PAYMENT_PROVIDER=fake-xbezahldienste` (or fake-girocheckout) also serves a local stand-in of
# the payment platform, so fees can be paid in the demo (docs/payments.md).
run: demo
	@case "$(ASSISTANT_PAYMENT_PROVIDER)" in fake-*) $(BIN)/python -m tests.fakes $(patsubst fake-%,%,$(ASSISTANT_PAYMENT_PROVIDER)) & trap "kill $$!" EXIT INT TERM;; esac; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Debian's chromium for the browser tests (never a downloaded browser build), poppler to look at receipts,
# Java for the Nu HTML Checker.
chromium:
	@(command -v chromium && command -v pdftoppm && command -v java) >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium poppler-utils default-jre-headless)

# axe-core and the Nu HTML Checker, pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: translations chromium node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Throughput, latency and memory under gunicorn, and the first page over slow 3G: figures, printed.
bench: translations chromium
	$(BIN)/python bench/run.py

# The pages a person sees most, at 360 px in German and Arabic, into docs/screenshots/ (shown in the README).
screenshots: translations chromium
	$(BIN)/python bench/screenshots.py

check-forms: install
	$(BIN)/flask forms check

# Refresh the template and the catalogs after changing texts in code, templates or forms/;
# English is the language of the message ids, so its catalog repeats them.
extract: install
	PYTHONPATH=. $(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k both -k lazy_ngettext:1,2 -c TRANSLATORS: --ignore-dirs=".* __pycache__" --no-location --sort-output -o locales/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i locales/messages.pot -d locales
	$(BIN)/python -c "from babel.messages.pofile import read_po, write_po; p='locales/en/LC_MESSAGES/messages.po'; c=read_po(open(p,'rb')); [setattr(m,'string',m.id) for m in c if m.id]; write_po(open(p,'wb'),c,omit_header=False,sort_output=True,no_location=True)"
