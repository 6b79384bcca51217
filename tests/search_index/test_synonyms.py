"""Synonym lists: parsing, one-way rules, equivalence groups, and their effect on search."""

from search_index.lexical.index import SearchIndex
from search_index.lexical.synonyms import SynonymMap, default_synonyms, validate_synonyms


def test_parse_rules_groups_and_errors():
    m = SynonymMap.parse("# comment\n登陆, 登入 => 登录\n花呗, 蚂蚁花呗\n\n孤单\na => b => c\n => x\n")
    one_way = [r for r in m.rules if r.one_way]
    groups = [r for r in m.rules if not r.one_way]
    assert one_way[0].sources == ("登陆", "登入") and one_way[0].targets == ("登录",)
    assert groups[0].sources == ("花呗", "蚂蚁花呗")
    assert [line for line, _msg in m.errors] == [5, 6, 7]
    assert validate_synonyms("花呗, 蚂蚁花呗") == []


def test_one_way_rewrites_without_looping():
    m = SynonymMap.parse("登陆 => 登录\na => ab")
    assert m.apply("怎么登陆").text == "怎么登录"
    assert m.apply("a").text == "ab"
    # the target is not rewritten back
    assert m.apply("登录").text == "登录"


def test_group_expands_to_other_members():
    m = SynonymMap.parse("花呗, 蚂蚁花呗\n还款, 还钱")
    rw = m.apply("花呗怎么还钱")
    assert set(rw.expansions) == {"蚂蚁花呗", "还款"}
    # the longer member already contains the shorter one: nothing to add
    assert m.apply("蚂蚁花呗").expansions == ()


def test_latin_words_match_on_word_boundaries():
    m = SynonymMap.parse("log in => login")
    assert m.apply("Log in please").text == "login please"
    assert m.apply("blog interface").text == "blog interface"


def test_default_list_parses_cleanly():
    m = default_synonyms()
    assert m.errors == ()
    assert m.apply("登陆").text == "登录"


def test_synonyms_at_query_time(tmp_path):
    ix = SearchIndex(tmp_path / "ix", synonyms=SynonymMap.empty())
    ix.upsert(
        [
            {"id": 1, "title": "如何登录账户", "status": "published"},
            {"id": 2, "title": "Reset your password", "status": "published"},
        ]
    )
    assert ix.search("pwd").total == 0  # without synonyms pwd is another word
    rules = SynonymMap.parse("登陆 => 登录\npwd => password")
    assert [h.id for h in ix.search("pwd", synonyms=rules).hits] == [2]
    # 登陆 shares a character with 登录, but only the rewrite matches the whole word
    assert "<mark>登录</mark>" not in ix.search("登陆").hits[0].title_html
    assert "<mark>登录</mark>" in ix.search("登陆", synonyms=rules).hits[0].title_html
    # changing the index's default map needs no reindex
    ix.set_synonyms(rules)
    assert ix.search("pwd").total == 1


def test_group_synonym_finds_other_member(tmp_path):
    ix = SearchIndex(tmp_path / "ix", synonyms=SynonymMap.parse("退款, 退钱"))
    ix.upsert([{"id": 1, "title": "退钱多久到账", "status": "published"}])
    res = ix.search("退款")
    assert [h.id for h in res.hits] == [1]
