import pytest

from core_app.domain.errors import InvalidAmount
from core_app.domain.money import (
    apply_bps,
    collateral_value_cents,
    cvl_bps,
    div_round_half_even,
    interest_for_cent_days,
    require_positive,
)


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 2, 2), (7, 2, 4), (1, 3, 0), (2, 3, 1), (-5, 2, -2), (10, 5, 2)],
)
def test_half_even_rounding(numerator: int, denominator: int, expected: int) -> None:
    assert div_round_half_even(numerator, denominator) == expected


def test_fee_in_basis_points_is_exact() -> None:
    assert apply_bps(10_000_00, 100) == 100_00  # 1% of 10,000.00
    assert apply_bps(1_005, 50) == 5  # 5.025 cents rounds to 5 (half-even on .025 -> 5)


def test_collateral_ratio() -> None:
    # 0.15 BTC at 100,000 USD = 15,000 USD against 10,000 USD owed: 150%.
    assert collateral_value_cents(15_000_000, 100_000_00) == 15_000_00
    assert cvl_bps(15_000_000, 100_000_00, 10_000_00) == 15_000
    assert cvl_bps(15_000_000, 100_000_00, 0) is None


def test_interest_act_365() -> None:
    # 10,000.00 USD for 31 days at 12%: 10000 * 0.12 * 31 / 365 = 101.917... -> 101.92
    assert interest_for_cent_days(10_000_00 * 31, 1200) == 101_92


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_amounts_must_be_positive_integers(bad: object) -> None:
    with pytest.raises(InvalidAmount, match="deposit amount"):
        require_positive(bad, "deposit amount")  # type: ignore[arg-type]
