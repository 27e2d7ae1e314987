"""A report as a reader sees it: rendered by headless Chromium, Chinese drawn with real glyphs.

Skips (with the reason) where no Chromium is installed; ``.ci/run`` installs Debian's
``chromium`` and ``fonts-wqy-microhei`` so CI always runs it.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mallkit.datasets import make_sample_mall
from mallkit.io import write_mall
from mallkit.report import run_report

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which(
    "google-chrome")
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine")

# Drawn after the page loads: each Chinese character of the KPI table's row labels on a
# canvas in the page's own font, compared with U+E000 (private use, so every font draws
# its "missing glyph" box). Identical pixels mean tofu.
PROBE = """
<script>
window.addEventListener("load", () => {
  const cell = document.querySelector("table th, table td");
  const font = "20px " + getComputedStyle(cell).fontFamily;
  const draw = (ch) => { const c = document.createElement("canvas"); c.width = c.height = 32;
    const x = c.getContext("2d"); x.font = font; x.fillText(ch, 2, 24); return c.toDataURL(); };
  const tofu = draw("\\uE000");
  const text = [...document.querySelectorAll("table th")].map(e => e.textContent).join("");
  const cjk = [...new Set(text.match(/[\\u4e00-\\u9fff]/g) || [])];
  const missing = cjk.filter(ch => draw(ch) === tofu);
  document.body.setAttribute("data-cjk", cjk.length);
  document.body.setAttribute("data-missing", missing.join(""));
});
</script>
"""


def _dom(html_path, tmp_path) -> str:
    probe = tmp_path / "probe.html"
    probe.write_text(html_path.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                     encoding="utf-8")
    out = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
         "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120, check=True)
    return out.stdout


def test_weekly_report_renders_with_table_charts_and_chinese(tmp_path):
    d = tmp_path / "mall"
    write_mall(make_sample_mall(seed=3, start="2025-10-01", end="2025-11-30", n_customers=800), d)
    res = run_report("weekly", params={"period": "2025-W46", "data_dir": str(d)},
                     out_dir=tmp_path / "out")
    dom = _dom(res.html, tmp_path)
    assert "支付 GMV" in dom or "Paid GMV" in dom  # the KPI table is on the page
    assert dom.count("<img") >= 3  # daily trend, channel and category charts
    assert 'data-cjk="' in dom, "the probe did not run"
    if res.records["cjk_font"]:  # Chinese labels were used: none may be tofu
        n = int(dom.split('data-cjk="')[1].split('"')[0])
        assert n > 5
        assert 'data-missing=""' in dom, dom.split("data-missing=")[1][:40]
