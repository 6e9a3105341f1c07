"""Ingest: the core's tables into the warehouse's raw layer (Meltano), the outbox sensor that keeps
it current, and the completeness comparison of the raw layer with the core."""
