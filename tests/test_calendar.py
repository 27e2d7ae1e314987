"""Tests of mallkit.calendar: periods, the CN holiday calendar and the event table."""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import itertools

import holidays
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallkit.calendar import (
    EVENT_OUTPUT_COLUMNS,
    FREQS,
    KINDS,
    Period,
    cn_holidays,
    event_table,
    events,
    is_working_day,
    parse_period,
    period_label,
    periods,
    spring_festival,
)
from mallkit.errors import MissingColumnsError, PeriodError, SchemaError

D = pd.Timestamp
dates_st = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))


# ----------------------------------------------------------------------------- periods


def test_iso_week_47_of_2026():
    # Independent arithmetic: 2026-01-01 is a Thursday, so ISO week 1 starts on Monday
    # 2025-12-29; week 47 starts 46 weeks later: 2025-12-29 + 322 days = 2026-11-16.
    assert dt.date(2026, 1, 1).weekday() == 3
    assert dt.date(2025, 12, 29) + dt.timedelta(days=46 * 7) == dt.date(2026, 11, 16)
    p = parse_period("2026-W47")
    assert p == Period("2026-W47", "W", D("2026-11-16"), D("2026-11-22"))
    assert p.days == 7
    assert list(p.dates.day_name()) == [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    ]  # fmt: skip
    # mallkit.schema's canonical resolution is microseconds.
    assert p.start.unit == "us" and p.dates.dtype == "datetime64[us]"


def test_2026_has_53_iso_weeks_2025_has_52():
    # ISO 8601: a year has 53 weeks iff it starts on a Thursday (or a leap year on a
    # Wednesday). Python's date.isocalendar agrees: 2026-12-31 is (2026, 53, 4) and
    # 2027-01-01 still belongs to ISO 2026 as (2026, 53, 5); 2025-12-28 is in week 52.
    assert tuple(dt.date(2026, 12, 31).isocalendar()) == (2026, 53, 4)
    assert tuple(dt.date(2027, 1, 1).isocalendar()) == (2026, 53, 5)
    assert dt.date(2025, 12, 28).isocalendar().week == 52
    w53 = parse_period("2026-W53")
    assert (w53.start, w53.end) == (D("2026-12-28"), D("2027-01-03"))
    assert period_label("2027-01-01", freq="W") == "2026-W53"
    assert period_label("2027-01-04", freq="W") == "2027-W01"
    with pytest.raises(PeriodError, match=r"'2025-W53'.*ISO year 2025 has weeks 01\.\.52"):
        parse_period("2025-W53")


@pytest.mark.parametrize(
    ("label", "days"),
    [
        # Days per month from Python's calendar.monthrange (Gregorian leap rule:
        # 2024 and 2000 leap, 2100 not, being divisible by 100 but not 400).
        ("2024-02", pycal.monthrange(2024, 2)[1]),
        ("2026-02", pycal.monthrange(2026, 2)[1]),
        ("2000-02", pycal.monthrange(2000, 2)[1]),
        ("2100-02", pycal.monthrange(2100, 2)[1]),
        ("2026-11", 30),
        ("2024-Q1", 31 + 29 + 31),
        ("2026-Q1", 31 + 28 + 31),
        ("2026-Q4", 31 + 30 + 31),
        ("2024", 366),
        ("2026", 365),
        ("2024-02-29", 1),
    ],
)
def test_period_lengths(label, days):
    p = parse_period(label)
    assert p.days == days == len(p.dates)
    assert p.dates[0] == p.start and p.dates[-1] == p.end
    assert (pycal.monthrange(2024, 2)[1], pycal.monthrange(2100, 2)[1]) == (29, 28)


def test_parse_period_forms():
    assert parse_period("2026-11") == Period("2026-11", "M", D("2026-11-01"), D("2026-11-30"))
    assert parse_period("2026-Q4") == Period("2026-Q4", "Q", D("2026-10-01"), D("2026-12-31"))
    assert parse_period("2026") == Period("2026", "Y", D("2026-01-01"), D("2026-12-31"))
    assert parse_period("2026-11-11") == Period("2026-11-11", "D", D("2026-11-11"), D("2026-11-11"))
    p = parse_period("2026-W47")
    assert parse_period(p) is p
    assert str(p) == "2026-W47"


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("2026-W54", r"ISO year 2026 has weeks 01\.\.53, not 54"),
        ("2026-W00", r"ISO year 2026 has weeks 01\.\.53, not 00"),
        ("2026-13", r"month 13 is not 01\.\.12"),
        ("2026-00", r"month 0 is not 01\.\.12"),
        ("26-11", "unrecognised form"),
        ("2026-Q5", r"quarter 5 is not 1\.\.4"),
        ("2026-02-29", r"2026-02 has days 01\.\.28"),
        ("2026-04-31", r"2026-04 has days 01\.\.30"),
        ("2026/11", "unrecognised form"),
        ("2026-W7", "unrecognised form"),
        ("", "unrecognised form"),
        ("1500", r"year 1500 is outside"),
    ],
)
def test_bad_labels(label, reason):
    with pytest.raises(PeriodError, match=rf"'{label}' is not valid: {reason}.*'2026-W47'"):
        parse_period(label)


def test_non_string_label():
    with pytest.raises(PeriodError, match=r"202611.*expected a str, got int"):
        parse_period(202611)


@pytest.mark.parametrize(
    ("label", "previous", "year_ago"),
    [
        ("2026-W01", "2025-W52", "2025-W01"),
        ("2026-W47", "2026-W46", "2025-W47"),
        ("2026-W53", "2026-W52", "2025-W52"),  # 2025 has no week 53
        ("2026-01", "2025-12", "2025-01"),
        ("2026-03", "2026-02", "2025-03"),
        ("2026-Q1", "2025-Q4", "2025-Q1"),
        ("2026", "2025", "2025"),
        ("2026-03-01", "2026-02-28", "2025-03-01"),
        ("2024-03-01", "2024-02-29", "2023-03-01"),
        ("2024-02-29", "2024-02-28", "2023-02-28"),
    ],
)
def test_previous_and_year_ago(label, previous, year_ago):
    p = parse_period(label)
    assert p.previous().label == previous
    assert p.previous().end + pd.Timedelta(days=1) == p.start
    assert p.year_ago().label == year_ago
    assert p.year_ago().freq == p.freq


def test_week_year_ago_keeps_weekdays():
    # 2026-W47 starts Monday 2026-11-16; 2025-W47 starts 364 days earlier, Monday 2025-11-17.
    assert parse_period("2026-W47").year_ago().start == D("2025-11-17")


@given(dates_st, st.sampled_from(FREQS))
def test_label_round_trip(day, freq):
    # The period named by a date's label contains that date.
    p = parse_period(period_label(day, freq=freq))
    assert p.freq == freq
    assert p.start <= D(day) <= p.end


@given(dates_st)
def test_week_label_matches_isocalendar(day):
    # Independent oracle: Python's date.isocalendar.
    y, w, _ = day.isocalendar()
    assert period_label(day, freq="W") == f"{y:04d}-W{w:02d}"


def test_period_label_vectorised():
    s = pd.Series(
        pd.to_datetime(["2026-11-11 23:59", None, "2024-02-29 00:00"]), index=[10, 20, 30]
    )
    out = period_label(s, freq="M")
    assert out.index.tolist() == [10, 20, 30]
    assert out[10] == "2026-11" and pd.isna(out[20]) and out[30] == "2024-02"
    assert period_label(["2026-11-11", "2026-04-01"], freq="Q").tolist() == ["2026-Q4", "2026-Q2"]
    assert period_label(pd.DatetimeIndex(["2026-11-11"]), freq="Y").tolist() == ["2026"]
    assert period_label(dt.date(2026, 11, 11), freq="D") == "2026-11-11"
    with pytest.raises(PeriodError, match=r"freq must be one of .*got 'X'"):
        period_label("2026-11-11", freq="X")


@given(dates_st, st.integers(0, 400), st.sampled_from(FREQS))
def test_periods_cover_range_without_gaps(start, span, freq):
    end = start + dt.timedelta(days=span)
    ps = periods(start, end, freq=freq)
    assert ps[0].start <= D(start) <= ps[0].end
    assert ps[0] == parse_period(ps[0].label)
    assert ps[-1].start <= D(end) <= ps[-1].end
    for a, b in itertools.pairwise(ps):
        assert a.end + pd.Timedelta(days=1) == b.start
        assert b.previous() == a


def test_periods_examples_and_errors():
    assert [p.label for p in periods("2026-12-28", "2027-01-05", freq="W")] == [
        "2026-W53",
        "2027-W01",
    ]
    assert len(periods("2024-01-01", "2024-12-31", freq="D")) == 366
    with pytest.raises(PeriodError, match="periods: start 2026-02-01 is after end 2026-01-01"):
        periods("2026-02-01", "2026-01-01", freq="M")


# --------------------------------------------------------------------- holidays, 调休


def test_spring_festival_dates():
    # targets.md §2: CNY 2026-02-17, 2027-02-06, 2028-01-26, 2029-02-13, 2030-02-03.
    expected = ["2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03"]
    assert [spring_festival(y) for y in range(2026, 2031)] == [D(d) for d in expected]
    with pytest.raises(PeriodError, match="no CN calendar for 1900"):
        spring_festival(1900)


def test_2026_tiaoxiu_workdays_and_spring_festival_days_off():
    hol = cn_holidays("2026-01-01", "2026-12-31")
    assert list(hol.columns) == ["date", "name", "kind", "detail"]
    work = hol[hol["kind"] == "workday"]
    # targets.md §2: holidays 0.109 lists 2026-02-14 and 2026-02-28 as weekend workdays.
    assert {D("2026-02-14"), D("2026-02-28")} <= set(work["date"])
    assert (work["date"].dt.day_of_week >= 5).all()
    assert (work["name"] == "调休").all()
    assert work.loc[work["date"] == D("2026-02-14"), "detail"].item() == (
        "weekend workday for the day off on 2026-02-20 (春节)"
    )
    # targets.md §2: 2026 春节 off 02-16..02-23; the weekend 02-21/22 is off anyway,
    # so holidays lists the six weekdays.
    cny = hol[(hol["name"] == "春节") & (hol["kind"] == "holiday")]["date"]
    assert cny.dt.strftime("%m-%d").tolist() == [
        "02-16",
        "02-17",
        "02-18",
        "02-19",
        "02-20",
        "02-23",
    ]
    assert not hol.duplicated(["date", "name"]).any()


def test_is_working_day_matches_holidays_package():
    # Oracle: holidays' own HolidayBase.is_working_day, one day at a time.
    days = pd.date_range("2025-01-01", "2027-12-31")
    h = holidays.country_holidays("CN", years=range(2025, 2028), categories=("public",))
    expected = np.array([h.is_working_day(d.date()) for d in days])
    got = is_working_day(days)
    assert got.dtype == bool
    np.testing.assert_array_equal(got, expected)
    # 2026-02-14 (Saturday, 调休), 02-15 (Sunday), 02-16 (Monday, Eve day off).
    assert is_working_day(["2026-02-14", "2026-02-15", "2026-02-16", None]).tolist() == [
        True,
        False,
        False,
        False,
    ]


# ----------------------------------------------------------------------------- events


def test_event_table_shipped():
    t = event_table()
    assert list(t.columns) == [
        "event", "phase", "anchor", "start_offset", "end_offset", "kind", "note",
    ]  # fmt: skip
    assert t["start_offset"].dtype == "int64" and t["end_offset"].dtype == "int64"
    assert set(t["kind"]) <= set(KINDS)
    assert (t["note"].str.len() > 0).all()  # every window says where it came from
    want = {"元旦", "年货节", "春节", "38", "618", "99", "双11", "双12"}
    assert set(t["event"]) == want


def test_double11_phases_2026():
    ev = events("2026-10-01", "2026-11-30", include_holidays=False)
    d11 = ev[ev["event"] == "双11"]
    # Tmall 2016 (targets.md §2): deposit Oct 21..Nov 10, final payment Nov 11.
    pre = d11[d11["phase"] == "presale"]
    assert pre["date"].tolist() == list(pd.date_range("2026-10-21", "2026-11-10"))
    assert pre["offset"].tolist() == list(range(-21, 0))
    fin = d11[d11["phase"] == "final_payment"]
    assert fin["date"].tolist() == [D("2026-11-11")] and fin["offset"].tolist() == [0]
    assert (d11["anchor"] == D("2026-11-11")).all()
    assert ((d11["date"] - d11["anchor"]).dt.days == d11["offset"]).all()
    assert (d11["kind"] == "sale").all()


def test_618_windows_match_jd_2021():
    # targets.md §2, JD 2021: presale 5/24-5/31, 6/1-6/15, climax 6/16-6/18, tail 6/19-6/20.
    ev = events("2021-05-01", "2021-06-30", include_holidays=False)
    e618 = ev[ev["event"] == "618"]
    spans = e618.groupby("phase")["date"].agg(["min", "max"])
    assert spans.loc["presale"].tolist() == [D("2021-05-24"), D("2021-05-31")]
    assert spans.loc["main"].tolist() == [D("2021-06-01"), D("2021-06-15")]
    assert spans.loc["climax"].tolist() == [D("2021-06-16"), D("2021-06-18")]
    assert spans.loc["tail"].tolist() == [D("2021-06-19"), D("2021-06-20")]
    assert not e618.duplicated("date").any()  # 618's phases do not overlap


def test_spring_festival_courier_stop_follows_lunar_anchor():
    ev = events("2027-01-01", "2027-02-28", include_holidays=False)
    stop = ev[(ev["event"] == "春节") & (ev["phase"] == "courier_stop")]
    assert (stop["anchor"] == D("2027-02-06")).all()  # CNY 2027, targets.md §2
    # targets.md §2: couriers stop around 腊月二十..廿五 and resume around 正月初五..初十.
    # 正月初一 is offset 0, so 初五..初十 is +4..+9; 腊月 has 29 or 30 days, so 腊月二十..廿五
    # is between -11 and -5.
    first_stop, resume = stop["offset"].min(), stop["offset"].max() + 1
    assert -11 <= first_stop <= -5 and 4 <= resume <= 9
    peak = ev[(ev["event"] == "春节") & (ev["phase"] == "pre_stop_peak")]
    assert peak["offset"].max() + 1 == first_stop and len(peak) == 7  # the week before


def test_nianhuojie_crosses_new_year():
    # CNY 2028 is 2028-01-26 (targets.md §2), so 年货节 (-30..-10) starts 2027-12-27.
    ev = events("2027-12-20", "2027-12-31", include_holidays=False)
    nh = ev[ev["event"] == "年货节"]
    assert nh["date"].tolist() == list(pd.date_range("2027-12-27", "2027-12-31"))
    assert (nh["anchor"] == D("2028-01-26")).all()
    assert nh["offset"].tolist() == [-30, -29, -28, -27, -26]


def test_holiday_and_tiaoxiu_rows_2026():
    ev = events("2025-12-31", "2026-12-31")
    assert tuple(ev.columns) == EVENT_OUTPUT_COLUMNS
    assert ev["date"].dtype == "datetime64[us]" and ev["anchor"].dtype == "datetime64[us]"
    assert ev["offset"].dtype == "int64"
    work = ev[ev["kind"] == "workday"]
    assert {D("2026-02-14"), D("2026-02-28")} <= set(work["date"])  # targets.md §2
    assert (work["event"] == "调休").all() and (work["phase"] == "workday").all()
    off = ev[ev["kind"] == "holiday"]
    assert set(off["event"]) == {"元旦", "春节", "清明", "劳动节", "端午", "中秋", "国庆"}
    assert (off["phase"] == "day_off").all()
    # 2026-01-02 is a substituted day off of 元旦, one day after its anchor.
    row = off[off["date"] == D("2026-01-02")]
    assert row[["event", "anchor", "offset"]].values.tolist() == [["元旦", D("2026-01-01"), 1]]
    # 春节 days off anchor on the Spring Festival, the Eve is offset -1.
    eve = off[off["date"] == D("2026-02-16")]
    assert eve[["event", "offset"]].values.tolist() == [["春节", -1]]
    assert off["date"].between(D("2025-12-31"), D("2026-12-31")).all()


def test_one_row_per_date_event_phase_and_sorted():
    ev = events("2024-01-01", "2027-12-31")
    assert not ev.duplicated(["date", "event", "phase"]).any()
    assert ev.equals(ev.sort_values(["date", "event", "phase"], ignore_index=True))
    assert ((ev["date"] - ev["anchor"]).dt.days == ev["offset"]).all()
    assert set(ev["kind"]) == set(KINDS)


def test_user_table_overrides_shipped(not_mutated):
    mine = pd.DataFrame(
        {
            "event": ["会员日"],
            "phase": ["day"],
            "anchor": ["05-20"],
            "start_offset": [0],
            "end_offset": [1],
            "kind": ["sale"],
        }
    )
    ev = not_mutated(events, "2026-05-01", "2026-05-31", table=mine, include_holidays=False)
    assert ev[["date", "event", "phase", "offset"]].values.tolist() == [
        [D("2026-05-20"), "会员日", "day", 0],
        [D("2026-05-21"), "会员日", "day", 1],
    ]
    with_hol = events("2026-05-01", "2026-05-31", table=mine)
    assert set(with_hol["event"]) == {"会员日", "劳动节", "调休"}  # no 618 presale from the CSV


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda t: t.drop(columns=["kind", "anchor"]), r"missing columns \['anchor', 'kind'\]"),
        (lambda t: t.assign(kind="promo"), r"column 'kind' breaks rule .* e\.g\. 元旦/day"),
        (
            lambda t: t.assign(anchor="13-01"),
            r"column 'anchor' breaks rule 'MM-DD \(a day every year has\)",
        ),
        (lambda t: t.assign(anchor="02-29"), r"column 'anchor'"),
        (lambda t: t.assign(start_offset=0.5), r"'start_offset' breaks rule 'integer"),
        (lambda t: t.assign(end_offset=-40), r"'end_offset' breaks rule 'end_offset >= start"),
        (
            lambda t: t.assign(phase="x"),
            r"'event, phase' breaks rule 'unique.*e\.g\. 春节/x, 38/x, 618/x",
        ),
        (lambda t: t.assign(event=""), r"column 'event' breaks rule 'not blank'"),
    ],
)
def test_bad_user_tables(change, match):
    table = change(event_table())
    with pytest.raises(SchemaError, match=match):
        events("2026-01-01", "2026-01-31", table=table)


def test_missing_columns_error_type():
    with pytest.raises(MissingColumnsError, match=r"event table: missing columns \['phase'\]"):
        events("2026-01-01", "2026-01-02", table=event_table().drop(columns="phase"))


def test_events_bad_range():
    with pytest.raises(PeriodError, match="events: start 2026-02-01 is after end 2026-01-01"):
        events("2026-02-01", "2026-01-01")
    with pytest.raises(PeriodError, match="no Spring Festival for"):
        events("1940-01-01", "1940-12-31")


def test_period_label_missing_scalar():
    with pytest.raises(PeriodError, match="cannot label a missing date"):
        period_label(None, freq="D")


def test_inputs_not_mutated(not_mutated):
    s = pd.Series(pd.to_datetime(["2026-02-14", "2026-02-15"]), index=[3, 4])
    assert not_mutated(period_label, s, freq="W").tolist() == ["2026-W07", "2026-W07"]
    assert not_mutated(is_working_day, s).tolist() == [True, False]
    table = event_table()
    assert len(not_mutated(lambda t: events("2026-01-01", "2026-01-31", table=t), table)) > 0


def test_yesterday_is_the_malls_day_not_the_servers():
    from mallkit.calendar import yesterday

    # 2026-11-25 23:30 UTC is 07:30 on the 26th in Shanghai: yesterday is the 25th.
    assert yesterday(pd.Timestamp("2026-11-25 23:30", tz="UTC")) == pd.Timestamp("2026-11-25")
    # 2026-11-26 15:59 UTC is 23:59 in Shanghai, still the 26th.
    assert yesterday(pd.Timestamp("2026-11-26 15:59", tz="UTC")) == pd.Timestamp("2026-11-25")
    # A naive time is read as Shanghai time.
    assert yesterday(pd.Timestamp("2026-11-26 00:10")) == pd.Timestamp("2026-11-25")
