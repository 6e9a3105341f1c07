"""Questions the application asks of the event store that are not "load this aggregate"."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import psycopg

from core_app.domain.business_day import business_day_id
from core_app.domain.provisioning import Arrears

# The events after which a facility or an obligation is over: closed or paid, or written off.
ENDING_EVENTS = ("completed", "written_off")
_ENDING = ", ".join(f"'{e}'" for e in ENDING_EVENTS)


def last_closed_business_date(conn: psycopg.Connection) -> date | None:
    row = conn.execute(
        "SELECT max((event ->> 'closed_date')::date) FROM business_day_events WHERE event_type = 'closed'"
    ).fetchone()
    return row[0] if row else None


class PostgresReadModel:
    """application.ports.ReadModel on one connection (its transaction, if one is open)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def _ids(self, query: str, params: tuple | dict = ()) -> list[UUID]:
        return [row[0] for row in self.conn.execute(query, params).fetchall()]

    def business_day_closed(self, day: date) -> bool:
        query = "SELECT 1 FROM business_day_events WHERE id = %s"
        return self.conn.execute(query, (business_day_id(day),)).fetchone() is not None

    def open_facility_ids(self) -> list[UUID]:
        """Facilities activated and not yet closed or written off, in a stable order."""
        return self._ids(
            "SELECT id FROM credit_facility_events WHERE event_type = 'activated' "
            "EXCEPT SELECT id FROM credit_facility_events "
            f"WHERE event_type IN ({_ENDING}) ORDER BY 1"
        )

    def repaid_matured_facility_ids(self) -> list[UUID]:
        """Matured, not closed, and no obligation left unpaid: ready to be closed."""
        return self._ids(
            "SELECT f.id FROM credit_facility_events f WHERE f.event_type = 'matured' "
            "AND NOT EXISTS (SELECT 1 FROM credit_facility_events c "
            f"                WHERE c.id = f.id AND c.event_type IN ({_ENDING})) "
            "AND NOT EXISTS (SELECT 1 FROM obligation_events i "
            "                WHERE i.event_type = 'initialized' AND i.event ->> 'facility_id' = f.id::text "
            "                AND NOT EXISTS (SELECT 1 FROM obligation_events c WHERE c.id = i.id "
            f"                                AND c.event_type IN ({_ENDING}))) "
            "ORDER BY f.id"
        )

    def amount_due(self, facility_id: UUID, by: date) -> int:
        """Unpaid amount of the facility's obligations due on or before `by`, in cents."""
        row = self.conn.execute(
            "SELECT coalesce(sum((i.event ->> 'amount')::bigint - coalesce(p.paid, 0)), 0) "
            "FROM obligation_events i "
            "LEFT JOIN LATERAL (SELECT sum((a.event ->> 'amount')::bigint) AS paid FROM obligation_events a "
            "                   WHERE a.id = i.id AND a.event_type = 'payment_allocated') p ON true "
            "WHERE i.event_type = 'initialized' AND i.event ->> 'facility_id' = %s "
            "AND (i.event ->> 'due_date')::date <= %s "
            "AND NOT EXISTS (SELECT 1 FROM obligation_events w "
            "                WHERE w.id = i.id AND w.event_type = 'written_off')",
            (str(facility_id), by),
        ).fetchone()
        return int(row[0]) if row else 0

    def open_obligation_ids(self, facility_id: UUID) -> list[UUID]:
        return self._ids(
            "SELECT i.id FROM obligation_events i "
            "WHERE i.event_type = 'initialized' AND i.event ->> 'facility_id' = %s "
            "AND NOT EXISTS (SELECT 1 FROM obligation_events c "
            f"                WHERE c.id = i.id AND c.event_type IN ({_ENDING})) "
            "ORDER BY i.id",
            (str(facility_id),),
        )

    def obligations_changing_status(self, day: date) -> list[UUID]:
        """Open obligations that reach being due, overdue or defaulted by `day` and are not yet marked so."""
        return self._ids(
            f"""
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
             WHERE NOT (later && ARRAY[{_ENDING}])
               AND (NOT 'due_recorded' = ANY(later)
                    OR (overdue_date <= %(day)s AND NOT 'overdue_recorded' = ANY(later))
                    OR (defaulted_date <= %(day)s AND NOT 'defaulted_recorded' = ANY(later)))
             ORDER BY id
            """,
            {"day": day},
        )

    def latest_price_cents(self) -> int | None:
        """The last BTC/USD price recorded, in USD cents per BTC."""
        row = self.conn.execute(
            "SELECT (event ->> 'price_cents')::bigint FROM btc_price_events "
            "ORDER BY global_position DESC LIMIT 1"
        ).fetchone()
        return None if row is None else int(row[0])

    def price_on(self, day: date) -> int | None:
        row = self.conn.execute(
            "SELECT (event ->> 'price_cents')::bigint FROM btc_price_events "
            "WHERE (recorded_at AT TIME ZONE 'UTC')::date <= %s "
            "ORDER BY recorded_at DESC, global_position DESC LIMIT 1",
            (day,),
        ).fetchone()
        return None if row is None else int(row[0])

    def facility_arrears(self, day: date) -> dict[UUID, Arrears]:
        rows = self.conn.execute(
            f"""
            SELECT (i.event ->> 'facility_id')::uuid,
                   max(greatest(%(day)s::date - (i.event ->> 'due_date')::date, 0))
              FROM obligation_events i
             WHERE i.event_type = 'initialized'
               AND NOT EXISTS (SELECT 1 FROM obligation_events c
                                WHERE c.id = i.id AND c.event_type IN ({_ENDING}))
             GROUP BY 1
            """,
            {"day": day},
        ).fetchall()
        return {row[0]: Arrears(int(row[1])) for row in rows}
