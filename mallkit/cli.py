"""Command line: ``mallkit report ...`` and ``mallkit sample ...`` (also ``python -m mallkit``).

Examples (shell)::

    mallkit report all                                  # this week's and this month's reports
    mallkit report weekly --period 2026-W47             # on the sample mall
    mallkit report monthly --period 2026-10 --data ~/mall --out ~/reports
    mallkit report whatif -p threshold_yuan 300 -p reduction_yuan 40
    mallkit sample --out ~/mall --format csv            # write the sample mall to a folder

A cron line for Monday 07:00 (last week's report)::

    0 7 * * 1  cd /path/to/mallkit && \\
        .venv/bin/mallkit report weekly --period $(date -d 'last week' +\\%G-W\\%V)
"""

from __future__ import annotations

import argparse
import sys

from mallkit.errors import MallkitError

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


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mallkit`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _report(args) if args.command == "report" else _sample(args)
    except MallkitError as e:
        print(f"mallkit: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
