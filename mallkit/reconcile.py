"""Payment reconciliation (网上商城订单账目核对): orders and refunds against gateway bills.

Finance asks every day whether what Alipay and WeChat Pay say they took and paid back
equals, to the fen, what the mall's orders and refunds say. :func:`reconcile` answers
with every input row placed in exactly one *bucket* and two identities per provider and
day that must hold exactly (they are checked before the result is returned)::

    Σ ledger    = matched + ledger-side exceptions    + Δpool(ledger)
    Σ statement = matched + statement-side exceptions + Δpool(statement)

The *ledger* is what the mall expects at the gateway: one payment per paid order of the
scoped channels and payment methods (``channels=("web",)``, ``providers=("alipay",
"wechat")`` by default; a Tmall order paid by Alipay settles through Tmall, not through
the mall's own merchant account), and one refund (negative) per refund of such an order.

Matching passes, each on what the previous ones left:

1. **key**: 商户订单号 + kind; refunds by their merchant refund id (退款批次号/商户退款单号),
   so 1:N partial refunds pair whatever the row order. Further statement rows with a key
   already taken are ``duplicate`` (the earliest is the original).
2. **order + amount**: a gateway refund whose refund id is unknown but whose order is
   known pairs with an unmatched refund of that order of the same amount.
3. **amount + time** (``merge_asof``): rows without a usable key pair with an unmatched
   ledger item of the same provider, kind and amount within ``window``.
4. **pool**: open items carried from earlier runs (``pool=``) clear when their counterpart
   arrives; items of a neighbouring period go into the returned ``pool``.

Exception classes (each row carries both sides' amounts and ``diff_fen`` = statement −
ledger): ``missing_in_statement`` (渠道漏单), ``missing_in_ledger`` (平台漏单),
``amount_mismatch``, ``refund_mismatch``, ``duplicate``, ``status_mismatch`` (the gateway
took money the mall does not expect: unpaid/cancelled order, another provider or channel;
or a payment the gateway marks revoked), ``fee_mismatch`` (fee ≠ contract rate × amount,
rounded half up). ``timing`` items (counterpart in the next period, or too close to the
cut-off to tell) go to the pool and are escalated to ``missing_*`` once older than
``max_age``.

Module layout: the passes and the pair classes are in :mod:`mallkit.matching`, the
exception rows and their words in :mod:`mallkit.differences`, text ids as integers in
:mod:`mallkit.ids`; this module places rows in the batch and the pool, builds the result
and checks the tie-out.

Examples
--------
>>> from mallkit.datasets import make_sample_mall
>>> mall = make_sample_mall(seed=1, start="2025-11-01", end="2025-11-30", n_customers=800)
>>> rec = reconcile(mall["orders"], mall["refunds"], mall["statements"],
...                 start="2025-11-01", end="2025-11-30")
>>> rec.exceptions["class"].value_counts().sort_index().to_dict()  # doctest: +NORMALIZE_WHITESPACE
{'amount_mismatch': 3, 'duplicate': 3, 'fee_mismatch': 3, 'missing_in_ledger': 3,
 'missing_in_statement': 3, 'status_mismatch': 2}
>>> bool(rec.summary["ledger_ties"].all() and rec.summary["statement_ties"].all())
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from mallkit.differences import _exceptions
from mallkit.errors import MissingColumnsError, PeriodError, ReconciliationError
from mallkit.matching import (
    _B,
    _KINDS,
    _PAY,
    _REF,
    BUCKETS,
    CLASSES,
    _classify_pairs,
    _ledger,
    _lookup,
    _match,
    _ppm,
    _statement_rows,
    _take,
    _take2,
    expected_fee,
)
from mallkit.matching import (
    FAILED_GATEWAY_STATUSES as FAILED_GATEWAY_STATUSES,  # re-exported (public name)
)
from mallkit.schema import Column, Table, validate

__all__ = [
    "BUCKETS",
    "CLASSES",
    "DEFAULT_FEE_RATES",
    "POOL_COLUMNS",
    "Reconciliation",
    "expected_fee",
    "reconcile",
]

#: Standard contract rate of both gateways for ordinary merchants: 0.6 %.
DEFAULT_FEE_RATES: Mapping[str, str] = {"alipay": "0.006", "wechat": "0.006"}
#: Columns of a carry-forward pool (``Reconciliation.pool``, accepted back as ``pool=``).
POOL_COLUMNS = ("side", "provider", "kind", "merchant_order_id", "refund_id", "txn_id",
                "at", "amount_fen", "fee_fen", "since", "reason")



@dataclass(frozen=True)
class _RowArrays:
    """What :attr:`Reconciliation.items` and :attr:`Reconciliation.matched` are built from:
    the placed rows of both sides as flat arrays (10 M rows at scale), the pairs and the
    id columns (Series of the validated inputs: copy-on-write keeps them as passed)."""

    L: dict
    S: dict
    pl: dict
    ps: dict
    P: dict
    exp_fee: np.ndarray
    prov_cats: list
    day_ts: np.ndarray


_US_DAY = 86_400_000_000  # microseconds in a day (``at`` is datetime64[us])
_L_KEEP = ("n", "kind", "at", "amount", "src", "row", "prov", "order_parts", "refund_parts")
_S_KEEP = (*_L_KEEP, "fee", "txn_parts")
_X_KEEP = ("b", "pair", "day", "pool_in")


@dataclass(frozen=True)
class Reconciliation:
    """The result of :func:`reconcile`: every row accounted for, to the fen.

    ``exceptions``, ``pool`` and ``summary`` (with the tie-out already checked) are
    computed by :func:`reconcile`; the two per-row tables ``items`` and ``matched`` (as
    long as the inputs: 10 M rows for a month of 5 M orders) are built from the placed
    rows on first access and then kept.

    Attributes
    ----------
    items : DataFrame
        One row per input row (orders, refunds, statements and pool rows not already
        among them): ``side`` (ledger/statement), ``source``, ``row`` (position in its
        source), ``provider``, ``kind``, ``at``, ``day`` (the report day; pool rows
        count on the first day), ``amount_fen`` (ledger: what is expected at the gateway,
        0 for orders not expected there; statement: the bill's signed amount),
        ``fee_fen``, ``bucket`` (one of :data:`BUCKETS`), ``pair`` (``items`` position
        of the counterpart or -1), ``pool_in`` (an open item of an earlier period).
    matched : DataFrame
        One row per pair in bucket ``matched``, in bill order: ``provider`` and ``kind``
        (categorical), ``merchant_order_id``, ``refund_id``, ``txn_id``,
        ``statement_order_id`` (the bill's id where a fallback pass paired the rows),
        both times and amounts, ``diff_fen``, ``fee_fen``, ``expected_fee_fen``, ``pass``
        (key / order_amount / amount_time), ``cross_day`` (the sides fall on different
        days), ``pool_in``, ``day``.
    exceptions : DataFrame
        One row per exception (a pair counts once): ``exception_id`` (stable across
        re-runs: a hash of the class, ids and times), ``class``, ids, ``ledger_fen``,
        ``statement_fen``, ``diff_fen`` (statement − ledger), fees, ``day``,
        ``escalated`` (aged out of the pool) and a ``note`` in words (``note_zh`` in
        Chinese).
    pool : DataFrame
        Open items carried to the next run (:data:`POOL_COLUMNS`, plus ``age_days``).
    summary : DataFrame
        Per provider and day: counts and sums of both sides, matched, each class,
        pool in/out, fees, net settlement (gross − refunds − fee), the two identities
        ``ledger_ties`` / ``statement_ties``, and ``no_bill`` (ledger items but not one
        bill row: was the bill loaded?).
    start, end : Timestamp
        The batch: whole days ``start`` … ``end`` inclusive.
    """

    exceptions: pd.DataFrame
    pool: pd.DataFrame
    summary: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    _rows: _RowArrays = field(repr=False, compare=False)

    @cached_property
    def items(self) -> pd.DataFrame:
        """Every input row and its bucket (see the class docstring); built on first use."""
        return _items(self._rows)

    @cached_property
    def matched(self) -> pd.DataFrame:
        """The matched pairs, in bill order (see the class docstring); built on first use."""
        return _matched(self._rows)

    @property
    def totals(self) -> pd.DataFrame:
        """The summary summed over the days of the batch, one row per provider."""
        s = self.summary.drop(columns=["day"])
        num = s.select_dtypes("number").columns
        out = s.groupby("provider", sort=False)[list(num)].sum().reset_index()
        return _with_ties(out)

    def to_excel(self, path: Any, /, *, files: list[pd.DataFrame] | None = None) -> list:
        """Write the finance pack (汇总, one sheet per exception class, 跨期挂账, 原始文件).

        A convenience for ``write_finance_pack(finance_pack(self, files=files), path)``
        (:mod:`mallkit.finance_pack`): the computing stays here, the file writing there.
        ``files`` are :func:`mallkit.bills.manifest` tables of the bills read.
        """
        from mallkit.finance_pack import finance_pack, write_finance_pack

        return write_finance_pack(finance_pack(self, files=files), path, format="xlsx")


def _bounds(start: Any, end: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    try:
        s, e = pd.Timestamp(start), pd.Timestamp(end)
    except (TypeError, ValueError) as exc:
        raise PeriodError(f"reconcile: start={start!r} / end={end!r} are not dates") from exc
    if s is pd.NaT or e is pd.NaT or s != s.normalize() or e != e.normalize():
        raise PeriodError(f"reconcile: start={start!r} and end={end!r} must be whole days")
    if e < s:
        raise PeriodError(f"reconcile: end {e.date()} is before start {s.date()}")
    return s, e


def _check_pool(pool: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in POOL_COLUMNS if c not in pool.columns]
    if missing:
        present = [str(c) for c in pool.columns]
        raise MissingColumnsError(
            f"reconcile: pool is missing column(s) {', '.join(missing)}; columns present: "
            f"{', '.join(present) or '(none)'} (pass the .pool of an earlier Reconciliation)",
            table="pool", column=missing[0], missing=missing, present=present)
    # Ids read back from CSV come as numbers: exact integers are turned back into text, a
    # float id (digits lost) is refused, as for the canonical tables.
    return validate(pool, _POOL_TABLE)


#: A carry-forward pool as :func:`reconcile` accepts it back (``POOL_COLUMNS``).
_POOL_TABLE = Table(
    "pool",
    (
        Column("side", "str", choices=("ledger", "statement")),
        Column("provider", "str"),
        Column("kind", "str", choices=tuple(_KINDS)),
        Column("merchant_order_id", "str", nullable=True),
        Column("refund_id", "str", nullable=True),
        Column("txn_id", "str", nullable=True),
        Column("at", "datetime"),
        Column("amount_fen", "money"),
        Column("fee_fen", "money"),
        Column("since", "datetime"),
        Column("reason", "str", nullable=True),
    ),
    ("side", "provider", "kind", "merchant_order_id", "refund_id", "txn_id"),
)


def _merchant_key(orders: pd.DataFrame, col: str) -> pd.Series | None:
    """The 商户订单号 of each order when it is not the order id (None when it is)."""
    if col == "order_id":
        return None
    if col not in orders.columns:
        present = [str(c) for c in orders.columns]
        raise MissingColumnsError(
            f"reconcile: table 'orders' has no column {col!r} (merchant_order_col: the "
            f"商户订单号 sent to the gateway); columns present: {', '.join(present)}",
            table="orders", column=col, missing=[col], present=present)
    k = orders[col]
    if pd.api.types.is_float_dtype(k.dtype) and k.notna().any():
        raise ReconciliationError(
            f"reconcile: table 'orders': column {col!r} breaks rule 'text, not float': a "
            f"float id loses digits; read the file with dtype=str (e.g. {k.dropna().iloc[0]!r})")
    k = k.astype("str").where(k.notna(), orders["order_id"])
    return k.where(k != "", orders["order_id"])


# ------------------------------------------------------------------------- the engine
def reconcile(
    orders: pd.DataFrame,
    refunds: pd.DataFrame,
    statements: pd.DataFrame,
    /,
    *,
    start: Any,
    end: Any,
    pool: pd.DataFrame | None = None,
    channels: Sequence[str] | None = ("web",),
    providers: Sequence[str] = ("alipay", "wechat"),
    tolerance_fen: int = 0,
    window: pd.Timedelta | str = "30min",
    max_age: pd.Timedelta | str = "2D",
    fee_rates: Mapping[str, Any] | None = DEFAULT_FEE_RATES,
    refund_fee: Mapping[str, str] | None = None,
    merchant_order_col: str = "order_id",
) -> Reconciliation:
    """Reconcile orders and refunds with gateway statements for the days start … end.

    Parameters
    ----------
    orders, refunds, statements : DataFrame
        Canonical tables (:func:`mallkit.schema.validate`). Pass all you have: rows of
        other days are used to recognise timing differences and are bucketed
        ``outside``; a ``gateway_status`` column on statements (WeChat 交易状态) is used
        if present.
    start, end : date-like
        First and last day of the batch (inclusive): statement rows and ledger items
        with a time in ``[start, end + 1 day)`` belong to it.
    pool : DataFrame, optional
        The ``pool`` of the previous run: open items that may clear now.
    channels : sequence of str or None, default ("web",)
        Order channels whose payments go through the mall's own merchant account;
        ``None`` for all channels.
    providers : sequence of str, default ("alipay", "wechat")
        ``orders.payment_method`` values expected at the gateways (the provider).
    tolerance_fen : int, default 0
        Largest ``|statement − ledger|`` still matched.
    window : Timedelta or str, default "30min"
        Largest time gap of the amount + time pass, and the span before the cut-off in
        which an unmatched item is taken as ``timing`` (it may be in the next bill).
    max_age : Timedelta or str, default "2D"
        Pool items older than this at the cut-off are escalated (T+2: 渠道漏单/平台漏单).
    fee_rates : mapping provider -> rate, optional
        Contract fee rates (``"0.006"`` = 0.6 %); ``None`` or a missing provider skips
        the fee check.
    refund_fee : mapping provider -> {"pro_rata", "kept"}, optional
        What the contract says of the fee when a payment is refunded: ``"pro_rata"`` (the
        default for every provider: the fee on the refunded amount comes back, so a
        refund row's fee is −rate × refund, half up) or ``"kept"`` (the gateway keeps
        it: a refund row's fee is 0). A wrong setting shows as a ``fee_mismatch`` on
        every refund.
    merchant_order_col : str, default "order_id"
        The ``orders`` column holding the 商户订单号 (out_trade_no) the mall sent to the
        gateway, when that is not the order id: a payment serial (``P…``, a new one per
        attempt) or a **combined payment** (合并支付: one gateway payment for several
        orders, which share the value). The orders of a combined payment are one ledger
        item: the first carries the sum of their amounts, the others 0, and all take its
        bucket; refunds still pair by refund id (or by the payment and the amount). An
        empty value means the order id.

    Returns
    -------
    Reconciliation

    Raises
    ------
    SchemaError, MissingColumnsError
        An input table (or the pool) breaks the canonical schema.
    PeriodError
        ``start``/``end`` are not whole days in order.
    ReconciliationError
        Bad options (``fee_rates``, ``refund_fee``, ``tolerance_fen``), or (a bug) an
        identity fails.

    Examples
    --------
    >>> o = pd.DataFrame({"order_id": ["W1", "W2"], "customer_id": ["C1", "C2"],
    ...     "channel": "web", "created_at": pd.Timestamp("2026-11-11 10:00"),
    ...     "paid_at": [pd.Timestamp("2026-11-11 10:01"), pd.Timestamp("2026-11-11 23:59:58")],
    ...     "status": "paid", "goods_fen": [10000, 5000], "discount_fen": 0,
    ...     "shipping_fen": 0, "paid_fen": [10000, 5000], "payment_method": "alipay"})
    >>> r = pd.DataFrame(columns=["refund_id", "order_id", "refunded_at", "amount_fen"])
    >>> s = pd.DataFrame({"provider": "alipay", "txn_id": ["T1", "T2"],
    ...     "merchant_order_id": ["W1", "W2"], "refund_id": None, "kind": "payment",
    ...     "occurred_at": [pd.Timestamp("2026-11-11 10:01:03"),
    ...                     pd.Timestamp("2026-11-12 00:00:04")],
    ...     "amount_fen": [10000, 5000], "fee_fen": [60, 30]})
    >>> day1 = reconcile(o, r, s, start="2026-11-11", end="2026-11-11")
    >>> day1.items["bucket"].tolist()      # W2's payment is on the next day's bill
    ['matched', 'timing', 'matched', 'outside']
    >>> day2 = reconcile(o, r, s, start="2026-11-12", end="2026-11-12", pool=day1.pool)
    >>> day2.matched[["merchant_order_id", "pool_in", "cross_day"]].to_dict("records")
    [{'merchant_order_id': 'W2', 'pool_in': True, 'cross_day': True}]
    >>> len(day2.pool), day2.summary.loc[0, ["ledger_fen", "pool_in_ledger_fen"]].tolist()
    (0, [0, 5000])
    """
    start, end = _bounds(start, end)
    cutoff = end + pd.Timedelta(days=1)
    window, max_age = pd.Timedelta(window), pd.Timedelta(max_age)
    if not isinstance(tolerance_fen, int | np.integer) or tolerance_fen < 0:
        raise ReconciliationError(
            f"reconcile: tolerance_fen must be a non-negative integer of fen, got "
            f"{tolerance_fen!r}")
    providers = list(providers)
    rates = {p: _ppm(r, p) for p, r in (fee_rates or {}).items()}
    bad = {p: v for p, v in (refund_fee or {}).items() if v not in ("pro_rata", "kept")}
    if bad:
        raise ReconciliationError(
            f"reconcile: refund_fee values must be 'pro_rata' or 'kept', got {bad}")
    kept = {p for p, v in (refund_fee or {}).items() if v == "kept"}
    orders = validate(orders, "orders")
    refunds = validate(refunds, "refunds")
    statements = validate(statements, "statements")
    pool = _check_pool(pool) if pool is not None else _empty_pool()

    # Provider codes: factorize once (an Arrow string column iterated in Python is slow).
    o_codes, o_names = pd.factorize(orders["payment_method"])
    s_codes, s_names = pd.factorize(statements["provider"])
    p_names = set(pool["provider"].dropna())
    prov_cats = providers + sorted(set(o_names).union(s_names, p_names).difference(providers))

    def codes(c, names):
        return np.array([prov_cats.index(x) for x in names] + [-1], dtype=np.int64)[c]

    # Every look-up of an order id, in one pass over one hash table of orders; the gateway's
    # ids in a second one if the mall sent it another id than the order id.
    pos = {k: np.flatnonzero((pool["side"] == k).to_numpy()) for k in ("ledger", "statement")}
    pl, ps = pool.iloc[pos["ledger"]], pool.iloc[pos["statement"]]
    key = _merchant_key(orders, merchant_order_col)
    names = ("refunds", "pool_ledger", "statements", "pool_statements")
    gateway_ids = [pl["merchant_order_id"], statements["merchant_order_id"],
                   ps["merchant_order_id"]]
    if key is None:
        opos = dict(zip(names, _lookup([refunds["order_id"], *gateway_ids], orders["order_id"]),
                        strict=True))
    else:
        opos = dict(zip(names, [_lookup(refunds["order_id"], orders["order_id"]),
                                *_lookup(gateway_ids, key)], strict=True))
    L = _ledger(orders, refunds, pl, pos["ledger"], channels=channels, providers=providers,
                prov=codes(o_codes, o_names), prov_cats=prov_cats, opos=opos, key=key)
    S = _statement_rows(statements, ps, pos["statement"], prov=codes(s_codes, s_names),
                        prov_cats=prov_cats, opos=opos)
    P = _match(L, S, orders, refunds, window=window)
    cls, exp_fee = _classify_pairs(L, S, P, tolerance_fen, rates, prov_cats, kept)
    placed = _place(L, S, P, cls, start=start, cutoff=cutoff, window=window, max_age=max_age)
    return _assemble(L, S, P, placed, orders=orders, refunds=refunds, statements=statements,
                     prov_cats=prov_cats, providers=providers, start=start, end=end,
                     cutoff=cutoff, exp_fee=exp_fee)



def _empty_pool() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _POOL_DTYPES.items()})


_POOL_DTYPES = {"side": "str", "provider": "str", "kind": "str", "merchant_order_id": "str",
                "refund_id": "str", "txn_id": "str", "at": "datetime64[us]",
                "amount_fen": "int64", "fee_fen": "int64", "since": "datetime64[us]",
                "reason": "str"}



_REASONS = np.array(["counterpart in the next period", "near the cut-off, counterpart not seen yet",
                     "carried from an earlier run, not yet due"], dtype=object)


def _place(L, S, P, cls, *, start, cutoff, window, max_age) -> dict:
    """Bucket of every row, given the batch [start, cutoff), the pool and the age limit."""
    s0, c0 = np.datetime64(start, "us"), np.datetime64(cutoff, "us")
    out = {}
    for name, X in (("L", L), ("S", S)):
        at = X["at"]
        inb = (at >= s0) & (at < c0)
        pres = inb | X["explicit"]
        out[name] = {
            "in": inb, "pres": pres, "after": ~pres & (at >= c0),
            "aged": X["explicit"] & ((c0 - at) > max_age.to_timedelta64()),
            "near": at >= c0 - window.to_timedelta64(),
            "b": np.full(X["n"], _B["outside"], np.int8), "pair": np.full(X["n"], -1, np.int64),
            "esc": np.zeros(X["n"], bool), "reason": np.full(X["n"], -1, np.int8),
        }
    pl, ps = out["L"], out["S"]
    pl["b"][~L["expected"]] = _B["not_expected"]
    lp, sp = P["l"], P["s"]
    pl["pair"][lp], ps["pair"][sp] = sp, lp
    pres = pl["pres"][lp] | ps["pres"][sp]
    wait = pres & (pl["after"][lp] | ps["after"][sp])
    res = pres & ~wait
    pl["b"][lp[res]] = cls[res]
    ps["b"][sp[res]] = cls[res]
    # Present and waiting for a counterpart of the next period (or present and unpaired).
    for X, side, rows, missing in (
        (L, pl, np.r_[lp[wait & pl["pres"][lp]],
                      np.flatnonzero(L["expected"] & (pl["pair"] < 0) & pl["pres"])],
         "missing_in_statement"),
        (S, ps, np.r_[sp[wait & ps["pres"][sp]],
                      np.flatnonzero((ps["pair"] < 0) & ps["pres"] & ~P["status"]
                                     & (P["dup_of"] < 0))],
         "missing_in_ledger"),
    ):
        paired = side["pair"][rows] >= 0
        aged, explicit, near = side["aged"][rows], X["explicit"][rows], side["near"][rows]
        timing = ~aged & (paired | explicit | near)
        side["b"][rows] = np.where(timing, _B["timing"], _B[missing])
        side["esc"][rows] = aged
        side["reason"][rows] = np.where(paired, 0, np.where(explicit, 2, 1))
    # The gateway took money for an order the mall does not expect it for.
    st = np.flatnonzero(P["status"] & ps["pres"])
    ps["b"][st] = _B["status_mismatch"]
    ps["pair"][st] = P["status_l"][st]
    pl["b"][P["status_l"][st]] = _B["status_mismatch"]
    pl["pair"][P["status_l"][st]] = st
    ps["b"][(P["dup_of"] >= 0) & ps["pres"]] = _B["duplicate"]
    # The further orders of a combined payment take its bucket and counterpart.
    f = np.flatnonzero(L["lead"] >= 0)
    for k in ("b", "pair", "esc", "reason"):
        pl[k][f] = pl[k][L["lead"][f]]
    for X, side in ((L, pl), (S, ps)):
        counted = (side["b"] != _B["outside"]) & (side["b"] != _B["not_expected"])
        side["pool_in"] = counted & ~side["in"] & (X["amount"] != 0 if X is L else True)
        day = X["at"].view(np.int64) - s0.astype(np.int64)  # fresh: set in place below
        day //= _US_DAY
        day[~side["in"]] = -1
        day[side["pool_in"]] = 0  # (pool_in rows are never in the batch)
        side["day"] = day
    # A status row's order (amount 0) reports on the statement's day.
    pl["day"][P["status_l"][st]] = ps["day"][st]
    return out


def _assemble(L, S, P, X, *, orders, refunds, statements, prov_cats, providers,
              start, end, cutoff, exp_fee) -> Reconciliation:
    pl, ps = X["L"], X["S"]
    days = pd.date_range(start, end, freq="D", unit="us")
    day_ts = np.r_[days.to_numpy(), np.datetime64("NaT", "us")]
    if ((pl["b"][pl["in"] & L["expected"]] == _B["outside"]).any()
            or (ps["b"][ps["in"]] == _B["outside"]).any()):
        raise ReconciliationError("reconcile: internal error: a row of the batch has no bucket")
    exceptions = _exceptions(L, S, X, exp_fee, day_ts, orders, prov_cats, L["n"])
    pool_out = _pool_out(L, S, X, end, cutoff, prov_cats)
    summary = _summary(L, S, X, P, exceptions, providers, days, L["n"])
    bad = summary[~(summary["ledger_ties"] & summary["statement_ties"])]
    if len(bad):
        raise ReconciliationError(
            f"reconcile: internal error: tie-out fails for {len(bad)} provider-day(s), e.g. "
            f"{bad.iloc[0][['provider', 'day']].tolist()}")
    rows = _RowArrays(
        L={k: L[k] for k in _L_KEEP}, S={k: S[k] for k in _S_KEEP},
        pl={k: pl[k] for k in _X_KEEP}, ps={k: ps[k] for k in _X_KEEP},
        P={k: P[k] for k in ("l", "s", "pass")}, exp_fee=exp_fee, prov_cats=prov_cats,
        day_ts=day_ts)
    return Reconciliation(exceptions=exceptions, pool=pool_out, summary=summary, start=start,
                          end=end, _rows=rows)


def _items(r: _RowArrays) -> pd.DataFrame:
    """``Reconciliation.items``: both sides laid end to end, ledger first."""
    L, S, pl, ps = r.L, r.S, r.pl, r.ps
    nL, nS = L["n"], S["n"]

    def both(a, b, dtype):  # one preallocated column instead of np.r_ temporaries
        out = np.empty(nL + nS, dtype)
        out[:nL], out[nL:] = a, b
        return out

    day = np.empty(nL + nS, r.day_ts.dtype)
    np.take(r.day_ts, pl["day"], out=day[:nL], mode="wrap")  # -1 -> NaT (last)
    np.take(r.day_ts, ps["day"], out=day[nL:], mode="wrap")
    pair = both(pl["pair"], ps["pair"], np.int64)
    lpair = pair[:nL]
    lpair[lpair >= 0] += nL
    return pd.DataFrame({
        "side": pd.Categorical.from_codes(both(0, 1, np.int8), ["ledger", "statement"]),
        "source": pd.Categorical.from_codes(both(L["src"], S["src"], np.int8),
                                            ["orders", "refunds", "statements", "pool"]),
        "row": both(L["row"], S["row"], np.int64),
        "provider": pd.Categorical.from_codes(both(L["prov"], S["prov"], np.int64),
                                              r.prov_cats),
        "kind": pd.Categorical.from_codes(both(L["kind"], S["kind"], np.int8), list(_KINDS)),
        "at": both(L["at"], S["at"], "M8[us]"),
        "day": day,
        "amount_fen": both(L["amount"], S["amount"], np.int64),
        "fee_fen": both(0, S["fee"], np.int64),
        "bucket": pd.Categorical.from_codes(both(pl["b"], ps["b"], np.int8), list(BUCKETS)),
        "pair": pair,
        "pool_in": both(pl["pool_in"], ps["pool_in"], bool),
    }, copy=False)  # fresh arrays: no need to copy them into blocks


def _matched(r: _RowArrays) -> pd.DataFrame:
    """``Reconciliation.matched``: the pairs in bucket ``matched``, in bill order."""
    L, S, pl, ps, P = r.L, r.S, r.pl, r.ps, r.P
    mk = np.flatnonzero(ps["b"][P["s"]] == _B["matched"])
    ml, ms = P["l"][mk], P["s"][mk]
    kp, mkind = P["pass"][mk] == 0, S["kind"][ms]
    return pd.DataFrame({
        "provider": pd.Categorical.from_codes(S["prov"][ms], r.prov_cats),
        "kind": pd.Categorical.from_codes(S["kind"][ms], list(_KINDS)),
        # A key-pass pair carries the same id on both sides: read it from the bill, in bill
        # order (a sequential take is several times faster than a random one).
        "merchant_order_id": _take2(S["order_parts"], np.where(kp & (mkind == _PAY), ms, -1),
                                    L["order_parts"], np.where(kp & (mkind == _PAY), -1, ml)),
        "refund_id": _take2(S["refund_parts"], np.where(kp & (mkind == _REF), ms, -1),
                            L["refund_parts"], np.where(kp, -1, ml)),
        "txn_id": _take(S["txn_parts"], ms),
        # what the gateway row said, where a fallback pass paired it (else the same id)
        "statement_order_id": _take(S["order_parts"], np.where(kp, -1, ms)),
        "ledger_at": (lat := L["at"][ml]), "statement_at": (sat := S["at"][ms]),
        "ledger_fen": (lam := L["amount"][ml]), "statement_fen": (sam := S["amount"][ms]),
        "diff_fen": sam - lam,
        "fee_fen": S["fee"][ms], "expected_fee_fen": r.exp_fee[ms],
        "pass": pd.Categorical.from_codes(P["pass"][mk], ["key", "order_amount", "amount_time"]),
        # calendar days as integers (microseconds // day): no datetime casts of 5 M rows
        "cross_day": lat.view(np.int64) // _US_DAY != sat.view(np.int64) // _US_DAY,
        "pool_in": pl["pool_in"][ml] | ps["pool_in"][ms],
        "day": r.day_ts[ps["day"][ms]],
    }, copy=False)


def _pool_out(L, S, X, end, cutoff, prov_cats) -> pd.DataFrame:
    parts = []
    c0 = np.datetime64(cutoff, "us")
    for side, R, x in (("ledger", L, X["L"]), ("statement", S, X["S"])):
        r = np.flatnonzero((x["b"] == _B["timing"]) & (R["lead"] < 0 if R is L else True))
        at = R["at"][r]
        since = np.where(np.isnat(R["since"][r]), np.datetime64(end, "us"), R["since"][r])
        parts.append(pd.DataFrame({
            "side": side,
            "provider": np.asarray([*prov_cats, None], dtype=object)[R["prov"][r]],
            "kind": _KINDS[R["kind"][r]],
            "merchant_order_id": _take(R["order_parts"], r),
            "refund_id": _take(R["refund_parts"], r),
            "txn_id": (_take(R["txn_parts"], r) if side == "statement"
                       else pd.Series([None] * len(r), dtype="str")),
            "at": at, "amount_fen": R["amount"][r],
            "fee_fen": R["fee"][r] if side == "statement" else np.zeros(len(r), np.int64),
            "since": since.astype("M8[us]"),
            "reason": _REASONS[x["reason"][r]],
            "age_days": ((c0 - at) // np.timedelta64(1, "D")).astype(np.int64),
        }))
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"side": "str", "provider": "str", "kind": "str", "reason": "str"})


def _with_ties(s: pd.DataFrame) -> pd.DataFrame:
    s = s.copy()
    s["diff_fen"] = s["statement_fen"] - s["ledger_fen"]
    s["ledger_ties"] = s["ledger_fen"] == (s["matched_ledger_fen"] + s["exceptions_ledger_fen"]
                                           + s["pool_out_ledger_fen"] - s["pool_in_ledger_fen"])
    s["statement_ties"] = s["statement_fen"] == (
        s["matched_statement_fen"] + s["exceptions_statement_fen"]
        + s["pool_out_statement_fen"] - s["pool_in_statement_fen"])
    # The mall expects payments but the bill has no row at all: not loaded, or the wrong
    # file (a day without trades has no ledger items either).
    s["no_bill"] = (s["ledger_n"] > 0) & (s["statement_n"] == 0)
    return s


def _summary(L, S, X, P, exceptions, providers, days, nL) -> pd.DataFrame:
    """Per provider and day: both sides, every bucket, settlement and the identities."""
    nd, npv, nb = len(days), len(providers), len(BUCKETS)
    size = npv * nd

    def sums(R, x, keep, *values):
        """Counts and exact sums per (provider-day, bucket, pool_in, kind) of kept rows."""
        ok = keep & (R["prov"] >= 0) & (R["prov"] < npv) & (x["day"] >= 0)
        key = R["prov"] * nd  # ((prov * nd + day) * nb + bucket) * 4 + pool_in * 2 + kind
        key += x["day"]
        key *= nb
        key += x["b"]
        key *= 4
        key += x["pool_in"] * np.int8(2) + R["kind"]
        key[~ok] = size * nb * 4
        n = (size + 1) * nb * 4
        shape = (size + 1, nb, 2, 2)
        out = [np.bincount(key, minlength=n).reshape(shape)[:size]]
        out += [_isum(key, v, n).reshape(shape)[:size] for v in values]
        return out

    lc, la = sums(L, X["L"], L["expected"], L["amount"])
    sc, sa, sf = sums(S, X["S"], np.ones(S["n"], bool), S["amount"], S["fee"])
    exc = [_B[c] for c in CLASSES]
    m, t = _B["matched"], _B["timing"]
    out = {
        "provider": np.repeat(np.asarray(providers, dtype=object), nd),
        "day": np.tile(days.to_numpy(), npv),
        "ledger_n": lc[:, :, 0].sum(axis=(1, 2)),
        "ledger_fen": la[:, :, 0].sum(axis=(1, 2)),
        "statement_n": sc[:, :, 0].sum(axis=(1, 2)),
        "statement_fen": sa[:, :, 0].sum(axis=(1, 2)),
        "matched_n": sc[:, m].sum(axis=(1, 2)),
        "matched_ledger_fen": la[:, m].sum(axis=(1, 2)),
        "matched_statement_fen": sa[:, m].sum(axis=(1, 2)),
        "exceptions_ledger_fen": la[:, exc].sum(axis=(1, 2, 3)),
        "exceptions_statement_fen": sa[:, exc].sum(axis=(1, 2, 3)),
        "pool_in_ledger_fen": la[:, :, 1].sum(axis=(1, 2)),
        "pool_out_ledger_fen": la[:, t].sum(axis=(1, 2)),
        "pool_in_statement_fen": sa[:, :, 1].sum(axis=(1, 2)),
        "pool_out_statement_fen": sa[:, t].sum(axis=(1, 2)),
        "pool_out_n": lc[:, t].sum(axis=(1, 2)) + sc[:, t].sum(axis=(1, 2)),
        "gross_fen": sa[:, :, 0, _PAY].sum(axis=1),
        "refunds_fen": -sa[:, :, 0, _REF].sum(axis=1),
        "fee_fen": sf[:, :, 0].sum(axis=(1, 2)),
    }
    s = pd.DataFrame(out)
    s["net_fen"] = s["gross_fen"] - s["refunds_fen"] - s["fee_fen"]
    counts = (exceptions.groupby(["provider", "day", "class"]).size()
              .unstack("class").reindex(columns=list(CLASSES)).fillna(0).astype(np.int64))
    counts.columns = [f"n_{c}" for c in counts.columns]
    s = s.join(counts, on=["provider", "day"]) if len(counts) else s.assign(
        **{f"n_{c}": 0 for c in CLASSES})
    for c in CLASSES:
        s[f"n_{c}"] = s[f"n_{c}"].fillna(0).astype(np.int64)
    s["exceptions_n"] = s[[f"n_{c}" for c in CLASSES]].sum(axis=1)
    s["provider"] = s["provider"].astype("str")
    return _with_ties(s)


def _isum(key: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Exact int64 sums of ``values`` per ``key`` in ``[0, n)``.

    ``np.bincount`` sums in float64, exact below 2**53: split each value into 24-bit
    halves so both partial sums stay far below that; otherwise sum with pandas.
    """
    v = values.astype(np.int64, copy=False)
    if not len(v):
        return np.zeros(n, np.int64)
    if len(v) * max(abs(int(v.min())), abs(int(v.max()))) < 2**53:  # every partial sum exact
        return np.bincount(key, v.astype(np.float64), minlength=n).astype(np.int64)
    hi = v >> 24
    if len(v) < 2**28 and int(np.abs(hi).sum()) < 2**52:
        lo = np.bincount(key, (v & 0xFFFFFF).astype(np.float64), minlength=n)
        hs = np.bincount(key, hi.astype(np.float64), minlength=n)
        return (hs.astype(np.int64) << 24) + lo.astype(np.int64)
    s = pd.Series(v).groupby(key).sum()
    return s.reindex(np.arange(n), fill_value=0).to_numpy(np.int64)
