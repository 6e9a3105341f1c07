#!/usr/bin/env bash
# Run the dagster CLI on the project's code location and instance (PostgreSQL storage).
#   bash scripts/dagster.sh dev           the UI on http://127.0.0.1:3000 with the whole asset graph,
#                                         the business-day and outbox sensors, alerts and freshness checks running
#   bash scripts/dagster.sh definitions validate    any other dagster command
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
lana-core db start >/dev/null
lana-core migrate >/dev/null
eval "$(lana-flow env)"
export DAGSTER_IS_DEV_CLI=1   # dagster-dbt re-parses the dbt project when the code location loads
exec dagster "$@"
