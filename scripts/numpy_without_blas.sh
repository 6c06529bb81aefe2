#!/usr/bin/env bash
# Replaces the numpy in the venv given (default .venv) with the same version built without
# BLAS, for the PyInstaller bundle (scripts/bootstrap.sh calls it for the dev and package
# extras). PyPI's wheel carries OpenBLAS, 24 MB and a fifth of the bundle, for linear algebra
# the Usage chart never does (issue 21; docs/benchmarks.md "Bundle size"). Without SIMD
# dispatch and with the CPU baseline only, so it runs on any CPU the bundle meets, and it
# builds in about 3 minutes on 2 cores, once per machine: the wheel is kept in the cache
# folder below. A cached wheel that does not install (cut short, corrupt) is built again.
set -euo pipefail
venv="${1:-.venv}"
[ "$(uname -s)" = Linux ] || exit 0
python="$venv/bin/python"
found=$("$python" -c 'import numpy; print(numpy.__version__, numpy.show_config(mode="dicts")["Build Dependencies"]["blas"].get("found", False))' 2>/dev/null) || exit 0
version=${found% *}
[ "${found#* }" = True ] || exit 0
cache="${XDG_CACHE_HOME:-$HOME/.cache}/lensmor-tray-build/numpy-without-blas-1"

build() {
  echo "building numpy $version without BLAS for the bundle (once per machine, about 3 min)"
  mkdir -p "$cache"
  rm -f "$cache"/numpy-"$version"-*.whl
  "$python" -m pip wheel -q --no-cache-dir --no-deps --no-binary numpy "numpy==$version" \
    -w "$cache" -Csetup-args=-Dblas=none -Csetup-args=-Dlapack=none \
    -Csetup-args=-Dallow-noblas=true -Csetup-args=-Dcpu-dispatch=none \
    -Csetup-args=-Dcpu-baseline=min
}

install_cached() {
  local wheel
  wheel=$(ls "$cache"/numpy-"$version"-*.whl 2>/dev/null | head -n 1 || true)
  [ -n "$wheel" ] && "$python" -m pip install -q --force-reinstall --no-deps "$wheel"
}

if ! install_cached; then
  build
  install_cached
fi
