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
