"""Read and write a mall folder: one file per canonical table, validated on the way in.

A *mall folder* holds ``orders``, ``order_lines``, ``refunds``, ``products``,
``inventory``, ``traffic``, ``promotions``, ``statements`` and ``targets`` as Parquet
(``orders.parquet``) or CSV (``orders.csv``) files, so analysts can point every
function and notebook at their own data. :func:`read_mall` validates every table with
:func:`mallkit.schema.validate`.

CSV files are written as UTF-8 with a byte-order mark so Excel opens the Chinese text
correctly; on reading, UTF-8 (with or without BOM) and GBK (Excel's default on Chinese
Windows) are both understood. A money column may be given in fen (header ``paid_fen``,
integers) or in yuan (header ``paid_yuan``, ``paid（元）`` or ``paid(元)``, text such
as ``1,234.50``); yuan are converted exactly with :func:`mallkit.money.to_fen`.

Examples
--------
>>> import tempfile
>>> from mallkit.datasets import make_sample_mall
>>> from mallkit.io import read_mall, write_mall
>>> mall = make_sample_mall(seed=2, start="2025-11-01", end="2025-11-30", n_customers=300)
>>> with tempfile.TemporaryDirectory() as d:
...     _ = write_mall(mall, d, format="csv")
...     back = read_mall(d)
>>> back["orders"].equals(mall["orders"])
True
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from mallkit.datasets import TABLE_NAMES, AnswerKey
from mallkit.errors import MallkitError, SchemaError
from mallkit.money import to_fen
from mallkit.schema import TABLES, validate

__all__ = ["read_mall", "read_table", "write_mall"]

_ANSWER_PARTS = ("promotions", "discrepancies", "customers", "event_uplift")
_YUAN = re.compile(r"^(?P<stem>.+?)(?:_yuan|\s*[（(]元[）)])$")


def write_mall(tables: dict, path: str | Path, /, *, format: str = "parquet") -> list[Path]:
    """Write the canonical tables of a mall (and its answer key, if any) to a folder.

    Parameters
    ----------
    tables : dict
        Table name → DataFrame, as returned by :func:`mallkit.datasets.make_sample_mall`.
        Keys that are not canonical tables are ignored, except ``answer_key``.
    path : str or Path
        The folder; created if absent. Existing files of the same names are replaced.
    format : {"parquet", "csv"}
        File format. CSV money stays in integer fen (``*_fen`` headers).

    Returns
    -------
    list of Path
        The files written.
    """
    if format not in ("parquet", "csv"):
        raise MallkitError(f"write_mall: format must be 'parquet' or 'csv', got {format!r}")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLE_NAMES:
        if name in tables:
            written.append(_write(validate(tables[name], name), folder / name, format))
    key = tables.get("answer_key")
    if isinstance(key, AnswerKey):
        sub = folder / "answer_key"
        sub.mkdir(exist_ok=True)
        for part in _ANSWER_PARTS:
            written.append(_write(getattr(key, part), sub / part, format))
    return written


def _write(df: pd.DataFrame, stem: Path, format: str) -> Path:
    if format == "parquet":
        out = stem.with_suffix(".parquet")
        df.to_parquet(out, index=False)
    else:
        out = stem.with_suffix(".csv")
        df.to_csv(out, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d %H:%M:%S")
    return out


def read_mall(path: str | Path, /, *, tables: tuple[str, ...] | None = None) -> dict:
    """Read a mall folder written by :func:`write_mall` or prepared by hand.

    Parameters
    ----------
    path : str or Path
        The folder. For each table, ``<table>.parquet`` is preferred over ``<table>.csv``.
    tables : tuple of str, optional
        Tables to read; by default every canonical table present. Asking for a table
        that has no file is an error.

    Returns
    -------
    dict
        Table name → validated DataFrame; plus ``answer_key`` when the folder has one.

    Raises
    ------
    MallkitError
        When the folder does not exist or holds none of the tables asked for.
    SchemaError
        When a table breaks the schema; the message names the file.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise MallkitError(f"read_mall: folder {str(folder)!r} does not exist")
    wanted = tables or TABLE_NAMES
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise MallkitError(f"read_mall: unknown table(s) {', '.join(unknown)}; "
                           f"canonical tables are {', '.join(TABLE_NAMES)}")
    out = {}
    for name in wanted:
        file = _find(folder, name)
        if file is None:
            if tables:
                raise MallkitError(f"read_mall: no {name}.parquet or {name}.csv in {folder}")
            continue
        out[name] = read_table(file, name)
    if not out:
        raise MallkitError(
            f"read_mall: {folder} holds none of the mall's tables "
            f"(expected files like orders.parquet or orders.csv; found "
            f"{', '.join(sorted(p.name for p in folder.iterdir())[:10]) or 'nothing'})"
        )
    sub = folder / "answer_key"
    if sub.is_dir() and all(_find(sub, p) for p in _ANSWER_PARTS):
        parts = {p: _read_raw(_find(sub, p)) for p in _ANSWER_PARTS}
        out["answer_key"] = AnswerKey(**parts)
    return out


def _find(folder: Path, name: str) -> Path | None:
    for suffix in (".parquet", ".csv"):
        f = folder / f"{name}{suffix}"
        if f.is_file():
            return f
    return None


def _read_raw(file: Path) -> pd.DataFrame:
    if file.suffix == ".parquet":
        return pd.read_parquet(file)
    return _read_csv(file, dtype=None)


def _read_csv(file: Path, dtype) -> pd.DataFrame:
    for enc in ("utf-8-sig", "gbk"):
        try:
            return pd.read_csv(file, dtype=dtype, encoding=enc, keep_default_na=False,
                               na_values=[""])
        except UnicodeDecodeError:
            continue
    raise MallkitError(f"{file}: not UTF-8 or GBK text; save it as CSV UTF-8 from Excel")


def read_table(file: str | Path, table: str, /) -> pd.DataFrame:
    """Read one canonical table from a Parquet or CSV file and validate it.

    CSV columns are read as text and converted by the schema: integers and fen
    exactly, yuan columns (``*_yuan``, ``*（元）``) through :func:`mallkit.money.to_fen`.
    """
    file = Path(file)
    if file.suffix == ".parquet":
        df = pd.read_parquet(file)
    else:
        df = _csv_to_canonical(_read_csv(file, dtype=str), table, file)
    try:
        return validate(df, table)
    except SchemaError as e:
        e.args = (f"{file}: {e.args[0]}",)
        raise


def _csv_to_canonical(df: pd.DataFrame, table: str, file: Path) -> pd.DataFrame:
    """Turn the text columns of a CSV into the numbers the schema expects."""
    t = TABLES[table]
    kinds = {c.name: c.kind for c in t.columns}
    out = {}
    for col in df.columns:
        s = df[col]
        m = _YUAN.match(str(col))
        fen_name = f"{m['stem']}_fen" if m else None
        if fen_name and kinds.get(fen_name) == "money":
            out[fen_name] = to_fen(s, name=f"{file.name}:{col}")
            continue
        kind = kinds.get(col)
        if kind in ("money", "int"):
            out[col] = _integers(s, f"{file.name}:{col}", table, col)
        elif kind == "float":
            out[col] = pd.to_numeric(s, errors="coerce").where(s.notna())
            bad = out[col].isna() & s.notna()
            if bad.any():
                raise SchemaError(f"{file}: column '{col}' of table '{table}' has non-numbers, "
                                  f"e.g. {s[bad].head(5).tolist()}", table=table, column=col,
                                  rule="number")
        else:
            out[col] = s
    return pd.DataFrame(out, index=df.index)


def _integers(s: pd.Series, where: str, table: str, col: str) -> pd.Series:
    txt = s.str.strip()
    ok = txt.str.fullmatch(r"[+-]?\d+")
    if not ok.fillna(False).all() or s.isna().any():
        bad = s[~ok.fillna(False).astype(bool)]
        raise SchemaError(
            f"{where}: column '{col}' of table '{table}' must hold integers "
            f"(fen for money; use a *_yuan header for yuan), e.g. {bad.head(5).tolist()}",
            table=table, column=col, rule="integer")
    return txt.astype("int64")
