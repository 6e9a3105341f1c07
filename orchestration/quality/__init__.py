"""Quality: the Great Expectations suites (raw layer, reports), the marks of the raw rows they have
passed, and the blocking Dagster asset checks that run them with the completeness check."""
