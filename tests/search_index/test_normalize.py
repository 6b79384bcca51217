"""Normalisation: one spelling for full/half width, case and traditional characters, with offsets."""

from search_index.lexical.normalize import normalize_text, normalize_with_offsets


def test_normalize_full_width_case_and_traditional():
    assert normalize_text("ＡＢＣ１２３，ｉＰｈｏｎｅ") == "abc123,iphone"
    assert normalize_text("請問帳號怎麼登錄") == "请问账号怎么登录"
    assert normalize_text("花唄還款") == "花呗还款"
    assert normalize_text("") == ""
    assert normalize_text(None) == ""


def test_normalize_with_offsets_maps_back_to_source():
    norm, where = normalize_with_offsets("Ａ①b")
    assert norm == "a1b"
    assert where == [0, 1, 2]
