"""Command line of the benchmarks: ``python -m benchmarks [NAME ...] [options]``.

Examples
--------
``python -m benchmarks --scale 0.01``      quick smoke run of every kernel (seconds)
``python -m benchmarks validate``          kernels whose name or module contains "validate"
``python -m benchmarks --save``            full scale, results also to results/latest.jsonl
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

from benchmarks.harness import discover, header, row, run_one, select

RESULTS = Path(__file__).resolve().parent / "results" / "latest.jsonl"


def _versions() -> dict[str, str]:
    import numpy
    import pandas

    v = {"python": platform.python_version(), "pandas": pandas.__version__,
         "numpy": numpy.__version__}
    try:
        import duckdb

        v["duckdb"] = duckdb.__version__
    except ImportError:
        v["duckdb"] = "not installed"
    return v


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="run only kernels whose name or module contains one")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="fraction of each kernel's full size (default 1.0; 0.01 = smoke run)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per engine; best is kept (3)")
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads (default 2)")
    ap.add_argument("--no-duckdb", action="store_true", help="time mallkit only")
    ap.add_argument("--save", action="store_true", help=f"write JSON lines to {RESULTS}")
    ap.add_argument("--list", action="store_true", help="list the kernels and exit")
    args = ap.parse_args(argv)
    if args.scale <= 0 or args.repeat < 1:
        ap.error("--scale must be > 0 and --repeat >= 1")

    found, failed = discover()
    for f in failed:
        print(f"skipped module {f}", file=sys.stderr)
    chosen = select(found, args.names)
    if args.list:
        for mod, b in found:
            print(f"{b.name:22}  {b.rows:>12,} rows  {mod}: {b.description}")
        return 0
    if not chosen:
        print(f"no benchmark matches {args.names}", file=sys.stderr)
        return 2

    versions = _versions()
    print(", ".join(f"{k} {v}" for k, v in versions.items())
          + f"; {os.cpu_count()} CPUs; scale {args.scale:g}; best of {args.repeat}; "
          f"duckdb threads={args.threads}")
    print(header(), flush=True)
    results = []
    for mod, b in chosen:
        r = run_one(mod, b, scale=args.scale, repeat=args.repeat, threads=args.threads,
                    use_duckdb=not args.no_duckdb)
        results.append(r)
        print(row(r), flush=True)
        if r.error:
            print(f"  error: {r.error}", file=sys.stderr)
        elif r.check.startswith("FAILED"):
            print(f"  check {r.check}", file=sys.stderr)

    if args.save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().isoformat(timespec="seconds")
        with RESULTS.open("w") as fh:
            for r in results:
                rec = {"time": stamp, **dataclasses.asdict(r), "ratio": r.ratio,
                       "threads": args.threads, "cpus": os.cpu_count(), **versions}
                fh.write(json.dumps(rec) + "\n")
        print(f"saved {len(results)} result(s) to {RESULTS}")
    bad = any(r.error or r.check.startswith("FAILED") for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
