#!/usr/bin/env bash
# Run dbt on the warehouse: local PostgreSQL by default, BigQuery with LANA_WAREHOUSE_KIND=bigquery
# and the BigQuery variables of docs/operators.md (DBT_TARGET, if set, wins).
#   bash scripts/dbt.sh build                                   build and test everything
#   bash scripts/dbt.sh build --vars '{as_of_date: 2025-06-30}' reports as of a past date
#   bash scripts/dbt.sh docs generate && bash scripts/dbt.sh docs serve
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
eval "$(lana-core db env)"
export DBT_PROFILES_DIR="$PWD/dbt_project" DBT_SEND_ANONYMOUS_USAGE_STATS=false
export DBT_TARGET="${DBT_TARGET:-${LANA_WAREHOUSE_KIND:-postgres}}"
python -m orchestration.transform.pseudonymisation   # the personal-data key where staging reads it
cd dbt_project
dbt "$@"
