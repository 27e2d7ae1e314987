"""The matching passes of :func:`mallkit.reconcile.reconcile`: rows in, pairs out.

Both sides become flat arrays (one position per row: orders, then refunds, then pool
rows on the ledger side; bill rows, then pool rows on the statement side), string ids
stay in their Arrow columns and are looked up in one hash pass each. :func:`_match` runs
the passes (merchant order id / refund id key, then order + amount for refunds, then
amount + time) and marks duplicates and rows for orders the mall does not expect money
for; :func:`_classify_pairs` gives each pair its class. The bucket and report vocabulary
(:data:`CLASSES`, :data:`BUCKETS`) and the contract fee (:func:`expected_fee`) live here
too, so that :mod:`mallkit.reconcile` (placement in the batch, the pool, the tie-out and
the result) builds on this module and nothing here imports it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from mallkit.errors import ReconciliationError
from mallkit.ids import large_text as _arrow
from mallkit.ids import lookup as _lookup
from mallkit.money import fen_at_rate

__all__ = ["BUCKETS", "CLASSES", "FAILED_GATEWAY_STATUSES", "expected_fee"]

#: Exception classes, in report order.
CLASSES = (
    "missing_in_statement",
    "missing_in_ledger",
    "amount_mismatch",
    "refund_mismatch",
    "duplicate",
    "status_mismatch",
    "fee_mismatch",
)
#: Every row of ``Reconciliation.items`` is in exactly one of these.
BUCKETS = ("matched", *CLASSES, "timing", "outside", "not_expected")
#: WeChat 交易状态 values meaning the money was not (or no longer) taken.
FAILED_GATEWAY_STATUSES = ("REVOKED", "CLOSED", "NOTPAY", "PAYERROR")

_PAY, _REF = 0, 1
_KINDS = np.array(["payment", "refund"], dtype=object)
_B = {b: i for i, b in enumerate(BUCKETS)}


# ------------------------------------------------------------------------- ids and fees
def _take(parts: list[tuple[int, pd.Series]], idx: np.ndarray) -> pd.Series:
    """Strings at global positions ``idx`` of parts laid end to end (offset, Series); null
    where ``idx`` is -1 or falls in no part."""
    return _take_first([(parts, idx)])


def _take2(parts_a, idx_a, parts_b, idx_b) -> pd.Series:
    """Strings from ``parts_a`` where ``idx_a`` finds one, else from ``parts_b``."""
    return _take_first([(parts_a, idx_a), (parts_b, idx_b)])


def _take_first(sources: list[tuple[list[tuple[int, pd.Series]], np.ndarray]]) -> pd.Series:
    """For each row, the string of the first source whose index finds one (else null).

    Each part that is hit is read once with the positions it serves; with several parts
    those pieces are laid end to end and put in row order by one more ``take``. No
    null-masked take per part and no ``coalesce`` copying the result again (5 M ids:
    ~0.1 s instead of ~0.26 s), and a few rows never copy a whole column.
    """
    n = len(sources[0][1])
    pos = np.full(n, -1, dtype=np.int64)
    pieces = []  # (Arrow array, positions in it, output rows)
    for parts, idx in sources:
        for off, s in parts:
            hit = (idx >= off) & (idx < off + len(s)) & (pos < 0)
            if hit.any():
                rows = np.flatnonzero(hit)
                pos[rows] = idx[rows] - off
                pieces.append((_arrow(s), pos[rows], rows))
    if not pieces:
        return pd.Series(pa.nulls(n, pa.large_string()), dtype="str")
    found = pos >= 0
    if len(pieces) == 1:
        src = pieces[0][0]
    else:
        src = pa.concat_arrays([arr.take(at) for arr, at, _ in pieces])
        start = np.cumsum([0] + [len(rows) for _, _, rows in pieces])
        for (_, _, rows), s0 in zip(pieces, start[:-1], strict=True):
            pos[rows] = s0 + np.arange(len(rows))
    got = src.take(pos if found.all() else pa.array(pos, mask=~found))
    return pd.Series(got, dtype="str")


def _ppm(rate: Any, provider: str) -> int:
    """A fee rate as an exact integer number of parts per million."""
    try:
        d = Decimal(str(rate)) * 1_000_000
    except InvalidOperation:
        d = Decimal("NaN")
    if not d.is_finite() or d != d.to_integral_value() or not 0 <= d <= 1_000_000:
        raise ReconciliationError(
            f"reconcile: fee_rates[{provider!r}] = {rate!r} is not a rate between 0 and 1 "
            "with at most 6 decimals (e.g. '0.006' for 0.6 %)"
        )
    return int(d)


def expected_fee(amount_fen: Any, /, *, rate: Any) -> np.ndarray:
    """Gateway fee at a contract ``rate``, rounded half up to the fen, with the amount's sign.

    Refunds (negative amounts) give the fee returned pro rata, negative.

    Examples
    --------
    >>> expected_fee([82200, 1250, 250, -4150], rate="0.006").tolist()  # 493.2, 7.5, 1.5, 24.9
    [493, 8, 2, -25]
    """
    return fen_at_rate(amount_fen, ppm=_ppm(rate, "rate"))

# ------------------------------------------------------------------------- rows as arrays
def _pool_prov(pn: pd.DataFrame, prov_cats: list[str]) -> np.ndarray:
    return np.array([prov_cats.index(x) if x in prov_cats else -1 for x in pn["provider"]],
                    dtype=np.int64)


def _combined(key: pd.Series, o_exp: np.ndarray, amount: np.ndarray):
    """Orders sharing a 商户订单号 (a combined payment) as one ledger item: the first order
    of each payment leads (it carries the expected sum, expected if any order is), the
    others follow. Returns (lead position per order, amounts, expected, follower mask)."""
    codes, uniq = pd.factorize(key)
    n = len(codes)
    first = np.full(len(uniq), n, np.int64)
    np.minimum.at(first, codes, np.arange(n))  # the first order of each payment
    lead = first[codes]
    follower = lead != np.arange(n)
    if not follower.any():
        return lead, amount, o_exp, follower
    sums = pd.Series(amount).groupby(codes).sum().to_numpy(np.int64)  # exact int64
    any_exp = np.bincount(codes, weights=o_exp, minlength=len(uniq)) > 0
    return (lead, np.where(follower, 0, sums[codes]), ~follower & any_exp[codes], follower)


def _ledger(orders, refunds, pl, pool_pos, *, channels, providers, prov, prov_cats,
            opos, key=None) -> dict:
    """Ledger rows as arrays: orders, then refunds, then pool rows not among them.

    ``key``: the orders' 商户订单号 when it is not the order id (see :func:`_combined`).
    """
    n_o, n_r = len(orders), len(refunds)
    method = orders["payment_method"]
    scope = method.isin(providers).to_numpy()
    if channels is not None:
        scope = scope & orders["channel"].isin(list(channels)).to_numpy()
    paid_at = orders["paid_at"].to_numpy()
    o_exp = scope & ~np.isnat(paid_at)
    o_at = np.where(np.isnat(paid_at), orders["created_at"].to_numpy(), paid_at)
    o_pool = opos["pool_ledger"]
    opos = opos["refunds"]
    known = opos >= 0
    if not known.all():
        bad = refunds[~known]
        ex = ", ".join(f"{a} -> {b}" for a, b in zip(bad["refund_id"][:5], bad["order_id"][:5],
                                                      strict=True))
        raise ReconciliationError(
            f"reconcile: table 'refunds': column 'order_id' breaks rule 'refers to a row of "
            f"orders' in {len(bad)} row(s); e.g. refund_id -> order_id {ex}. Pass the orders "
            "that the refunds refund, whatever their date: they say which gateway to expect.")
    r_exp = known & o_exp[np.where(known, opos, 0)] if n_o else np.zeros(n_r, bool)
    r_prov = np.where(known, prov[np.where(known, opos, 0)] if n_o else -1, -1)
    # One ledger item per order, unless the gateway knows orders by another id that
    # several share (a combined payment): then its first order stands for them all.
    o_amount = np.where(o_exp, orders["paid_fen"].to_numpy(), 0)
    o_item_exp, o_ids, r_order_ids = o_exp, orders["order_id"], refunds["order_id"]
    lead, follower = np.arange(n_o), np.zeros(n_o, bool)
    if key is not None:
        lead, o_amount, o_item_exp, follower = _combined(key, o_exp, o_amount)
        opos = np.where(known, lead[np.where(known, opos, 0)], -1)  # a refund's payment
        o_ids, r_order_ids = key, key.iloc[np.maximum(opos, 0)].reset_index(drop=True)
    # Pool rows already among the orders/refunds passed in are those rows (a re-run).
    rpos = _lookup(pl["refund_id"], refunds["refund_id"])
    hit = np.where((pl["kind"] == "payment").to_numpy(), o_pool,
                   np.where(rpos >= 0, rpos + n_o, -1))
    new = hit < 0
    pn = pl[new].reset_index(drop=True)
    m = len(pn)
    n = n_o + n_r + m
    L = {
        "n": n, "n_o": n_o, "n_r": n_r,
        "kind": np.r_[np.zeros(n_o, np.int8), np.ones(n_r, np.int8),
                      (pn["kind"] == "refund").to_numpy().astype(np.int8)],
        "at": np.r_[o_at, refunds["refunded_at"].to_numpy(), pn["at"].to_numpy()]
        .astype("datetime64[us]"),
        "amount": np.r_[o_amount, np.where(r_exp, -refunds["amount_fen"].to_numpy(), 0),
                        pn["amount_fen"].to_numpy()].astype(np.int64),
        "expected": np.r_[o_item_exp, r_exp, np.ones(m, bool)],
        # orders of a combined payment after its first: they take the first one's bucket
        "lead": np.r_[np.where(follower & o_exp, lead, -1), np.full(n_r + m, -1)]
        .astype(np.int64),
        "opos": np.r_[np.arange(n_o), opos, o_pool[new]],
        "src": np.r_[np.zeros(n_o, np.int8), np.ones(n_r, np.int8), np.full(m, 3, np.int8)],
        "row": np.concatenate([np.arange(n_o), np.arange(n_r), pool_pos[new]], dtype=np.int64),
        "explicit": np.zeros(n, bool),
        "since": np.full(n, np.datetime64("NaT"), "M8[us]"),
        "prov": np.concatenate([prov, r_prov, _pool_prov(pn, prov_cats)], dtype=np.int64),
        "order_parts": [(0, o_ids), (n_o, r_order_ids),
                        (n_o + n_r, pn["merchant_order_id"].astype("str"))],
        "refund_parts": [(n_o, refunds["refund_id"]),
                         (n_o + n_r, pn["refund_id"].astype("str"))],
    }
    L["explicit"][np.r_[np.arange(n_o + n_r, n), hit[~new]]] = True
    L["since"][np.r_[np.arange(n_o + n_r, n), hit[~new]]] = np.r_[
        pn["since"].to_numpy(), pl["since"].to_numpy()[~new]]
    return L

def _cat(first: np.ndarray, rest: np.ndarray, *, dtype) -> np.ndarray:
    """``np.r_[first, rest]`` as ``dtype``, without a copy when ``rest`` is empty (read only:
    the result may be a view of an input column)."""
    if not len(rest):
        return first.astype(dtype, copy=False)
    return np.concatenate([first.astype(dtype, copy=False), rest.astype(dtype, copy=False)])


def _statement_rows(statements: pd.DataFrame, ps, pool_pos, *, prov, prov_cats, opos) -> dict:
    """Statement rows as arrays: the bills, then pool rows not among them."""
    st = statements
    n_s = len(st)
    failed = np.zeros(n_s, bool)
    if "gateway_status" in st.columns:
        failed = st["gateway_status"].isin(FAILED_GATEWAY_STATUSES).to_numpy()

    def ident(df):
        return (df["provider"].astype("str") + "|" + df["txn_id"].astype("str") + "|"
                + df["kind"].astype("str") + "|" + df["refund_id"].astype("str").fillna(""))

    # Pool rows already on the bill passed in are those rows (a re-run of the same day).
    hit = np.full(len(ps), -1, np.int64)
    cand = np.flatnonzero(_lookup(st["txn_id"], ps["txn_id"]) >= 0) if len(ps) else []
    if len(cand):  # a small pool: narrow the bill to its txn ids before building keys
        h = _lookup(ident(ps), ident(st.iloc[cand]))
        hit = np.where(h >= 0, cand[np.maximum(h, 0)], -1)
    new = hit < 0
    pn = ps[new].reset_index(drop=True)
    m = len(pn)
    n = n_s + m
    S = {
        "n": n, "n_s": n_s,
        "kind": _cat((st["kind"] == "refund").to_numpy(), (pn["kind"] == "refund").to_numpy(),
                     dtype=np.int8),
        "at": _cat(st["occurred_at"].to_numpy(), pn["at"].to_numpy(), dtype="M8[us]"),
        "amount": _cat(st["amount_fen"].to_numpy(), pn["amount_fen"].to_numpy(), dtype=np.int64),
        "fee": _cat(st["fee_fen"].to_numpy(), pn["fee_fen"].to_numpy(), dtype=np.int64),
        "failed": _cat(failed, np.zeros(m, bool), dtype=bool),
        "src": np.r_[np.full(n_s, 2, np.int8), np.full(m, 3, np.int8)],
        "row": np.concatenate([np.arange(n_s), pool_pos[new]], dtype=np.int64),
        "explicit": np.r_[np.zeros(n_s, bool), np.ones(m, bool)],
        "since": np.r_[np.full(n_s, np.datetime64("NaT"), "M8[us]"),
                       pn["since"].to_numpy().astype("M8[us]")],
        "prov": _cat(prov, _pool_prov(pn, prov_cats), dtype=np.int64),
        "opos": _cat(opos["statements"], opos["pool_statements"][new], dtype=np.int64),
        "order_parts": [(0, st["merchant_order_id"]), (n_s, pn["merchant_order_id"].astype("str"))],
        "refund_parts": [(0, st["refund_id"]), (n_s, pn["refund_id"].astype("str"))],
        "txn_parts": [(0, st["txn_id"]), (n_s, pn["txn_id"].astype("str"))],
    }
    S["explicit"][hit[~new]] = True
    S["since"][hit[~new]] = ps["since"].to_numpy()[~new]
    return S


# ------------------------------------------------------------------------- the passes
def _lookup_parts(parts: list[tuple[int, pd.Series]], keys: pd.Series, n: int) -> np.ndarray:
    out = np.full(n, -1, dtype=np.int64)
    for off, s in parts:
        if len(s):
            out[off:off + len(s)] = _lookup(s, keys)
    return out


def _duplicates(group: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose key (``group`` >= 0; -1: no key) an earlier row already has, and that
    row (the original: earliest ``at``, ties in input order).

    Shared keys are rare: they are found in a sorted copy of the keys, and only their
    rows are sorted by time (no per-row gathers of the whole column).
    """
    sg = np.sort(group)
    shared = np.unique(sg[1:][(sg[1:] == sg[:-1]) & (sg[1:] >= 0)])
    if not len(shared):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    multi = np.flatnonzero(np.isin(group, shared))
    order = multi[np.lexsort((multi, at[multi], group[multi]))]
    g = group[order]
    first = np.r_[True, g[1:] != g[:-1]]
    run = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    return order[~first], order[run[~first]]


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    """The pairs of all passes; usually the key pass alone, then without a 5 M-row copy."""
    if len(parts) == 1:
        return parts[0].astype(dtype, copy=False)
    return np.concatenate(parts, dtype=dtype)


def _match(L: dict, S: dict, orders, refunds, *, window: pd.Timedelta) -> dict:
    """The matching passes. Returns pairs (l, s, pass) and the statement-side flags."""
    nL, nS = L["n"], S["n"]
    skind = S["kind"]
    # Pass 1: the key. Statement payments by merchant order id, refunds by refund id.
    s_opos = S["opos"]
    # Only refund rows are keyed by refund id: look up just those (a few % of the bill).
    lpos = s_opos.copy()
    sr = np.flatnonzero(skind == _REF)
    if len(sr):
        rp = _lookup(_take(S["refund_parts"], sr), refunds["refund_id"])
        lpos[sr] = np.where(rp >= 0, rp + L["n_o"], -1)
    n_known = L["n_o"] + L["n_r"]
    if nL > n_known:  # pool rows whose orders/refunds were not passed in
        pool_order = L["order_parts"][2][1]
        pool_refund = L["refund_parts"][1][1]
        pk = L["kind"][n_known:]
        po = _lookup_parts(S["order_parts"], pool_order.where(pk == _PAY), nS)
        pr = _lookup_parts(S["refund_parts"], pool_refund.where(pk == _REF), nS)
        extra = np.where(skind == _PAY, po, pr)
        lpos = np.where((lpos < 0) & (extra >= 0), extra + n_known, lpos)
    # Duplicates: among rows sharing a key, the earliest is the original.
    dup_of = np.full(nS, -1, np.int64)
    known = lpos >= 0
    group = np.where(known, lpos, -1)
    unknown = np.flatnonzero(~known)
    if len(unknown):
        keys = pd.Series(np.where(skind[unknown] == _PAY,
                                  _take(S["order_parts"], unknown).to_numpy(object),
                                  _take(S["refund_parts"], unknown).to_numpy(object)))
        codes = pd.factorize(keys)[0]
        has = codes >= 0
        group[unknown[has]] = nL + codes[has] * 2 + skind[unknown[has]]
    dup, original = _duplicates(group, S["at"])
    dup_of[dup] = original
    primary = np.ones(nS, bool)
    primary[dup] = False
    hit = np.zeros(nL, bool)
    hit[lpos[known]] = True  # ledger items some statement row names
    key_pair = primary & known & L["expected"][np.where(known, lpos, 0)]
    status = primary & known & ~key_pair  # names an order the mall does not expect money for
    s_key = np.flatnonzero(key_pair)
    p_l, p_s, p_pass = [lpos[s_key]], [s_key], [np.zeros(len(s_key), np.int8)]
    l_free = L["expected"] & ~hit
    s_free = primary & ~known
    # Pass 2: a refund with an unknown refund id, on a known order: order + amount.
    cand = np.flatnonzero(s_free & (skind == _REF) & (s_opos >= 0))
    lc = np.flatnonzero(l_free & (L["kind"] == _REF))
    if len(cand) and len(lc):
        a = pd.DataFrame({"s": cand, "o": s_opos[cand], "amt": S["amount"][cand],
                          "t": S["at"][cand]}).sort_values(["t", "s"])
        b = pd.DataFrame({"l": lc, "o": L["opos"][lc], "amt": L["amount"][lc],
                          "t": L["at"][lc]}).sort_values(["t", "l"])
        a["k"] = a.groupby(["o", "amt"]).cumcount()
        b["k"] = b.groupby(["o", "amt"]).cumcount()
        j = a.merge(b, on=["o", "amt", "k"])
        p_l.append(j["l"].to_numpy())
        p_s.append(j["s"].to_numpy())
        p_pass.append(np.ones(len(j), np.int8))
        l_free[j["l"].to_numpy()] = False
        s_free[j["s"].to_numpy()] = False
    # Pass 3: no usable key: provider + kind + amount, nearest in time within the window.
    for _ in range(4):  # merge_asof may give two rows the same partner: repeat on the rest
        sc, lc = np.flatnonzero(s_free), np.flatnonzero(l_free)
        if not len(sc) or not len(lc):
            break
        a = pd.DataFrame({"s": sc, "p": S["prov"][sc], "k": S["kind"][sc].astype(np.int64),
                          "amt": S["amount"][sc], "t": S["at"][sc]}).sort_values("t")
        b = pd.DataFrame({"l": lc, "p": L["prov"][lc], "k": L["kind"][lc].astype(np.int64),
                          "amt": L["amount"][lc], "t": L["at"][lc]}).sort_values("t")
        j = pd.merge_asof(a, b, on="t", by=["p", "k", "amt"], tolerance=window,
                          direction="nearest", allow_exact_matches=True)
        j = j.dropna(subset=["l"])
        if not len(j):
            break
        j["l"] = j["l"].astype(np.int64)
        lt = L["at"][j["l"].to_numpy()]
        j["gap"] = np.abs(j["t"].to_numpy() - lt)
        j = j.sort_values(["gap", "s"]).drop_duplicates("l")
        p_l.append(j["l"].to_numpy())
        p_s.append(j["s"].to_numpy())
        p_pass.append(np.full(len(j), 2, np.int8))
        l_free[j["l"].to_numpy()] = False
        s_free[j["s"].to_numpy()] = False
    return {"l": _joined(p_l, np.int64), "s": _joined(p_s, np.int64),
            "pass": _joined(p_pass, np.int8), "status": status,
            "status_l": np.where(status, lpos, -1), "dup_of": dup_of,
            "s_opos": s_opos}


def _classify_pairs(L, S, P, tolerance_fen, rates, prov_cats, kept=frozenset()):
    """Bucket code of each pair (matched, or the pair exception that explains it), and the
    contract fee of every statement row (``kept``: providers that keep the fee on refunds)."""
    lp, sp = P["l"], P["s"]
    exp_fee, ppm = _fee_expected(S, rates, prov_cats, kept)
    cls = np.full(len(lp), _B["matched"], np.int8)
    cls[(ppm[sp] >= 0) & (S["fee"][sp] != exp_fee[sp])] = _B["fee_mismatch"]
    off = np.abs(S["amount"][sp] - L["amount"][lp]) > tolerance_fen
    cls[off & (L["kind"][lp] == _PAY)] = _B["amount_mismatch"]
    cls[off & (L["kind"][lp] == _REF)] = _B["refund_mismatch"]
    cls[(L["prov"][lp] != S["prov"][sp]) | S["failed"][sp]] = _B["status_mismatch"]
    return cls, exp_fee


def _fee_expected(S, rates, prov_cats, kept=frozenset()) -> tuple[np.ndarray, np.ndarray]:
    """Contract fee of every statement row (its own fee where no rate is known), and ppm."""
    ppm = np.array([rates.get(p, -1) for p in prov_cats] + [-1], dtype=np.int64)[S["prov"]]
    exp = fen_at_rate(S["amount"], ppm=np.maximum(ppm, 0))
    if kept:  # no fee comes back on these providers' refunds
        keeps = np.array([p in kept for p in prov_cats] + [False])[S["prov"]]
        exp[keeps & (S["kind"] == _REF)] = 0
    return np.where(ppm >= 0, exp, S["fee"]), ppm
