#!/usr/bin/env bash
# Fresh machine → Madoguchi running on SQLite with the five cities; web chat at http://127.0.0.1:8000/
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
export MADOGUCHI_ENV="${MADOGUCHI_ENV:-development}"
exec .venv/bin/madoguchi serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
