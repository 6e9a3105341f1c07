"""What every application service needs: the database, a clock and an id generator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from core_app.adapters.unit_of_work import Database, UnitOfWork
from core_app.application.clock import IdGenerator


@dataclass
class ServiceContext:
    db: Database
    ids: IdGenerator

    def unit_of_work(self) -> UnitOfWork:
        return self.db.unit_of_work()

    def new_id(self) -> UUID:
        return self.ids.new_id()

    def now(self) -> datetime:
        return self.db.clock.now()

    def today(self) -> date:
        return self.now().date()
