"""Periods and the Chinese mall calendar: the time vocabulary of mallkit.

Two things live here:

* **Periods.** A report period is written as a label: ``"2026"`` (year),
  ``"2026-Q4"`` (quarter), ``"2026-11"`` (month), ``"2026-W47"`` (ISO week,
  Monday..Sunday) or ``"2026-11-11"`` (day). :func:`parse_period` turns a label into
  a :class:`Period` with inclusive start/end days; :func:`period_label` goes the other
  way for a whole column of dates; :func:`periods` lists the periods covering a range.
* **The Chinese calendar.** Public holidays, the 调休 weekend workdays and the Spring
  Festival come from the ``holidays`` package (never hand-typed); the sale events of
  Chinese e-commerce (年货节, 38, 618, 99, 双11, 双12, the 春节 courier stop) are an
  editable CSV shipped as ``mallkit/data/cn_events.csv`` with windows relative to an
  anchor day. :func:`events` expands both into one row per (date, event, phase).

Dates are naive midnights (``datetime64[us]``) in Asia/Shanghai local time, and every
range is inclusive of both ends.

Examples
--------
>>> from mallkit.calendar import parse_period, events
>>> p = parse_period("2026-W47")
>>> p.start.date(), p.end.date(), p.days
(datetime.date(2026, 11, 16), datetime.date(2026, 11, 22), 7)
>>> ev = events("2026-11-10", "2026-11-11")
>>> ev[["date", "event", "phase", "offset"]]
        date event          phase  offset
0 2026-11-10   双11        presale      -1
1 2026-11-11   双11  final_payment       0
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import holidays
import numpy as np
import pandas as pd

from mallkit.errors import MissingColumnsError, PeriodError, SchemaError

__all__ = [
    "EVENT_COLUMNS",
    "FREQS",
    "KINDS",
    "Period",
    "cn_holidays",
    "event_table",
    "events",
    "is_working_day",
    "parse_period",
    "period_label",
    "periods",
    "spring_festival",
    "yesterday",
]

#: Period frequencies: day, ISO week, month, quarter, year.
FREQS = ("D", "W", "M", "Q", "Y")
#: Kinds of event rows.
KINDS = ("sale", "holiday", "logistics", "workday")
#: Columns an event table must have (``note`` is optional).
EVENT_COLUMNS = ("event", "phase", "anchor", "start_offset", "end_offset", "kind")
#: Columns of the frame :func:`events` returns.
EVENT_OUTPUT_COLUMNS = ("date", "event", "phase", "anchor", "offset", "kind")

_ACCEPTED = (
    "accepted forms: '2026' (year), '2026-Q4' (quarter), '2026-11' (month), "
    "'2026-W47' (ISO week), '2026-11-11' (day)"
)
# Years whose every day also fits in datetime64[ns] (1677-09-21 .. 2262-04-11).
_MIN_YEAR, _MAX_YEAR = 1678, 2261
_DAY = pd.Timedelta(days=1)
# The canonical resolution of mallkit.schema (pandas 3's default).
_UNIT = "us"
_DTYPE = f"datetime64[{_UNIT}]"

# holidays' en_US names (with " (observed)" stripped) -> the names analysts use.
_HOLIDAY_EVENTS = {
    "New Year's Day": "元旦",
    "Chinese New Year's Eve": "春节",
    "Chinese New Year (Spring Festival)": "春节",
    "Chinese New Year Extended Holiday": "春节",
    "Tomb-Sweeping Day": "清明",
    "Labor Day": "劳动节",
    "Dragon Boat Festival": "端午",
    "Mid-Autumn Festival": "中秋",
    "National Day": "国庆",
}
# The name of the day an official holiday is anchored on (offset 0); Eve and observed
# days are offsets from it.
_HOLIDAY_ANCHOR_NAMES = frozenset(_HOLIDAY_EVENTS) - {
    "Chinese New Year's Eve",
    "Chinese New Year Extended Holiday",
}
_SPRING_FESTIVAL_NAME = "Chinese New Year (Spring Festival)"
_SUBSTITUTED = re.compile(r"substituted from (\d\d/\d\d/\d{4})")


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True, slots=True)
class Period:
    """A report period: a day, ISO week, month, quarter or year.

    Attributes
    ----------
    label : str
        ``"2026-11-11"``, ``"2026-W47"``, ``"2026-11"``, ``"2026-Q4"`` or ``"2026"``.
    freq : str
        One of ``"D", "W", "M", "Q", "Y"``.
    start, end : pandas.Timestamp
        First and **last** day of the period, both inclusive, as midnights.

    Examples
    --------
    >>> p = parse_period("2024-02")
    >>> p.days, str(p.previous()), str(p.year_ago())
    (29, '2024-01', '2023-02')
    """

    label: str
    freq: str
    start: pd.Timestamp
    end: pd.Timestamp

    def __str__(self) -> str:
        return self.label

    @property
    def days(self) -> int:
        """Number of days in the period, both ends included."""
        return (self.end - self.start).days + 1

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Every day of the period (``datetime64[us]`` midnights)."""
        return pd.date_range(self.start, self.end, freq="D", unit=_UNIT)

    def previous(self) -> Period:
        """The period of the same frequency just before this one.

        Examples
        --------
        >>> str(parse_period("2026-W01").previous()), str(parse_period("2026-Q1").previous())
        ('2025-W52', '2025-Q4')
        """
        return _containing(self.start - _DAY, self.freq)

    def year_ago(self) -> Period:
        """The same period one year earlier.

        A week maps to the same ISO week number of the previous ISO year (week 53 maps to
        week 52 when the previous year has only 52), which keeps weekdays aligned; a day
        maps to the same calendar day (29 February to 28 February); months, quarters and
        years map to the same month, quarter or year.

        Examples
        --------
        >>> str(parse_period("2026-W53").year_ago()), str(parse_period("2024-02-29").year_ago())
        ('2025-W52', '2023-02-28')
        """
        year = int(self.label[:4])
        if self.freq == "W":
            week = min(int(self.label[6:]), _iso_weeks_in(year - 1))
            return parse_period(f"{year - 1:04d}-W{week:02d}")
        if self.freq == "D":
            day = min(self.start.day, 28) if (self.start.month, self.start.day) == (2, 29) else None
            ts = self.start.replace(year=year - 1, day=day or self.start.day)
            return _containing(ts, "D")
        return parse_period(f"{year - 1:04d}{self.label[4:]}")


def _iso_weeks_in(year: int) -> int:
    # 28 December always lies in the last ISO week of its year.
    return dt.date(year, 12, 28).isocalendar().week


def _ts(value: Any) -> pd.Timestamp:
    return pd.Timestamp(value).as_unit(_UNIT)


def _bad(label: Any, reason: str) -> PeriodError:
    return PeriodError(f"period label {label!r} is not valid: {reason}; {_ACCEPTED}")


def parse_period(label: str | Period, /) -> Period:
    """Turn a period label into a :class:`Period`.

    Parameters
    ----------
    label : str or Period
        ``"2026"``, ``"2026-Q4"``, ``"2026-11"``, ``"2026-W47"`` (ISO week, Monday to
        Sunday, as :meth:`datetime.date.fromisocalendar` defines it) or ``"2026-11-11"``.
        A :class:`Period` is returned unchanged.

    Returns
    -------
    Period

    Raises
    ------
    PeriodError
        The label is malformed or names a period that does not exist (``"2026-13"``,
        ``"2025-W53"``, ``"2026-02-30"``); the message names the label and the accepted forms.

    Examples
    --------
    >>> p = parse_period("2026-Q4")
    >>> p.freq, p.start.date(), p.end.date(), p.days
    ('Q', datetime.date(2026, 10, 1), datetime.date(2026, 12, 31), 92)
    >>> parse_period("2026-13")
    Traceback (most recent call last):
    ...
    mallkit.errors.PeriodError: period label '2026-13' is not valid: month 13 is not 01..12; ...
    """
    if isinstance(label, Period):
        return label
    if not isinstance(label, str):
        raise _bad(label, f"expected a str, got {type(label).__name__}")
    text = label.strip()
    m = re.fullmatch(r"(\d{4})(?:-(?:(W)(\d{2})|(Q)(\d)|(\d{2})(?:-(\d{2}))?))?", text)
    if m is None:
        raise _bad(label, "unrecognised form")
    year = int(m[1])
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise _bad(label, f"year {year} is outside {_MIN_YEAR}..{_MAX_YEAR}")
    if m[2]:  # ISO week
        week = int(m[3])
        try:
            start = dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            raise _bad(
                label, f"ISO year {year} has weeks 01..{_iso_weeks_in(year)}, not {week:02d}"
            ) from None
        return Period(text, "W", _ts(start), _ts(start) + 6 * _DAY)
    if m[4]:  # quarter
        q = int(m[5])
        if not 1 <= q <= 4:
            raise _bad(label, f"quarter {q} is not 1..4")
        start = _ts(dt.date(year, 3 * q - 2, 1))
        last = _ts(dt.date(year, 3 * q, 1))
        return Period(text, "Q", start, last + (last.days_in_month - 1) * _DAY)
    if m[6]:  # month or day
        month = int(m[6])
        if not 1 <= month <= 12:
            raise _bad(label, f"month {month} is not 01..12")
        start = _ts(dt.date(year, month, 1))
        if m[7] is None:
            return Period(text, "M", start, start + (start.days_in_month - 1) * _DAY)
        day = int(m[7])
        if not 1 <= day <= start.days_in_month:
            raise _bad(label, f"{year:04d}-{month:02d} has days 01..{start.days_in_month:02d}")
        ts = _ts(dt.date(year, month, day))
        return Period(text, "D", ts, ts)
    return Period(text, "Y", _ts(dt.date(year, 1, 1)), _ts(dt.date(year, 12, 31)))


def _check_freq(freq: Any) -> str:
    if freq not in FREQS:
        raise PeriodError(f"freq must be one of {list(FREQS)}, got {freq!r}")
    return freq


def period_label(dates: Any, /, *, freq: str) -> str | pd.Series:
    """The label of the period of frequency ``freq`` that contains each date.

    Parameters
    ----------
    dates : date-like scalar or array-like of dates
        Anything :func:`pandas.to_datetime` reads; times of day are ignored.
    freq : {"D", "W", "M", "Q", "Y"}
        Weeks are ISO weeks labelled with the ISO year, so 2027-01-01 is ``"2026-W53"``.

    Returns
    -------
    str or pandas.Series of str
        A str for a scalar; otherwise a Series named ``period`` (missing dates give a
        missing label), with the index of ``dates`` if it was a Series.

    Raises
    ------
    PeriodError
        ``freq`` is not one of the five, or a scalar date is missing.

    Examples
    --------
    >>> period_label("2027-01-01", freq="W")
    '2026-W53'
    >>> period_label(["2026-11-11", "2026-12-31"], freq="Q").tolist()
    ['2026-Q4', '2026-Q4']
    """
    _check_freq(freq)
    if pd.api.types.is_scalar(dates) or isinstance(dates, dt.date):
        return _label(_ts(dates), freq)
    s = pd.Series(pd.to_datetime(dates)) if not isinstance(dates, pd.Series) else dates
    return _labels(pd.to_datetime(s), freq)


def _label(ts: pd.Timestamp, freq: str) -> str:
    if pd.isna(ts):
        raise PeriodError(f"period_label: cannot label a missing date ({ts!r})")
    if freq == "W":
        year, week, _ = ts.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return {
        "D": f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}",
        "M": f"{ts.year:04d}-{ts.month:02d}",
        "Q": f"{ts.year:04d}-Q{ts.quarter}",
        "Y": f"{ts.year:04d}",
    }[freq]


def _labels(s: pd.Series, freq: str) -> pd.Series:
    ok = s.notna()
    v = s[ok]
    if freq == "D":
        lab = v.dt.strftime("%Y-%m-%d")
    elif freq == "M":
        lab = v.dt.strftime("%Y-%m")
    elif freq == "Y":
        lab = v.dt.strftime("%Y")
    elif freq == "Q":
        lab = v.dt.strftime("%Y-Q") + v.dt.quarter.astype("str")
    else:
        iso = v.dt.isocalendar()
        lab = iso["year"].astype("str") + "-W" + iso["week"].astype("str").str.zfill(2)
    return lab.astype("str").reindex(s.index).rename("period")


def _containing(ts: pd.Timestamp, freq: str) -> Period:
    return parse_period(_label(ts, freq))


def _bounds(start: Any, end: Any, what: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    try:
        lo, hi = _ts(start).normalize(), _ts(end).normalize()
    except (ValueError, TypeError) as exc:
        raise PeriodError(f"{what}: start/end must be dates, got {start!r}, {end!r}") from exc
    if pd.isna(lo) or pd.isna(hi):
        raise PeriodError(f"{what}: start/end must not be missing, got {start!r}, {end!r}")
    if lo > hi:
        raise PeriodError(f"{what}: start {lo.date()} is after end {hi.date()}")
    return lo, hi


def periods(start: Any, end: Any, /, *, freq: str) -> list[Period]:
    """The periods of frequency ``freq`` that overlap the days ``start`` .. ``end``.

    The first and last period may reach outside the range (a week that starts before
    ``start``); together they cover every day of it, in order, without gaps.

    Examples
    --------
    >>> [str(p) for p in periods("2026-12-28", "2027-01-05", freq="W")]
    ['2026-W53', '2027-W01']
    >>> [str(p) for p in periods("2026-11-15", "2027-01-01", freq="M")]
    ['2026-11', '2026-12', '2027-01']
    """
    _check_freq(freq)
    lo, hi = _bounds(start, end, "periods")
    days = pd.Series(pd.date_range(lo, hi, freq="D", unit=_UNIT))
    labels = _labels(days, freq)
    first = ~labels.duplicated()
    day, labels = days[first], labels[first]
    if freq == "D":
        first_day = last_day = day
    elif freq == "W":
        first_day = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
        last_day = first_day + 6 * _DAY
    else:
        span = day.dt.to_period(freq)
        first_day = span.dt.start_time
        last_day = span.dt.end_time.dt.normalize()
    return [
        Period(lab, freq, s, e)
        for lab, s, e in zip(
            labels,
            first_day.astype(_DTYPE),
            last_day.astype(_DTYPE),
            strict=True,
        )
    ]


# ------------------------------------------------------------------ public holidays


def _country(years: range) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=years, categories=("public",), language="en_US")


def spring_festival(year: int, /) -> pd.Timestamp:
    """The Spring Festival (春节, 正月初一) of ``year``, from the ``holidays`` package.

    Examples
    --------
    >>> spring_festival(2026)
    Timestamp('2026-02-17 00:00:00')
    """
    day = _spring_festivals(range(year, year + 1)).iloc[0]
    if pd.isna(day):
        raise PeriodError(f"spring_festival: the holidays package has no CN calendar for {year}")
    return day


def _spring_festivals(years: range) -> pd.Series:
    """Spring Festival day per year (NaT where holidays has no CN calendar)."""
    days = pd.Series(
        [d for d, n in _country(years).items() if _SPRING_FESTIVAL_NAME in n], dtype="object"
    )
    days = pd.to_datetime(days).astype(_DTYPE)
    first = days.groupby(days.dt.year).min()
    return first.reindex(list(years))


def _calendar(years: range) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Days off (date, name, detail, anchor) and 调休 workdays (date, detail) of ``years``."""
    h = _country(years)
    raw = pd.DataFrame(
        {"date": pd.to_datetime(list(h.keys())).as_unit(_UNIT), "detail": list(h.values())}
    )
    # A day can carry two holidays ("Mid-Autumn Festival; National Day"): one row each.
    off = (
        raw.assign(detail=raw["detail"].str.split("; "))
        .explode("detail")
        .astype({"detail": "str"})
        .sort_values("date", kind="stable", ignore_index=True)
    )
    base = off["detail"].str.replace(r" \(observed\)$", "", regex=True)
    sub = off["detail"].str.contains(r"substituted from \d", regex=True).to_numpy()
    # Unknown one-off holidays (2015's 70th anniversary day) keep holidays' English name.
    name = base.map(_HOLIDAY_EVENTS).fillna(base).to_numpy(dtype=object)
    core = off["date"].to_numpy()
    # A substituted day off belongs to the nearest named holiday (2026-02-23 -> 春节).
    named = pd.DataFrame({"key": core[~sub], "core": core[~sub], "name": name[~sub]})
    nearest = pd.merge_asof(pd.DataFrame({"key": core[sub]}), named, on="key", direction="nearest")
    name[sub] = nearest["name"].to_numpy()
    core = core.copy()
    core[sub] = nearest["core"].to_numpy()
    off["name"] = pd.array(name, dtype="str")
    year = pd.DatetimeIndex(core).year
    # Anchor: the holiday's own day (not Eve, not observed) in the year of its core day;
    # holidays without such a day (one-offs) anchor on their first day.
    is_anchor = base.isin(_HOLIDAY_ANCHOR_NAMES).to_numpy() | ~(base.isin(_HOLIDAY_EVENTS) | sub)
    keys = [off["name"], year]
    first = off["date"].where(is_anchor).groupby(keys).transform("min")
    off["anchor"] = first.fillna(pd.Series(core, index=off.index).groupby(keys).transform("min"))

    # 调休: the weekend workday that each "Day off (substituted from MM/DD/YYYY)" names.
    subs = off[sub]
    work = pd.DataFrame(
        {
            "date": pd.to_datetime(
                subs["detail"].str.extract(_SUBSTITUTED.pattern, expand=False), format="%m/%d/%Y"
            ).dt.as_unit(_UNIT),
            "detail": "weekend workday for the day off on "
            + subs["date"].dt.strftime("%Y-%m-%d")
            + " ("
            + subs["name"]
            + ")",
        }
    )
    # holidays also keeps a set of them; add any the names do not mention.
    listed = pd.DatetimeIndex(sorted(getattr(h, "weekend_workdays", ()))).as_unit(_UNIT)
    extra = pd.DataFrame({"date": listed[~listed.isin(work["date"])], "detail": "weekend workday"})
    work = pd.concat([work, extra], ignore_index=True).drop_duplicates("date", ignore_index=True)
    return off[["date", "name", "detail", "anchor"]], work


def cn_holidays(start: Any, end: Any, /) -> pd.DataFrame:
    """China's public days off and 调休 weekend workdays between ``start`` and ``end``.

    Taken from ``holidays.country_holidays("CN", categories=("public",))``: official
    调休 arrangements are there for the years the State Council has announced (up to
    2026 in holidays 0.109); later years have statutory and observed days only.

    Returns
    -------
    pandas.DataFrame
        One row per (date, name), sorted: ``date`` (``datetime64[us]``), ``name`` (元旦,
        春节, 清明, 劳动节, 端午, 中秋, 国庆, or 调休 for a workday), ``kind``
        (``"holiday"`` for a day off, ``"workday"`` for a weekend workday) and ``detail``
        (holidays' English description, or the day off a workday makes up for).

    Examples
    --------
    >>> cn_holidays("2026-02-14", "2026-02-17")[["date", "name", "kind"]]
            date name     kind
    0 2026-02-14   调休  workday
    1 2026-02-16   春节  holiday
    2 2026-02-17   春节  holiday
    """
    lo, hi = _bounds(start, end, "cn_holidays")
    off, work = _calendar(range(lo.year - 1, hi.year + 2))
    out = pd.concat(
        [
            off.assign(kind="holiday")[["date", "name", "kind", "detail"]],
            work.assign(name="调休", kind="workday")[["date", "name", "kind", "detail"]],
        ],
        ignore_index=True,
    )
    out = out[out["date"].between(lo, hi)].astype({"name": "str", "kind": "str", "detail": "str"})
    return out.sort_values(["date", "name"], ignore_index=True)


def is_working_day(dates: Any, /) -> np.ndarray:
    """Whether each date is a working day in mainland China.

    A working day is a Monday..Friday that is not a public day off, or a weekend day
    that 调休 makes a workday (e.g. Saturday 2026-02-14). Missing dates give False.

    Parameters
    ----------
    dates : date-like or array-like of dates
        A scalar is treated as a one-element array.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> is_working_day(["2026-02-13", "2026-02-14", "2026-02-15", "2026-02-16"]).tolist()
    [True, True, False, False]
    """
    d = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(np.asarray(dates, dtype=object)))).normalize()
    ok = d.notna()
    if not ok.any():
        return np.zeros(len(d), dtype=bool)
    years = range(int(d[ok].year.min()) - 1, int(d[ok].year.max()) + 2)
    off, work = _calendar(years)
    weekday = np.asarray(d.day_of_week < 5) & ok
    return (weekday & ~d.isin(off["date"])) | d.isin(work["date"])


# --------------------------------------------------------------------------- events


def event_table() -> pd.DataFrame:
    """The shipped event table ``mallkit/data/cn_events.csv`` (editable by analysts).

    Each row is one phase of one event, a window of days ``start_offset`` ..
    ``end_offset`` (inclusive) relative to ``anchor``: a month-day ``"11-11"`` or
    ``"spring_festival"`` (the lunar new year, resolved through ``holidays``). Edit a
    copy and pass it to :func:`events` as ``table=`` to change the windows.

    Examples
    --------
    >>> t = event_table()
    >>> t.loc[t["event"] == "双11", ["phase", "anchor", "start_offset", "end_offset"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                phase anchor  start_offset  end_offset
    11        presale  11-11           -21          -1
    12  final_payment  11-11             0           0
    13           tail  11-11             1           2
    """
    ref = resources.files("mallkit").joinpath("data", "cn_events.csv")
    with ref.open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, dtype="str", keep_default_na=False)
    return _check_event_table(table)


def _check_event_table(table: pd.DataFrame) -> pd.DataFrame:
    """Validate an event table; return a clean copy (str columns, int64 offsets)."""
    name = "event table"
    missing = [c for c in EVENT_COLUMNS if c not in table.columns]
    if missing:
        present = [str(c) for c in table.columns]
        raise MissingColumnsError(
            f"{name}: missing columns {missing}; required {list(EVENT_COLUMNS)} "
            f"(note optional); present {present}",
            missing=missing,
            present=present,
            table=name,
        )
    t = table.copy()
    if "note" not in t.columns:
        t["note"] = ""
    t = t[[*EVENT_COLUMNS, "note"]]

    def fail(column: str, rule: str, bad: pd.Series) -> SchemaError:
        rows = t[bad]
        keys = rows[["event", "phase"]].drop_duplicates().head(5)
        eg = ", ".join(f"{e}/{p}" for e, p in zip(keys["event"], keys["phase"], strict=True))
        return SchemaError(
            f"{name}: column {column!r} breaks rule {rule!r} in {len(rows)} row(s); e.g. {eg}",
            table=name,
            column=column,
            rule=rule,
            rows=rows,
        )

    for col in ("event", "phase", "anchor", "kind"):
        t[col] = t[col].astype("str").str.strip()
        blank = t[col].isna() | (t[col] == "") | (t[col] == "nan")
        if blank.any():
            raise fail(col, "not blank", blank)
    t["note"] = t["note"].fillna("").astype("str")
    for col in ("start_offset", "end_offset"):
        num = pd.to_numeric(t[col], errors="coerce")
        bad = num.isna() | (num % 1 != 0) | (num.abs() > 366)
        if bad.any():
            raise fail(col, "integer number of days in -366..366", bad)
        t[col] = num.astype("int64")
    if (bad := t["start_offset"] > t["end_offset"]).any():
        raise fail("end_offset", "end_offset >= start_offset", bad)
    if (bad := ~t["kind"].isin(KINDS)).any():
        raise fail("kind", f"one of {list(KINDS)}", bad)
    md = pd.to_datetime("2001-" + t["anchor"], format="%Y-%m-%d", errors="coerce")
    bad = (md.isna() | ~t["anchor"].str.fullmatch(r"\d\d-\d\d")) & (
        t["anchor"] != "spring_festival"
    )
    if bad.any():  # 2001 is not a leap year, so "02-29" is rejected too: it is not yearly
        raise fail("anchor", "MM-DD (a day every year has) or spring_festival", bad)
    if (bad := t.duplicated(["event", "phase"], keep=False)).any():
        raise fail("event, phase", "unique (event, phase)", bad)
    return t.reset_index(drop=True)


def _sale_rows(tab: pd.DataFrame, years: range) -> pd.DataFrame:
    """Expand each (table row, year) window into one row per day, vectorised."""
    n_years = len(years)
    row = np.repeat(np.arange(len(tab)), n_years)
    year = np.tile(np.asarray(years), len(tab))
    anchor_spec = tab["anchor"].to_numpy()[row]
    is_sf = anchor_spec == "spring_festival"
    fixed = pd.to_datetime(
        pd.Series(year.astype(str)) + "-" + pd.Series(np.where(is_sf, "01-01", anchor_spec)),
        format="%Y-%m-%d",
    )
    if is_sf.any():
        sf = _spring_festivals(years)
        fixed = fixed.where(~is_sf, pd.Series(year).map(sf))
    keep = fixed.notna().to_numpy()  # a padding year beyond holidays' coverage (1950..2100)
    row, fixed = row[keep], fixed[keep]
    anchor = pd.DatetimeIndex(fixed).as_unit(_UNIT)
    start = tab["start_offset"].to_numpy()[row]
    length = tab["end_offset"].to_numpy()[row] - start + 1
    rep = np.repeat(np.arange(len(row)), length)
    # Position of each day inside its window: 0, 1, ... restarting at every window.
    within = np.arange(len(rep)) - np.repeat(np.cumsum(length) - length, length)
    offset = start[rep] + within
    anchors = anchor[rep]
    return pd.DataFrame(
        {
            "date": anchors + pd.to_timedelta(offset, unit="D"),
            "event": tab["event"].to_numpy()[row][rep],
            "phase": tab["phase"].to_numpy()[row][rep],
            "anchor": anchors,
            "offset": offset.astype("int64"),
            "kind": tab["kind"].to_numpy()[row][rep],
        }
    )


def events(
    start: Any,
    end: Any,
    /,
    *,
    table: pd.DataFrame | None = None,
    include_holidays: bool = True,
) -> pd.DataFrame:
    """Every event day between ``start`` and ``end`` (inclusive): one row per (date, event, phase).

    Parameters
    ----------
    start, end : date-like
        First and last day of the range.
    table : pandas.DataFrame, optional
        An event table with the columns of :func:`event_table` (``event, phase, anchor,
        start_offset, end_offset, kind``, ``note`` optional); default the shipped CSV.
    include_holidays : bool, default True
        Add the public days off (kind ``"holiday"``, phase ``"day_off"``, anchored on the
        holiday's own day) and the 调休 weekend workdays (event ``"调休"``, phase
        ``"workday"``, kind ``"workday"``, anchored on themselves) from :func:`cn_holidays`.

    Returns
    -------
    pandas.DataFrame
        ``date`` and ``anchor`` (``datetime64[us]``), ``event``, ``phase``, ``kind`` (str)
        and ``offset`` (int64 days from ``anchor``), sorted by date, event, phase. If the
        table repeats a holiday row's (event, phase) on the same date, the table row wins.

    Raises
    ------
    PeriodError
        ``start`` is after ``end`` or they are not dates.
    MissingColumnsError, SchemaError
        ``table`` lacks a column or breaks a rule (offsets not integers, unknown kind,
        bad anchor, repeated (event, phase)); the message names the column and rows.

    Examples
    --------
    >>> ev = events("2026-02-07", "2026-02-09")  # Spring Festival 2026-02-17
    >>> ev[["date", "event", "phase", "offset", "kind"]]
            date event          phase  offset       kind
    0 2026-02-07   年货节           main     -10       sale
    1 2026-02-07    春节  pre_stop_peak     -10       sale
    2 2026-02-08    春节  pre_stop_peak      -9       sale
    3 2026-02-09    春节   courier_stop      -8  logistics
    >>> events("2026-02-14", "2026-02-14", table=event_table().iloc[:0])
            date event    phase     anchor  offset     kind
    0 2026-02-14    调休  workday 2026-02-14       0  workday
    """
    lo, hi = _bounds(start, end, "events")
    tab = event_table() if table is None else _check_event_table(table)
    if (tab["anchor"] == "spring_festival").any():
        sf = _spring_festivals(range(lo.year, hi.year + 1))
        if sf.isna().any():
            missing = sf.index[sf.isna()].tolist()[:5]
            raise PeriodError(
                f"events: no Spring Festival for {missing} in the holidays package (1950..2100)"
            )
    # One extra year each side: windows cross New Year (年货节 before a January CNY).
    years = range(lo.year - 1, hi.year + 2)
    parts = [_sale_rows(tab, years)]
    if include_holidays:
        off, work = _calendar(years)
        parts.append(
            pd.DataFrame(
                {
                    "date": off["date"],
                    "event": off["name"],
                    "phase": "day_off",
                    "anchor": off["anchor"],
                    "offset": (off["date"] - off["anchor"]).dt.days.astype("int64"),
                    "kind": "holiday",
                }
            )
        )
        parts.append(
            pd.DataFrame(
                {
                    "date": work["date"],
                    "event": "调休",
                    "phase": "workday",
                    "anchor": work["date"],
                    "offset": np.zeros(len(work), dtype="int64"),
                    "kind": "workday",
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out = out[out["date"].between(lo, hi)]
    out = out.drop_duplicates(["date", "event", "phase"], keep="first")
    out = out.astype(
        {
            "date": _DTYPE,
            "anchor": _DTYPE,
            "event": "str",
            "phase": "str",
            "kind": "str",
            "offset": "int64",
        }
    )
    return out.sort_values(["date", "event", "phase"], ignore_index=True)[
        list(EVENT_OUTPUT_COLUMNS)
    ]


def yesterday(now: pd.Timestamp | None = None, /) -> pd.Timestamp:
    """The mall's yesterday: the day before today in Asia/Shanghai, as a naive midnight.

    A scheduler running in UTC at 07:00 Shanghai time (23:00 UTC the day before) still
    gets the right day.

    Examples
    --------
    >>> yesterday(pd.Timestamp("2026-11-25 23:30", tz="UTC"))  # 07:30 on the 26th in Shanghai
    Timestamp('2026-11-25 00:00:00')
    """
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if now.tzinfo is None:
        now = now.tz_localize("Asia/Shanghai")
    local = now.tz_convert("Asia/Shanghai").tz_localize(None).normalize()
    return local - pd.Timedelta(days=1)
