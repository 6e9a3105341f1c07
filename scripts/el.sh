#!/usr/bin/env bash
# Extract the core's events, outbox and ledger and load them into the warehouse's raw layer, then
# check that every raw table equals the core below its new bookmark (the check the flow runs):
# exit 1 naming the streams that differ, and the command that repairs them.
#   bash scripts/el.sh                        incremental (gap-safe) run, dev: the local PostgreSQL warehouse
#   bash scripts/el.sh --full-refresh         ignore the saved state and re-extract everything
#   bash scripts/el.sh --reread S1,S2         the repair: load these streams again, replacing their raw tables
#   LANA_WAREHOUSE_KIND=bigquery bash scripts/el.sh    load into BigQuery (docs/operators.md: the BigQuery variables)
# Other arguments go to `meltano run` (e.g. --force after a crash).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
umask 077   # Meltano's run files hold the plugins' configuration: the owner's only
exec lana-flow el "$@"
