"""The pure domain: aggregates, their events and the ledger's rules. No I/O here."""
