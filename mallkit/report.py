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
from mallkit.errors import MallkitError, PeriodError

__all__ = ["REPORTS", "ReportError", "ReportResult", "kpi_notes", "kpi_table", "load_mall",
           "notebook_parameters", "read_records", "record", "report_window", "run_report",
           "table", "unavailable", "whatif_figures", "whatif_scheme", "whatif_sliders",
           "whatif_table", "whatif_window"]

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


class ReportError(MallkitError):
    """A report could not be produced: bad parameters or a failed notebook run."""


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


def report_window(period: str, as_of: str, mall: dict) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """The days a report covers: the period, cut at ``as_of`` (default: the data's last day).

    Returns ``(start, end, note)``; the note says when the period is not complete.
    Raises :class:`ReportError` when the period lies outside the data.
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
    notes = []
    if end < p.end:
        notes.append(f"period to date: {p.start.date()}..{end.date()} "
                     f"({(end - p.start).days + 1} of {p.days} days)")
    if cut > last and p.end > last:
        notes.append(f"the data end on {last.date()}")
    if p.start < first:
        notes.append(f"the data start on {first.date()}: earlier days of the period hold no "
                     "orders")
    return p.start, end, "; ".join(notes)


def _as_of(text) -> pd.Timestamp:
    try:
        return pd.Timestamp(text).normalize()
    except ValueError:
        raise ReportError(f"as_of must be a date like 2026-11-20, got {text!r}") from None


# ------------------------------------------------------------------ tables for readers
_KPI_NAMES = {
    "gmv_fen": ("Paid GMV", "支付 GMV"),
    "net_gmv_fen": ("Net GMV (after refunds)", "净 GMV（扣退款）"),
    "refunds_fen": ("Refunds", "退款金额"), "orders": ("Paid orders", "支付订单数"),
    "buyers": ("Buyers", "支付买家数"), "uv": ("UV", "访客数 UV"),
    "conversion": ("Conversion", "转化率"), "aov_fen": ("AOV per buyer", "客单价"),
    "order_value_fen": ("Value per order", "笔单价"), "refund_rate": ("Refund rate", "退款率"),
    "new_customer_share": ("New-customer share", "新客占比"),
    "repeat_buyer_rate": ("Repeat-buyer rate", "复购率"),
}
_PCT = {"conversion", "refund_rate", "new_customer_share", "repeat_buyer_rate"}


def _fmt(metric: str, v: float) -> str:
    if pd.isna(v):
        return "–"
    if metric in _PCT:
        return f"{v:.2%}"
    if metric.endswith("_fen"):
        return f"¥{v / 100:,.0f}" if abs(v) >= 100_000 else f"¥{v / 100:,.2f}"
    return f"{v:,.0f}"


def kpi_table(summary, /, *, channel: str = "all", lang: str = "zh") -> pd.DataFrame:
    """A reader's table of :class:`mallkit.metrics.KPISummary`: formatted values and changes."""
    from mallkit.fonts import label

    w = summary.wide(channel)
    cols = {"value": ("This period", "本期"), "prev": ("Previous", "上期"),
            "pop_change": ("vs previous", "环比"), "last_year": ("Last year", "去年同期"),
            "yoy_change": ("vs last year", "同比")}
    out = pd.DataFrame(index=[label(*_KPI_NAMES[m], lang=lang) for m in w.index])
    for c, names in cols.items():
        if c not in w.columns:
            continue
        vals = w[c].to_numpy()
        if c.endswith("change"):
            out[label(*names, lang=lang)] = ["–" if pd.isna(v) else f"{v:+.1%}" for v in vals]
        else:
            out[label(*names, lang=lang)] = [_fmt(m, v) for m, v in zip(w.index, vals, strict=True)]
    return out


_WINDOWS = {"current": ("This period", "本期"), "prev": ("Previous", "上期"),
            "yoy": ("Last year (364 days earlier, same weekdays)",
                    "去年同期（前推 364 天，星期对齐）")}


def kpi_notes(summary, /, *, lang: str = "zh") -> str:
    """Markdown for under the KPI table: the days each column covers, then the notes
    (events in each window, windows without UV or orders)."""
    from mallkit.fonts import label

    out = [f"- {label(*_WINDOWS[w], lang=lang)}: {s.date()} – {e.date()}"
           for w, s, e in summary.periods.itertuples(index=False)]
    out += [f"- {label(*_WINDOWS[w], lang=lang).split('（')[0].split(' (')[0]}: {n}"
            for w, n in summary.notes.itertuples(index=False)]
    return "\n".join(out)


def unavailable(mall: dict, table: str, /, *, lang: str = "zh", rows: pd.DataFrame | None = None,
                what: str = "") -> bool:
    """Whether a report section has nothing to show, displaying a one-line note if so.

    True when the mall has no ``table`` (or an empty one), or when ``rows`` — the part
    of it the section would use (``what`` says which, e.g. ``"2025 / 2025-11"``) — is
    empty. A mall folder need not hold targets, promotions, inventory or statements.
    """
    from IPython.display import Markdown, display

    from mallkit.fonts import label

    if table not in mall or len(mall[table]) == 0:
        text = label(f"No {table} table in the data ({table}.parquet or {table}.csv): "
                     "section skipped.",
                     f"数据中没有 {table} 表（{table}.parquet 或 {table}.csv），本节略过。",
                     lang=lang)
    elif rows is not None and len(rows) == 0:
        text = label(f"The {table} table has nothing for {what}: section skipped.",
                     f"{table} 表中没有 {what} 的数据，本节略过。", lang=lang)
    else:
        return False
    display(Markdown(f"*{text}*"))
    return True


_COLUMN_NAMES = {
    "channel": "渠道", "category": "品类", "sku": "SKU", "rank": "排名", "gmv_fen": "GMV",
    "units": "件数", "orders": "订单数", "buyers": "买家数", "share": "占比",
}


def table(df: pd.DataFrame, /, *, lang: str = "zh"):
    """A reader's table: ``*_fen`` columns in yuan (``¥1,234.50``), shares in %, no index.

    Column names are translated when ``lang="zh"`` (``gmv_fen`` → GMV, ``share`` → 占比).
    Returns a pandas Styler for display in a notebook.
    """
    from mallkit.money import fen_to_yuan

    out = df.copy()
    for c in out.columns:
        if str(c).endswith("_fen") and pd.api.types.is_integer_dtype(out[c].dtype):
            out[c] = fen_to_yuan(out[c])
        elif c == "share" or str(c).endswith("_rate"):
            out[c] = out[c].map(lambda v: "–" if pd.isna(v) else f"{v:.1%}")
    if lang == "zh":
        out = out.rename(columns=_COLUMN_NAMES)
    else:
        out = out.rename(columns=lambda c: c.removesuffix("_fen"))
    return out.style.hide(axis="index")


# ------------------------------------------------------------------ the what-if notebook
_STEPS = (0.5, 0.75, 1.0, 1.25, 1.5)


def whatif_scheme(mechanic: str, /, *, threshold_yuan: float, reduction_yuan: float,
                  rate: float, claim_rate: float) -> tuple[dict, dict, tuple]:
    """Turn the what-if notebook's parameters into a scheme, a grid around it and its axes.

    Returns ``(params, grid, (x, y))`` for :func:`mallkit.roi.simulate_promotion` and
    :func:`mallkit.plots.roi_surface`: the grid varies the scheme's two levers by
    ×0.5 … ×1.5 (amounts rounded to whole yuan), so the reader sees the neighbourhood of
    the proposed scheme, not only the point. A one-lever scheme (第二件半价) has ``y=None``.

    Examples
    --------
    >>> params, grid, axes = whatif_scheme("full_reduction", threshold_yuan=199,
    ...                                    reduction_yuan=30, rate=0.9, claim_rate=1.0)
    >>> params, axes
    ({'threshold_fen': 19900, 'reduction_fen': 3000}, ('reduction_fen', 'threshold_fen'))
    >>> grid["reduction_fen"]
    [1500, 2200, 3000, 3800, 4500]
    """
    from mallkit.money import to_fen

    thr, red = to_fen(f"{threshold_yuan:.2f}"), to_fen(f"{reduction_yuan:.2f}")

    def around(v: int) -> list[int]:  # the proposal itself is always a grid point
        return sorted({v} | {max(100, round(v * k / 100) * 100) for k in _STEPS})

    if mechanic in ("full_reduction", "coupon"):
        params = {"threshold_fen": thr, "reduction_fen": red}
        if mechanic == "coupon":
            params["claim_rate"] = claim_rate
        return params, {"threshold_fen": around(thr), "reduction_fen": around(red)}, (
            "reduction_fen", "threshold_fen")
    if mechanic == "per_full_reduction":
        return ({"step_fen": thr, "reduction_fen": red},
                {"step_fen": around(thr), "reduction_fen": around(red)},
                ("reduction_fen", "step_fen"))
    if mechanic == "percent_off":
        near = {round(min(0.99, max(0.5, rate + d)), 2) for d in (-0.1, -0.05, 0.05)}
        rates = sorted({rate} | near)
        return ({"rate": rate, "min_qty": 2}, {"rate": rates, "min_qty": [1, 2, 3]},
                ("rate", "min_qty"))
    if mechanic == "second_half_price":
        return {"rate": 0.5}, {"rate": [0.3, 0.4, 0.5, 0.6, 0.7]}, ("rate", None)
    raise ReportError(f"what-if: mechanic {mechanic!r} is not offered; choose full_reduction, "
                      "per_full_reduction, coupon, percent_off or second_half_price")


def whatif_window(mall: dict, /, *, start: str = "", end: str = "",
                  days: int = 14) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp,
                                           pd.Timestamp, str]:
    """The proposed campaign's days and the days whose baskets are its baseline.

    The campaign runs ``start`` .. ``end`` (empty ``start``: the day after the data end;
    empty ``end``: ``days`` days from ``start``). The baseline is as many days as the
    campaign, just before it (at the latest the data's last days), so units, GMV, costs
    and the budget check are for the whole campaign. The note names the calendar events
    in the campaign, whose extra demand an ordinary-day baseline does not carry.

    Returns ``(start, end, baseline_start, baseline_end, note)``.

    Examples
    --------
    >>> import pandas as pd
    >>> mall = {"orders": pd.DataFrame({"created_at": pd.to_datetime(
    ...     ["2025-09-01 10:00", "2025-11-30 20:00"])})}
    >>> s, e, bs, be, note = whatif_window(mall, start="2025-12-10", end="2025-12-12")
    >>> [str(d.date()) for d in (s, e, bs, be)], note
    (['2025-12-10', '2025-12-12', '2025-11-28', '2025-11-30'], 'events in the campaign: 双12')
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ReportError(f"what-if: days must be a whole number >= 1, got {days!r}")
    created = mall["orders"]["created_at"]
    first, last = created.min().normalize(), created.max().normalize()
    s = _as_of(start) if start else last + pd.Timedelta(days=1)
    e = _as_of(end) if end else s + pd.Timedelta(days=days - 1)
    if e < s:
        raise ReportError(f"what-if: campaign end {e.date()} is before its start {s.date()}")
    n = e - s + pd.Timedelta(days=1)
    base_end = min(s - pd.Timedelta(days=1), last)
    base_start = base_end - n + pd.Timedelta(days=1)
    if base_start < first:
        raise ReportError(f"what-if: a {n.days}-day campaign needs {n.days} days of baseline "
                          f"({base_start.date()}..{base_end.date()}), but the data start on "
                          f"{first.date()}")
    ev = mcal.events(s, e)
    note = f"events in the campaign: {', '.join(dict.fromkeys(ev['event']))}" if len(ev) else ""
    return s, e, base_start, base_end, note


#: What-if parameters each mechanic reads (the others are ignored by it).
_LEVERS = {"full_reduction": ("threshold_yuan", "reduction_yuan"),
           "per_full_reduction": ("threshold_yuan", "reduction_yuan"),
           "coupon": ("threshold_yuan", "reduction_yuan", "claim_rate"),
           "percent_off": ("rate",), "second_half_price": ()}


def whatif_sliders(mechanic: str, /, **values: float) -> dict:
    """ipywidgets sliders for the levers ``mechanic`` uses, starting at ``values``.

    满减 / 每满减 get threshold and reduction, a coupon also its claim rate, 满折 its
    rate; 第二件半价 has none (an empty dict).
    """
    import ipywidgets as w

    if mechanic not in _LEVERS:
        whatif_scheme(mechanic, threshold_yuan=0, reduction_yuan=0, rate=1, claim_rate=1)
    v = values
    make = {
        "threshold_yuan": lambda: w.FloatSlider(value=v["threshold_yuan"], min=0,
                                                max=max(10.0, v["threshold_yuan"] * 3), step=10),
        "reduction_yuan": lambda: w.FloatSlider(value=v["reduction_yuan"], min=1,
                                                max=max(10.0, v["reduction_yuan"] * 3), step=1),
        "rate": lambda: w.FloatSlider(value=v["rate"], min=0.5, max=0.99, step=0.01),
        "claim_rate": lambda: w.FloatSlider(value=v["claim_rate"], min=0.05, max=1.0,
                                            step=0.05),
    }
    return {k: make[k]() for k in _LEVERS[mechanic]}


def _yuan(v: float) -> str:
    return "–" if pd.isna(v) else f"{'-' if v < 0 else ''}¥{abs(v) / 100:,.0f}"


def whatif_table(sim, /, *, params: dict | None = None, lang: str = "zh"):
    """A reader's table of a :class:`mallkit.roi.Simulation`: one row per scheme.

    With ``params``, only the proposed scheme's row. Money in yuan, lifts and iROI in %,
    intervals as ``low … high``.
    """
    from mallkit.fonts import label

    t = sim.table
    levers = [k for k in t.columns if k in ("threshold_fen", "step_fen", "reduction_fen",
                                            "rate", "min_qty")]
    if params is not None:
        hit = np.ones(len(t), dtype=bool)
        for k in levers:
            hit &= np.isclose(t[k].astype(float), float(params[k]))
        if not hit.any():
            raise ReportError(f"what-if: the proposed scheme {params} is not in the grid")
        t = t[hit].head(1)
    out = pd.DataFrame(index=t.index)
    for k in levers:
        out[k.removesuffix("_fen")] = t[k].map(_yuan) if k.endswith("_fen") else t[k]

    def rng(col, fmt):
        return [f"{fmt(v)} ({fmt(lo)} … {fmt(hi)})" for v, lo, hi in
                zip(t[col], t[f"{col}_lower"], t[f"{col}_upper"], strict=True)]

    pct = lambda v: "–" if pd.isna(v) else f"{v:+.0%}"  # noqa: E731
    cols = [(("units", "预计件数"), t["units"].map(lambda v: f"{v:,.0f}")),
            (("unit lift", "件数提升"), t["unit_lift"].map(pct)),
            (("GMV", "GMV"), t["gmv_fen"].map(_yuan)),
            (("promo cost", "促销成本"), t["promo_cost_fen"].map(_yuan)),
            (("incremental profit (interval)", "增量利润（区间）"),
             rng("incremental_profit_fen", _yuan)),
            (("net iROI (interval)", "净 iROI（区间）"), rng("net_iroi", pct)),
            (("within budget", "预算内"), t["within_budget"].map({True: "✓", False: "✗"}))]
    for (en, zh), values in cols:
        out[label(en, zh, lang=lang)] = list(values)
    return out.style.hide(axis="index")


def whatif_figures(sim, params: dict, /) -> dict:
    """The proposed scheme's headline figures, for :func:`record`."""
    t = sim.table
    hit = np.ones(len(t), dtype=bool)
    for k in params:
        if k in t.columns and k != "claim_rate":
            hit &= np.isclose(t[k].astype(float), float(params[k]))
    row = t[hit].iloc[0]
    keep = ("units", "gmv_fen", "promo_cost_fen", "incremental_profit_fen",
            "incremental_profit_fen_lower", "incremental_profit_fen_upper", "net_iroi",
            "net_iroi_lower", "net_iroi_upper", "unit_lift", "within_budget")
    return {k: row[k] for k in keep}


# ------------------------------------------------------------------ report sections
def target_lines(targets: pd.DataFrame, end: pd.Timestamp, /) -> pd.DataFrame:
    """The target lines a report paces: the year and the month containing ``end``."""
    year, month = str(end.year), f"{end.year}-{end.month:02d}"
    return targets[targets["period"].isin([year, month])]


_PACE_COLUMNS = {
    "period": ("period", "周期"), "key": ("line", "目标"), "target_fen": ("target", "目标额"),
    "actual_fen": ("actual", "完成额"), "achievement": ("achievement", "达成率"),
    "time_progress": ("time elapsed", "时间进度"),
    "expected_share": ("expected (event-aware)", "应完成进度"),
    "pace_index": ("pace index", "进度指数"),
    "required_daily_flat_fen": ("needed per day", "剩余日均需"),
    "landing_model_fen": ("landing", "预计落地"), "p_hit": ("P(hit)", "达成概率"),
    "flags": ("flags", "提示"),
}


def pace_table(pace, /, *, lang: str = "zh"):
    """A reader's table of :func:`mallkit.targets.pacing`: 达成率, pace, landing with interval."""
    from mallkit.fonts import label

    s = pace.summary
    out = pd.DataFrame(index=s.index)
    for col, names in _PACE_COLUMNS.items():
        v = s[col]
        if col.endswith("_fen") and col != "landing_model_fen":
            v = v.map(_yuan)
        elif col == "landing_model_fen":
            v = [f"{_yuan(m)} ({_yuan(lo)} … {_yuan(hi)})" if pd.notna(m) else "–"
                 for m, lo, hi in zip(s[col], s["landing_lo_fen"], s["landing_hi_fen"],
                                      strict=True)]
        elif col in ("achievement", "time_progress", "expected_share", "p_hit"):
            v = v.map(lambda x: "–" if pd.isna(x) else f"{x:.1%}")
        elif col == "pace_index":
            v = v.map(lambda x: "–" if pd.isna(x) else f"{x:.2f}")
        out[label(*names, lang=lang)] = list(v)
    return out.style.hide(axis="index")


def promo_table(review: pd.DataFrame, /, *, lang: str = "zh"):
    """A reader's table of :func:`mallkit.roi.promotion_review`."""
    from mallkit.fonts import label

    if review.empty:
        return pd.DataFrame({label("promotions", "促销", lang=lang): [
            label("No promotion ran in this period.", "本期无促销活动。", lang=lang)]}
        ).style.hide(axis="index")

    def pct(v):
        return "–" if pd.isna(v) else f"{v:+.0%}"

    def ratio(v):
        return "–" if pd.isna(v) else f"{v:.2f}"

    r = review
    out = pd.DataFrame({
        label("promotion", "活动", lang=lang): r["name"],
        label("days", "天数", lang=lang): r["days"],
        label("lift (95 % interval)", "增量（95% 区间）", lang=lang): [
            f"{pct(v)} ({pct(lo)} … {pct(hi)})" for v, lo, hi in
            zip(r["lift"], r["lift_lower"], r["lift_upper"], strict=True)],
        label("dip after", "活动后回落", lang=lang): r["post_dip"].map(pct),
        label("incremental profit", "增量利润", lang=lang): [
            f"{_yuan(v)} ({_yuan(lo)} … {_yuan(hi)})" for v, lo, hi in
            zip(r["incremental_profit_fen"], r["incremental_profit_lower_fen"],
                r["incremental_profit_upper_fen"], strict=True)],
        label("promo cost", "促销成本", lang=lang): r["promo_cost_fen"].map(_yuan),
        "iROI": r["iroi"].map(ratio),
        label("net iROI", "净 iROI", lang=lang): r["net_iroi"].map(ratio),
        label("ROAS (GMV/ads)", "ROAS（GMV/广告费）", lang=lang): r["roas"].map(ratio),
        label("note", "说明", lang=lang): r["note"].fillna(""),
    })
    return out.style.hide(axis="index")


def recon_tables(rec, /, *, lang: str = "zh") -> tuple:
    """Reader's tables of a :class:`mallkit.reconcile.Reconciliation`: status per gateway
    (ledger vs statement, matched, exceptions, carried forward, ties) and the open
    exceptions with their explanation."""
    from mallkit.fonts import label
    from mallkit.money import fen_to_yuan

    def y(v):  # to the fen: a reconciliation difference is often 1 fen
        return fen_to_yuan(int(v))

    t = rec.totals
    status = pd.DataFrame({
        label("gateway", "渠道", lang=lang): t["provider"],
        label("ledger", "账面", lang=lang): [f"{n:,} / {y(v)}" for n, v in
                                            zip(t["ledger_n"], t["ledger_fen"], strict=True)],
        label("statement", "对账单", lang=lang): [
            f"{n:,} / {y(v)}" for n, v in zip(t["statement_n"], t["statement_fen"],
                                              strict=True)],
        label("matched", "已勾对", lang=lang): t["matched_n"].map("{:,}".format),
        label("exceptions", "差异笔数", lang=lang): t["exceptions_n"],
        label("carried forward", "挂账", lang=lang): t["pool_out_n"],
        label("fees", "手续费", lang=lang): t["fee_fen"].map(y),
        label("net settled", "净入账", lang=lang): t["net_fen"].map(y),
        label("ties out", "轧平", lang=lang): [
            "✓" if a and b else "✗" for a, b in zip(t["ledger_ties"], t["statement_ties"],
                                                   strict=True)],
    }).style.hide(axis="index")
    e = rec.exceptions
    if e.empty:
        open_ = pd.DataFrame({label("exceptions", "差异", lang=lang): [
            label("No open exceptions.", "无未解决差异。", lang=lang)]})
    else:
        open_ = pd.DataFrame({
            label("class", "类型", lang=lang): e["class"],
            label("gateway", "渠道", lang=lang): e["provider"],
            label("order", "订单号", lang=lang): e["merchant_order_id"].fillna(""),
            label("refund", "退款号", lang=lang): e["refund_id"].fillna(""),
            label("difference", "差额", lang=lang): e["diff_fen"].map(y),
            label("fee difference", "手续费差额", lang=lang): e["fee_diff_fen"].map(y),
            label("explanation", "说明", lang=lang): e["note"].fillna(""),
        })
    return status, open_.style.hide(axis="index")


_LEVELS = ("stockout", "below_safety", "reorder", "slow_moving", "overstock", "ok")


def stock_tables(warnings_: pd.DataFrame, /, *, n: int = 15, lang: str = "zh") -> tuple:
    """Reader's tables of :func:`mallkit.inventory.inventory_warnings`: SKUs per warning
    level, and the ``n`` most urgent actionable warnings (缺货, 低于安全库存, 需补货) with
    their reason and suggested order."""
    from mallkit.fonts import label

    w = warnings_
    names = w.drop_duplicates("level").set_index("level")["level_cn"]
    counts = w["level"].value_counts().reindex(_LEVELS, fill_value=0)
    levels = pd.DataFrame({
        label("level", "预警级别", lang=lang): [names.get(lv, lv) if lang == "zh" else lv
                                            for lv in counts.index],
        label("SKUs", "SKU 数", lang=lang): counts.to_numpy(),
    }).style.hide(axis="index")
    act = w[w["level"].isin(_LEVELS[:3])].copy()
    act["rank"] = act["level"].map({lv: i for i, lv in enumerate(_LEVELS)})
    act = act.sort_values(["rank", "days_of_cover", "sku"]).head(n)
    urgent = pd.DataFrame({
        "SKU": act["sku"], label("category", "品类", lang=lang): act["category"],
        label("level", "级别", lang=lang): act["level_cn"] if lang == "zh" else act["level"],
        label("on hand", "在库", lang=lang): act["on_hand"],
        label("on order", "在途", lang=lang): act["on_order"],
        label("days of cover", "可售天数", lang=lang): act["days_of_cover"].map("{:.1f}".format),
        label("suggested order", "建议补货", lang=lang): act["suggested_qty"],
        label("why", "原因", lang=lang): act["reason"],
    }).style.hide(axis="index")
    return levels, urgent
