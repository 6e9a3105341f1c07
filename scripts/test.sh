#!/usr/bin/env bash
# Lint, build the documentation site (a broken link or anchor fails) and run the test suite (unit
# and end-to-end on a real PostgreSQL server), in LANA_TEST_WORKERS processes side by side
# (default 2, one per core; 0: in this process). Extra arguments go to pytest, e.g.
#   bash scripts/test.sh tests/unit           the fast tier (no database server, under a minute)
#   bash scripts/test.sh -m "not slow"        without the longest end-to-end tests
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

ruff check .
ruff format --check .
NO_MKDOCS_2_WARNING=1 mkdocs build --strict --quiet --site-dir .lana/site
# Tests of one module run in one worker (its shared fixtures are built once).
pytest -n "${LANA_TEST_WORKERS:-2}" --dist loadscope "$@"
