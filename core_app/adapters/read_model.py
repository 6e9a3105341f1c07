"""Questions the application asks of the event store that are not "load this aggregate"."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import psycopg

from core_app.domain.business_day import business_day_id


def business_day_closed(conn: psycopg.Connection, day: date) -> bool:
    row = conn.execute("SELECT 1 FROM business_day_events WHERE id = %s", (business_day_id(day),)).fetchone()
    return row is not None


def last_closed_business_date(conn: psycopg.Connection) -> date | None:
    row = conn.execute(
        "SELECT max((event ->> 'closed_date')::date) FROM business_day_events WHERE event_type = 'closed'"
    ).fetchone()
    return row[0] if row else None


def open_facility_ids(conn: psycopg.Connection) -> list[UUID]:
    """Facilities activated and not yet closed, in a stable order."""
    rows = conn.execute(
        "SELECT id FROM credit_facility_events WHERE event_type = 'activated' "
        "EXCEPT SELECT id FROM credit_facility_events WHERE event_type = 'completed' ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def repaid_matured_facility_ids(conn: psycopg.Connection) -> list[UUID]:
    """Matured, not closed, and no obligation left unpaid: ready to be closed."""
    rows = conn.execute(
        "SELECT f.id FROM credit_facility_events f WHERE f.event_type = 'matured' "
        "AND NOT EXISTS (SELECT 1 FROM credit_facility_events c "
        "                WHERE c.id = f.id AND c.event_type = 'completed') "
        "AND NOT EXISTS (SELECT 1 FROM obligation_events i "
        "                WHERE i.event_type = 'initialized' AND i.event ->> 'facility_id' = f.id::text "
        "                AND NOT EXISTS (SELECT 1 FROM obligation_events c "
        "                                WHERE c.id = i.id AND c.event_type = 'completed')) "
        "ORDER BY f.id"
    ).fetchall()
    return [r[0] for r in rows]


def amount_due(conn: psycopg.Connection, facility_id: UUID, by: date) -> int:
    """Unpaid amount of the facility's obligations due on or before `by`, in cents."""
    row = conn.execute(
        "SELECT coalesce(sum((i.event ->> 'amount')::bigint - coalesce(p.paid, 0)), 0) "
        "FROM obligation_events i "
        "LEFT JOIN LATERAL (SELECT sum((a.event ->> 'amount')::bigint) AS paid FROM obligation_events a "
        "                   WHERE a.id = i.id AND a.event_type = 'payment_allocated') p ON true "
        "WHERE i.event_type = 'initialized' AND i.event ->> 'facility_id' = %s "
        "AND (i.event ->> 'due_date')::date <= %s",
        (str(facility_id), by),
    ).fetchone()
    return int(row[0]) if row else 0


def open_obligation_ids(conn: psycopg.Connection, facility_id: UUID) -> list[UUID]:
    rows = conn.execute(
        "SELECT i.id FROM obligation_events i "
        "WHERE i.event_type = 'initialized' AND i.event ->> 'facility_id' = %s "
        "AND NOT EXISTS (SELECT 1 FROM obligation_events c "
        "                WHERE c.id = i.id AND c.event_type = 'completed') "
        "ORDER BY i.id",
        (str(facility_id),),
    ).fetchall()
    return [r[0] for r in rows]


def obligations_changing_status(conn: psycopg.Connection, day: date) -> list[UUID]:
    """Open obligations that reach being due, overdue or defaulted by `day` and are not yet marked so."""
    rows = conn.execute(
        """
        WITH o AS (
            SELECT i.id,
                   (i.event ->> 'due_date')::date       AS due_date,
                   (i.event ->> 'overdue_date')::date   AS overdue_date,
                   (i.event ->> 'defaulted_date')::date AS defaulted_date,
                   ARRAY(SELECT s.event_type FROM obligation_events s
                          WHERE s.id = i.id AND s.sequence > 1) AS later
              FROM obligation_events i
             WHERE i.event_type = 'initialized' AND (i.event ->> 'due_date')::date <= %(day)s
        )
        SELECT id FROM o
         WHERE NOT 'completed' = ANY(later)
           AND (NOT 'due_recorded' = ANY(later)
                OR (overdue_date <= %(day)s AND NOT 'overdue_recorded' = ANY(later))
                OR (defaulted_date <= %(day)s AND NOT 'defaulted_recorded' = ANY(later)))
         ORDER BY id
        """,
        {"day": day},
    ).fetchall()
    return [r[0] for r in rows]


def latest_price_cents(conn: psycopg.Connection, as_of: datetime | None = None) -> int | None:
    """The last BTC/USD price recorded (up to `as_of`), in USD cents per BTC."""
    if as_of is None:
        row = conn.execute(
            "SELECT (event ->> 'price_cents')::bigint FROM btc_price_events "
            "ORDER BY global_position DESC LIMIT 1"
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT (event ->> 'price_cents')::bigint FROM btc_price_events WHERE recorded_at <= %s "
            "ORDER BY recorded_at DESC, global_position DESC LIMIT 1",
            (as_of,),
        ).fetchone()
    return None if row is None else int(row[0])


class PostgresReadModel:
    """application.ports.ReadModel on one connection (its transaction, if one is open)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def business_day_closed(self, day: date) -> bool:
        return business_day_closed(self.conn, day)

    def open_facility_ids(self) -> list[UUID]:
        return open_facility_ids(self.conn)

    def repaid_matured_facility_ids(self) -> list[UUID]:
        return repaid_matured_facility_ids(self.conn)

    def amount_due(self, facility_id: UUID, by: date) -> int:
        return amount_due(self.conn, facility_id, by)

    def open_obligation_ids(self, facility_id: UUID) -> list[UUID]:
        return open_obligation_ids(self.conn, facility_id)

    def obligations_changing_status(self, day: date) -> list[UUID]:
        return obligations_changing_status(self.conn, day)

    def latest_price_cents(self) -> int | None:
        return latest_price_cents(self.conn)
