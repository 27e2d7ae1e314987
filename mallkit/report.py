"""Run the report notebooks with papermill and publish HTML and recorded figures.

``run_report("weekly", params={"period": "2026-W47"})`` validates the parameters against
the notebook's ``parameters`` cell (unknown names and wrong types are errors), executes
``notebooks/weekly_report.ipynb`` in the project's kernel, and writes under ``out_dir``:

* ``weekly/2026-W47.ipynb`` — the executed notebook;
* ``weekly/2026-W47.html`` — for readers: no code, no parameter cells, no stderr;
* ``weekly/2026-W47.json`` — the figures the notebook recorded with :func:`record`.

Any failure (a cell error, a timeout, a dead kernel) raises :class:`ReportError` with the
failing cell's error, and no HTML or JSON is published.

Inside a notebook, :func:`load_mall` reads a mall folder or, given ``""``, the sample
mall (built once under ``data/sample`` and rebuilt when it no longer reaches
yesterday), and :func:`record` stores a headline figure in scrapbook's format, so
``read_records`` (or scrapbook itself) reads it back.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mallkit import calendar as mcal
from mallkit.errors import PeriodError, ReportError
from mallkit.sections import (  # the notebooks' tables, re-exported: report.kpi_table etc.
    _as_of,
    kpi_notes,
    kpi_table,
    pace_table,
    promo_table,
    recon_tables,
    stock_tables,
    table,
    target_lines,
    unavailable,
    whatif_figures,
    whatif_scheme,
    whatif_sliders,
    whatif_table,
    whatif_window,
)

__all__ = [
    "REPORTS",
    "ReportError",
    "ReportResult",
    "kpi_notes",
    "kpi_table",
    "load_mall",
    "notebook_parameters",
    "pace_table",
    "promo_table",
    "read_records",
    "recon_tables",
    "record",
    "report_window",
    "run_report",
    "stock_tables",
    "table",
    "target_lines",
    "unavailable",
    "whatif_figures",
    "whatif_scheme",
    "whatif_sliders",
    "whatif_table",
    "whatif_window",
]

SCRAP_MIME = "application/scrapbook.scrap.json+json"
ROOT = Path(__file__).resolve().parent.parent
#: Report name → notebook file and the period frequency it takes.
REPORTS = {
    "weekly": ("weekly_report.ipynb", "W"),
    "monthly": ("monthly_report.ipynb", "M"),
    "whatif": ("promotion_whatif.ipynb", None),
}
_TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool}
#: Tables a report cannot run without; the others (targets, promotions, inventory,
#: statements) only light up their own section, which is skipped with a note when absent.
REQUIRED = {
    "weekly": ("orders", "order_lines", "refunds", "products", "traffic"),
    "monthly": ("orders", "order_lines", "refunds", "products", "traffic"),
    "whatif": ("orders", "order_lines", "products"),
}


@dataclass(frozen=True)
class ReportResult:
    """Where a report was written and what it recorded."""

    notebook: Path
    html: Path
    json: Path
    records: dict


def notebooks_dir() -> Path:
    """The notebook folder: ``$MALLKIT_NOTEBOOKS`` or the repository's ``notebooks/``."""
    return Path(os.environ.get("MALLKIT_NOTEBOOKS", ROOT / "notebooks"))


def _notebook(name: str) -> Path:
    if name not in REPORTS:
        raise ReportError(f"unknown report {name!r}; reports are {', '.join(REPORTS)}")
    path = notebooks_dir() / REPORTS[name][0]
    if not path.is_file():
        raise ReportError(f"report {name!r}: notebook {path} not found")
    return path


def notebook_parameters(name: str) -> dict[str, dict]:
    """The parameters a report takes: name → ``{"type", "default", "help"}``."""
    import papermill as pm

    raw = pm.inspect_notebook(str(_notebook(name)))
    return {k: {"type": v["inferred_type_name"], "default": v["default"], "help": v["help"]}
            for k, v in raw.items()}


def _check_params(name: str, params: dict) -> dict:
    spec = notebook_parameters(name)
    unknown = sorted(set(params) - set(spec))
    if unknown:
        raise ReportError(f"report {name!r}: unknown parameter(s) {', '.join(unknown)}; "
                          f"it takes {', '.join(spec)}")
    for key, value in params.items():
        want = _TYPES.get(spec[key]["type"])
        if want and (not isinstance(value, want) or (want is not bool and isinstance(value, bool))):
            raise ReportError(f"report {name!r}: parameter {key} must be {spec[key]['type']}, "
                              f"got {type(value).__name__} {value!r}")
    data_dir = params.get("data_dir")
    if data_dir and not Path(data_dir).is_dir():
        raise ReportError(f"report {name!r}: data folder {data_dir!r} does not exist")
    missing = [t for t in REQUIRED[name] if data_dir and not any(
        (Path(data_dir) / f"{t}{x}").is_file() for x in (".parquet", ".csv"))]
    if missing:
        raise ReportError(f"report {name!r}: data folder {data_dir!r} has no "
                          f"{' / '.join(missing)} table ({missing[0]}.parquet or "
                          f"{missing[0]}.csv); it needs {', '.join(REQUIRED[name])}; write them "
                          "with mallkit.io.write_mall or `mallkit sample --out DIR`")
    if params.get("as_of"):
        _as_of(params["as_of"])
    freq = REPORTS[name][1]
    if freq and "period" in params:
        try:
            p = mcal.parse_period(params["period"])
        except PeriodError as e:
            raise ReportError(f"report {name!r}: {e}") from None
        if p.freq != freq:
            want = "a week like 2026-W47" if freq == "W" else "a month like 2026-11"
            raise ReportError(f"report {name!r} takes {want} as period, "
                              f"got {params['period']!r}")
    return spec


def coerce_params(name: str, raw: dict[str, str]) -> dict:
    """Turn command-line text values into the types the notebook declares."""
    spec = notebook_parameters(name)
    out = {}
    for key, text in raw.items():
        if key not in spec:
            out[key] = text  # reported by _check_params with the full list
            continue
        t = spec[key]["type"]
        try:
            if t == "int":
                out[key] = int(text)
            elif t == "float":
                out[key] = float(text)
            elif t == "bool":
                if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(text)
                out[key] = text.lower() in ("true", "1", "yes")
            else:
                out[key] = text
        except ValueError:
            raise ReportError(f"report {name!r}: parameter {key} must be {t}, got {text!r}") \
                from None
    return out


def run_report(name: str, /, *, params: dict | None = None, out_dir: str | Path = "reports",
               timeout: int = 900, progress: bool = False) -> ReportResult:
    """Execute a report notebook and publish its HTML and recorded figures.

    Parameters
    ----------
    name : {"weekly", "monthly", "whatif"}
        The report.
    params : dict
        Notebook parameters (see :func:`notebook_parameters`); missing ones keep the
        notebook's defaults.
    out_dir : path
        Root folder of the reports; files go to ``<out_dir>/<name>/<label>.*``.
    timeout : int
        Seconds allowed per cell.
    progress : bool
        Show papermill's progress bar.
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    params = dict(params or {})
    nb = _notebook(name)
    spec = _check_params(name, params)
    if params.get("data_dir"):  # the notebook runs in notebooks/: a relative path would move
        params["data_dir"] = str(Path(params["data_dir"]).resolve())
    label = str(params.get("period") or params.get("scenario") or
                _default(spec, "period") or _default(spec, "scenario") or name)
    folder = Path(out_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", label)
    out_nb, out_html, out_json = (folder / f"{stem}{s}" for s in (".ipynb", ".html", ".json"))
    for f in (out_html, out_json):
        f.unlink(missing_ok=True)  # a failed run must not leave an older report looking new
    try:
        pm.execute_notebook(str(nb), str(out_nb), parameters=params, kernel_name="python3",
                            progress_bar=progress, execution_timeout=timeout,
                            request_save_on_cell_execute=False, cwd=str(nb.parent))
    except pm.PapermillExecutionError as e:
        raise ReportError(f"report {name!r} failed in cell {e.exec_count}: {e.ename}: {e.evalue}"
                          f" (see {out_nb})") from None
    except CellTimeoutError as e:
        raise ReportError(f"report {name!r}: a cell ran longer than {timeout} s ({e})") from None
    except DeadKernelError as e:
        raise ReportError(f"report {name!r}: the kernel died ({e}); out of memory?") from None
    records = read_records(out_nb)
    out_html.write_text(_to_html(out_nb), encoding="utf-8")
    out_json.write_text(json.dumps({"report": name, "params": params, "records": records},
                                   ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return ReportResult(out_nb, out_html, out_json, records)


def _default(spec: dict, key: str) -> str | None:
    if key not in spec:
        return None
    return str(spec[key]["default"]).strip("'\"")


def _to_html(path: Path) -> str:
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

    class DropNoise(Preprocessor):
        """Drop stderr streams, warnings and the (invisible) recorded scraps."""

        def preprocess_cell(self, cell, resources, index):
            if cell.get("cell_type") == "code":
                cell.outputs = [o for o in cell.get("outputs", [])
                                if not (o.get("output_type") == "stream" and o.get("name") ==
                                        "stderr")
                                and SCRAP_MIME not in o.get("data", {})]
            return cell, resources

    nb = nbformat.read(path, as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(
        remove_cell_tags={"parameters", "injected-parameters", "remove_cell"}, enabled=True),
        enabled=True)
    exporter.register_preprocessor(DropNoise(), enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    return body


# ------------------------------------------------------------------ inside the notebooks
def record(name: str, value: Any) -> None:
    """Record a headline figure in the running notebook (scrapbook's display format).

    ``value`` must be JSON-serialisable: numbers, text, lists and dicts (numpy scalars
    are converted).
    """
    from IPython.display import display

    data = _finite(json.loads(json.dumps(value, default=_jsonable, ensure_ascii=False)))
    display({SCRAP_MIME: {"name": name, "data": data, "encoder": "json", "version": 1}},
            metadata={"scrapbook": {"name": name, "data": True, "display": False}}, raw=True)


def _finite(v):
    """NaN and infinities become null: JSON has no NaN, and readers should see 'missing'."""
    if isinstance(v, float) and not np.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_finite(x) for x in v]
    return v


def _jsonable(v):
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    raise TypeError(f"record: {type(v).__name__} is not JSON-serialisable")


def read_records(notebook: str | Path) -> dict:
    """The figures recorded in an executed notebook, name → value."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            scrap = o.get("data", {}).get(SCRAP_MIME)
            if scrap:
                out[scrap["name"]] = scrap["data"]
    return out


def sample_dir() -> Path:
    """Where the sample mall is cached: ``$MALLKIT_SAMPLE_DIR`` or ``data/sample``."""
    return Path(os.environ.get("MALLKIT_SAMPLE_DIR", ROOT / "data" / "sample"))


def load_mall(data_dir: str = "", /) -> dict:
    """The mall a report runs on: a folder of the user's, or the sample mall.

    With ``data_dir=""`` the sample mall is read from :func:`sample_dir`, and built
    there (seed 0, two years to yesterday) when absent or when it ends before yesterday.
    """
    from mallkit.datasets import make_sample_mall
    from mallkit.io import read_mall, write_mall

    if data_dir:
        return read_mall(data_dir)
    folder = sample_dir()
    meta = folder / "sample.json"
    yesterday = mcal.yesterday()
    stamp = {"seed": 0, "end": str(yesterday.date()), "generator": _generator_version()}
    if meta.is_file() and json.loads(meta.read_text()) == stamp:
        return read_mall(folder)
    mall = make_sample_mall(seed=0, end=yesterday)
    write_mall(mall, folder)
    meta.write_text(json.dumps(stamp))
    return mall


def _generator_version() -> str:
    """A fingerprint of the sample-mall generator: a changed generator rebuilds the cache."""
    import hashlib
    import inspect

    from mallkit import datasets

    return hashlib.sha256(inspect.getsource(datasets).encode()).hexdigest()[:12]


def report_window(period: str, as_of: str, mall: dict, *, lang: str = "en"
                  ) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """The days a report covers: the period, cut at ``as_of`` (default: the data's last day).

    Returns ``(start, end, note)``; the note (in ``lang``: "en" or "zh") says when the
    period is not complete. Raises :class:`ReportError` when the period lies outside the
    data.
    """
    p = mcal.parse_period(period)
    last = mall["orders"]["created_at"].max().normalize()
    first = mall["orders"]["created_at"].min().normalize()
    cut = _as_of(as_of) if as_of else last
    if p.start > last or p.end < first:
        raise ReportError(f"period {period} ({p.start.date()}..{p.end.date()}) is outside the "
                          f"data, which runs {first.date()}..{last.date()}")
    if cut < p.start:
        raise ReportError(f"as_of {cut.date()} is before period {period} starts "
                          f"({p.start.date()})")
    end = min(p.end, cut, last)  # days after the data's last day are unknown, not zero sales
    zh = lang == "zh"
    notes = []
    if end < p.end:
        n = (end - p.start).days + 1
        notes.append(f"截至 {end.date()}：{p.start.date()} 起 {n} 天（全期 {p.days} 天）" if zh
                     else f"period to date: {p.start.date()}..{end.date()} ({n} of {p.days} days)")
    if cut > last and p.end > last:
        notes.append(f"数据截至 {last.date()}" if zh else f"the data end on {last.date()}")
    if p.start < first:
        notes.append(f"数据始于 {first.date()}：本期更早的日子没有订单" if zh else
                     f"the data start on {first.date()}: earlier days of the period hold no "
                     "orders")
    return p.start, end, ("；" if zh else "; ").join(notes)

