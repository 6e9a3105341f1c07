#!/usr/bin/env bash
# Set everything up and run the main job end to end, through Dagster, on the embedded PostgreSQL.
#   bash scripts/run.sh            (CUSTOMERS, DAYS and SEED change the simulation's size)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

echo "==> starting the database (embedded PostgreSQL unless LANA_DATABASE_URL is set)"
lana-core db start >/dev/null
lana-core migrate
echo "==> installing the Meltano plugins (no Meltano Hub: all declared in meltano.yml)"
meltano install
echo "==> simulating ${CUSTOMERS:-200} customers over ${DAYS:-365} days (seed ${SEED:-7})"
lana-core simulate --customers "${CUSTOMERS:-200}" --days "${DAYS:-365}" --seed "${SEED:-7}" --if-empty
echo "==> Dagster: extract/load, GX checks, dbt build and tests, report files (latest business date)"
# Runs and events are kept in the instance's PostgreSQL storage: `bash scripts/dagster.sh dev` shows them.
lana-flow run
eval "$(lana-core db env)"
echo "==> the raw layer against the core, table by table (row counts and checksums)"
python -m tap_lana_events.report "$LANA_DATABASE_URL" "$LANA_WAREHOUSE_URL"
echo "The report tables (every date built, column as_of_date) are in schema 'reports' of $LANA_WAREHOUSE_URL. Balance sheet:"
python - <<PY
import psycopg
from core_app.summary import format_money
with psycopg.connect("$LANA_WAREHOUSE_URL") as conn:
    for line, amount in conn.execute(
            "select line, amount_cents from reports.balance_sheet"
            " where as_of_date = (select max(as_of_date) from reports.balance_sheet) order by line_code"):
        print(f"  {line:<46} {format_money(amount, 'USD'):>22}")
PY
