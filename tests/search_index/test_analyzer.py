"""Text analysis: normalisation, Chinese segmentation, English stemming, mixed text, user dictionary."""

from search_index.lexical import analyzer
from search_index.lexical.analyzer import (
    chinese_analyzer,
    cjk_bigrams,
    load_user_dictionary,
    spelling_tokens,
    word_tokens,
)


def test_chinese_search_mode_yields_long_and_short_words():
    toks = word_tokens("蚂蚁花呗怎么还款")
    assert {"蚂蚁花呗", "花呗", "蚂蚁", "还款"} <= set(toks)
    # 怎么 is a filler word of questions, not content
    assert "怎么" not in toks


def test_fillers_removed_but_negation_kept():
    toks = word_tokens("请问我的花呗为什么不能用了呢")
    assert "请问" not in toks and "呢" not in toks and "我的" not in toks
    assert "不能" in toks or "不" in toks


def test_english_lowercase_and_stemming():
    assert word_tokens("Deleting Accounts") == ["delet", "account"]
    assert word_tokens("How do I delete my account?") == ["delet", "account"]
    # spelling tokens keep the surface form for "did you mean"
    assert spelling_tokens("Deleting Accounts") == ["deleting", "accounts"]


def test_mixed_chinese_english_and_full_width():
    toks = word_tokens("ＩＰＨＯＮＥ手机怎么用花唄付款")
    assert "iphon" in toks
    assert "手机" in toks
    assert "花呗" in toks
    assert "付款" in toks


def test_punctuation_emoji_and_masked_numbers_give_no_tokens():
    assert word_tokens("？？！！…… 😀😀 ***") == []


def test_bigrams():
    assert cjk_bigrams("花呗提额 abc 借") == ["花呗", "呗提", "提额", "借"]


def test_whoosh_analyzer_positions_and_chars():
    tokens = [(t.text, t.startchar, t.endchar) for t in chinese_analyzer()("花呗 Refunds", chars=True)]
    assert ("花呗", 0, 2) in tokens
    assert ("refund", 3, 10) in tokens


def test_user_dictionary_changes_segmentation():
    word = "钻石会员卡"
    before = word_tokens(word)
    assert word not in before
    assert load_user_dictionary([word]) == 1
    assert word in word_tokens(word)
    assert analyzer.dictionary_version[0] >= 1


def test_latin_grams_match_split_joined_and_misspelt_english_words():
    from search_index.lexical.analyzer import latin_grams

    assert latin_grams("Login") == ["#log", "logi", "ogin", "gin#"]
    assert latin_grams("花呗 的") == []  # Chinese text has no Latin grams
    assert latin_grams("to") == []  # stop words have none either
    assert set(latin_grams("git hub")) & set(latin_grams("GitHub")) == {"#git", "hub#"}
    # Porter stems both to "collabor"/"colabor": four of six grams in common.
    assert set(latin_grams("colaborator")) & set(latin_grams("collaborators")) == {
        "#col",
        "labo",
        "abor",
        "bor#",
    }
