"""BTC/USD price ticks: each tick is its own one-event aggregate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core_app.domain.aggregate import Aggregate
from core_app.domain.events import DomainEvent, register
from core_app.domain.money import MAX_BTC_PRICE_CENTS, Cents, require_positive


class PriceUpdated(DomainEvent):
    event_type: ClassVar[str] = "price_updated"
    public_name: ClassVar[str | None] = "price.btc_usd_updated"

    price_cents: Cents  # USD cents per 1 BTC
    source: str


register("btc_price", PriceUpdated)


@dataclass
class BtcPrice(Aggregate):
    aggregate_type: ClassVar[str] = "btc_price"

    price_cents: int = 0

    @classmethod
    def tick(cls, tick_id, price_cents: int, source: str) -> BtcPrice:
        require_positive(price_cents, "BTC price (USD cents per BTC)", MAX_BTC_PRICE_CENTS)
        price = cls(id=tick_id)
        price.record(PriceUpdated(price_cents=price_cents, source=source))
        return price

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, PriceUpdated):
            self.price_cents = event.price_cents
