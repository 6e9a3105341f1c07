#!/usr/bin/env bash
# Lint, build the documentation site (a broken link or anchor fails) and run the test suite (unit
# and end-to-end on a real PostgreSQL server). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

ruff check .
ruff format --check .
NO_MKDOCS_2_WARNING=1 mkdocs build --strict --quiet --site-dir .lana/site
pytest "$@"
