# The two commands: `make run` and `make test`. Both set up everything they need.
# `make check` is the everyday subset: lint, types and the fast tests (no desktop, no bundle).
.PHONY: run test check lint package clean bench

VENV := .venv
PY := $(VENV)/bin/python

run:
	@scripts/bootstrap.sh desktop
	@$(PY) -m tray_app run --demo-without-key

test:
	@scripts/bootstrap.sh desktop,dev
	$(PY) -m ruff check tray_app tests
	$(PY) -m ruff format --check tray_app tests
	$(PY) -m mypy
	$(PY) -m pytest -p no:cacheprovider

check:
	@scripts/bootstrap.sh desktop,dev
	$(PY) -m ruff check tray_app tests
	$(PY) -m ruff format --check tray_app tests
	$(PY) -m mypy
	$(PY) -m pytest -p no:cacheprovider -m "not desktop and not slow"

lint:
	$(PY) -m ruff check tray_app tests
	$(PY) -m ruff format --check tray_app tests

bench:
	@scripts/bootstrap.sh desktop,dev
	$(PY) scripts/bench.py

package:
	@scripts/bootstrap.sh desktop,package
	$(PY) -m PyInstaller --noconfirm packaging/lensmor-tray.spec

clean:
	rm -rf $(VENV) build dist *.egg-info
