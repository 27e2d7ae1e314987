"""The canonical tables of mallkit and ``validate``, the one gate every table passes.

Readers map platform exports (Chinese headers, GBK files, gateway bills) onto these
tables; everything downstream sees only canonical frames:

=============  ===============================================================
table          key columns
=============  ===============================================================
orders         order_id, customer_id, channel, created_at, paid_at, status,
               goods_fen, discount_fen, shipping_fen, paid_fen, payment_method
order_lines    order_id, sku, qty, unit_price_fen, discount_fen, paid_fen
refunds        refund_id, order_id, refunded_at, amount_fen
products       sku, category, list_price_fen, unit_cost_fen, lead_time_days,
               lead_time_std_days, moq, case_pack
inventory      date, sku, on_hand, on_order
traffic        date, channel, uv
promotions     promo_id, name, mechanic, start, end, scope, params, ad_spend_fen
statements     provider, txn_id, merchant_order_id, refund_id, kind,
               occurred_at, amount_fen, fee_fen
targets        period, level, key, target_fen
=============  ===============================================================

Conventions
-----------
* Money is exact: ``int64`` fen in columns named ``*_fen``. A float money column is
  rejected, never rounded: convert yuan with :func:`mallkit.money.to_fen` first.
* Timestamps are naive local time of Asia/Shanghai (``datetime64[us]``); tz-aware
  input is converted to Asia/Shanghai, then made naive. ``date`` columns hold midnights.
* Text columns use pandas' ``str`` dtype; integer ids are accepted and become text.
* Columns beyond the canonical ones pass through unchanged, after the canonical ones.
* ``statements.amount_fen`` is signed from the merchant's side: payments positive,
  refunds negative. ``fee_fen`` is the gateway's service fee charged (positive) or
  returned on a refund (negative).

Examples
--------
>>> import pandas as pd
>>> from mallkit.schema import validate
>>> refunds = pd.DataFrame({"refund_id": ["R1"], "order_id": ["O1"],
...                         "refunded_at": ["2026-11-12 10:00"], "amount_fen": [1990]})
>>> validate(refunds, "refunds").dtypes.to_dict()  # doctest: +NORMALIZE_WHITESPACE
{'refund_id': <StringDtype(na_value=nan)>, 'order_id': <StringDtype(na_value=nan)>,
 'refunded_at': dtype('<M8[us]'), 'amount_fen': dtype('int64')}
>>> validate(refunds.assign(amount_fen=[-5]), "refunds")
Traceback (most recent call last):
...
mallkit.errors.SchemaError: table 'refunds': column 'amount_fen' breaks rule 'positive' ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mallkit.errors import MissingColumnsError, SchemaError

__all__ = [
    "CHANNELS",
    "MECHANICS",
    "ORDER_STATUSES",
    "PAID_STATUSES",
    "TABLES",
    "Column",
    "Table",
    "empty",
    "require_columns",
    "validate",
]

TZ = "Asia/Shanghai"
#: Sales channels of the sample mall; other channel names are allowed.
CHANNELS = ("web", "tmall", "jd", "douyin")
#: Order life cycle. Refunds live in their own table; a refunded order keeps its status.
ORDER_STATUSES = ("unpaid", "paid", "shipped", "completed", "cancelled")
#: Statuses whose money was taken: they count as sales.
PAID_STATUSES = ("paid", "shipped", "completed")
#: Promotion mechanics (see :mod:`mallkit.promotions`).
MECHANICS = (
    "full_reduction",  # 满减, one threshold: 满200减20
    "per_full_reduction",  # 每满减: 每满300减50, optional cap
    "tiered_reduction",  # 阶梯满减: highest tier reached
    "percent_off",  # 满折 / 打折
    "flash_discount",  # 限时折扣: item price cut
    "second_half_price",  # 第二件半价
    "coupon",  # 优惠券, with or without threshold
    "gift",  # 赠品
    "presale",  # 定金 + 尾款
)
PROVIDERS = ("alipay", "wechat")
STATEMENT_KINDS = ("payment", "refund")
MAX_EXAMPLES = 5
_INT64_MAX = np.iinfo(np.int64).max
_TZ_SUFFIX = r"(?:Z|UTC|GMT|[+-]\d\d:?\d\d)\s*$"  # text that carries its own UTC offset


@dataclass(frozen=True, slots=True)
class Column:
    """One canonical column: its dtype family, nullability, sign rule and allowed values.

    ``kind`` is one of ``"str"``, ``"int"`` (int64), ``"money"`` (int64 fen),
    ``"float"``, ``"datetime"`` and ``"date"`` (a datetime at midnight).
    ``sign`` is ``None``, ``"non-negative"`` or ``"positive"``.
    """

    name: str
    kind: str
    nullable: bool = False
    sign: str | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """A canonical table: its columns in order, its unique key, and its row rules.

    ``rules`` are ``(name, columns, predicate)``: ``predicate(df)`` returns a boolean
    array, True where a row *breaks* the rule; ``columns`` name what the rule is about.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    rules: tuple[tuple[str, str, Callable[[pd.DataFrame], np.ndarray]], ...] = ()

    @property
    def names(self) -> list[str]:
        """Canonical column names in order."""
        return [c.name for c in self.columns]


def _c(name: str, kind: str, **kw) -> Column:
    return Column(name, kind, **kw)


def _orders_paid_mismatch(df: pd.DataFrame) -> np.ndarray:
    paid = df["goods_fen"].to_numpy() - df["discount_fen"].to_numpy()
    paid = paid + df["shipping_fen"].to_numpy()
    return paid != df["paid_fen"].to_numpy()


def _orders_paid_at_missing(df: pd.DataFrame) -> np.ndarray:
    return (df["status"].isin(PAID_STATUSES) & df["paid_at"].isna()).to_numpy()


def _orders_paid_before_created(df: pd.DataFrame) -> np.ndarray:
    return (df["paid_at"] < df["created_at"]).to_numpy()


def _lines_paid_mismatch(df: pd.DataFrame) -> np.ndarray:
    gross = df["qty"].to_numpy() * df["unit_price_fen"].to_numpy()
    return gross - df["discount_fen"].to_numpy() != df["paid_fen"].to_numpy()


def _promo_end_before_start(df: pd.DataFrame) -> np.ndarray:
    return (df["end"] < df["start"]).to_numpy()


def _refund_kind_without_id(df: pd.DataFrame) -> np.ndarray:
    return ((df["kind"] == "refund") & df["refund_id"].isna()).to_numpy()


def _statement_sign(df: pd.DataFrame) -> np.ndarray:
    amt = df["amount_fen"].to_numpy()
    pay = (df["kind"] == "payment").to_numpy()
    return (pay & (amt < 0)) | (~pay & (amt > 0))


NONNEG, POS = "non-negative", "positive"

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "orders",
            (
                _c("order_id", "str"),
                _c("customer_id", "str"),
                _c("channel", "str"),
                _c("created_at", "datetime"),
                _c("paid_at", "datetime", nullable=True),
                _c("status", "str", choices=ORDER_STATUSES),
                _c("goods_fen", "money", sign=NONNEG),
                _c("discount_fen", "money", sign=NONNEG),
                _c("shipping_fen", "money", sign=NONNEG),
                _c("paid_fen", "money", sign=NONNEG),
                _c("payment_method", "str", nullable=True),
            ),
            ("order_id",),
            (
                ("paid_fen = goods_fen - discount_fen + shipping_fen", "paid_fen",
                 _orders_paid_mismatch),
                ("paid statuses need paid_at", "paid_at", _orders_paid_at_missing),
                ("paid_at not before created_at", "paid_at", _orders_paid_before_created),
            ),
        ),
        Table(
            "order_lines",
            (
                _c("order_id", "str"),
                _c("sku", "str"),
                _c("qty", "int", sign=POS),
                _c("unit_price_fen", "money", sign=NONNEG),
                _c("discount_fen", "money", sign=NONNEG),
                _c("paid_fen", "money", sign=NONNEG),
            ),
            ("order_id", "sku"),
            (("paid_fen = qty * unit_price_fen - discount_fen", "paid_fen", _lines_paid_mismatch),),
        ),
        Table(
            "refunds",
            (
                _c("refund_id", "str"),
                _c("order_id", "str"),
                _c("refunded_at", "datetime"),
                _c("amount_fen", "money", sign=POS),
            ),
            ("refund_id",),
        ),
        Table(
            "products",
            (
                _c("sku", "str"),
                _c("category", "str"),
                _c("list_price_fen", "money", sign=POS),
                _c("unit_cost_fen", "money", sign=NONNEG),
                _c("lead_time_days", "float", sign=NONNEG),
                _c("lead_time_std_days", "float", sign=NONNEG),
                _c("moq", "int", sign=POS),
                _c("case_pack", "int", sign=POS),
            ),
            ("sku",),
        ),
        Table(
            "inventory",
            (
                _c("date", "date"),
                _c("sku", "str"),
                _c("on_hand", "int", sign=NONNEG),
                _c("on_order", "int", sign=NONNEG),
            ),
            ("date", "sku"),
        ),
        Table(
            "traffic",
            (_c("date", "date"), _c("channel", "str"), _c("uv", "int", sign=NONNEG)),
            ("date", "channel"),
        ),
        Table(
            "promotions",
            (
                _c("promo_id", "str"),
                _c("name", "str"),
                _c("mechanic", "str", choices=MECHANICS),
                _c("start", "datetime"),
                _c("end", "datetime"),
                _c("scope", "str"),
                _c("params", "str"),
                _c("ad_spend_fen", "money", sign=NONNEG),
            ),
            ("promo_id",),
            (("end not before start", "end", _promo_end_before_start),),
        ),
        Table(
            "statements",
            (
                _c("provider", "str", choices=PROVIDERS),
                _c("txn_id", "str"),
                _c("merchant_order_id", "str", nullable=True),
                _c("refund_id", "str", nullable=True),
                _c("kind", "str", choices=STATEMENT_KINDS),
                _c("occurred_at", "datetime"),
                _c("amount_fen", "money"),
                _c("fee_fen", "money"),
            ),
            ("provider", "txn_id", "kind", "refund_id"),
            (
                ("refund rows need refund_id", "refund_id", _refund_kind_without_id),
                ("payments >= 0, refunds <= 0", "amount_fen", _statement_sign),
            ),
        ),
        Table(
            "targets",
            (
                _c("period", "str"),
                _c("level", "str"),
                _c("key", "str"),
                _c("target_fen", "money", sign=NONNEG),
            ),
            ("period", "level", "key"),
        ),
    )
}


def _table(table: str | Table) -> Table:
    if isinstance(table, Table):
        return table
    try:
        return TABLES[table]
    except KeyError:
        raise SchemaError(
            f"unknown table {table!r}; canonical tables are {', '.join(TABLES)}", table=table
        ) from None


def empty(table: str) -> pd.DataFrame:
    """An empty frame of a canonical table, with canonical dtypes.

    Examples
    --------
    >>> empty("traffic").dtypes.astype(str).to_dict()
    {'date': 'datetime64[us]', 'channel': 'str', 'uv': 'int64'}
    """
    t = _table(table)
    return pd.DataFrame({c.name: pd.Series(dtype=_DTYPES[c.kind]) for c in t.columns})


_DTYPES = {
    "str": "str",
    "int": "int64",
    "money": "int64",
    "float": "float64",
    "datetime": "datetime64[us]",
    "date": "datetime64[us]",
}


class _Problems:
    """Collects every violation so one error reports them all."""

    def __init__(self, t: Table, df: pd.DataFrame) -> None:
        self.t, self.df, self.found = t, df, []  # (column, rule, message, bad-mask)

    def add(self, column: str, rule: str, bad: np.ndarray, detail: str = "") -> None:
        n = int(bad.sum())
        if not n:
            return
        self.found.append((column, rule, self._message(column, rule, bad, n, detail), bad))

    def _message(self, column: str, rule: str, bad: np.ndarray, n: int, detail: str) -> str:
        rows = self.df.loc[bad]
        key = [k for k in self.t.key if k in rows.columns]
        if key and len(self.df):
            head = rows[key].head(MAX_EXAMPLES).astype(str).fillna("<NA>")  # str keeps NaN
            ex = head.agg("/".join, axis=1).tolist()
            label = "/".join(key)
        else:
            ex, label = [str(i) for i in rows.index[:MAX_EXAMPLES]], "row"
        more = f" (and {n - MAX_EXAMPLES} more)" if n > MAX_EXAMPLES else ""
        s = "s" if n > 1 else ""
        msg = f"column '{column}' breaks rule '{rule}' in {n} row{s}; e.g. {label}={', '.join(ex)}"
        return msg + more + (f" ({detail})" if detail else "")

    def raise_if_any(self) -> None:
        if not self.found:
            return
        column, rule, _, _ = self.found[0]
        bad = np.logical_or.reduce([b for *_, b in self.found])  # rows of every problem
        lines = [f"table '{self.t.name}': {m}" for _, _, m, _ in self.found]
        raise SchemaError(
            "\n".join(lines),
            table=self.t.name,
            column=column,
            rule=rule,
            rows=self.df.loc[bad],
            problems=[(c, r, m) for c, r, m, _ in self.found],
        )


def _coerce(s: pd.Series, col: Column, p: _Problems) -> pd.Series:
    """Cast one column to its canonical dtype without losing information."""
    kind = col.kind
    if not len(s):  # e.g. a header-only CSV gives object or float columns
        return pd.Series(dtype=_DTYPES[kind], index=s.index, name=s.name)
    if kind == "str":
        if pd.api.types.is_float_dtype(s.dtype) and s.notna().any():
            p.add(col.name, "text, not float", s.notna().to_numpy(),
                  "a float id loses digits; read the file with dtype=str")
            return s
        if s.dtype == "str":
            return s
        out = s.astype("str")
        return out.where(s.notna())  # keep missing values missing, not the text 'None'
    if kind in ("int", "money"):
        if s.dtype == "int64":
            return s
        if pd.api.types.is_bool_dtype(s.dtype):  # True/False is not an amount or a count
            p.add(col.name, "integer", np.ones(len(s), dtype=bool), "got True/False values")
            return s
        if pd.api.types.is_integer_dtype(s.dtype):
            if s.isna().any():  # nullable Int64 with <NA>
                p.add(col.name, "not null", s.isna().to_numpy())
                return s
            if s.dtype.kind == "u" and (big := (s > _INT64_MAX).to_numpy()).any():
                p.add(col.name, "fits int64", big)  # astype would wrap round to negative
                return s
            return s.astype("int64")
        what = "integer fen" if kind == "money" else "integer"
        hint = "convert yuan with mallkit.money.to_fen" if kind == "money" else "no fractions"
        if s.dtype == object:
            ok = s.map(
                lambda v: isinstance(v, int | np.integer)
                and not isinstance(v, bool)
                and -_INT64_MAX - 1 <= v <= _INT64_MAX
            )
            if ok.all():
                return s.astype("int64")
            p.add(col.name, what, ~ok.to_numpy(), hint)
            return s
        p.add(col.name, what, np.ones(len(s), dtype=bool), f"dtype is {s.dtype}; {hint}")
        return s
    if kind == "float":
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            return s.astype("float64")
        p.add(col.name, "number", np.ones(len(s), dtype=bool), f"dtype is {s.dtype}")
        return s
    # datetime / date
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert(TZ).dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_dtype(s.dtype):
        if pd.api.types.is_numeric_dtype(s.dtype) and s.notna().any():
            # to_datetime would silently read numbers as epoch nanoseconds
            p.add(col.name, "timestamp", s.notna().to_numpy(), f"dtype is {s.dtype}, not dates")
            return s
        try:
            parsed = pd.to_datetime(s, errors="coerce", format="mixed")
        except ValueError:  # mixed UTC offsets: pandas will not pick a zone by itself
            naive = s.notna().to_numpy() & ~s.astype(str).str.contains(_TZ_SUFFIX).to_numpy()
            if naive.any():
                p.add(col.name, "timestamp", naive, "naive among tz-aware values")
                return s
            parsed = pd.to_datetime(s, errors="coerce", format="mixed", utc=True)
        bad = (parsed.isna() & s.notna()).to_numpy()
        if bad.any():
            p.add(col.name, "timestamp", bad, "could not parse")
            return s
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert(TZ).dt.tz_localize(None)
        s = parsed
    s = s.astype("datetime64[us]")
    if kind == "date":
        p.add(col.name, "date (midnight)", (s.notna() & (s != s.dt.normalize())).to_numpy())
    return s


_K = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier (golden ratio) for h * K + f
_SAMPLE = 4096  # rows looked at to tell a column of few distinct values
_BLOCK = 1 << 20  # rows per block of the text fingerprint: its temporaries stay ~8 MB each


def _load8(words: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The 8 bytes at byte offsets ``q`` (int64, >= 0) of ``words``, as little-endian uint64."""
    k = q >> 3
    r = ((q & 7) << 3).view(np.uint64)
    hi = words[1:][k]
    hi <<= np.uint64(1)  # two shifts: one shift by 64 (r = 0) would be undefined
    hi <<= np.uint64(63) - r
    lo = words[k]
    lo >>= r
    lo |= hi
    return lo


def _text_fingerprint(offsets: np.ndarray, data: np.ndarray, nulls: Any,
                      longest: int) -> np.ndarray:
    """Length and first, middle and last 8 bytes of each string (Arrow offsets and data),
    mixed into one uint64. Equal strings give equal numbers; a null gives that of ``""``.
    ``longest`` (of the whole column, so every block mixes alike) skips unneeded words."""
    lo, hi = int(offsets[0]), int(offsets[-1])
    words = np.zeros((hi - lo) // 8 + 3, dtype=np.uint64)  # the bytes, padded for _load8
    words.view(np.uint8)[: hi - lo] = data[lo:hi]
    start = offsets[:-1] - lo
    size = np.diff(offsets)
    if nulls is not None:
        size[nulls] = 0
    f = _load8(words, start)
    if (size < 8).any():  # keep only the string's own bytes
        keep = np.uint64(2**64 - 1) >> ((8 - np.minimum(size, 8)) << 3).view(np.uint64)
        keep[size == 0] = 0
        f &= keep
    for past, at in ((8, size - 8), (16, size // 2 - 4)):  # last 8 bytes, 8 from the middle
        if longest > past:
            w = _load8(words, start + np.maximum(at, 0))
            w[size <= past] = 0  # already in the words before
            f *= _K
            f += w
    f *= _K
    f += size.view(np.uint64)
    return f


def _mix_text(h: np.ndarray, s: pd.Series) -> bool:
    """``h = h * K + fingerprint`` of an Arrow text column, block by block; False (h
    untouched) if the column is not plain Arrow strings."""
    data = pa.array(s.array)
    chunks = data.chunks if isinstance(data, pa.ChunkedArray) else [data]
    if not all(pa.types.is_string(c.type) or pa.types.is_large_string(c.type) for c in chunks):
        return False
    lengths = [pc.max(pc.binary_length(c)).as_py() for c in chunks]
    longest = max([n for n in lengths if n is not None], default=0)
    at = 0
    for c in chunks:
        if not len(c):
            continue
        width = 8 if pa.types.is_large_string(c.type) else 4
        _, ob, db = c.buffers()
        off = np.frombuffer(ob, dtype=np.int64 if width == 8 else np.int32, count=len(c) + 1,
                            offset=c.offset * width)
        data = np.frombuffer(db, np.uint8) if db is not None else np.zeros(0, np.uint8)
        nulls = c.is_null().to_numpy(zero_copy_only=False) if c.null_count else None
        for b in range(0, len(c), _BLOCK):
            e = min(b + _BLOCK, len(c))
            f = _text_fingerprint(off[b:e + 1].astype(np.int64), data,
                                  None if nulls is None else nulls[b:e], longest)
            hb = h[at + b:at + e]
            hb *= _K
            hb += f
        at += len(c)
    return True


def _key_numbers(df: pd.DataFrame, key: list[str]) -> np.ndarray:
    """One uint64 per row, equal for rows whose keys ``duplicated`` takes as equal."""
    h = np.zeros(len(df), dtype=np.uint64)
    for k in key:
        s = df[k]
        if isinstance(s.array, pd.arrays.ArrowStringArray):
            head = s.iloc[:_SAMPLE]
            # many distinct values: a fingerprint is cheaper than a hash table
            if head.nunique(dropna=False) > len(head) // 16 and _mix_text(h, s):
                continue
        if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iumM":
            f = s.to_numpy().astype(np.int64, copy=False).view(np.uint64)
        else:
            f = pd.factorize(s, use_na_sentinel=False)[0].astype(np.int64, copy=False)
            f = f.view(np.uint64)
        h *= _K
        h += f
    return h


def _duplicated(df: pd.DataFrame, key: list[str]) -> np.ndarray:
    """``df.duplicated(key, keep=False).to_numpy()``, fast when there are few duplicates.

    Each row's key becomes one uint64 (``h * K + f`` over the key columns; ``f`` for text
    with many distinct values is a fingerprint of its length and first, middle and last 8
    bytes, read from the Arrow buffers without a hash table). Equal keys give equal
    numbers, so only rows whose number is shared can be duplicates: one sort finds them
    (usually none) and pandas compares just those rows exactly.
    """
    n = len(df)
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    h = _key_numbers(df, key)
    h.sort()
    same = h[1:] == h[:-1]
    if same.any():  # (the sort was in place: number the rows again)
        rows = np.flatnonzero(np.isin(_key_numbers(df, key), h[1:][same]))
        out[rows] = df.iloc[rows].duplicated(key, keep=False).to_numpy()
    return out


def require_columns(df: pd.DataFrame, cols: Any, table: str, /) -> None:
    """Raise :class:`MissingColumnsError` naming ``table``, the columns it lacks and those
    it has, if ``df`` lacks any of ``cols``.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "scores")
    Traceback (most recent call last):
    ...
    mallkit.errors.MissingColumnsError: table 'scores' is missing column(s) b; columns present: a
    """
    missing = [c for c in cols if c not in df.columns]
    if missing:
        present = [str(c) for c in df.columns]
        raise MissingColumnsError(
            f"table '{table}' is missing column(s) {', '.join(missing)}; "
            f"columns present: {', '.join(present) or '(none)'}",
            table=table, column=missing[0], missing=missing, present=present)


def validate(df: pd.DataFrame, table: str | Table, /) -> pd.DataFrame:
    """Check a frame against a canonical table and return it with canonical dtypes.

    Checks, in order: required columns present; each column castable to its dtype
    without loss (integer fen, parseable timestamps; tz-aware converted to
    Asia/Shanghai then made naive); no nulls where forbidden; sign rules; allowed
    values; the unique key; row rules (e.g. ``paid_fen = goods_fen - discount_fen +
    shipping_fen``). Every violation found is listed in one error.

    Parameters
    ----------
    df : pandas.DataFrame
        The table. It is not modified.
    table : str
        Name of a canonical table (``"orders"``, ``"order_lines"``, ...), see ``TABLES``.

    Returns
    -------
    pandas.DataFrame
        A new frame: canonical columns in canonical order and dtypes, then any extra
        columns unchanged; the index is kept.

    Raises
    ------
    MissingColumnsError
        Naming the missing columns and listing those present.
    SchemaError
        Naming the table, the column, the rule and up to 5 offending row keys; the
        offending rows are in ``error.rows``.

    Examples
    --------
    >>> import pandas as pd
    >>> traffic = pd.DataFrame({"date": ["2026-11-11"], "channel": ["web"], "uv": [1200]})
    >>> validate(traffic, "traffic")
            date channel    uv
    0 2026-11-11     web  1200
    >>> validate(traffic.drop(columns="uv"), "traffic")
    Traceback (most recent call last):
    ...
    mallkit.errors.MissingColumnsError: table 'traffic' is missing column(s) uv; ...
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"validate expects a pandas DataFrame, got {type(df).__name__}")
    t = _table(table)
    require_columns(df, t.names, t.name)
    p = _Problems(t, df)
    out = {}
    for col in t.columns:
        out[col.name] = _coerce(df[col.name], col, p)
    p.raise_if_any()  # the checks below need canonical dtypes
    extra = [c for c in df.columns if c not in out]
    res = pd.DataFrame(out, index=df.index)
    if extra:
        res = pd.concat([res, df[extra]], axis=1)
    p = _Problems(t, res)
    for col in t.columns:
        s = res[col.name]
        isna = s.isna().to_numpy()
        if not col.nullable:
            p.add(col.name, "not null", isna)
        if col.sign is not None:
            v = s.to_numpy()
            p.add(col.name, col.sign, (v < 0) if col.sign == NONNEG else (v <= 0))
        if col.choices is not None:
            bad = ~s.isin(col.choices).to_numpy() & ~isna
            p.add(col.name, f"one of {', '.join(col.choices)}", bad)
    dup = _duplicated(res, list(t.key))
    p.add("/".join(t.key), "unique key", dup)
    if not p.found:  # row rules assume clean columns
        for rule, column, pred in t.rules:
            p.add(column, rule, np.asarray(pred(res), dtype=bool))
    p.raise_if_any()
    return res
