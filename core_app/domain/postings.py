"""Ledger transaction templates: which accounts each business event debits and credits.

Amounts are minor units of the accounts' currency (USD cents, BTC satoshis).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from core_app.domain.ledger import (
    ALLOWANCE,
    CASH,
    COLLATERAL_OWED,
    FEE_INCOME,
    INTEREST_INCOME,
    PROVISION_EXPENSE,
    RECOVERIES,
    SHARE_CAPITAL,
    WITHDRAWALS_IN_TRANSIT,
    FacilityAccounts,
    LedgerTransaction,
    deposit_account_ledger,
    pairs,
)


def capital_injection(txn_id: UUID, correlation_id: UUID, amount: int, on: date) -> LedgerTransaction:
    return LedgerTransaction(
        txn_id,
        "CAPITAL_INJECTION",
        on,
        correlation_id,
        "Share capital paid in",
        pairs((CASH, SHARE_CAPITAL, amount)),
    )


def deposit_received(
    txn_id: UUID, deposit_id: UUID, deposit_account_id: UUID, amount: int, on: date
) -> LedgerTransaction:
    return LedgerTransaction(
        txn_id,
        "DEPOSIT",
        on,
        deposit_id,
        "Customer deposit",
        pairs((CASH, deposit_account_ledger(deposit_account_id), amount)),
        {"deposit_account_id": str(deposit_account_id)},
    )


def withdrawal_initiated(
    txn_id: UUID, withdrawal_id: UUID, deposit_account_id: UUID, amount: int, on: date
) -> LedgerTransaction:
    return LedgerTransaction(
        txn_id,
        "WITHDRAWAL_INITIATED",
        on,
        withdrawal_id,
        "Withdrawal reserved",
        pairs((deposit_account_ledger(deposit_account_id), WITHDRAWALS_IN_TRANSIT, amount)),
        {"deposit_account_id": str(deposit_account_id)},
    )


def withdrawal_confirmed(txn_id: UUID, withdrawal_id: UUID, amount: int, on: date) -> LedgerTransaction:
    return LedgerTransaction(
        txn_id,
        "WITHDRAWAL_CONFIRMED",
        on,
        withdrawal_id,
        "Withdrawal paid out",
        pairs((WITHDRAWALS_IN_TRANSIT, CASH, amount)),
    )


def withdrawal_cancelled(
    txn_id: UUID, withdrawal_id: UUID, deposit_account_id: UUID, amount: int, on: date
) -> LedgerTransaction:
    return LedgerTransaction(
        txn_id,
        "WITHDRAWAL_CANCELLED",
        on,
        withdrawal_id,
        "Withdrawal reservation released",
        pairs((WITHDRAWALS_IN_TRANSIT, deposit_account_ledger(deposit_account_id), amount)),
        {"deposit_account_id": str(deposit_account_id)},
    )


def collateral_changed(
    txn_id: UUID, facility_id: UUID, accounts: FacilityAccounts, delta_sats: int, on: date
) -> LedgerTransaction:
    """Collateral posted (delta > 0) or returned (delta < 0), off balance sheet, in BTC."""
    if delta_sats > 0:
        entries = pairs((accounts.collateral, COLLATERAL_OWED, delta_sats))
        template, text = "COLLATERAL_ADDED", "Collateral received"
    else:
        entries = pairs((COLLATERAL_OWED, accounts.collateral, -delta_sats))
        template, text = "COLLATERAL_REMOVED", "Collateral returned"
    return LedgerTransaction(txn_id, template, on, facility_id, text, entries)


def disbursal(
    txn_id: UUID,
    disbursal_id: UUID,
    accounts: FacilityAccounts,
    deposit_account_id: UUID,
    amount: int,
    fee: int,
    on: date,
) -> LedgerTransaction:
    deposit = deposit_account_ledger(deposit_account_id)
    return LedgerTransaction(
        txn_id,
        "DISBURSAL",
        on,
        disbursal_id,
        "Loan disbursed to the borrower's deposit account",
        pairs((accounts.loans_receivable, deposit, amount), (deposit, FEE_INCOME, fee)),
        {"deposit_account_id": str(deposit_account_id), "fee": fee},
    )


def interest_accrued(
    txn_id: UUID, cycle_id: UUID, accounts: FacilityAccounts, amount: int, on: date
) -> LedgerTransaction:
    return LedgerTransaction(
        txn_id,
        "INTEREST_ACCRUAL",
        on,
        cycle_id,
        "Daily interest accrual",
        pairs((accounts.interest_receivable, INTEREST_INCOME, amount)),
    )


def payment_received(
    txn_id: UUID, payment_id: UUID, accounts: FacilityAccounts, interest: int, principal: int, on: date
) -> LedgerTransaction:
    return LedgerTransaction(
        txn_id,
        "PAYMENT",
        on,
        payment_id,
        "Loan payment received",
        pairs((CASH, accounts.interest_receivable, interest), (CASH, accounts.loans_receivable, principal)),
        {"interest": interest, "principal": principal},
    )


def allowance_adjusted(txn_id: UUID, business_day_id: UUID, change: int, on: date) -> LedgerTransaction:
    """The day's top-up (change > 0) or release (change < 0) of the loan-loss allowance."""
    if change > 0:
        entries = pairs((PROVISION_EXPENSE, ALLOWANCE, change))
        template, text = "PROVISION", "Allowance topped up to the required provision"
    else:
        entries = pairs((ALLOWANCE, PROVISION_EXPENSE, -change))
        template, text = "PROVISION_RELEASE", "Allowance released to the required provision"
    return LedgerTransaction(txn_id, template, on, business_day_id, text, entries)


def collateral_liquidated(
    txn_id: UUID,
    facility_id: UUID,
    accounts: FacilityAccounts,
    deposit_account_id: UUID,
    sats_sold: int,
    surplus: int,
    on: date,
    liquidation_id: UUID,
) -> LedgerTransaction:
    """Collateral sold: it leaves the off-balance accounts; the part of the proceeds left once the
    obligations are repaid (their own PAYMENT transaction) is the borrower's deposit."""
    deposit = deposit_account_ledger(deposit_account_id)
    return LedgerTransaction(
        txn_id,
        "COLLATERAL_LIQUIDATED",
        on,
        facility_id,
        "Collateral sold; surplus to the borrower's deposit account",
        pairs((COLLATERAL_OWED, accounts.collateral, sats_sold), (CASH, deposit, surplus)),
        {"liquidation_id": str(liquidation_id), "deposit_account_id": str(deposit_account_id)},
    )


def written_off(
    txn_id: UUID, facility_id: UUID, accounts: FacilityAccounts, principal: int, interest: int, on: date
) -> LedgerTransaction:
    """The loan's receivables removed against the allowance (the loss was provisioned)."""
    return LedgerTransaction(
        txn_id,
        "WRITE_OFF",
        on,
        facility_id,
        "Loan written off against the allowance",
        pairs(
            (ALLOWANCE, accounts.loans_receivable, principal),
            (ALLOWANCE, accounts.interest_receivable, interest),
        ),
        {"principal": principal, "interest": interest},
    )


def recovery_received(
    txn_id: UUID, facility_id: UUID, recovery_id: UUID, amount: int, on: date
) -> LedgerTransaction:
    """Money collected on a written-off loan: income, the loan is no longer on the books."""
    return LedgerTransaction(
        txn_id,
        "RECOVERY",
        on,
        facility_id,
        "Recovery on a loan written off",
        pairs((CASH, RECOVERIES, amount)),
        {"recovery_id": str(recovery_id)},
    )
