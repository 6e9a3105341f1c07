"""Delivery: what finance teams and the supervisor receive per business date. The catalog of
delivered reports (from dbt's YAML), a module per file format, the checks before publication, the
publication itself and the copy to a bucket; Dagster only in `assets.py` (and `definitions.py`)."""
