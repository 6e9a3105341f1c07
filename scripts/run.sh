#!/usr/bin/env bash
# Set everything up and run the main job end to end on the embedded PostgreSQL server.
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
echo "==> extracting and loading into the warehouse's raw layer"
bash scripts/el.sh
eval "$(lana-core db env)"
python -m tap_lana_events.report "$LANA_DATABASE_URL" "$LANA_WAREHOUSE_URL"
echo "==> building and testing the warehouse models and reports (dbt)"
bash scripts/dbt.sh build --quiet
echo "Reports (as of the latest business date) are tables in schema 'reports' of $LANA_WAREHOUSE_URL:"
python - <<PY
import psycopg
from core_app.summary import format_money
with psycopg.connect("$LANA_WAREHOUSE_URL") as conn:
    tables = [r[0] for r in conn.execute(
        "select table_name from information_schema.tables where table_schema = 'reports' order by 1")]
    for table in tables:
        rows = conn.execute(f"select count(*) from reports.{table}").fetchone()[0]
        print(f"  reports.{table:<24} {rows:>8,} rows")
    print("Balance sheet:")
    for line, amount in conn.execute(
            "select line, amount_cents from reports.balance_sheet order by line_code"):
        print(f"  {line:<46} {format_money(amount, 'USD'):>22}")
PY
