"""Personal data written the way people really write it: any separators, invisible characters, full-width
forms, spaces around ``@``, Unicode domains and street addresses are masked; order and ticket numbers are not.

The properties generate valid numbers (independent reference implementations of the check digits) and
write them in every separator style a customer or an agent uses.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portal.masking import MASK_CHAR, MaskKind, mask_text
from tests.masking.test_masking import fw, luhn_complete, make_id

# Every separator seen between the digits of one number: spaces (plain, non-breaking, narrow, ideographic),
# dots, hyphens, en and em dashes, the minus sign, and zero-width characters.
SEPARATORS = [" ", "\u00a0", "\u202f", "\u3000", ".", "-", "\u2010", "\u2013", "\u2014", "\u2212", " - "]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]

# Surroundings without letters or digits: those would glue the number to a longer token.
chinese = st.text(
    alphabet=st.sampled_from("的我你手机号码是请联系谢谢卡身份证。，：！？（）【】 "), max_size=8
)


def split_at(number: str, cuts: list[int], sep: str) -> str:
    out, last = [], 0
    for cut in sorted(set(cuts)):
        out.append(number[last:cut])
        last = cut
    out.append(number[last:])
    return sep.join(part for part in out if part)


@st.composite
def written(draw, number: str, groupings: list[list[int]]):
    """``number`` as a person might write it: a usual or a random grouping, one separator kind, maybe
    zero-width characters sprinkled in, maybe full-width digits."""
    style = draw(st.sampled_from(["usual", "random", "invisible", "fullwidth"]))
    if style == "usual":
        return split_at(number, draw(st.sampled_from(groupings)), draw(st.sampled_from(SEPARATORS)))
    if style == "random":
        cuts = draw(st.lists(st.integers(1, len(number) - 1), max_size=len(number) - 1))
        return split_at(number, cuts, draw(st.sampled_from(SEPARATORS)))
    if style == "invisible":
        cuts = draw(st.lists(st.integers(1, len(number) - 1), min_size=1, max_size=4))
        return split_at(number, cuts, draw(st.sampled_from(INVISIBLE)))
    return fw(split_at(number, draw(st.sampled_from(groupings)), draw(st.sampled_from(SEPARATORS))))


def ascii_digits(text: str) -> str:
    """The digits of ``text`` in ASCII (full-width folded), masks kept, everything else dropped."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if ch.isdigit() or ch in "Xx" + MASK_CHAR)


def assert_hidden(number: str, shown: str, before: str, after: str, keep: int) -> None:
    result = mask_text(before + shown + after)
    assert len(result.text) == len(before + shown + after)
    region = result.text[len(before) : len(result.text) - len(after)]
    assert number not in ascii_digits(result.text)
    visible = [ch for ch in ascii_digits(region) if ch != MASK_CHAR]
    assert len(visible) <= keep, (shown, result.text)


@st.composite
def mobiles(draw):
    number = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    return number, draw(written(number, [[3, 7], [3, 6], [4, 8], [3, 5, 8], [2, 5, 8]]))


@st.composite
def resident_ids(draw):
    region = draw(st.integers(110000, 829999))
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
    seq = draw(st.integers(0, 999))
    number = make_id(f"{region}{birth:%Y%m%d}{seq:03d}")
    return number, draw(written(number, [[6, 14], [6, 10, 14], [3, 6, 10, 14], [4, 8, 12, 16]]))


@st.composite
def cards(draw):
    length = draw(st.integers(16, 19))
    number = luhn_complete(draw(st.from_regex(rf"[3-6][0-9]{{{length - 2}}}", fullmatch=True)))
    return number, draw(written(number, [[4, 8, 12, 16], [6], [6, 12], [4, 10]]))


@settings(max_examples=300, deadline=None)
@given(before=chinese, mobile=mobiles(), after=chinese, prefix=st.sampled_from(["", "+86 ", "+86-", "0086"]))
def test_property_mobiles_in_any_separator_style_are_masked(before, mobile, after, prefix):
    number, shown = mobile
    assert_hidden(number, prefix + shown, before, after, keep=7 + len(ascii_digits(prefix)))


@settings(max_examples=300, deadline=None)
@given(before=chinese, value=resident_ids(), after=chinese)
def test_property_resident_ids_in_any_separator_style_are_masked(before, value, after):
    number, shown = value
    assert_hidden(number, shown, before, after, keep=7)


@settings(max_examples=300, deadline=None)
@given(before=chinese, card=cards(), after=chinese)
def test_property_cards_in_any_separator_style_are_masked(before, card, after):
    number, shown = card
    assert_hidden(number, shown, before, after, keep=7)


# --- what must survive -----------------------------------------------------------------------------------


def is_personal_number(digits: str) -> bool:
    """Would a careful reader call this digit string a mobile, an ID or a card?"""
    from portal.masking import is_luhn_valid, is_valid_resident_id

    if len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789":
        return True
    if len(digits) in (15, 18) and is_valid_resident_id(digits):
        return True
    return 16 <= len(digits) <= 19 and is_luhn_valid(digits)


@settings(max_examples=300, deadline=None)
@given(before=chinese, digits=st.from_regex(r"[0-9]{8,30}", fullmatch=True), after=chinese)
def test_property_order_numbers_survive(before, digits, after):
    assume(not is_personal_number(digits))
    text = f"{before}订单{digits}{after}"
    assert mask_text(text).text == text


@settings(max_examples=200, deadline=None)
@given(
    before=chinese,
    day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
    letter=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    seq=st.from_regex(r"[0-9]{3,6}", fullmatch=True),
    after=chinese,
)
def test_property_ticket_ids_survive(before, day, letter, seq, after):
    text = f"{before}{day:%Y%m%d}-{letter}{seq}{after}"
    assert mask_text(text).text == text


WORDS = ["花呗", "借呗", "怎么", "还款", "退款", "元", "期", "order", "VIP", "第", "天", "分钟"]
WORDS += ["？", "，", "。"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(WORDS), st.from_regex(r"[0-9]{1,8}", fullmatch=True)),
        max_size=12,
    )
)
def test_property_text_without_personal_data_is_unchanged(tokens):
    # Two numbers are never adjacent (a word sits between them), so no run of digits reaches a mobile's 11.
    text, previous_digit = "", False
    for token in tokens:
        if token.isdigit() and previous_digit:
            text += "的"
        text += token
        previous_digit = token.isdigit()
    assert mask_text(text).text == text


# Text with personal data in every shape, plus noise: masking the masked text changes nothing.
noise = st.text(alphabet=st.sampled_from("的我手机号码。，： -.@abcXx0123456789\u00a0\u200b—"), max_size=20)


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(st.one_of(noise, mobiles().map(lambda m: m[1]), cards().map(lambda c: c[1])), max_size=5)
)
def test_property_masking_is_idempotent(parts):
    text = "".join(parts)
    once = mask_text(text).text
    assert mask_text(once).text == once


# --- examples from the probe ------------------------------------------------------------------------------

PROBE = [
    ("non-breaking spaces", "手机138\u00a01234\u00a05678", "手机138\u00a0****\u00a05678"),
    ("dots", "电话138.1234.5678", "电话138.****.5678"),
    ("em dashes", "电话138—1234—5678", "电话138—****—5678"),
    ("en dashes", "电话138–1234–5678", "电话138–****–5678"),
    ("single spaces 3-3-5", "电话 138 123 45678", "电话 138 *** *5678"),
    ("zero-width space", "电话1381234\u200b5678", "电话138****\u200b5678"),
    ("19-digit card 6+13", "卡号 621700 1234567890120", None),
    ("email spaces around @", "邮箱 zhangsan @ qq.com", "邮箱 z******* @ qq.com"),
    ("email Unicode domain", "邮箱 zhangsan@例子.中国", "邮箱 z*******@例子.中国"),
    ("email full-width at", "邮箱 zhangsan＠qq.com", "邮箱 z*******＠qq.com"),
]


@pytest.mark.parametrize(("text", "expected"), [p[1:] for p in PROBE], ids=[p[0] for p in PROBE])
def test_probe_examples_are_masked(text, expected):
    if expected is None:  # the card: work out the valid number, then expect everything but the last 4 hidden
        number = luhn_complete("621700123456789012")
        text = f"卡号 {number[:6]} {number[6:]}"
        expected = f"卡号 {'*' * 6} {'*' * 9}{number[-4:]}"
    assert mask_text(text).text == expected


ADDRESSES = [
    ("广东省深圳市南山区科技园路1号", "广东省深圳市"),
    ("浙江省杭州市西湖区文三路90号东部软件园2号楼301室", "浙江省杭州市"),
    ("北京市朝阳区建国路88号", "北京市"),
    ("上海市浦东新区张江镇祖冲之路887弄", "上海市"),
    ("四川省成都市武侯区人民南路四段1号", "四川省成都市"),
    ("广西壮族自治区南宁市青秀区民族大道100号", "广西壮族自治区南宁市"),
    ("江苏省南京市玄武区中山路18号", "江苏省南京市"),
    ("湖北省武汉市洪山区珞喻路1037号华中科技大学", "湖北省武汉市"),
]


@pytest.mark.parametrize(("address", "kept"), ADDRESSES)
def test_street_addresses_keep_province_and_city_only(address, kept):
    text = f"收货地址：{address}，谢谢"
    result = mask_text(text)
    rest = len(address) - len(kept)
    assert result.text == f"收货地址：{kept}{MASK_CHAR * rest}，谢谢"
    assert [s.kind for s in result.spans] == [MaskKind.ADDRESS]
    assert mask_text(result.text).text == result.text


@pytest.mark.parametrize(
    "text",
    ["我在广东省深圳市工作", "深圳市的天气怎么样", "去超市买了3号电池", "北京市朝阳区", "上海市第1中学"],
)
def test_places_without_street_detail_are_kept(text):
    assert mask_text(text).text == text
