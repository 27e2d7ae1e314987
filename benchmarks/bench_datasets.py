"""Generation time of the sample mall (the issue's budget: two years x 20,000 customers < 15 s).

No DuckDB reference: there is no equivalent SQL for a simulation. ``rows`` is the number
of customers; ``--scale`` shrinks it.
"""

from __future__ import annotations

from benchmarks.harness import Benchmark
from mallkit.datasets import make_sample_mall

N_CUSTOMERS = 20_000


def _run(data):
    return make_sample_mall(seed=0, start="2024-11-26", end="2026-11-25",
                            n_customers=data["n_customers"])


def _check(data, result, _duckdb):
    assert len(result["orders"]) > data["n_customers"]  # about three orders per customer


BENCHMARKS = [
    Benchmark(
        name="datasets.sample_mall",
        rows=N_CUSTOMERS,
        setup=lambda n: {"n_customers": max(int(n), 100)},
        run_mallkit=_run,
        check=_check,
        description="make_sample_mall, 2024-11-26..2026-11-25, seed 0, rows = customers",
    ),
]
