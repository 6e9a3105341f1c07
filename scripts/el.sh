#!/usr/bin/env bash
# Extract the core's events, outbox and ledger and load them into the warehouse's raw layer.
#   bash scripts/el.sh                  incremental (gap-safe) run, dev: the local PostgreSQL warehouse
#   bash scripts/el.sh --full-refresh   ignore the saved state and re-extract everything
#   LANA_WAREHOUSE_KIND=bigquery bash scripts/el.sh    load into BigQuery (README: the BigQuery variables)
# Other arguments go to `meltano run`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
eval "$(lana-core db env)"
umask 077   # Meltano's run files hold the plugins' configuration: the owner's only

if [[ "${LANA_WAREHOUSE_KIND:-postgres}" == "bigquery" ]]; then default_environment=prod; else default_environment=dev; fi
environment="${MELTANO_ENVIRONMENT:-$default_environment}"
# The loaders log every statement at info level; LANA_EL_LOG_LEVEL=info shows them.
log_level="${LANA_EL_LOG_LEVEL:-warning}"
if [[ "$environment" == "prod" ]]; then
    meltano --log-level "$log_level" --environment prod run tap-lana-events target-bigquery "$@"
else
    python -m tap_lana_events.warehouse "$LANA_LOADER_URL" raw
    meltano --log-level "$log_level" --environment "$environment" run tap-lana-events target-postgres "$@"
fi
