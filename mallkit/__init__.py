"""mallkit: the analytics toolkit of a B2C online mall.

The shared vocabulary is importable from the top level; the analytics live in their
modules (``mallkit.metrics``, ``mallkit.targets``, ``mallkit.promotions``,
``mallkit.rfm``, ``mallkit.inventory``, ``mallkit.reconcile``).

Examples
--------
>>> import mallkit
>>> mall = mallkit.make_sample_mall(seed=0, start="2025-11-01", end="2025-11-30",
...                                 n_customers=300)
>>> sorted(mall)[:3]
['answer_key', 'inventory', 'order_lines']
"""

from mallkit.datasets import make_sample_mall
from mallkit.errors import (
    AllocationError,
    MallkitError,
    MissingColumnsError,
    MoneyError,
    PeriodError,
    SchemaError,
)
from mallkit.io import read_mall, write_mall
from mallkit.money import allocate, fen_to_yuan, to_fen
from mallkit.schema import validate

__all__ = [
    "AllocationError",
    "MallkitError",
    "MissingColumnsError",
    "MoneyError",
    "PeriodError",
    "SchemaError",
    "allocate",
    "fen_to_yuan",
    "make_sample_mall",
    "read_mall",
    "to_fen",
    "validate",
    "write_mall",
]
__version__ = "0.1.0"
