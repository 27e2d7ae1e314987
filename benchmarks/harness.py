"""The benchmark harness: the ``Benchmark`` record, discovery, timing and peak memory.

A benchmark module is any ``benchmarks/bench_*.py`` with a module-level ``BENCHMARKS``
list of :class:`Benchmark`. Adding a kernel means adding one such module (or one entry);
the runner in ``benchmarks/__main__.py`` needs no change. A module whose imports fail
(e.g. it benchmarks a mallkit function that does not exist yet) is reported and skipped,
so one unfinished kernel does not stop the others.

Timing is the best of ``repeat`` wall-clock runs with the data already in memory
(setup is not timed). Peak memory is the extra resident memory over the RSS measured
just before an engine's first run (after setup and a garbage collection), read from
``VmHWM`` in ``/proc/self/status`` after resetting it through ``/proc/self/clear_refs``
(Linux only; elsewhere it is reported as n/a).
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

Data = dict[str, Any]  # table name -> DataFrame; other values are parameters


@dataclass(frozen=True)
class Benchmark:
    """One kernel timed in mallkit and, optionally, in DuckDB on the same data.

    Parameters
    ----------
    name : str
        Kernel name shown in the table and matched by the command-line filters.
    rows : int
        Rows of the main input table at ``--scale 1.0``; ``setup`` gets ``scaled(scale)``.
    setup : callable
        ``setup(n_rows) -> {name: DataFrame or parameter}``; builds the input with a fixed
        seed. Every DataFrame is registered in DuckDB under its key, so SQL can name it;
        other values (e.g. a size for a generator) are passed on untouched.
    run_mallkit : callable
        ``run_mallkit(data) -> result``: the mallkit code being measured.
    run_duckdb : callable, optional
        ``run_duckdb(con, data) -> result``: the equivalent DuckDB SQL (``con`` already has
        the frames registered and ``threads`` set). ``None`` if there is no reference.
    check : callable, optional
        ``check(data, mallkit_result, duckdb_result)`` raises ``AssertionError`` if the
        results disagree (``duckdb_result`` is ``None`` without DuckDB). Not timed.
    description : str
        One line on what is measured, at which scale.
    """

    name: str
    rows: int
    setup: Callable[[int], Data]
    run_mallkit: Callable[[Data], Any]
    run_duckdb: Callable[[Any, Data], Any] | None = None
    check: Callable[[Data, Any, Any], None] | None = None
    description: str = ""

    def scaled(self, scale: float) -> int:
        """Rows of the main table at ``scale`` (at least 1)."""
        return max(1, round(self.rows * scale))


@dataclass
class Result:
    """What one benchmark run measured (seconds are best-of-``repeat`` wall clock)."""

    kernel: str
    module: str
    rows: int
    scale: float
    repeat: int
    setup_s: float
    mallkit_s: float | None = None
    mallkit_runs: list[float] = field(default_factory=list)
    mallkit_peak_mb: float | None = None
    duckdb_s: float | None = None
    duckdb_runs: list[float] = field(default_factory=list)
    duckdb_peak_mb: float | None = None
    check: str = "n/a"  # "ok", "n/a" or "FAILED: <reason>"
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        """mallkit seconds / DuckDB seconds: how many times slower mallkit is."""
        if self.mallkit_s is None or not self.duckdb_s:
            return None
        return self.mallkit_s / self.duckdb_s


# --------------------------------------------------------------------------- discovery
def discover(package: str = "benchmarks") -> tuple[list[tuple[str, Benchmark]], list[str]]:
    """Import every ``bench_*`` module of ``package``; return (module, benchmark) pairs.

    The second item lists modules that failed to import, with the reason.
    """
    pkg = importlib.import_module(package)
    found: list[tuple[str, Benchmark]] = []
    failed: list[str] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not info.name.startswith("bench_"):
            continue
        try:
            mod = importlib.import_module(f"{package}.{info.name}")
        except Exception as exc:  # an unfinished kernel must not stop the others
            failed.append(f"{info.name}: {type(exc).__name__}: {exc}")
            continue
        for b in getattr(mod, "BENCHMARKS", []):
            found.append((info.name, b))
    return found, failed


def select(
    benchmarks: Iterable[tuple[str, Benchmark]], filters: list[str]
) -> list[tuple[str, Benchmark]]:
    """Keep benchmarks whose name or module contains any filter (all if no filter)."""
    if not filters:
        return list(benchmarks)
    return [
        (m, b) for m, b in benchmarks if any(f in b.name or f in m for f in filters)
    ]


# --------------------------------------------------------------------------- memory
_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


def _status_kb(field_name: str) -> int | None:
    try:
        with open(_STATUS) as fh:
            for line in fh:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write "5" to clear_refs)."""
    try:
        with open(_CLEAR_REFS, "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


class PeakMemory:
    """Extra peak RSS (MB) of a block of code over the RSS when :meth:`start` ran."""

    def __init__(self) -> None:
        self.baseline_kb: int | None = None
        self.ok = False

    def start(self) -> None:
        gc.collect()
        self.baseline_kb = _status_kb("VmRSS")
        self.ok = self.baseline_kb is not None and _reset_hwm()

    def stop(self) -> float | None:
        if not self.ok or self.baseline_kb is None:
            return None
        hwm = _status_kb("VmHWM")
        if hwm is None:
            return None
        return max(0, hwm - self.baseline_kb) / 1024


# --------------------------------------------------------------------------- running
def _time(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    runs, out = [], None
    for _ in range(repeat):
        out = None  # free the previous result before the next run
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t0)
    return runs, out


def _connect(threads: int):
    try:
        import duckdb
    except ImportError:
        return None
    return duckdb.connect(config={"threads": threads})


def run_one(
    module: str,
    bench: Benchmark,
    *,
    scale: float,
    repeat: int,
    threads: int = 2,
    use_duckdb: bool = True,
) -> Result:
    """Set up one benchmark and time mallkit, then DuckDB, on the same frames."""
    n = bench.scaled(scale)
    t0 = time.perf_counter()
    data = bench.setup(n)
    res = Result(bench.name, module, n, scale, repeat, time.perf_counter() - t0)
    mem = PeakMemory()
    try:
        mem.start()
        res.mallkit_runs, mk_out = _time(lambda: bench.run_mallkit(data), repeat)
        res.mallkit_peak_mb = mem.stop()
        res.mallkit_s = min(res.mallkit_runs)
        db_out = None
        con = _connect(threads) if (use_duckdb and bench.run_duckdb is not None) else None
        if con is not None:
            for name, frame in data.items():
                if isinstance(frame, pd.DataFrame):
                    con.register(name, frame)
            mem.start()
            res.duckdb_runs, db_out = _time(lambda: bench.run_duckdb(con, data), repeat)
            res.duckdb_peak_mb = mem.stop()
            res.duckdb_s = min(res.duckdb_runs)
            con.close()
        if bench.check is not None:
            try:
                bench.check(data, mk_out, db_out)
                res.check = "ok"
            except AssertionError as exc:
                res.check = f"FAILED: {exc}"
    except Exception as exc:
        res.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
    return res


# --------------------------------------------------------------------------- output
COLUMNS = ("kernel", "rows", "mallkit s", "duckdb s", "ratio", "peak MB", "duckdb MB", "check")
_WIDTHS = (22, 12, 10, 10, 7, 9, 10, 6)


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def _line(cells: Iterable[str]) -> str:
    return "  ".join(
        c.ljust(w) if i == 0 else c.rjust(w)
        for i, (c, w) in enumerate(zip(cells, _WIDTHS, strict=True))
    )


def header() -> str:
    """The table header line and a rule under it."""
    return _line(COLUMNS) + "\n" + "-" * (sum(_WIDTHS) + 2 * (len(_WIDTHS) - 1))


def row(r: Result) -> str:
    """One aligned table row for a result."""
    return _line(
        (
            r.kernel,
            f"{r.rows:,}",
            _fmt(r.mallkit_s, ".3f"),
            _fmt(r.duckdb_s, ".3f"),
            "-" if r.ratio is None else f"{r.ratio:.1f}x",
            _fmt(r.mallkit_peak_mb, ",.0f"),
            _fmt(r.duckdb_peak_mb, ",.0f"),
            "ERROR" if r.error else r.check.split(":")[0],
        )
    )
