"""Chinese text in matplotlib charts: find an installed CJK font, or fall back to English.

``use_cjk_font()`` registers one CJK font with matplotlib (no font-cache rebuild) and
puts it after DejaVu Sans in ``font.family``, so Latin glyphs and the minus sign come
from DejaVu and Chinese glyphs from the CJK font, per glyph (matplotlib >= 3.6). It
looks, in order, at the file named by ``$MALLKIT_CJK_FONT``, at known system paths
(Debian's ``fonts-wqy-microhei``, ``fonts-noto-cjk``, ``fonts-wqy-zenhei``), and at
``fc-list :lang=zh``. With none found it warns once and returns ``None``; report code
then labels charts in English (:func:`label`), so nothing is drawn as tofu boxes.

It changes matplotlib's settings only when called, never at import.

Examples
--------
>>> from mallkit.fonts import label
>>> label("GMV by channel", "分渠道 GMV", cjk=False)
'GMV by channel'
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from pathlib import Path

__all__ = ["find_cjk_font", "label", "use_cjk_font"]

KNOWN_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
_state: dict[str, str | None] = {}  # the font registered in this process, if any


def find_cjk_font() -> Path | None:
    """Path of an installed CJK font file, or None."""
    env = os.environ.get("MALLKIT_CJK_FONT")
    if env:
        if Path(env).is_file():
            return Path(env)
        warnings.warn(f"MALLKIT_CJK_FONT={env!r} is not a file; looking elsewhere",
                      stacklevel=2)
    for p in KNOWN_PATHS:
        if Path(p).is_file():
            return Path(p)
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
        files = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())
        if files:
            return Path(files[0])
    return None


def use_cjk_font() -> str | None:
    """Register a CJK font with matplotlib; return its family name, or None (one warning).

    Safe to call repeatedly: the lookup runs once per process.
    """
    if "name" in _state:
        return _state["name"]
    import matplotlib.pyplot as plt
    from matplotlib import font_manager as fm

    path = find_cjk_font()
    if path is None:
        warnings.warn("no CJK font found (set MALLKIT_CJK_FONT or install fonts-wqy-microhei); "
                      "charts use English labels", stacklevel=2)
        _state["name"] = None
        return None
    fm.fontManager.addfont(str(path))
    name = fm.FontProperties(fname=str(path)).get_name()
    plt.rcParams["font.family"] = ["DejaVu Sans", name]
    _state["name"] = name
    return name


def label(en: str, zh: str, *, cjk: bool | None = None, lang: str = "zh") -> str:
    """The Chinese label when Chinese can be drawn and is wanted, else the English one."""
    if cjk is None:
        cjk = _state.get("name") is not None
    return zh if (cjk and lang == "zh") else en
