"""The banking core's application layer in one object: what the CLI, simulator and tests drive."""

from __future__ import annotations

from core_app.application.clock import Clock, IdGenerator, RandomIds, SystemClock
from core_app.application.context import ServiceContext
from core_app.application.credit import CreditService
from core_app.application.customers import CustomerService
from core_app.application.deposits import DepositService
from core_app.application.end_of_day import EndOfDay
from core_app.application.ports import Database
from core_app.application.treasury import TreasuryService


class Bank:
    def __init__(self, db: Database, ids: IdGenerator | None = None) -> None:
        self.ctx = ServiceContext(db, ids or RandomIds())
        self.customers = CustomerService(self.ctx)
        self.deposits = DepositService(self.ctx)
        self.credit = CreditService(self.ctx)
        self.treasury = TreasuryService(self.ctx)
        self.end_of_day = EndOfDay(self.ctx)

    @classmethod
    def connect(
        cls,
        conninfo: str,
        clock: Clock | None = None,
        ids: IdGenerator | None = None,
        durable_commits: bool = True,
    ) -> Bank:
        """The bank on a PostgreSQL core database (the one place the application meets an adapter)."""
        from core_app.adapters.unit_of_work import PostgresDatabase

        return cls(PostgresDatabase(conninfo, clock or SystemClock(), durable_commits), ids)

    @property
    def db(self) -> Database:
        return self.ctx.db

    def close(self) -> None:
        self.ctx.db.close()
