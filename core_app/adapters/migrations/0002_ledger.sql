-- Double-entry ledger in the spirit of Cala.
--
-- Journals, account sets (the chart of accounts) and accounts are reference data; transactions,
-- entries and balance history are append-only. ledger_current_balances is the one mutable table:
-- it holds each account's latest balance and is locked (FOR UPDATE) by writers, which gives every
-- account a gap-free version sequence in ledger_balance_history.

CREATE TABLE ledger_journals (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL UNIQUE,
    description text        NOT NULL,
    created_at  timestamptz NOT NULL,
    tx_id       xid8        NOT NULL DEFAULT pg_current_xact_id()
);

CREATE TABLE ledger_account_sets (
    id          uuid        PRIMARY KEY,
    journal_id  uuid        NOT NULL REFERENCES ledger_journals (id),
    code        text        NOT NULL UNIQUE,
    name        text        NOT NULL,
    category    text        NOT NULL
        CHECK (category IN ('asset', 'liability', 'equity', 'revenue', 'expense', 'off_balance')),
    normal_side text        NOT NULL CHECK (normal_side IN ('debit', 'credit')),
    parent_id   uuid        REFERENCES ledger_account_sets (id),
    created_at  timestamptz NOT NULL,
    tx_id       xid8        NOT NULL DEFAULT pg_current_xact_id()
);

CREATE TABLE ledger_accounts (
    id             uuid        PRIMARY KEY,
    code           text        NOT NULL UNIQUE,
    name           text        NOT NULL,
    category       text        NOT NULL
        CHECK (category IN ('asset', 'liability', 'equity', 'revenue', 'expense', 'off_balance')),
    normal_side    text        NOT NULL CHECK (normal_side IN ('debit', 'credit')),
    currency       text        NOT NULL CHECK (currency IN ('USD', 'BTC')),
    account_set_id uuid        NOT NULL REFERENCES ledger_account_sets (id),
    external_id    uuid,
    created_at     timestamptz NOT NULL,
    tx_id          xid8        NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX ledger_accounts_tx_id_idx ON ledger_accounts (tx_id);

CREATE TABLE ledger_transactions (
    id              uuid        PRIMARY KEY,
    journal_id      uuid        NOT NULL REFERENCES ledger_journals (id),
    template        text        NOT NULL,
    effective_date  date        NOT NULL,
    correlation_id  uuid        NOT NULL,
    description     text        NOT NULL,
    metadata        jsonb       NOT NULL DEFAULT '{}',
    recorded_at     timestamptz NOT NULL,
    global_position bigint      NOT NULL UNIQUE DEFAULT nextval('event_global_position'),
    tx_id           xid8        NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX ledger_transactions_tx_id_idx ON ledger_transactions (tx_id, global_position);

CREATE TABLE ledger_entries (
    transaction_id  uuid        NOT NULL REFERENCES ledger_transactions (id),
    entry_index     integer     NOT NULL CHECK (entry_index >= 0),
    account_id      uuid        NOT NULL REFERENCES ledger_accounts (id),
    side            text        NOT NULL CHECK (side IN ('debit', 'credit')),
    amount          bigint      NOT NULL CHECK (amount > 0),
    currency        text        NOT NULL CHECK (currency IN ('USD', 'BTC')),
    effective_date  date        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    tx_id           xid8        NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (transaction_id, entry_index)
);
CREATE INDEX ledger_entries_tx_id_idx ON ledger_entries (tx_id);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account_id);

CREATE TABLE ledger_balance_history (
    account_id      uuid        NOT NULL REFERENCES ledger_accounts (id),
    version         integer     NOT NULL CHECK (version >= 1),
    transaction_id  uuid        NOT NULL REFERENCES ledger_transactions (id),
    currency        text        NOT NULL,
    debit_total     bigint      NOT NULL CHECK (debit_total >= 0),
    credit_total    bigint      NOT NULL CHECK (credit_total >= 0),
    balance         bigint      NOT NULL, -- on the account's normal side
    effective_date  date        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    tx_id           xid8        NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (account_id, version)
);
CREATE INDEX ledger_balance_history_tx_id_idx ON ledger_balance_history (tx_id);

CREATE TABLE ledger_current_balances (
    account_id     uuid        PRIMARY KEY REFERENCES ledger_accounts (id),
    currency       text        NOT NULL,
    version        integer     NOT NULL,
    debit_total    bigint      NOT NULL,
    credit_total   bigint      NOT NULL,
    balance        bigint      NOT NULL,
    updated_at     timestamptz NOT NULL
);

SELECT make_append_only(t) FROM unnest(ARRAY[
    'ledger_journals', 'ledger_account_sets', 'ledger_accounts', 'ledger_transactions',
    'ledger_entries', 'ledger_balance_history'
]::regclass[]) AS t;

-- The database itself refuses an unbalanced transaction, whoever writes it. Entries of one
-- transaction are inserted by one statement, so a statement-level check sees all of them.
CREATE FUNCTION check_entries_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT e.transaction_id, e.currency,
           sum(CASE WHEN e.side = 'debit' THEN e.amount ELSE -e.amount END) AS net
      INTO bad
      FROM ledger_entries e
     WHERE e.transaction_id IN (SELECT DISTINCT transaction_id FROM new_entries)
     GROUP BY e.transaction_id, e.currency
    HAVING sum(CASE WHEN e.side = 'debit' THEN e.amount ELSE -e.amount END) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: debits - credits = %',
            bad.transaction_id, bad.currency, bad.net
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_entries_balanced
    AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION check_entries_balance();

-- An entry's currency is its account's currency.
CREATE FUNCTION check_entry_currency() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.transaction_id, n.entry_index, n.currency, a.currency AS account_currency
      INTO bad
      FROM new_entries n JOIN ledger_accounts a ON a.id = n.account_id
     WHERE a.currency <> n.currency
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'entry % of transaction % is in % but its account is in %',
            bad.entry_index, bad.transaction_id, bad.currency, bad.account_currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_entries_currency
    AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION check_entry_currency();
