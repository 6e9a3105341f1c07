"""Domain errors: each names what is wrong, so a caller (or a person) can act on it."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused; nothing was written."""


class InvalidAmount(DomainError):
    pass


class InsufficientFunds(DomainError):
    pass


class NotFound(DomainError):
    pass


class InvalidState(DomainError):
    """The command does not fit the aggregate's current state (e.g. payment on a closed facility)."""


class LimitExceeded(DomainError):
    pass


class ConcurrencyConflict(DomainError):
    """Another writer appended to the same aggregate first; reload and retry."""


class UnbalancedTransaction(DomainError):
    pass


class InvalidInput(DomainError):
    pass


class StorageRefused(DomainError):
    """The database refused what a command would write (a value out of range, a constraint)."""
