-- Accounts settled after commit (domain.ledger.SETTLED_AFTER_COMMIT: cash, income, fees,
-- collateral owed) get their running balances and balance history from the ledger's settlement,
-- not from each command: commands of different customers no longer queue on their balance rows.
--
-- The settlement reads the entries of transactions below its horizon (the oldest transaction id
-- still running, so all of them have finished) and at or above the previous horizon, and records
-- the new horizon here in the same transaction: each entry is settled once, whenever it committed.
-- Entries written before this migration were settled by their own commands: the first settlement
-- starts at this migration's transaction id (every later command has a larger one).

CREATE TABLE ledger_settlement (
    singleton     boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    settled_below xid8        NOT NULL,
    settled_at    timestamptz NOT NULL
);

INSERT INTO ledger_settlement (settled_below, settled_at) VALUES (pg_current_xact_id(), now());
