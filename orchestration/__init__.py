"""The Dagster code location and what its assets produce (report files for finance teams)."""
