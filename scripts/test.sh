#!/usr/bin/env bash
# Fresh machine → every test. Browser tests use Debian's Chromium (installed here when missing and we are root);
# PostgreSQL tests use 127.0.0.1:5432. Locally, tests whose service is missing skip with a printed reason;
# with MADOGUCHI_REQUIRE_SERVICES=1 (CI) they fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
    || echo "could not install chromium; browser tests will skip (or fail under MADOGUCHI_REQUIRE_SERVICES=1)"
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
exec .venv/bin/python -m pytest "$@"
