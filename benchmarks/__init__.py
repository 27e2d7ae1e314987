"""Benchmarks of mallkit's heavy steps against DuckDB on the same in-memory data.

Run ``python -m benchmarks`` (or ``make bench``); see ``benchmarks/README.md``.
Each ``benchmarks/bench_*.py`` module lists its kernels in a module-level
``BENCHMARKS`` list of :class:`benchmarks.harness.Benchmark`; the runner finds them.
"""
