-- Entries and balance history check their references once per statement instead of once per row.
--
-- A foreign key runs its check as a separate query for every inserted row: for the end-of-day
-- batch (hundreds of entries and history rows per posting) that was ~40% of the database's time.
-- The same guarantee for an append-only table is a check of the inserted rows as a set, in one
-- join: its parents (accounts, transactions) are append-only too, so a row that referred to an
-- existing parent when it was inserted always will. The error code stays foreign_key_violation.

ALTER TABLE ledger_entries
    DROP CONSTRAINT ledger_entries_transaction_id_fkey,
    DROP CONSTRAINT ledger_entries_account_id_fkey;
ALTER TABLE ledger_balance_history
    DROP CONSTRAINT ledger_balance_history_account_id_fkey,
    DROP CONSTRAINT ledger_balance_history_transaction_id_fkey;

-- An entry's account and transaction exist, and its currency is its account's currency (this
-- replaces 0002's currency check, which read the same join).
CREATE OR REPLACE FUNCTION check_entry_currency() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.transaction_id, n.entry_index, n.account_id, n.currency,
           a.currency AS account_currency, a.id IS NULL AS no_account, t.id IS NULL AS no_transaction
      INTO bad
      FROM new_entries n
      LEFT JOIN ledger_accounts a ON a.id = n.account_id
      LEFT JOIN ledger_transactions t ON t.id = n.transaction_id
     WHERE a.id IS NULL OR t.id IS NULL OR a.currency <> n.currency
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF bad.no_account THEN
        RAISE EXCEPTION 'entry % of transaction % is on account %, which does not exist',
            bad.entry_index, bad.transaction_id, bad.account_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF bad.no_transaction THEN
        RAISE EXCEPTION 'entry % refers to ledger transaction %, which does not exist',
            bad.entry_index, bad.transaction_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RAISE EXCEPTION 'entry % of transaction % is in % but its account is in %',
        bad.entry_index, bad.transaction_id, bad.currency, bad.account_currency
        USING ERRCODE = 'check_violation';
END;
$$;

CREATE FUNCTION check_balance_history_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.account_id, n.version, n.transaction_id, a.id IS NULL AS no_account
      INTO bad
      FROM new_history n
      LEFT JOIN ledger_accounts a ON a.id = n.account_id
      LEFT JOIN ledger_transactions t ON t.id = n.transaction_id
     WHERE a.id IS NULL OR t.id IS NULL
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF bad.no_account THEN
        RAISE EXCEPTION 'balance history version % is of account %, which does not exist',
            bad.version, bad.account_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RAISE EXCEPTION 'balance history version % of account % refers to ledger transaction %, which does not exist',
        bad.version, bad.account_id, bad.transaction_id
        USING ERRCODE = 'foreign_key_violation';
END;
$$;

CREATE TRIGGER ledger_balance_history_references
    AFTER INSERT ON ledger_balance_history
    REFERENCING NEW TABLE AS new_history
    FOR EACH STATEMENT EXECUTE FUNCTION check_balance_history_references();
