"""The report runner: notebooks executed by papermill on a small mall, figures read back."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from mallkit import cli, report
from mallkit.datasets import make_sample_mall
from mallkit.io import read_mall, write_mall
from mallkit.metrics import kpi_summary
from mallkit.report import ReportError, run_report

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_are_stripped_with_one_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_every_parameter_is_typed_and_documented():
    # The parameters the issue names for each notebook.
    wanted = {"weekly": {"period", "data_dir", "as_of", "lang"},
              "monthly": {"period", "data_dir", "as_of", "lang"},
              "whatif": {"mechanic", "threshold_yuan", "reduction_yuan", "claim_rate", "scope",
                         "start", "end", "budget_yuan", "interactive", "data_dir"}}
    for name, keys in wanted.items():
        spec = report.notebook_parameters(name)
        assert keys <= set(spec), keys - set(spec)
        for key, p in spec.items():
            assert p["type"] in ("str", "int", "float", "bool"), (name, key)
            assert p["help"], (name, key)


@pytest.fixture(scope="module")
def mall_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("mall")
    write_mall(make_sample_mall(seed=7, start="2025-09-01", end="2025-11-30", n_customers=1500), d)
    return d


def test_weekly_report_records_what_the_library_computes(mall_dir, tmp_path):
    res = run_report("weekly", params={"period": "2025-W46", "data_dir": str(mall_dir)},
                     out_dir=tmp_path)
    assert res.html == tmp_path / "weekly" / "2025-W46.html"
    mall = read_mall(mall_dir)
    # 2025-W46 = 2025-11-10 .. 2025-11-16 (ISO week; Monday 10 November).
    exp = kpi_summary(mall["orders"], mall["refunds"], mall["traffic"], start="2025-11-10",
                      end="2025-11-16", compare="both").headline()
    assert res.records["kpis"] == pytest.approx(exp, nan_ok=True)
    assert res.records["window"] == {"start": "2025-11-10", "end": "2025-11-16"}
    # 上期 is ISO week 45 (3..9 November); 去年同期 the same weekdays 364 days back.
    assert res.records["windows"] == {"current": ["2025-11-10", "2025-11-16"],
                                      "prev": ["2025-11-03", "2025-11-09"],
                                      "yoy": ["2024-11-11", "2024-11-17"]}
    o = mall["orders"]
    paid = o[o["status"].isin(["paid", "shipped", "completed"])]
    week45 = paid[paid["paid_at"].between("2025-11-03", "2025-11-10", inclusive="left")]
    assert res.records["comparisons"]["gmv_fen"]["prev"] == week45["paid_fen"].sum()
    assert res.records["comparisons"]["orders"]["prev"] == len(week45)
    assert json.loads(res.json.read_text())["records"]["kpis"]["gmv_fen"] == exp["gmv_fen"]
    # Target pace: the same pacing call gives the recorded attainment and landing.
    from mallkit import targets

    end = pd.Timestamp("2025-11-16")
    history = targets.daily_gmv(mall["orders"], by="channel")
    pace = targets.pacing(history, report.target_lines(mall["targets"], end),
                          as_of=end + pd.Timedelta(days=1))
    tot = pace.summary.query("level == 'total'").set_index("period")
    assert res.records["pace"]["2025-11"]["achievement"] == pytest.approx(
        tot.loc["2025-11", "achievement"])
    assert res.records["pace"]["2025-11"]["landing_model_fen"] == tot.loc["2025-11",
                                                                          "landing_model_fen"]
    # Promotions of the week: the same review gives the recorded lift and net iROI.
    from mallkit.roi import promotion_review

    review = promotion_review(mall["order_lines"], mall["orders"], mall["products"],
                              mall["promotions"], start="2025-11-10", end="2025-11-16")
    got = pd.DataFrame(res.records["promotions"])
    assert got["promo_id"].tolist() == review["promo_id"].tolist() == ["P20251021"]  # 双11
    assert got["lift"].to_numpy() == pytest.approx(review["lift"].to_numpy())
    assert got["net_iroi"].to_numpy() == pytest.approx(review["net_iroi"].to_numpy())
    # Reconciliation of the week: the same call gives the recorded exception count.
    from mallkit.reconcile import reconcile

    rec = reconcile(mall["orders"], mall["refunds"], mall["statements"], start="2025-11-10",
                    end="2025-11-16")
    assert res.records["reconciliation"]["exceptions"] == int(rec.totals["exceptions_n"].sum())
    assert res.records["reconciliation"]["ties_out"] is True
    # Inventory warnings on the week's last day, as the library computes them.
    from mallkit import demand, inventory

    stock = inventory.inventory_warnings(mall["inventory"], demand.daily_sales(
        mall["order_lines"], mall["orders"]), mall["products"], as_of="2025-11-16",
        promotions=mall["promotions"])
    assert res.records["stock_levels"] == stock["level"].value_counts().to_dict()
    # RFM segments at the week's end, on the library's own call.
    import warnings

    from mallkit.segments import segment_change

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # as_of counts that day's purchases: the week's last day, and the day before it
        seg = segment_change(mall["orders"], mall["refunds"], as_of="2025-11-16",
                             previous="2025-11-09", scheme="cn8", lang="zh")
    assert res.records["segments"] == seg.summary.set_index("segment")["customers"].to_dict()
    html = res.html.read_text()
    assert "report.load_mall" not in html  # no code in the reader's HTML
    assert "data_dir" not in html  # nor the parameter cells
    assert html.count("<img") >= 3  # daily trend, channel mix, category mix


def test_monthly_report_cuts_the_period_at_as_of(mall_dir, tmp_path):
    res = run_report("monthly", params={"period": "2025-11", "data_dir": str(mall_dir),
                                        "as_of": "2025-11-20", "lang": "en"}, out_dir=tmp_path)
    assert res.records["window"] == {"start": "2025-11-01", "end": "2025-11-20"}
    assert "period to date" in res.html.read_text()
    # 1..20 November is compared with 1..20 October (the previous month to the same day),
    # not with the 20 days before (12..31 October).
    assert res.records["windows"]["prev"] == ["2025-10-01", "2025-10-20"]
    mall = read_mall(mall_dir)
    exp = kpi_summary(mall["orders"], mall["refunds"], mall["traffic"], start="2025-11-01",
                      end="2025-11-20", prev_window=("2025-10-01", "2025-10-20"))
    assert res.records["kpis"] == pytest.approx(exp.headline(), nan_ok=True)
    o = mall["orders"]
    paid = o[o["status"].isin(["paid", "shipped", "completed"])]
    oct_ = paid[paid["paid_at"].between("2025-10-01", "2025-10-21", inclusive="left")]
    assert res.records["comparisons"]["gmv_fen"]["prev"] == oct_["paid_fen"].sum()
    assert res.records["comparisons"]["buyers"]["prev"] == oct_["customer_id"].nunique()
    assert res.records["comparisons"]["gmv_fen"]["pop_change"] == pytest.approx(
        exp.current.loc["all", "gmv_fen"] / oct_["paid_fen"].sum() - 1)


@pytest.mark.parametrize(("params", "message"), [
    ({"period": "2025-W46", "colour": "red"}, r"unknown parameter\(s\) colour; it takes period"),
    ({"period": "2025-W46", "top_n": "ten"}, r"parameter top_n must be int, got str 'ten'"),
    ({"period": "2025-11"}, r"takes a week like 2026-W47 as period, got '2025-11'"),
    ({"period": "2025-W60"}, r"2025-W60"),
    ({"period": "2025-W46", "as_of": "2025-11-31"},
     r"as_of must be a date like 2026-11-20, got '2025-11-31'"),
])
def test_bad_parameters_fail_before_running(params, message, tmp_path):
    with pytest.raises(ReportError, match=message):
        run_report("weekly", params=params, out_dir=tmp_path)
    assert not list(tmp_path.rglob("*.html"))


def test_a_failing_cell_publishes_no_html(mall_dir, tmp_path):
    # 2024-W10 lies before the data: the notebook's window check raises inside a cell.
    with pytest.raises(ReportError, match=r"failed in cell .*outside the data, which runs "
                                          r"2025-09-01\.\.2025-11-30"):
        run_report("weekly", params={"period": "2024-W10", "data_dir": str(mall_dir)},
                   out_dir=tmp_path)
    assert not list(tmp_path.rglob("*.html")) and not list(tmp_path.rglob("*.json"))


def test_cli_reports_bad_input_clearly(capsys, tmp_path):
    assert cli.main(["report", "weekly", "--period", "2025-13", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mallkit: error: ") and "2025-13" in err
    assert cli.main(["report", "monthly", "--data", str(tmp_path / "none"), "--out",
                     str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli.main(["report", "weekly", "--data", str(tmp_path / "empty"), "--out",
                     str(tmp_path)]) == 2
    assert "has no orders / order_lines / refunds / products / traffic table" in \
        capsys.readouterr().err


def test_cli_types_parameters_from_text(mall_dir, tmp_path, capsys):
    code = cli.main(["report", "weekly", "--period", "2025-W47", "--data", str(mall_dir),
                     "--out", str(tmp_path), "-p", "top_n", "3", "-p", "lang", "en"])
    assert code == 0
    rec = json.loads((tmp_path / "weekly" / "2025-W47.json").read_text())
    assert len(rec["records"]["top_skus"]) == 3
    assert "wrote" in capsys.readouterr().out


# The data end on 2025-11-30. A campaign of 7 days from the next day has the 7 days
# 24..30 November as baseline; a 3-day campaign 10..12 December (双12) the 3 days
# 28..30 November.
@pytest.mark.parametrize(("interactive", "dates", "baseline"), [
    (False, {"start": "2025-12-10", "end": "2025-12-12"}, ("2025-11-28", "2025-11-30")),
    (True, {"days": 7}, ("2025-11-24", "2025-11-30")),
])
def test_whatif_runs_headless_and_interactive(mall_dir, tmp_path, interactive, dates, baseline):
    params = {"scenario": f"t{int(interactive)}", "data_dir": str(mall_dir),
              "threshold_yuan": 299.0, "reduction_yuan": 40.0, "interactive": interactive,
              **dates}
    res = run_report("whatif", params=params, out_dir=tmp_path)
    assert (res.records["campaign"]["baseline_start"],
            res.records["campaign"]["baseline_end"]) == baseline
    # The same simulation straight from the library must give the recorded figures.
    from mallkit.metrics import paid_lines
    from mallkit.roi import simulate_promotion

    mall = read_mall(mall_dir)
    lines = paid_lines(mall["order_lines"], mall["orders"], start=baseline[0], end=baseline[1])
    sim = simulate_promotion(lines, mechanic="full_reduction",
                             params={"threshold_fen": 29900, "reduction_fen": 4000},
                             elasticity=(-2.0, 0.5), products=mall["products"])
    exp = sim.table.iloc[0]
    got = res.records["proposed"]
    assert got["gmv_fen"] == exp["gmv_fen"]
    assert got["incremental_profit_fen"] == exp["incremental_profit_fen"]
    assert got["net_iroi"] == pytest.approx(exp["net_iroi"])
    html = res.html.read_text()
    assert ("双12" in html) == ("start" in dates)  # the event in the campaign is named
    # Sliders exist only when interactive: a widget view among the executed outputs.
    views = [o for c in nbformat.read(res.notebook, as_version=4).cells
             for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert bool(views) == interactive


def test_whatif_scheme_grid_contains_the_proposal():
    for mech in ("full_reduction", "per_full_reduction", "coupon", "percent_off",
                 "second_half_price"):
        params, grid, (x, y) = report.whatif_scheme(mech, threshold_yuan=188.5,
                                                    reduction_yuan=25.0, rate=0.88,
                                                    claim_rate=0.5)
        for k, values in grid.items():
            assert params[k] in values, (mech, k)
        assert x in grid and (y is None or y in grid)
    with pytest.raises(ReportError, match="mechanic 'gift' is not offered"):
        report.whatif_scheme("gift", threshold_yuan=1, reduction_yuan=1, rate=1, claim_rate=1)


def test_a_mall_without_optional_tables_gets_a_report_with_those_sections_skipped(
        mall_dir, tmp_path, capsys, monkeypatch):
    # Only what the KPIs need, as CSV: no targets, promotions, inventory or statements
    # (a shop without its own site has no gateway statements, many have no targets file).
    mall = read_mall(mall_dir)
    sub = tmp_path / "mall"
    write_mall({k: mall[k] for k in ("orders", "order_lines", "refunds", "products",
                                     "traffic")}, sub, format="csv")
    # --data relative to where the command runs (the notebook itself runs in notebooks/).
    monkeypatch.chdir(tmp_path)
    assert cli.main(["report", "weekly", "--period", "2025-W46", "--data", "mall",
                     "--out", "out"]) == 0, capsys.readouterr().err
    rec = json.loads((tmp_path / "out" / "weekly" / "2025-W46.json").read_text())["records"]
    assert rec["kpis"]["gmv_fen"] == kpi_summary(
        mall["orders"], mall["refunds"], mall["traffic"], start="2025-11-10",
        end="2025-11-16").headline()["gmv_fen"]
    assert not {"pace", "promotions", "stock_levels", "reconciliation"} & set(rec)
    html = (tmp_path / "out" / "weekly" / "2025-W46.html").read_text()
    for table in ("targets", "promotions", "inventory", "statements"):
        assert f"数据中没有 {table} 表" in html or f"No {table} table in the data" in html
    # Without traffic there are no KPIs: refused before running, naming what is missing.
    (sub / "traffic.csv").unlink()
    with pytest.raises(ReportError, match=r"has no traffic table \(traffic.parquet or "
                                          r"traffic.csv\); it needs orders, order_lines"):
        run_report("weekly", params={"period": "2025-W46", "data_dir": str(sub)},
                   out_dir=tmp_path / "out2")
    assert not (tmp_path / "out2").exists() or not list((tmp_path / "out2").rglob("*.html"))


def test_a_target_for_a_shop_with_no_sales_yet_does_not_stop_the_report(mall_dir, tmp_path):
    # A Kuaishou shop opening later in November has its target in the file before its
    # first order: the scheduled report still runs and shows the line at 0, flagged.
    mall = read_mall(mall_dir)
    tg = pd.concat([mall["targets"], pd.DataFrame({
        "period": ["2025-11"], "level": ["channel"], "key": ["kuaishou"],
        "target_fen": [5_000_000]})], ignore_index=True)
    sub = tmp_path / "mall"
    write_mall({**mall, "targets": tg}, sub)
    res = run_report("weekly", params={"period": "2025-W46", "data_dir": str(sub)},
                     out_dir=tmp_path / "out")
    html = res.html.read_text()
    assert "kuaishou" in html and "尚无销售" in html  # the no_actuals flag, in Chinese


def test_targets_that_do_not_cover_the_period_skip_the_section(monkeypatch):
    # The issue's own example: `--period 2025-W46` on a sample mall whose targets are for
    # 2026 only. The pace section must say so instead of failing the whole report.
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda md: shown.append(md.data))
    targets = pd.DataFrame({"period": ["2026", "2026-11"], "level": "total", "key": "all",
                            "target_fen": [100, 10]})
    lines = report.target_lines(targets, pd.Timestamp("2025-11-16"))
    assert lines.empty
    assert report.unavailable({"targets": targets}, "targets", rows=lines, lang="en",
                              what="2025 / 2025-11")
    assert "The targets table has nothing for 2025 / 2025-11" in shown.pop()
    assert report.unavailable({}, "statements", lang="en")
    assert "No statements table in the data" in shown.pop()
    assert not report.unavailable({"targets": targets}, "targets",
                                  rows=report.target_lines(targets, pd.Timestamp("2026-11-16")))
    assert shown == []  # a section with data shows no note


def _orders_between(first, last):
    return {"orders": pd.DataFrame({"created_at": pd.to_datetime([first, last])})}


def test_report_window_cuts_at_the_data_and_names_bad_as_of():
    mall = _orders_between("2025-09-01 08:00", "2025-11-20 21:00")
    # as_of beyond the data: days after 20 November are unknown, not zero sales.
    start, end, note = report.report_window("2025-11", "2025-11-25", mall)
    assert (start, end) == (pd.Timestamp("2025-11-01"), pd.Timestamp("2025-11-20"))
    assert "period to date: 2025-11-01..2025-11-20 (20 of 30 days)" in note
    assert "the data end on 2025-11-20" in note
    _, _, zh = report.report_window("2025-11", "2025-11-25", mall, lang="zh")
    assert zh == "截至 2025-11-20：2025-11-01 起 20 天（全期 30 天）；数据截至 2025-11-20"
    # A period that starts before the data: August 2025 against data from 20 August.
    _, _, note = report.report_window("2025-08", "", _orders_between("2025-08-20", "2025-11-20"))
    assert "the data start on 2025-08-20" in note
    with pytest.raises(ReportError, match=r"as_of 2025-10-15 is before period 2025-11 starts"):
        report.report_window("2025-11", "2025-10-15", mall)
    with pytest.raises(ReportError, match=r"period 2025-12 .* is outside the data, which runs "
                                          r"2025-09-01\.\.2025-11-20"):
        report.report_window("2025-12", "", mall)


def test_whatif_window_and_sliders():
    mall = _orders_between("2025-11-01 08:00", "2025-11-30 21:00")
    s, e, bs, be, note = report.whatif_window(mall, days=5)
    # No dates: 5 days from the day after the data, against the data's last 5 days.
    assert [str(d.date()) for d in (s, e, bs, be)] == ["2025-12-01", "2025-12-05",
                                                       "2025-11-26", "2025-11-30"]
    assert note == ""
    # A past campaign is compared with the days just before it, not with the data's end.
    _, _, bs, be, _ = report.whatif_window(mall, start="2025-11-20", end="2025-11-21")
    assert [str(d.date()) for d in (bs, be)] == ["2025-11-18", "2025-11-19"]
    with pytest.raises(ReportError, match="campaign end 2025-12-01 is before its start"):
        report.whatif_window(mall, start="2025-12-03", end="2025-12-01")
    with pytest.raises(ReportError, match=r"a 40-day campaign needs 40 days of baseline .*"
                                          r"the data start on 2025-11-01"):
        report.whatif_window(mall, days=40)
    with pytest.raises(ReportError, match="days must be a whole number >= 1, got 0"):
        report.whatif_window(mall, days=0)
    values = {"threshold_yuan": 199.0, "reduction_yuan": 30.0, "rate": 0.85, "claim_rate": 0.6}
    # Each mechanic gets the sliders of the levers whatif_scheme reads for it.
    assert set(report.whatif_sliders("full_reduction", **values)) == {"threshold_yuan",
                                                                      "reduction_yuan"}
    assert set(report.whatif_sliders("coupon", **values)) == {"threshold_yuan",
                                                              "reduction_yuan", "claim_rate"}
    rate = report.whatif_sliders("percent_off", **values)
    assert set(rate) == {"rate"} and rate["rate"].value == 0.85
    assert report.whatif_sliders("second_half_price", **values) == {}
    with pytest.raises(ReportError, match="mechanic 'gift' is not offered"):
        report.whatif_sliders("gift", **values)


def test_reconciliation_tables_show_differences_to_the_fen(mall_dir):
    from mallkit.money import fen_to_yuan
    from mallkit.reconcile import reconcile

    mall = read_mall(mall_dir)
    rec = reconcile(mall["orders"], mall["refunds"], mall["statements"], start="2025-09-01",
                    end="2025-11-30")
    _, open_ = report.recon_tables(rec, lang="en")
    shown = open_.data.set_index("order")
    # The answer key's amount mismatches are off by a few fen (actual − expected); the
    # table must show them as ¥0.01, ¥0.02 ..., not rounded to ¥0.
    key = mall["answer_key"].discrepancies.query("kind == 'amount_mismatch'")
    assert len(key) > 0
    for order, diff in zip(key["merchant_order_id"], key["actual_fen"] - key["expected_fen"],
                           strict=True):
        assert 0 < abs(diff) < 100
        assert shown.loc[order, "difference"] == fen_to_yuan(int(diff))
    fee = rec.exceptions.query("fee_diff_fen != 0")
    assert (shown.loc[fee["merchant_order_id"], "fee difference"].tolist()
            == [fen_to_yuan(int(v)) for v in fee["fee_diff_fen"]])


def test_reconciliation_status_names_days_without_a_bill(mall_dir):
    from mallkit.reconcile import reconcile

    mall = read_mall(mall_dir)
    st = mall["statements"]
    day = st["occurred_at"].dt.normalize() == pd.Timestamp("2025-11-12")
    rec = reconcile(mall["orders"], mall["refunds"], st[~(day & (st["provider"] == "wechat"))],
                    start="2025-11-10", end="2025-11-16")
    status = report.recon_tables(rec, lang="en")[0].data.set_index("gateway")
    assert status.loc["wechat", "days without a bill"] == "11-12"
    assert status.loc["alipay", "days without a bill"] == ""
    whole = reconcile(mall["orders"], mall["refunds"], st, start="2025-11-10", end="2025-11-16")
    assert not whole.summary["no_bill"].any()  # (the case that once broke the notebook)
    assert report.recon_tables(whole, lang="en")[0].data["days without a bill"].tolist() == [
        "", ""]


def test_reconciliation_table_speaks_chinese_to_a_chinese_reader(mall_dir, monkeypatch):
    from mallkit import fonts
    from mallkit.reconcile import reconcile

    monkeypatch.setitem(fonts._state, "name", "WenQuanYi Micro Hei")  # a CJK font is there
    mall = read_mall(mall_dir)
    rec = reconcile(mall["orders"], mall["refunds"], mall["statements"], start="2025-09-01",
                    end="2025-11-30")
    shown = report.recon_tables(rec, lang="zh")[1].data
    fee = shown[shown["类型"] == "手续费不符"]
    assert len(fee) == (rec.exceptions["class"] == "fee_mismatch").sum() > 0
    assert fee["说明"].str.fullmatch(r"实收手续费 ¥\d+\.\d\d，按合同费率应为 ¥\d+\.\d\d").all()
    assert set(shown["类型"]) <= {"渠道漏单", "平台漏单", "金额不符", "退款不符", "重复扣款",
                                  "状态不符", "手续费不符"}


@pytest.mark.parametrize(("cell", "timeout", "message"), [
    ("import time\ntime.sleep(60)", 2, r"(?s)a cell ran longer than 2 s .*time\.sleep\(60\)"),
    ("import os\nos._exit(1)", 60, r"the kernel died"),
], ids=["timeout", "dead-kernel"])
def test_timeouts_and_dead_kernels_raise_and_unpublish(monkeypatch, tmp_path, cell, timeout,
                                                       message):
    # A stand-in weekly notebook (MALLKIT_NOTEBOOKS) whose one cell hangs or kills the kernel.
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    params = nbformat.v4.new_code_cell('period: str = "2025-W46"  # ISO week')
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(cell)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, nbs / "weekly_report.ipynb")
    monkeypatch.setenv("MALLKIT_NOTEBOOKS", str(nbs))
    old = tmp_path / "out" / "weekly"
    old.mkdir(parents=True)
    for suffix in (".html", ".json"):  # last run's report must not survive a failed rerun
        (old / f"2025-W46{suffix}").write_text("old")
    with pytest.raises(ReportError, match=message):
        run_report("weekly", params={}, out_dir=tmp_path / "out", timeout=timeout)
    assert not list(old.glob("*.html")) and not list(old.glob("*.json"))


def test_cli_defaults_to_the_week_and_month_of_yesterday(monkeypatch, tmp_path):
    from mallkit import calendar as mcal

    seen = []

    def fake_run(name, *, params, out_dir, timeout, progress):
        seen.append((name, params.get("period")))
        p = Path(out_dir)
        return report.ReportResult(p / "x.ipynb", p / "x.html", p / "x.json", {})

    monkeypatch.setattr(report, "run_report", fake_run)
    y = mcal.yesterday()
    assert cli.main(["report", "weekly", "--out", str(tmp_path)]) == 0
    assert cli.main(["report", "monthly", "--out", str(tmp_path)]) == 0
    assert cli.main(["report", "all", "--out", str(tmp_path)]) == 0
    week, month = mcal.period_label(y, freq="W"), mcal.period_label(y, freq="M")
    assert seen == [("weekly", week), ("monthly", month), ("weekly", week), ("monthly", month)]


def test_committed_notebooks_are_what_the_build_scripts_write(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).parent.parent
    for script in ("build_report_notebooks.py", "build_whatif_notebook.py"):
        subprocess.run([sys.executable, str(root / "tools" / script), str(tmp_path)], check=True)
    built = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert built == [p.name for p in NOTEBOOKS]
    for p in NOTEBOOKS:
        assert (tmp_path / p.name).read_text() == p.read_text(), f"{p.name}: run tools/ scripts"


def test_every_pace_flag_has_chinese_words():
    """The Chinese report translates pacing's flags; a new flag without words would show
    as a code. The flags are read from pacing's source (what it can emit)."""
    import inspect
    import re

    from mallkit import pacing
    from mallkit.sections import PACE_FLAGS_ZH

    src = inspect.getsource(pacing)
    emitted = set(re.findall(r'flags\.append\("(\w+)"\)', src)) | set(
        re.findall(r'\["(\w+)"\] if \(r\.level', src))
    assert {"poor_fit", "no_actuals", "flat_weights"} <= emitted  # the pattern still reads
    assert emitted <= set(PACE_FLAGS_ZH)
