"""What every application service needs: the database (an interface: application/ports.py), a
clock and an id generator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from core_app.application.clock import IdGenerator
from core_app.application.ports import Database, UnitOfWork
from core_app.domain.errors import NotFound


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

    def current_price(self) -> int:
        """The last BTC/USD price recorded, in USD cents per BTC."""
        price = self.db.read.latest_price_cents()
        if price is None:
            raise NotFound("no BTC/USD price has been recorded yet")
        return price
