#!/usr/bin/env bash
# Run the test suite (unit and end-to-end on a real PostgreSQL server). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

ruff check .
ruff format --check .
pytest "$@"
