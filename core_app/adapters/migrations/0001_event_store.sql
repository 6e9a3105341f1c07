-- Event store: one append-only table per aggregate, as in Lana.
--
-- Besides Lana's columns (id, sequence, event_type, event, recorded_at) every row carries
--   global_position  a number from one sequence shared by all event tables (a total order of writes)
--   tx_id            the id of the writing transaction (pg_current_xact_id()).
-- Extraction reads by tx_id below the oldest transaction still running, so a transaction that
-- commits late is never skipped (see extractors/tap-lana-events/README.md).

CREATE SEQUENCE event_global_position AS bigint;

CREATE FUNCTION reject_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE FUNCTION make_append_only(target regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION reject_mutation()',
        'append_only_rows', target);
    EXECUTE format(
        'CREATE TRIGGER %I BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION reject_mutation()',
        'append_only_truncate', target);
END;
$$;

CREATE FUNCTION create_event_table(aggregate text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tbl text := aggregate || '_events';
BEGIN
    EXECUTE format($f$
        CREATE TABLE %1$I (
            id              uuid        NOT NULL,
            sequence        integer     NOT NULL CHECK (sequence >= 1),
            event_type      text        NOT NULL,
            event           jsonb       NOT NULL CHECK (jsonb_typeof(event) = 'object'),
            recorded_at     timestamptz NOT NULL,
            global_position bigint      NOT NULL DEFAULT nextval('event_global_position'),
            tx_id           xid8        NOT NULL DEFAULT pg_current_xact_id(),
            PRIMARY KEY (id, sequence),
            UNIQUE (global_position)
        )$f$, tbl);
    EXECUTE format('CREATE INDEX %I ON %I (tx_id, global_position)', tbl || '_tx_id_idx', tbl);
    EXECUTE format('CREATE INDEX %I ON %I (event_type)', tbl || '_event_type_idx', tbl);
    PERFORM make_append_only(tbl::regclass);
END;
$$;

SELECT create_event_table(a) FROM unnest(ARRAY[
    'customer', 'deposit_account', 'deposit', 'withdrawal', 'credit_facility', 'disbursal',
    'obligation', 'payment', 'interest_accrual_cycle', 'btc_price'
]) AS a;

-- Lookups the application needs without reading whole streams.
CREATE INDEX obligation_events_facility_idx ON obligation_events ((event ->> 'facility_id'))
    WHERE event_type = 'initialized';

-- Public events for other systems, written in the same transaction as the events themselves.
-- Personal data (a customer's name, email, phone, tax id) is left out.
CREATE TABLE outbox_events (
    aggregate_type  text        NOT NULL,
    aggregate_id    uuid        NOT NULL,
    sequence        integer     NOT NULL,
    event_name      text        NOT NULL,
    payload         jsonb       NOT NULL,
    recorded_at     timestamptz NOT NULL,
    global_position bigint      NOT NULL UNIQUE,
    tx_id           xid8        NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);
CREATE INDEX outbox_events_tx_id_idx ON outbox_events (tx_id, global_position);
SELECT make_append_only('outbox_events');
