-- Business days: the end-of-day batch records that a day is closed in the books (one event per
-- day, also in the outbox). The data platform builds a date's reports only once it is closed.
SELECT create_event_table('business_day');
