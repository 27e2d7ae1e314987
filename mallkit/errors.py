"""The one small exception hierarchy of mallkit.

Every error raised on bad input is a :class:`MallkitError`, so callers can catch
everything mallkit rejects with one ``except``; the subclasses also derive from the
built-in exception a Python user would expect (``ValueError``, ``KeyError``), so
generic handlers keep working.

Messages name the table, the column, the rule and up to five offending row keys;
the offending rows themselves are attached as ``error.rows`` where there are any.

Examples
--------
>>> from mallkit.errors import MallkitError, SchemaError
>>> issubclass(SchemaError, MallkitError) and issubclass(SchemaError, ValueError)
True
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = [
    "AllocationError",
    "BillFormatError",
    "InventoryError",
    "MallkitError",
    "MissingColumnsError",
    "MoneyError",
    "PeriodError",
    "PromotionError",
    "RFMError",
    "ReconciliationError",
    "ReportError",
    "SchemaError",
]


class MallkitError(Exception):
    """Base class of every error mallkit raises on bad input."""


class SchemaError(MallkitError, ValueError):
    """A table breaks a rule of the canonical schema.

    Attributes
    ----------
    table, column, rule : str or None
        Where the (first) violation is and which rule it breaks.
    rows : pandas.DataFrame or None
        The offending rows (all of them, not only the five named in the message).
    problems : list of tuple
        Every ``(column, rule, message)`` found; the message lists them all.
    """

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        column: str | None = None,
        rule: str | None = None,
        rows: pd.DataFrame | None = None,
        problems: list[tuple[str, str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.table = table
        self.column = column
        self.rule = rule
        self.rows = rows
        self.problems = problems or []


class MissingColumnsError(SchemaError, KeyError):
    """Required columns are absent; the message lists those present."""

    def __init__(self, message: str, *, missing: list[str], present: list[str], **kw: Any) -> None:
        super().__init__(message, rule="required columns", **kw)
        self.missing = missing
        self.present = present

    def __str__(self) -> str:  # KeyError would repr() the message, quotes and all
        return str(self.args[0])


class MoneyError(MallkitError, ValueError):
    """A value cannot be read as an exact amount of money (fen)."""


class AllocationError(MallkitError, ValueError):
    """An integer split cannot be made as asked (bad weights, infeasible bounds)."""


class PeriodError(MallkitError, ValueError):
    """A period label or date range is malformed."""


class PromotionError(MallkitError, ValueError):
    """A promotion is malformed or cannot be evaluated as asked.

    Unknown mechanic, bad params, a window outside the data, a pre-period too short,
    a price that never varied.
    """


class InventoryError(MallkitError, ValueError):
    """An inventory parameter is out of range (service level, lead time, order quantity)."""


class ReconciliationError(MallkitError, ValueError):
    """A reconciliation cannot be run as asked (bad options or pool), or fails to tie out."""


class BillFormatError(MallkitError, ValueError):
    """A gateway bill file is not what it claims: unknown layout, truncated, re-saved,
    or its own footer/summary totals disagree with its rows.

    Attributes
    ----------
    path : str or None
        The file.
    line : int or None
        1-based line number in the (decoded) file where the problem was found.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


class RFMError(MallkitError, ValueError):
    """An RFM option, threshold table or segment map is invalid (the message says which).

    Raised by :mod:`mallkit.rfm` (``basis``, ``frequency``, ``freq``, ``bins``, ``method``,
    a ``thresholds`` table whose intervals do not meet) and :mod:`mallkit.segments` (a
    scheme, ``split`` or ``lang`` that does not exist; a custom map that is not a partition
    of the score cells, with the gaps, overlaps and unreachable segments listed).
    """


class ReportError(MallkitError):
    """A report could not be produced: bad parameters or a failed notebook run."""
