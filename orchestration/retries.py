"""How the assets that talk to other systems retry: Meltano, the core, the warehouse or the bucket
briefly unavailable is tried again, later each time. (A failed check is never retried: the same
rows fail the same way.)"""

import dagster as dg

TRANSIENT = dg.RetryPolicy(max_retries=3, delay=15, backoff=dg.Backoff.EXPONENTIAL)
