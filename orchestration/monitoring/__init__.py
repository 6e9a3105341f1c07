"""Monitoring: what data engineers are told (alerts by email and webhook: a failed run, the night's
summary, late reports or raw layer) and the health of runs whose process died."""
