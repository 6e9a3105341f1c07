"""The simulated exchange's BTC/USD price: a seeded random walk calibrated to bitcoin's own.

Bitcoin's daily returns over 2018-2025 have a standard deviation of about 3% (an annual volatility
near 55-60%), fatter tails than a normal curve, and calendar years from about -73% (2018) to several
hundred percent up. The walk draws each day's return in whole basis points: an approximately
normal part (the sum of twelve uniform draws, standard deviation 301 bps), a jump of 5-12% either
way on about one day in a hundred, and a drift of +6 bps a day, which leaves the median year about
5% up once the volatility's drag is paid. Over 2,000 seeds a year's median change is within a few
percent of zero and about half the paths end lower (tests/unit/test_simulated_price.py).

Integer arithmetic throughout: the price is USD cents per BTC, each day's rounded down to the cent.
The walk has a random generator of its own, so the price path depends on the seed alone, not on
what the simulated customers do.
"""

from __future__ import annotations

from random import Random

from core_app.domain.money import BPS

START_PRICE_CENTS = 60_000_00
FLOOR_PRICE_CENTS = 1_000_00  # a price the walk never goes below
DRIFT_BPS = 6
NORMAL_PARTS, NORMAL_PART_BPS = 12, 150  # twelve uniform draws in -150..150: sd 301 bps
JUMP_PER_MILLE, JUMP_BPS = 10, (500, 1_200)


class BtcPriceWalk:
    def __init__(self, seed: int, start_cents: int = START_PRICE_CENTS) -> None:
        self.rng = Random(f"btc-price:{seed}")
        self.price = start_cents

    def daily_return_bps(self) -> int:
        rng = self.rng
        change = DRIFT_BPS + sum(rng.randint(-NORMAL_PART_BPS, NORMAL_PART_BPS) for _ in range(NORMAL_PARTS))
        if rng.randrange(1_000) < JUMP_PER_MILLE:
            change += rng.choice((-1, 1)) * rng.randint(*JUMP_BPS)
        return change

    def next_day(self) -> int:
        """The next day's price, in USD cents per BTC."""
        self.price = max(FLOOR_PRICE_CENTS, self.price * (BPS + self.daily_return_bps()) // BPS)
        return self.price
