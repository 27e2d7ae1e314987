"""The exception rows of :func:`mallkit.reconcile.reconcile` (its ``exceptions`` table).

One row per difference, a pair counting once: its class, the ids and values of both
sides, the signed difference in fen, a stable ``exception_id`` (a hash of the class, ids
and times, so finance's notes can follow a difference from run to run) and the words
for it, in English (``note``) and Chinese (``note_zh``, the finance pack's 说明).
Built from the placed rows of :mod:`mallkit.reconcile`; nothing here imports it.

Examples
--------
>>> from mallkit.datasets import make_sample_mall
>>> from mallkit.reconcile import reconcile
>>> m = make_sample_mall(seed=1, start="2025-11-01", end="2025-11-30", n_customers=800)
>>> e = reconcile(m["orders"], m["refunds"], m["statements"], start="2025-11-01",
...               end="2025-11-30").exceptions
>>> e.loc[e["class"] == "fee_mismatch", ["merchant_order_id", "note_zh"]].iloc[0].tolist()
['W2511020000003', '实收手续费 ¥4.42，按合同费率应为 ¥2.65']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mallkit.matching import _B, _KINDS, BUCKETS, CLASSES, _take
from mallkit.money import fen_to_yuan


def _get(a: np.ndarray, idx: np.ndarray, fill: Any = 0) -> np.ndarray:
    """``a[idx]`` where ``idx >= 0``, else ``fill`` (``a`` may be empty)."""
    if not len(a):
        return np.full(len(idx), fill, dtype=a.dtype)
    return np.where(idx >= 0, a[np.maximum(idx, 0)], fill)


def _exceptions(L, S, X, exp_fee, day_ts, orders, prov_cats, nL) -> pd.DataFrame:
    pl, ps = X["L"], X["S"]
    exc_codes = [_B[c] for c in CLASSES]
    es = np.flatnonzero(np.isin(ps["b"], exc_codes))
    el_all = np.flatnonzero(np.isin(pl["b"], exc_codes) & (L["lead"] < 0))
    partner = pl["pair"][el_all]
    covered = (partner >= 0) & (_get(ps["b"], partner, -1) == pl["b"][el_all])
    el = el_all[~covered]
    e_l = np.r_[ps["pair"][es], el]
    e_s = np.r_[es, np.full(len(el), -1)]
    cls = np.r_[ps["b"][es], pl["b"][el]]
    has_l, has_s = e_l >= 0, e_s >= 0
    lf, sf = _get(L["amount"], e_l), _get(S["amount"], e_s)
    fee, efee = _get(S["fee"], e_s), _get(exp_fee, e_s)
    l_order = _take(L["order_parts"], e_l)
    s_order = _take(S["order_parts"], e_s)
    l_refund = _take(L["refund_parts"], e_l)
    s_refund = _take(S["refund_parts"], e_s)
    nat = np.datetime64("NaT", "us")
    e = pd.DataFrame({
        "class": pd.Categorical.from_codes(cls, list(BUCKETS)).astype("str"),
        "provider": np.asarray([*prov_cats, None], dtype=object)[
            np.where(has_s, _get(S["prov"], e_s), _get(L["prov"], e_l))],
        "kind": _KINDS[np.where(has_s, _get(S["kind"], e_s), _get(L["kind"], e_l))],
        "merchant_order_id": l_order.where(pd.Series(has_l), s_order),
        "refund_id": l_refund.where(pd.Series(has_l), s_refund),
        "txn_id": _take(S["txn_parts"], e_s),
        "statement_order_id": s_order,
        "ledger_at": _get(L["at"], e_l, nat),
        "statement_at": _get(S["at"], e_s, nat),
        "ledger_fen": lf, "statement_fen": sf, "diff_fen": sf - lf,
        "fee_fen": fee, "expected_fee_fen": efee, "fee_diff_fen": fee - efee,
        "day": day_ts[np.where(has_s, _get(ps["day"], e_s), _get(pl["day"], e_l))],
        "escalated": _get(ps["esc"], e_s, False) | _get(pl["esc"], e_l, False),
        "ledger_item": e_l, "statement_item": np.where(has_s, e_s + nL, -1),
    })
    e["provider"] = e["provider"].astype("str")
    e["note"], e["note_zh"] = _notes(e, L, S, orders, e_l, e_s)
    e["class"] = pd.Categorical(e["class"], categories=list(CLASSES))
    e = e.sort_values(["class", "provider", "day", "statement_at", "ledger_at"], kind="stable")
    e["class"] = e["class"].astype("str")
    e.insert(0, "exception_id", _exception_ids(e))
    return e.reset_index(drop=True)


_ID_COLS = ["class", "provider", "kind", "merchant_order_id", "refund_id", "txn_id",
            "statement_order_id", "ledger_at", "statement_at"]
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _exception_ids(e: pd.DataFrame) -> np.ndarray:
    """A stable 16-hex-digit id per exception: a hash of its class, ids and both times
    (not of the batch or the amounts), so the same difference keeps its id when a day is
    re-run or seen again in a month's run, and finance's notes on it can follow it."""
    if not len(e):
        return np.zeros(0, dtype="<U16")
    h = pd.util.hash_pandas_object(e[_ID_COLS].astype({"class": "str"}), index=False)
    nibbles = (h.to_numpy()[:, None] >> np.arange(60, -1, -4, dtype=np.uint64)) & np.uint64(15)
    return _HEX[nibbles.astype(np.intp)].view("S16").ravel().astype("U16")


_STATUS_ZH = {"unpaid": "待支付", "paid": "已支付", "shipped": "已发货", "completed": "已完成",
              "cancelled": "已取消"}


def _notes(e: pd.DataFrame, L, S, orders, e_l, e_s) -> tuple[pd.Series, pd.Series]:
    """Words for the finance team per exception row, in English and in Chinese (the pack's
    说明); vectorised over the few exception rows."""
    note = pd.Series("", index=e.index, dtype="str")
    zh = note.copy()
    c = e["class"]
    yuan = fen_to_yuan(e["fee_fen"])
    exp = fen_to_yuan(e["expected_fee_fen"])
    m = c == "fee_mismatch"
    note[m] = "fee " + yuan[m] + " charged; contract rate gives " + exp[m]
    zh[m] = "实收手续费 " + yuan[m] + "，按合同费率应为 " + exp[m]
    m = (c == "status_mismatch").to_numpy() & (e_l >= 0)
    if m.any():
        o = orders.iloc[np.maximum(L["opos"][e_l[m]], 0)]
        st = o["status"].to_numpy(dtype=object)
        ch = o["channel"].to_numpy(dtype=object)
        pm = o["payment_method"].fillna("none").to_numpy(object)
        paid = fen_to_yuan(o["paid_fen"]).to_numpy(dtype=object)
        note[m] = ("mall order is " + st + " on channel " + ch + ", payment_method " + pm
                   + ", payable " + paid)
        zh[m] = ("平台订单" + pd.Series(st).map(_STATUS_ZH).fillna(pd.Series(st)).to_numpy(object)
                 + "，渠道 " + ch + "，支付方式 " + pm + "，应付 " + paid)
    failed = _get(S["failed"], e_s, False) & (c == "status_mismatch").to_numpy()
    note[failed] = note[failed] + "; the gateway marks the payment failed or revoked"
    zh[failed] = zh[failed] + "；渠道交易状态为失败/撤销"
    m = (c == "duplicate").to_numpy()
    note[m] = "a further gateway row for a key already on the bill"
    zh[m] = "同一商户订单号/退款单号在账单上再次出现（重复扣款）"
    m = e["escalated"].to_numpy()
    note[m] = "open longer than max_age: escalated from the pool"
    zh[m] = "挂账超过时限，已升级为异常"
    # A combined payment (合并支付): name the mall's orders it stands for.
    f = np.flatnonzero(L["lead"] >= 0)
    if len(f) and (lead := np.isin(e_l, L["lead"][f]) & (e_l >= 0)).any():
        ids = orders["order_id"].to_numpy(dtype=object)
        grp = pd.Series(np.r_[ids[e_l[lead]], ids[f]],
                        index=np.r_[e_l[lead], L["lead"][f]]).groupby(level=0).agg(", ".join)
        names = grp.reindex(e_l[lead]).to_numpy(dtype=object)
        sep = np.where(note[lead] == "", "", "; ").astype(object)
        note[lead] = note[lead].to_numpy(dtype=object) + sep + "combined payment of orders " + names
        zh[lead] = (zh[lead].to_numpy(dtype=object) + np.where(sep == "", "", "；")
                    + "合并支付，含订单 " + names)
    return note, zh
