"""Generate the weekly and monthly report notebooks (committed stripped, one ``parameters`` cell).

The notebooks are written from this script so their code is reviewable as Python and
they never carry outputs: edit here, run ``.venv/bin/python tools/build_report_notebooks.py [OUT_DIR]`` from the
repository root, commit both. ``tests/test_report.py`` checks the committed notebooks
equal what this script writes.
"""

import sys
from pathlib import Path

import nbformat as nbf

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "notebooks"


def code(src, tags=None):
    c = nbf.v4.new_code_cell(src)
    if tags:
        c.metadata["tags"] = tags
    return c
md = nbf.v4.new_markdown_cell

SETUP = '''import pandas as pd
from IPython.display import Markdown, display

from mallkit import (
    demand,
    inventory,
    metrics,
    plots,
    reconcile,
    report,
    roi,
    segments,
    targets,
)
from mallkit.fonts import label, use_cjk_font

cjk_font = use_cjk_font()
lang_ = lang if cjk_font else "en"  # English labels when no CJK font is installed
mall = report.load_mall(data_dir)
start, end, window_note = report.report_window(period, as_of, mall, lang=lang)'''

def build(kind):
    weekly = kind == "weekly"
    title = ("Weekly report", "周报") if weekly else ("Monthly report", "月报")
    params = (f'period: str = "{"2026-W47" if weekly else "2026-10"}"  # '
              f'{"ISO week, e.g. 2026-W47" if weekly else "month, e.g. 2026-10"}\n'
              'data_dir: str = ""  # mall folder written by mallkit.io.write_mall; empty: the sample mall\n'
              'as_of: str = ""  # last day to include, YYYY-MM-DD; empty: the last day of the data\n'
              'lang: str = "zh"  # zh or en: language of labels\n'
              'top_n: int = 10  # products in the top list')
    cells = [
        code(params, ["parameters"]),
        code(SETUP, ["remove_cell"]),
        code(f'display(Markdown(f"# {{label(\'{title[0]}\', \'{title[1]}\', lang=lang_)}} {{period}}\\n\\n"\n'
             '                 f"{window_note or f\'{start.date()} – {end.date()}\'}"))'),
        md("## 核心指标 · Headline KPIs\n\nPaid GMV by payment time; refunds when they happen; "
           "previous period and the same days 364 days earlier (weekdays aligned)."),
        code('kpis = metrics.kpi_summary(mall["orders"], mall["refunds"], mall["traffic"],\n'
             '                           start=start, end=end, compare="both",\n'
             '                           prev_window=metrics.previous_window(period, end=end))\n'
             'display(report.kpi_table(kpis, lang=lang_))\n'
             'report.record("kpis", kpis.headline())\n'
             'report.record("comparisons", kpis.wide().drop(columns="value").to_dict("index"))\n'
             'report.record("windows", {w: [str(s.date()), str(e.date())]\n'
             '                          for w, s, e in kpis.periods.itertuples(index=False)})\n'
             'report.record("window", {"start": str(start.date()), "end": str(end.date())})\n'
             'report.record("cjk_font", cjk_font)'),
        code('display(Markdown(report.kpi_notes(kpis, lang=lang_)))'),
        md("## 每日走势 · Daily trend"),
        code('daily = metrics.daily_kpis(mall["orders"], mall["refunds"], mall["traffic"],\n'
             '                           start=start, end=end)\n'
             'display(plots.daily_gmv(daily, lang=lang_))'),
        md("## 渠道与品类 · Channel and category mix"),
        code('channels = metrics.channel_mix(mall["orders"], start=start, end=end)\n'
             'display(report.table(channels, lang=lang_))\n'
             'display(plots.mix_bar(channels, by="channel", lang=lang_))\n'
             'report.record("channel_gmv_fen", channels.set_index("channel")["gmv_fen"].to_dict())'),
        code('categories = metrics.category_mix(mall["order_lines"], mall["orders"], mall["products"],\n'
             '                                 start=start, end=end)\n'
             'display(plots.mix_bar(categories, by="category", lang=lang_))'),
        md("## 目标达成 · Target attainment and pace\n\n"
           "Paid GMV against this year's and this month's targets; expected progress follows "
           "the event-aware daily plan, the landing is a model forecast with its 80 % interval."),
        code('lines = report.target_lines(mall["targets"], end) if "targets" in mall else None\n'
             'if not report.unavailable(mall, "targets", rows=lines, lang=lang_,\n'
             '                          what=f"{end.year} / {end.year}-{end.month:02d}"):\n'
             '    history = targets.daily_gmv(mall["orders"], by="channel")\n'
             '    pace = targets.pacing(history, lines, as_of=end + pd.Timedelta(days=1),\n'
             '                          missing_keys="zero")  # a shop with no sales yet: 0, flagged\n'
             '    display(report.pace_table(pace, lang=lang_))\n'
             '    display(plots.pace_chart(pace, period=f"{end.year}-{end.month:02d}", lang=lang_))\n'
             '    report.record("pace", pace.summary.query("level == \'total\'")\n'
             '                  .set_index("period")[["achievement", "landing_model_fen", "p_hit"]]\n'
             '                  .to_dict("index"))'),
        md("## 促销活动 · Promotions in the period\n\n"
           "Lift of each promotion's scope (order lines) against a counterfactual fitted on the "
           "weeks before; iROI = incremental gross profit ÷ promo cost, net iROI after ads and "
           "fees, ROAS = GMV ÷ ad spend, shown apart."),
        code('if not report.unavailable(mall, "promotions", lang=lang_):\n'
             '    promos = roi.promotion_review(mall["order_lines"], mall["orders"], mall["products"],\n'
             '                                 mall["promotions"], start=start, end=end)\n'
             '    display(report.promo_table(promos, lang=lang_))\n'
             '    report.record("promotions", promos[["promo_id", "lift", "lift_lower", "lift_upper",\n'
             '                                        "net_iroi", "roas"]].to_dict("records"))'),
        md("## 热销商品 · Top products"),
        code('top = metrics.top_products(mall["order_lines"], mall["orders"], mall["products"],\n'
             '                           start=start, end=end, n=top_n)\n'
             'display(report.table(top, lang=lang_))\n'
             'report.record("top_skus", top["sku"].tolist())'),
        md("## 用户分层 · Customer segments (RFM)\n\n"
           "All customers by recency, frequency and net spend at the end of the period, "
           "against the end of the previous period on the same thresholds."),
        code('seg = segments.segment_change(mall["orders"], mall["refunds"],\n'
             '                              as_of=end, previous=start - pd.Timedelta(days=1),\n'
             '                              scheme="cn8", lang=lang_)\n'
             'display(plots.segment_bar(seg.summary, lang=lang_))\n'
             'display(plots.migration_heatmap(seg.migration, lang=lang_))\n'
             'report.record("segments", seg.summary.set_index("segment")["customers"].to_dict())'),
        md("## 库存预警 · Inventory warnings\n\n"
           "Stock on the last day of the period against safety stock and reorder points from "
           "in-stock demand, lead-time variability and the uplift of upcoming events and "
           "promotions (so 双11 and 双12 are warned one lead time ahead)."),
        code('if not report.unavailable(mall, "inventory", lang=lang_):\n'
             '    sales = demand.daily_sales(mall["order_lines"], mall["orders"])\n'
             '    stock = inventory.inventory_warnings(mall["inventory"], sales, mall["products"],\n'
             '                                         as_of=end, promotions=mall.get("promotions"))\n'
             '    levels, urgent = report.stock_tables(stock, lang=lang_)\n'
             '    display(plots.warning_summary(stock, lang=lang_))\n'
             '    display(urgent)\n'
             '    report.record("stock_levels", stock["level"].value_counts().to_dict())'),
        md("## 对账 · Payment reconciliation\n\n"
           "Own-site orders and refunds against the Alipay / WeChat Pay statements of the "
           "period, to the fen; every difference is classified and explained."),
        code('if not report.unavailable(mall, "statements", lang=lang_):\n'
             '    rec = reconcile.reconcile(mall["orders"], mall["refunds"], mall["statements"],\n'
             '                              start=start, end=end)\n'
             '    status, open_exceptions = report.recon_tables(rec, lang=lang_)\n'
             '    display(status)\n'
             '    display(open_exceptions)\n'
             '    report.record("reconciliation", {\n'
             '        "exceptions": int(rec.totals["exceptions_n"].sum()),\n'
             '        "ties_out": bool(rec.totals["ledger_ties"].all()\n'
             '                         and rec.totals["statement_ties"].all())})'),
    ]
    for i, c in enumerate(cells):  # stable ids: regenerating changes nothing else
        c["id"] = f"{kind}-{i:02d}"
    nb = nbf.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbf.write(nb, OUT / f"{kind}_report.ipynb")

for kind in ("weekly", "monthly"):
    build(kind)
