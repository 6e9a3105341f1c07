"""The bank's own money and market data: share capital and BTC/USD price ticks."""

from __future__ import annotations

from uuid import UUID

from core_app.application.context import ServiceContext
from core_app.domain import postings
from core_app.domain.money import require_positive
from core_app.domain.price import BtcPrice


class TreasuryService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def inject_capital(self, amount: int) -> UUID:
        require_positive(amount, "capital amount")
        txn_id = self.ctx.new_id()
        with self.ctx.unit_of_work() as uow:
            uow.post(postings.capital_injection(txn_id, txn_id, amount, self.ctx.today()))
            uow.commit()
        return txn_id

    def record_price(self, price_cents: int, source: str = "simulated") -> UUID:
        tick = BtcPrice.tick(self.ctx.new_id(), price_cents, source)
        with self.ctx.unit_of_work() as uow:
            uow.add(tick)
            uow.commit()
        return tick.id

    def current_price(self) -> int:
        return self.ctx.current_price()
