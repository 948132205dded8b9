# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SECRET = $$( [ -n "$$SECRET_KEY" ] && echo "$$SECRET_KEY" || cat var/secret_key )

.PHONY: install run test lint worker beat bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

var/secret_key:
	mkdir -p var
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

## Embedded default: SQLite under var/, in-process layer/cache/tasks/beat, offline AI guide.
run: install var/secret_key
	SECRET_KEY=$(SECRET) $(BIN)/python manage.py migrate --noinput
	SECRET_KEY=$(SECRET) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	SECRET_KEY=$(SECRET) $(BIN)/daphne --bind $(HOST) --port $(PORT) \
		--ping-interval 25 --ping-timeout 30 --application-close-timeout 15 asgi:application

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

worker: install
	$(BIN)/celery -A numerai worker --loglevel INFO

beat: install
	$(BIN)/celery -A numerai beat --loglevel INFO --schedule var/celerybeat-schedule

bench: install
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var/static
