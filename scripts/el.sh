#!/usr/bin/env bash
# Extract the core's events, outbox and ledger and load them into the warehouse's raw layer.
#   bash scripts/el.sh                  incremental (gap-safe) run, dev: the local PostgreSQL warehouse
#   bash scripts/el.sh --full-refresh   ignore the saved state and re-extract everything
#   MELTANO_ENVIRONMENT=prod bash scripts/el.sh    load into BigQuery (see README)
# Other arguments go to `meltano run`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
eval "$(lana-core db env)"

environment="${MELTANO_ENVIRONMENT:-dev}"
# The loaders log every statement at info level; LANA_EL_LOG_LEVEL=info shows them.
log_level="${LANA_EL_LOG_LEVEL:-warning}"
if [[ "$environment" == "prod" ]]; then
    meltano --log-level "$log_level" --environment prod run tap-lana-events target-bigquery "$@"
else
    python -m tap_lana_events.warehouse "$LANA_WAREHOUSE_URL" raw
    meltano --log-level "$log_level" --environment "$environment" run tap-lana-events target-postgres "$@"
fi
