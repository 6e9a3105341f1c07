"""Every aggregate of the core. Each has its own `<aggregate_type>_events` table."""

from __future__ import annotations

from core_app.domain.aggregate import Aggregate
from core_app.domain.business_day import BusinessDay
from core_app.domain.credit_facility import CreditFacility
from core_app.domain.customer import Customer
from core_app.domain.deposit import Deposit, DepositAccount, Withdrawal
from core_app.domain.disbursal import Disbursal
from core_app.domain.interest_accrual import InterestAccrualCycle
from core_app.domain.obligation import Obligation
from core_app.domain.payment import Payment
from core_app.domain.price import BtcPrice

AGGREGATES: tuple[type[Aggregate], ...] = (
    Customer,
    DepositAccount,
    Deposit,
    Withdrawal,
    CreditFacility,
    Disbursal,
    Obligation,
    Payment,
    InterestAccrualCycle,
    BtcPrice,
    BusinessDay,
)
AGGREGATE_TYPES: frozenset[str] = frozenset(a.aggregate_type for a in AGGREGATES)
