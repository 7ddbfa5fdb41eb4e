"""The exception tree. Every pullcast error derives from :class:`PullcastError` and from the
builtin it refines, so ``except ValueError`` keeps working for callers who do not know pullcast.

Messages say what was expected, what was found, and which SKU/store/column is at fault.
"""

from __future__ import annotations

__all__ = [
    "ColumnError",
    "ConfigError",
    "DataError",
    "DateError",
    "DuplicateRowError",
    "FrequencyError",
    "FrequencyWarning",
    "IncompatibleModelError",
    "NotFittedError",
    "PullcastError",
    "PullcastWarning",
    "SignalError",
    "UnmatchedSignalWarning",
    "ValueRangeError",
]


class PullcastError(Exception):
    """Root of every error pullcast raises on purpose."""


class DataError(PullcastError, ValueError):
    """An input frame is malformed or holds values pullcast cannot use."""


class ColumnError(DataError):
    """A required column is missing, or a column has the wrong type."""


class DuplicateRowError(DataError):
    """The same (sku, store, date) appears more than once."""


class DateError(DataError):
    """A date or time column cannot be read as dates."""


class FrequencyError(DataError):
    """Dates fall off the declared frequency grid."""


class ValueRangeError(DataError):
    """Values are negative, NaN or infinite where that is not allowed."""


class SignalError(DataError):
    """A signal-event frame or channel specification is malformed."""


class NotFittedError(PullcastError, ValueError, AttributeError):
    """A method that needs a fitted estimator was called before ``fit``."""


class IncompatibleModelError(PullcastError, ValueError):
    """A saved model is tampered with, corrupt, or from an incompatible version."""


class ConfigError(PullcastError, ValueError):
    """An argument or specification is invalid (a window of 0, an unknown option, ...)."""


class PullcastWarning(UserWarning):
    """Input that is legal but suspicious. Every pullcast warning derives from it, so
    ``warnings.simplefilter("error", PullcastWarning)`` turns them all into errors."""


class UnmatchedSignalWarning(PullcastWarning):
    """Most signal events name SKUs that have no sales series: they reach no forecast."""


class FrequencyWarning(PullcastWarning):
    """Every date is several periods of the given frequency apart, so the periods between them are
    filled (as zero sales, by default): the data most likely has another frequency."""
