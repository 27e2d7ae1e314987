"""CJK font discovery and the English fallback."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from mallkit import fonts


def test_env_font_wins(monkeypatch, tmp_path):
    f = tmp_path / "my.ttf"
    f.write_bytes(b"")
    monkeypatch.setenv("MALLKIT_CJK_FONT", str(f))
    assert fonts.find_cjk_font() == f


def test_bad_env_font_warns_and_looks_elsewhere(monkeypatch):
    monkeypatch.setenv("MALLKIT_CJK_FONT", "/no/such/font.ttf")
    with pytest.warns(UserWarning, match="is not a file; looking elsewhere"):
        found = fonts.find_cjk_font()
    assert found is None or Path(found).is_file()


def test_no_font_means_english_labels_and_one_warning(monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_state", {})
    with pytest.warns(UserWarning, match="charts use English labels"):
        assert fonts.use_cjk_font() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second call is silent
        assert fonts.use_cjk_font() is None
    assert fonts.label("GMV", "支付 GMV") == "GMV"


def test_label_prefers_chinese_when_drawable():
    assert fonts.label("GMV", "支付 GMV", cjk=True) == "支付 GMV"
    assert fonts.label("GMV", "支付 GMV", cjk=True, lang="en") == "GMV"
