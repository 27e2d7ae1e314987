"""Command line: ``mallkit report``, ``mallkit reconcile`` and ``mallkit sample`` (also
``python -m mallkit``).

Examples (shell)::

    mallkit report all                                  # this week's and this month's reports
    mallkit report weekly --period 2026-W47             # on the sample mall
    mallkit report monthly --period 2026-10 --data ~/mall --out ~/reports
    mallkit report whatif -p threshold_yuan 300 -p reduction_yuan 40
    mallkit reconcile --data ~/mall --bills ~/bills/20261125_*.zip ~/bills/wx_20261125.csv
    mallkit sample --out ~/mall --format csv            # write the sample mall to a folder

Cron lines: Monday 07:00 last week's report; every day 10:30 (after the gateways publish
yesterday's bills) yesterday's reconciliation, carrying open items in the pool folder::

    0 7 * * 1  cd /path/to/mallkit && \\
        .venv/bin/mallkit report weekly --period $(date -d 'last week' +\\%G-W\\%V)
    30 10 * * *  cd /path/to/mallkit && .venv/bin/mallkit reconcile --data ~/mall \\
        --bills ~/bills/$(date -d yesterday +\\%Y\\%m\\%d)_* --out ~/对账
"""

from __future__ import annotations

import argparse
import sys

from mallkit.errors import MallkitError, PeriodError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="mallkit", description="mallkit reports and sample data")
    sub = ap.add_subparsers(dest="command", required=True)
    rp = sub.add_parser("report", help="run a report notebook and write HTML + JSON")
    rp.add_argument("name", choices=["weekly", "monthly", "whatif", "all"],
                    help="which report; 'all' = this week's and this month's")
    rp.add_argument("--period", help="2026-W47 for weekly, 2026-11 for monthly; default: "
                                     "the week / month containing yesterday (Asia/Shanghai)")
    rp.add_argument("--data", default="", help="mall folder (mallkit.io.write_mall); "
                                                 "default: the sample mall")
    rp.add_argument("--out", default="reports", help="output folder (default: reports)")
    rp.add_argument("--as-of", default="", help="last day to include, YYYY-MM-DD")
    rp.add_argument("-p", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                    help="any other notebook parameter (repeatable)")
    rp.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell")
    rp.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                    help="progress bar (default: when the terminal is interactive)")
    cp = sub.add_parser("reconcile", help="reconcile a day's orders and refunds with the "
                                          "gateway bills and write the finance pack")
    cp.add_argument("--day", default="", help="YYYY-MM-DD (default: yesterday, Asia/Shanghai)")
    cp.add_argument("--end", default="", help="last day of a batch of several days "
                                              "(default: --day)")
    cp.add_argument("--data", default="", help="mall folder with orders and refunds "
                                               "(default: the sample mall)")
    cp.add_argument("--bills", nargs="*", default=None, metavar="FILE",
                    help="Alipay / WeChat Pay bill files as downloaded (csv, csv.zip, gz); "
                         "default: the mall folder's statements table")
    cp.add_argument("--out", default="reconciliation", help="folder for the packs and the "
                                                            "pool (default: reconciliation)")
    cp.add_argument("--format", choices=["xlsx", "csv", "html"], default="xlsx")
    cp.add_argument("--max-age-days", type=int, default=2,
                    help="pool items older than this are escalated (default: 2, T+2)")
    cp.add_argument("--fee-rate", nargs=2, action="append", default=[],
                    metavar=("PROVIDER", "RATE"),
                    help="contract fee rate, e.g. --fee-rate alipay 0.0038 (default 0.006 "
                         "each; 'none' skips the provider's fee check); repeatable")
    cp.add_argument("--merchant-order-col", default="order_id",
                    help="orders column holding the 商户订单号 sent to the gateway when it is "
                         "not the order id (payment serials, combined payments)")
    cp.add_argument("--refund-fee", nargs=2, action="append", default=[],
                    metavar=("PROVIDER", "pro_rata|kept"),
                    help="whether the fee comes back on refunds (default pro_rata); repeatable")
    sp = sub.add_parser("sample", help="write the sample mall to a folder")
    sp.add_argument("--out", required=True)
    sp.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--customers", type=int, default=20_000)
    return ap


def _report(args) -> int:
    from mallkit import calendar as mcal
    from mallkit import report

    progress = sys.stderr.isatty() if args.progress is None else args.progress
    yesterday = mcal.yesterday()
    freq = {"weekly": "W", "monthly": "M"}
    if args.name == "all":
        jobs = [(n, mcal.period_label(yesterday, freq=f)) for n, f in freq.items()]
    elif args.period is None and args.name in freq:  # the week / month containing yesterday
        jobs = [(args.name, mcal.period_label(yesterday, freq=freq[args.name]))]
    else:
        jobs = [(args.name, args.period)]
    for name, period in jobs:
        raw = dict(args.p)
        params = report.coerce_params(name, raw)
        if period:
            params["period"] = period
        if args.data:
            params["data_dir"] = args.data
        if args.as_of:
            params["as_of"] = args.as_of
        print(f"mallkit: running {name} report {params.get('period', '')}".rstrip(), flush=True)
        res = report.run_report(name, params=params, out_dir=args.out, timeout=args.timeout,
                                progress=progress)
        print(f"  wrote {res.html}\n  wrote {res.json}\n  wrote {res.notebook}", flush=True)
    return 0


def _sample(args) -> int:
    from mallkit.datasets import make_sample_mall
    from mallkit.io import write_mall

    mall = make_sample_mall(seed=args.seed, n_customers=args.customers)
    files = write_mall(mall, args.out, format=args.format)
    print(f"mallkit: wrote {len(files)} files to {args.out}")
    return 0


def _reconcile(args) -> int:
    """One batch: the pool of the latest earlier batch in ``--out`` comes in, this batch's
    pool and finance pack go out (``pool_<end>.parquet``, ``对账_<start>[_<end>].xlsx``);
    running a day again reads the same earlier pool, so it gives the same result."""
    from pathlib import Path

    import pandas as pd

    from mallkit import calendar as mcal
    from mallkit.bills import read_bill
    from mallkit.finance_pack import finance_pack, write_finance_pack
    from mallkit.io import read_mall
    from mallkit.money import fen_to_yuan
    from mallkit.reconcile import DEFAULT_FEE_RATES, reconcile
    from mallkit.report import load_mall
    from mallkit.schema import TABLES

    try:
        start = pd.Timestamp(args.day).normalize() if args.day else mcal.yesterday()
        end = pd.Timestamp(args.end).normalize() if args.end else start
    except ValueError as exc:
        raise PeriodError(f"reconcile: --day {args.day!r} / --end {args.end!r} must be dates "
                          "YYYY-MM-DD") from exc
    need = ["orders", "refunds"] + ([] if args.bills is not None else ["statements"])
    # a folder without statements is named by read_mall: pass the bills with --bills then
    mall = read_mall(args.data, tables=need) if args.data else load_mall("")
    if args.bills is not None:
        files = [read_bill(f) for f in args.bills]
        statements = (pd.concat(files, ignore_index=True) if files
                      else pd.DataFrame(columns=TABLES["statements"].names))
    else:
        files, statements = [], mall["statements"]
    out = Path(args.out).expanduser()
    earlier = sorted(p for p in out.glob("pool_*.parquet")
                     if p.stem[5:] < str(start.date()))  # ISO dates sort as text
    pool = pd.read_parquet(earlier[-1]) if earlier else None
    rates = {**DEFAULT_FEE_RATES, **dict(args.fee_rate)}
    rates = {p: r for p, r in rates.items() if r.lower() != "none"}
    rec = reconcile(mall["orders"], mall["refunds"], statements, start=start, end=end,
                    pool=pool, max_age=pd.Timedelta(days=args.max_age_days),
                    fee_rates=rates, refund_fee=dict(args.refund_fee),
                    merchant_order_col=args.merchant_order_col)
    label = str(start.date()) + ("" if end == start else f"_{end.date()}")
    out.mkdir(parents=True, exist_ok=True)
    rec.pool.to_parquet(out / f"pool_{end.date()}.parquet", index=False)
    name = {"xlsx": f"对账_{label}.xlsx", "csv": f"对账_{label}", "html": f"对账_{label}.html"}
    written = write_finance_pack(finance_pack(rec, files=files), out / name[args.format],
                                 format=args.format)
    t = rec.totals
    print(f"mallkit: reconciled {label}: pool in from "
          f"{earlier[-1].name if earlier else '(none)'}")
    for r in t.itertuples(index=False):
        ties = "平" if r.ledger_ties and r.statement_ties else "不平"
        print(f"  {r.provider}: mall {fen_to_yuan(r.ledger_fen)}, gateway "
              f"{fen_to_yuan(r.statement_fen)}, matched {r.matched_n}, exceptions "
              f"{r.exceptions_n}, fees {fen_to_yuan(r.fee_fen)}, net {fen_to_yuan(r.net_fen)}"
              f" ({ties})")
    day_before = str((start - pd.Timedelta(days=1)).date())
    if earlier and earlier[-1].stem[5:] != day_before:  # a day was skipped
        print(f"  warning: the last run in {out} ended {earlier[-1].stem[5:]}, not "
              f"{day_before}: the days between are not reconciled (run them first)")
    for r in rec.summary[rec.summary["no_bill"]].itertuples(index=False):
        print(f"  warning: no {r.provider} bill rows for {r.day.date()} while the mall expects "
              f"{r.ledger_n} item(s): was that bill passed?")
    counts = rec.exceptions["class"].value_counts()
    print("  exceptions: " + (", ".join(f"{c} {n}" for c, n in counts.items()) or "none"))
    print(f"  pool out: {len(rec.pool)} open item(s)")
    for f in [out / f"pool_{end.date()}.parquet", *written]:
        print(f"  wrote {f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mallkit`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        run = {"report": _report, "reconcile": _reconcile, "sample": _sample}[args.command]
        return run(args)
    except MallkitError as e:
        print(f"mallkit: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
