"""Masking of personal data in transcripts (portal.masking)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.masking import (
    MASK_CHAR,
    ExtraPattern,
    MaskKind,
    PatternError,
    is_luhn_valid,
    is_valid_resident_id,
    mask_text,
    resident_id_check_digit,
    validate_extra_pattern,
)

# --- independent reference implementations (deliberately not imported from the module under test) -----


def gb11643(first17: str) -> str:
    """Check character per GB 11643-1999: weights 2^(17-i) mod 11, then '10X98765432'[sum mod 11]."""
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def make_id(first17: str) -> str:
    return first17 + gb11643(first17)


def wrong_check(first17: str) -> str:
    right = gb11643(first17)
    return first17 + ("0" if right != "0" else "1")


def luhn_complete(partial: str) -> str:
    """Append the Luhn check digit to ``partial``."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return partial + str((10 - total % 10) % 10)


def luhn_break(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def fw(s: str) -> str:
    """Full-width version of the ASCII characters in ``s``."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ID_A = make_id("11010519491231002")  # the textbook example, check character X
ID_B = make_id("44030419900307123")
ID_C = make_id("32010619851111002")
ID_D = make_id("51010820000229456")  # leap day
CARD16 = luhn_complete("622202123456789")
CARD19 = luhn_complete("621700123456789012")
CARD_VISA = "4111111111111111"

assert ID_A.endswith("X")


def test_reference_helpers_agree_with_known_values():
    # Published examples: 11010519491231002X is the GB 11643 sample; 4111… is the standard Visa test card.
    assert ID_A == "11010519491231002X"
    assert resident_id_check_digit("11010519491231002") == "X"
    assert is_luhn_valid(CARD_VISA)
    assert not is_luhn_valid(luhn_break(CARD_VISA))
    assert luhn_complete("7992739871") == "79927398713"


def masked_id(v: str) -> str:
    return v[:3] + MASK_CHAR * (len(v) - 7) + v[-4:]


# (input, expected output); expected == input means "must not be masked".
CASES: list[tuple[str, str, str]] = [
    # --- mobile phones
    ("plain", "13812345678", "138****5678"),
    ("in chinese text", "我的手机13812345678谢谢", "我的手机138****5678谢谢"),
    ("spaces 3-4-4", "电话 138 1234 5678 。", "电话 138 **** 5678 。"),
    ("dashes", "138-1234-5678", "138-****-5678"),
    ("+86", "+8613812345678", "+86138****5678"),
    ("+86 dashes", "+86-138-1234-5678", "+86-138-****-5678"),
    ("+86 space", "+86 138 1234 5678", "+86 138 **** 5678"),
    ("0086", "0086 13812345678", "0086 138****5678"),
    ("(+86)", "(+86)13912345678", "(+86)139****5678"),
    ("199 prefix", "联系19912345678", "联系199****5678"),
    ("166 prefix", "16612345678。", "166****5678。"),
    ("after colon", "手机号：15012345678，", "手机号：150****5678，"),
    ("full-width digits", "手机１３８１２３４５６７８", "手机１３８****５６７８"),
    ("full-width +86", "＋８６　１３８１２３４５６７８", "＋８６　１３８****５６７８"),
    ("two phones", "13812345678或13987654321", "138****5678或139****4321"),
    ("phone then english", "call 13812345678 please", "call 138****5678 please"),
    ("phone after english word", "Tel:13812345678", "Tel:138****5678"),
    ("12x is not mobile", "12812345678", "12812345678"),
    ("10 digits", "1381234567", "1381234567"),
    ("12 digits", "138123456789", "138123456789"),
    ("inside order id", "订单DD13812345678", "订单DD13812345678"),
    ("glued to letters after", "13812345678abc", "13812345678abc"),
    ("joined by dash to token", "A1-13812345678", "A1-13812345678"),
    # --- 18-digit resident IDs
    ("id valid X", f"身份证{ID_A}好的", f"身份证{masked_id(ID_A)}好的"),
    ("id valid lower x", f"身份证{ID_A.lower()}", f"身份证{masked_id(ID_A.lower())}"),
    ("id valid B", f"证件号:{ID_B}", f"证件号:{masked_id(ID_B)}"),
    ("id valid C", ID_C, masked_id(ID_C)),
    ("id leap day", f"是{ID_D}吗", f"是{masked_id(ID_D)}吗"),
    ("id design example shape", ID_B, ID_B[:3] + "*" * 11 + ID_B[-4:]),
    ("id full-width", fw(ID_B), fw(ID_B)[:3] + "*" * 11 + fw(ID_B)[-4:]),
    ("id spaced 6-8-4", f"{ID_B[:6]} {ID_B[6:14]} {ID_B[14:]}", f"{ID_B[:3]}*** ******** {ID_B[14:]}"),
    ("id wrong check A", wrong_check("11010519491231002"), wrong_check("11010519491231002")),
    ("id wrong check B", wrong_check("44030419900307123"), wrong_check("44030419900307123")),
    ("id wrong check C", wrong_check("32010619851111002"), wrong_check("32010619851111002")),
    ("id bad date", make_id("11010519901332125"), make_id("11010519901332125")),
    ("id feb 30", make_id("11010519900230123"), make_id("11010519900230123")),
    ("id leading zero", make_id("01010519900307123"), make_id("01010519900307123")),
    ("id inside token", f"ID{ID_B}", f"ID{ID_B}"),
    # --- 15-digit IDs
    ("id15", "110105491231002", "110********1002"),
    ("id15 in text", "老身份证号320106851111002。", "老身份证号320********1002。"),
    ("id15 bad month", "110105491331002", "110105491331002"),
    ("id15 bad day", "110105490231002", "110105490231002"),
    # --- bank cards
    ("card visa", CARD_VISA, "************1111"),
    ("card 16 in text", f"卡号{CARD16}谢谢", f"卡号{'*' * 12}{CARD16[-4:]}谢谢"),
    ("card 19", CARD19, "*" * 15 + CARD19[-4:]),
    ("card grouped spaces", "4111 1111 1111 1111", "**** **** **** 1111"),
    ("card grouped dashes", "4111-1111-1111-1111", "****-****-****-1111"),
    (
        "card 19 grouped",
        " ".join([CARD19[:4], CARD19[4:8], CARD19[8:12], CARD19[12:16], CARD19[16:]]),
        "**** **** **** ***" + CARD19[15] + " " + CARD19[16:],
    ),
    ("card full-width", fw(CARD_VISA), "*" * 12 + fw("1111")),
    ("card luhn invalid", luhn_break(CARD16), luhn_break(CARD16)),
    ("card luhn invalid 19", luhn_break(CARD19), luhn_break(CARD19)),
    # 15 digits whose "date" part (month 99) cannot be an old ID either.
    ("card 15 digits", luhn_complete("49999999999999"), luhn_complete("49999999999999")),
    ("card 20 digits", luhn_complete("4111111111111111111"), luhn_complete("4111111111111111111")),
    ("card after order label", f"订单号：{CARD_VISA}", f"订单号：{CARD_VISA}"),
    ("card after order no.", f"order no. {CARD_VISA}", f"order no. {CARD_VISA}"),
    # --- e-mail
    ("email", "邮箱zhang.san@qq.com谢谢", "邮箱z********@qq.com谢谢"),
    ("email subdomain", "mail: li_si+cs@mail.example.com.cn", "mail: l*******@mail.example.com.cn"),
    ("email phone local part", "13812345678@163.com", "1**********@163.com"),
    ("email full-width", fw("wang@qq.com"), fw("w") + "***" + fw("@qq.com")),
    ("not an email", "user@localhost", "user@localhost"),
    # --- order IDs, ticket IDs and other numbers that must survive
    ("order id letters", "订单DD202311230001234567已发货", "订单DD202311230001234567已发货"),
    ("ticket id", "工单20231123-A001已关闭", "工单20231123-A001已关闭"),
    ("ticket id alone", "20231123-A001", "20231123-A001"),
    ("order id with luhn digits", f"JD{CARD_VISA}", f"JD{CARD_VISA}"),
    ("order id dash suffix", f"{CARD_VISA}-01", f"{CARD_VISA}-01"),
    ("order id underscore prefix", f"SO_{ID_B}", f"SO_{ID_B}"),
    ("date and time", "2023-11-23 14:05:09", "2023-11-23 14:05:09"),
    ("amount", "退款¥1380.00元", "退款¥1380.00元"),
    ("short code", "验证码 123456", "验证码 123456"),
    ("empty", "", ""),
    # --- mixtures
    (
        "phone, id and email together",
        f"电话13812345678，身份证{ID_B}，邮箱a.b@example.com",
        f"电话138****5678，身份证{masked_id(ID_B)}，邮箱a**@example.com",
    ),
    ("phone next to ticket", "工单20231123-A001 手机13812345678", "工单20231123-A001 手机138****5678"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_mask_table(text, expected):
    result = mask_text(text)
    assert result.text == expected
    assert len(result.text) == len(text)
    assert result.changed == (expected != text)


def test_table_is_big_enough():
    assert len(CASES) >= 60


def test_spans_and_kinds():
    text = f"电话13812345678，身份证{ID_B}，卡{CARD_VISA}，邮箱a.b@example.com"
    result = mask_text(text)
    assert [s.kind for s in result.spans] == [
        MaskKind.PHONE,
        MaskKind.RESIDENT_ID,
        MaskKind.BANK_CARD,
        MaskKind.EMAIL,
    ]
    assert [text[s.start : s.end] for s in result.spans] == [
        "13812345678",
        ID_B,
        CARD_VISA,
        "a.b@example.com",
    ]
    assert result.counts() == {"phone": 1, "resident_id": 1, "bank_card": 1, "email": 1}


def test_result_repr_holds_no_unmasked_value():
    result = mask_text("手机13812345678")
    assert "1234" not in repr(result)


def test_id_wins_over_card_when_both_checks_pass():
    # Find an 18-digit ID that is also Luhn-valid: the ID keeps its first 3 digits, a card would not.
    for seq in range(1000):
        candidate = make_id(f"44030419900307{seq:03d}")
        if candidate[-1] != "X" and is_luhn_valid(candidate):
            break
    else:  # pragma: no cover - the loop always finds one (about one in ten qualifies)
        pytest.fail("no Luhn-valid ID found")
    result = mask_text(candidate)
    assert [s.kind for s in result.spans] == [MaskKind.RESIDENT_ID]
    assert result.text == masked_id(candidate)


def test_validators_directly():
    assert is_valid_resident_id(ID_A) and is_valid_resident_id(ID_A.lower())
    assert not is_valid_resident_id(wrong_check("11010519491231002"))
    assert is_valid_resident_id("110105491231002")
    assert not is_valid_resident_id("1101054912310021")
    assert not is_luhn_valid("") and not is_luhn_valid("41111111111111a1")
    with pytest.raises(ValueError):
        resident_id_check_digit("123")


# --- extra patterns ------------------------------------------------------------------------------------


def test_extra_pattern_masks_whole_match_with_label():
    address = ExtraPattern.compile("address", r"地址[:：][^，。\s]+")
    result = mask_text("地址：北京市朝阳区某路1号，电话13812345678", [address])
    assert result.text == "*" * 13 + "，电话138****5678"
    assert [(s.kind, s.label) for s in result.spans] == [
        (MaskKind.CUSTOM, "address"),
        (MaskKind.PHONE, "phone"),
    ]


def test_extra_pattern_overlapping_builtin_masks_union():
    address = ExtraPattern.compile("address", r"地址[:：]\S+")
    result = mask_text("地址：朝阳区13812345678号", [address])
    assert result.text == "*" * len("地址：朝阳区13812345678号")
    assert len(result.spans) == 1 and result.spans[0].label == "address"


def test_extra_pattern_as_string_and_compiled():
    assert mask_text("工号 A12345", [r"A\d{5}"]).text == "工号 ******"
    assert mask_text("工号 A12345", [re.compile(r"A\d{5}")]).spans[0].label == "custom"


def test_extra_pattern_string_is_validated():
    with pytest.raises(PatternError):
        mask_text("x", [r"\d*"])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("(", "not a valid regular expression (at position 0"),
        ("[a-", "not a valid regular expression"),
        (r"\d*", "empty string"),
        ("a|", "empty string"),
        ("(?=x)", "not supported"),
        ("x" * 501, "longer than 500"),
    ],
)
def test_validate_extra_pattern_rejects(source, message):
    with pytest.raises(PatternError, match=re.escape(message)):
        validate_extra_pattern(source)


def test_validate_extra_pattern_rejects_non_text():
    with pytest.raises(PatternError, match="text"):
        validate_extra_pattern(123)  # type: ignore[arg-type]


# Nested repeats such as (a+)+ were refused while patterns ran in a backtracking engine; RE2 runs them in
# linear time, so they are accepted now.
@pytest.mark.parametrize(
    "source",
    [r"A\d{5}", r"(\d{2,4}-)+\d", r"地址[:：][^，。]+", r"(?i)vip\d+", "(a+)+", r"(\w+\s?)+x", "(a|b+)*c"],
)
def test_validate_extra_pattern_accepts(source):
    assert validate_extra_pattern(source) is not None


# --- properties ----------------------------------------------------------------------------------------

# Surroundings: CJK ideographs and Chinese punctuation, never letters or digits (those would make the
# number part of a longer token, which is deliberately left alone).
chinese = st.text(
    alphabet=st.sampled_from("的我你手机号码是请联系谢谢卡身份证。，：！？（）【】 "), max_size=8
)


@st.composite
def resident_ids(draw):
    region = draw(st.integers(110000, 829999))
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
    seq = draw(st.integers(0, 999))
    return make_id(f"{region}{birth:%Y%m%d}{seq:03d}")


@st.composite
def phones(draw):
    number = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    fmt = draw(
        st.sampled_from(["{n}", "{a} {b} {c}", "{a}-{b}-{c}", "+86{n}", "+86 {a} {b} {c}", "+86-{a}-{b}-{c}"])
    )
    return number, fmt.format(n=number, a=number[:3], b=number[3:7], c=number[7:])


@st.composite
def cards(draw):
    length = draw(st.integers(16, 19))
    partial = draw(st.from_regex(rf"[3-6][0-9]{{{length - 2}}}", fullmatch=True))
    number = luhn_complete(partial)
    grouped = draw(st.booleans()) and length == 16
    shown = " ".join(number[i : i + 4] for i in range(0, 16, 4)) if grouped else number
    return number, shown


def digits_only(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit() or ch in "Xx*")


@settings(max_examples=200, deadline=None)
@given(before=chinese, value=resident_ids(), after=chinese, full_width=st.booleans())
def test_property_valid_ids_never_survive(before, value, after, full_width):
    shown = fw(value) if full_width else value
    result = mask_text(before + shown + after)
    assert shown not in result.text
    masked = result.text[len(before) : len(before) + len(shown)]
    assert masked[-4:] == shown[-4:]
    assert masked[3:-4] == MASK_CHAR * 11


@settings(max_examples=200, deadline=None)
@given(before=chinese, phone=phones(), after=chinese)
def test_property_phones_never_survive(before, phone, after):
    number, shown = phone
    result = mask_text(before + shown + after)
    masked = result.text[len(before) : len(before) + len(shown)]
    assert number not in digits_only(result.text)
    assert masked.endswith(number[-4:])
    assert digits_only(masked).endswith("****" + number[-4:])


@settings(max_examples=200, deadline=None)
@given(before=chinese, card=cards(), after=chinese)
def test_property_luhn_cards_never_survive(before, card, after):
    number, shown = card
    result = mask_text(before + shown + after)
    masked = result.text[len(before) : len(before) + len(shown)]
    assert number not in digits_only(result.text)
    assert masked.endswith(number[-4:])
    # Whatever detector claimed it (an 18-digit card may also be a valid ID), all but a few digits are hidden.
    assert digits_only(masked).count(MASK_CHAR) >= len(number) - 7


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60))
def test_property_length_preserved_and_spans_in_bounds(text):
    result = mask_text(text)
    assert len(result.text) == len(text)
    for span in result.spans:
        assert 0 <= span.start < span.end <= len(text)
    # Outside the spans nothing changes.
    inside = {i for s in result.spans for i in range(s.start, s.end)}
    assert all(result.text[i] == text[i] for i in range(len(text)) if i not in inside)
