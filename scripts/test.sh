#!/usr/bin/env bash
# Fresh machine → every test. Browser tests use Debian's Chromium (installed here when missing and we are root);
# PostgreSQL tests use 127.0.0.1:5432. Locally, tests whose service is missing skip with a printed reason;
# with MADOGUCHI_REQUIRE_SERVICES=1 (CI) they fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
[ -d /usr/share/fonts/opentype/noto ] || need="$need fonts-noto-cjk"
fc-list 2>/dev/null | grep -qi lohit-devanagari || [ -e /usr/share/fonts/truetype/lohit-devanagari ] || need="$need fonts-lohit-deva-nepali"
if [ -n "$need" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null) \
    || echo "could not install$need; tests needing them skip (or fail under MADOGUCHI_REQUIRE_SERVICES=1)"
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
exec .venv/bin/python -m pytest "$@"
