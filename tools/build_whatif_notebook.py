"""Generate the promotion what-if notebook (committed stripped, one ``parameters`` cell).

The notebooks are written from this script so their code is reviewable as Python and
they never carry outputs: edit here, run ``.venv/bin/python tools/build_whatif_notebook.py [OUT_DIR]`` from the
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
params = '''scenario: str = "double12"  # name of the scenario: the report's file name
mechanic: str = "full_reduction"  # full_reduction, per_full_reduction, coupon, percent_off, ...
threshold_yuan: float = 199.0  # spend threshold (满 X) or step (每满 X), yuan
reduction_yuan: float = 30.0  # reduction (减 Y), yuan
rate: float = 0.9  # percent_off: share of the price paid (0.9 is 9折)
claim_rate: float = 0.6  # coupon: share of shoppers who claim it
scope: str = "all"  # all, category:<name> or sku:<a>,<b>
start: str = ""  # first day of the campaign, YYYY-MM-DD; empty: the day after the data end
end: str = ""  # last day of the campaign, YYYY-MM-DD; empty: `days` days from start
days: int = 14  # campaign length when end is empty; the baseline is as many days before it
elasticity: float = -2.0  # price elasticity of demand (negative)
elasticity_se: float = 0.5  # its standard error: the intervals carry it
ad_spend_yuan: float = 0.0  # ad spend for the promotion, yuan
budget_yuan: float = 0.0  # ceiling on the promo cost (upper bound), yuan; 0 means none
data_dir: str = ""  # mall folder written by mallkit.io.write_mall; empty: the sample mall
interactive: bool = True  # add sliders; a live kernel is needed, papermill runs pass False'''
setup = '''from IPython.display import Markdown, display

from mallkit import metrics, plots, report, roi
from mallkit.fonts import label, use_cjk_font
from mallkit.money import to_fen

cjk_font = use_cjk_font()
lang_ = "zh" if cjk_font else "en"
mall = report.load_mall(data_dir)
first_day, last_day, base_start, base_end, window_note = report.whatif_window(
    mall, start=start, end=end, days=days)
baseline = metrics.paid_lines(mall["order_lines"], mall["orders"], start=base_start,
                              end=base_end)
params, grid, (x, y) = report.whatif_scheme(mechanic, threshold_yuan=threshold_yuan,
                                            reduction_yuan=reduction_yuan, rate=rate,
                                            claim_rate=claim_rate)
costs = {"ad_spend_fen": to_fen(f"{ad_spend_yuan:.2f}"),
         "budget_fen": to_fen(f"{budget_yuan:.2f}") or None}'''
run = '''caveat = label("the baseline of ordinary days does not carry their extra demand",
              "基准期为平日，未含活动日的额外需求", lang=lang_)
sim = roi.simulate_promotion(baseline, mechanic=mechanic, params=params, grid=grid,
                             elasticity=(elasticity, elasticity_se), products=mall["products"],
                             scope=scope, **costs)
display(Markdown(f"# {label('Promotion what-if', '促销方案模拟', lang=lang_)}: {scenario}\\n\\n"
                 f"{mechanic} {params} · scope {scope} · "
                 f"{label('campaign', '活动期', lang=lang_)} {first_day.date()} – "
                 f"{last_day.date()} · {label('baseline', '基准期', lang=lang_)} "
                 f"{base_start.date()} – {base_end.date()} · ε = {elasticity} ± {elasticity_se}"
                 + (f"\\n\\n{window_note}: {caveat}" if window_note else "")))
display(report.whatif_table(sim, params=params, lang=lang_))
report.record("proposed", report.whatif_figures(sim, params))
report.record("campaign", {"start": str(first_day.date()), "end": str(last_day.date()),
                           "baseline_start": str(base_start.date()),
                           "baseline_end": str(base_end.date())})
report.record("best", sim.best.iloc[0].to_dict() if len(sim.best) else None)'''
surface = '''if y:
    display(plots.roi_surface(sim, x=x, y=y, metric="incremental_profit_fen", lang=lang_))
display(report.whatif_table(sim, lang=lang_))'''
widgets = '''if interactive:
    import ipywidgets as w

    values = {"threshold_yuan": threshold_yuan, "reduction_yuan": reduction_yuan, "rate": rate,
              "claim_rate": claim_rate}

    def rerun(**levers):
        p, _, _ = report.whatif_scheme(mechanic, **{**values, **levers})
        s = roi.simulate_promotion(baseline, mechanic=mechanic, params=p,
                                   elasticity=(elasticity, elasticity_se),
                                   products=mall["products"], scope=scope, **costs)
        display(report.whatif_table(s, params=p, lang=lang_))

    sliders = report.whatif_sliders(mechanic, **values)
    if sliders:  # only the levers this mechanic reads
        w.interact_manual(rerun, **sliders)
    else:
        display(Markdown(label(f"{mechanic} has no lever to vary.",
                               f"{mechanic} 没有可调的参数。", lang=lang_)))'''
cells = [code(params, ["parameters"]), code(setup, ["remove_cell"]), code(run),
         md("Expected effect of the proposed scheme over the baseline baskets, with intervals "
            "from the elasticity's uncertainty. Assumes whole baskets scale with the price cut; "
            "no basket building, halo or post-promotion dip."),
         md("## 方案对比 · Schemes around the proposal"), code(surface),
         md("## 交互 · Try other values (live kernel)"), code(widgets)]
for i, c in enumerate(cells):  # stable ids: regenerating changes nothing else
    c["id"] = f"whatif-{i:02d}"
nb = nbf.v4.new_notebook(cells=cells)
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nb.metadata["language_info"] = {"name": "python"}
nbf.write(nb, OUT / "promotion_whatif.ipynb")
