"""Transform: the dbt project as Dagster assets (models, seeds, tests as checks), what starts a
business date's run (the core closing it, a fallback schedule), and the personal-data key dbt's
staging reads."""
