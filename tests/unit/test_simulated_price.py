"""The simulated bitcoin price looks like bitcoin's: about 3% a day, a year that is as likely to end
up as down, falls like its worst calendar years (about -73% in 2018, -64% in 2022) rare."""

from __future__ import annotations

import statistics

from core_app.simulated_price import START_PRICE_CENTS, BtcPriceWalk

SEEDS, DAYS = 500, 365


def _year(seed: int) -> list[int]:
    walk = BtcPriceWalk(seed)
    return [walk.next_day() for _ in range(DAYS)]


def test_a_year_of_the_walk_is_calibrated_to_bitcoin_s() -> None:
    years = [_year(seed) for seed in range(SEEDS)]
    changes = sorted(year[-1] / START_PRICE_CENTS - 1 for year in years)
    assert -0.15 < statistics.median(changes) < 0.15
    assert 0.35 < sum(c < 0 for c in changes) / SEEDS < 0.65  # as likely to end lower as higher
    assert changes[SEEDS // 20] > -0.70  # one year in twenty falls less than 2018's 73%
    daily = [
        (today - yesterday) / yesterday
        for year in years[:50]
        for yesterday, today in zip([START_PRICE_CENTS, *year], year, strict=False)
    ]
    assert 0.025 < statistics.pstdev(daily) < 0.035  # an annual volatility of 48-67%


def test_the_price_path_is_the_seed_s_alone_in_whole_cents() -> None:
    assert _year(7) == _year(7) != _year(8)
    assert all(isinstance(price, int) and price >= 1_000_00 for price in _year(7))
