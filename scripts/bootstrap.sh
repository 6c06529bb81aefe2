#!/usr/bin/env bash
# Sets up everything `make run` / `make test` need on a fresh machine:
#   1. the Debian packages for the tray menu and the desktop tests (only as root, only if missing);
#   2. .venv with the project and its extras.
# Usage: scripts/bootstrap.sh EXTRAS   (e.g. "desktop" or "desktop,dev")
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-desktop}"
python="${PYTHON:-python3}"

install_system_packages() {
  command -v apt-get >/dev/null 2>&1 || return 0
  mapfile -t wanted < <(grep -Ev '^\s*(#|$)' scripts/system-packages.txt)
  missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "note: these system packages are missing (install them for the full tray menu): ${missing[*]}" >&2
    return 0
  fi
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_system_packages

stamp=".venv/.installed-$extras"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  if ! .venv/bin/python -m pip install -q -e ".[$extras]"; then
    # Without build headers PyGObject cannot compile; the app still runs (badge and
    # notifications through the xorg backend), so do not fail the whole set-up.
    echo "warning: the 'desktop' extra failed to install; the tray falls back to a menu-less icon" >&2
    .venv/bin/python -m pip install -q -e ".[${extras/desktop/}]" 2>/dev/null \
      || .venv/bin/python -m pip install -q -e .
  fi
  touch "$stamp"
fi

# The bundle's numpy, without BLAS (the dev and package extras build the bundle).
case ",$extras," in
  *,dev,* | *,package,*) scripts/numpy_without_blas.sh .venv ;;
esac
