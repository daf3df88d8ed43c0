# The README's two commands are `make demo` and `make test`; the rest are for developers.
PYTHON ?= python3
VENV_PY := .venv/bin/python

.PHONY: demo test lint format bench clean oidc-test-deps

demo:  ## install, migrate, seed the demo, run web + worker + beat on SQLite and a filesystem broker
	$(PYTHON) scripts/bootstrap.py demo

test:  ## install with the test tools and run the whole suite (set DATABASE_URL/REDIS_URL for PostgreSQL/Redis)
	$(PYTHON) scripts/bootstrap.py test $(PYTEST_ARGS)

lint:
	$(VENV_PY) -m ruff check . && $(VENV_PY) -m ruff format --check .

format:
	$(VENV_PY) -m ruff check --fix . && $(VENV_PY) -m ruff format .

bench:  ## catalog search and product page latency next to a bare view (see scripts/bench_catalog.py)
	$(VENV_PY) scripts/bench_catalog.py

oidc-test-deps:  ## the OpenID provider the sign-in tests start (npm's oidc-provider, under var/oidc, not committed)
	mkdir -p var/oidc && cd var/oidc && ([ -f package.json ] || npm init -y >/dev/null) && npm install --no-audit --no-fund oidc-provider@8

clean:
	rm -rf var/mesh.sqlite3* var/broker var/staticfiles
