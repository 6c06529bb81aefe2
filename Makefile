# The two commands: `make run` and `make test`. Both set up everything they need.
# `make check` is the everyday subset: lint, types and the fast tests (no desktop, no bundle).
.PHONY: run test check lint package dist deb clean bench catalogs

VENV := .venv
PY := $(VENV)/bin/python
# pytest-xdist workers, one test file at a time each (`--dist loadfile`): a file's module
# fixtures (the bundle's one PyInstaller build, a host session) are set up once. Not
# `loadgroup`: with pytest 9.2 it silently stops grouping (pytest-dev/pytest-xdist#1386).
JOBS ?= 2
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' tray_app/__init__.py)
PYTEST := $(PY) -m pytest -p no:cacheprovider -n $(JOBS) --dist loadfile
# The package shape: the layers point down and nothing imports in a cycle (import-linter, the
# contracts in pyproject.toml), and no module passes 500 lines (scripts/check_shape.py).
SHAPE := $(VENV)/bin/lint-imports --no-cache && $(PY) scripts/check_shape.py

run:
	@scripts/bootstrap.sh desktop
	@$(PY) -m tray_app run --demo-without-key

test:
	@scripts/bootstrap.sh desktop,dev
	$(PY) -m ruff check tray_app tests scripts
	$(PY) -m ruff format --check tray_app tests scripts
	$(PY) -m mypy
	$(SHAPE)
	$(PYTEST) -m "not packaging"
	$(PYTEST) -m packaging

check:
	@scripts/bootstrap.sh desktop,dev
	$(PY) -m ruff check tray_app tests scripts
	$(PY) -m ruff format --check tray_app tests scripts
	$(PY) -m mypy
	$(SHAPE)
	$(PYTEST) -m "not desktop and not slow"

lint:
	$(PY) -m ruff check tray_app tests scripts
	$(PY) -m ruff format --check tray_app tests scripts

# Every figure of docs/benchmarks.md: the tray against the skeleton, `status --cached` against
# `python -c pass`, the Usage window with a year of history.
bench:
	@scripts/bootstrap.sh desktop,dev
	$(PY) scripts/bench.py
	$(PY) scripts/bench_status_cached.py
	$(PY) scripts/bench_usage_window.py

# Messages marked with _(), N_() or ngettext() -> the template -> every language's .po
# (then translate the new and fuzzy entries; tests/project/test_catalogs.py checks them).
catalogs:
	@scripts/bootstrap.sh desktop
	$(VENV)/bin/pybabel extract -F tray_app/locale/babel.cfg -k N_ --no-location --sort-output --width=100 \
		--project=lensmor-tray -o tray_app/locale/lensmor-tray.pot tray_app
	$(VENV)/bin/pybabel update -i tray_app/locale/lensmor-tray.pot -d tray_app/locale \
		-D lensmor-tray --width=100
	# argparse's own words ("usage: ", its errors), from the argparse.py of this Python
	# (cli/argparse_language.py); its version is the template's (tests/project/test_catalogs.py).
	$(VENV)/bin/pybabel extract --no-default-keywords -k _ -k ngettext:1,2 --no-location \
		--sort-output --width=100 --project=argparse -o tray_app/locale/argparse.pot \
		--version="$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
		"$$($(PY) -c 'import argparse; print(argparse.__file__)')"
	$(VENV)/bin/pybabel update -i tray_app/locale/argparse.pot -d tray_app/locale \
		-D argparse --width=100

# The one-folder bundle dist/lensmor-tray/ and the archive users download, tar.xz: 36 MB where
# tar.gz would be 46 (docs/benchmarks.md: "Bundle size").
package:
	@scripts/bootstrap.sh desktop,package
	$(PY) -m PyInstaller --noconfirm packaging/lensmor-tray.spec
	tar -C dist -cJf dist/lensmor-tray-$(VERSION)-linux-$(shell uname -m).tar.xz lensmor-tray

# The wheel and the sdist, checked as PyPI would (`pipx install dist/lensmor_tray-*.whl`).
dist:
	@scripts/bootstrap.sh desktop,dev
	rm -f dist/lensmor_tray-$(VERSION)*
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/lensmor_tray-$(VERSION)*

# dist/lensmor-tray_<version>_all.deb for Debian 12, from the wheel (packaging/deb/).
deb: dist
	$(PY) packaging/deb/build_deb.py --wheel dist/lensmor_tray-$(VERSION)-py3-none-any.whl --out dist

clean:
	rm -rf $(VENV) build dist *.egg-info
