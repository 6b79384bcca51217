"""Whatever is typed into the search box or sent to the API: a normal answer, never a 500, inert HTML."""

from __future__ import annotations

import pytest

from tests.search.helpers import people, published

BAD_QUERIES = [
    "",
    "   ",
    "长" * 10_000,
    "a" * 10_000,
    "title:(",
    '"unmatched quote',
    "AND OR NOT ( ) [ ] { } * ? ~ ^",
    "!!!???。。。，，，",
    "😀🙈🔥",
    "'; DROP TABLE kb_articles; --",
    "1 OR 1=1",
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "\x00\x01 花呗",
    "%00%27",
]
XSS = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@pytest.fixture
def arranged(app, db):
    agent, lead, _admin = people(db)
    published(db, agent, lead, f"花呗 {XSS} 还款", scenario=f"客户说 {XSS} 花呗还款失败", tags=["<b>tag</b>"])
    return agent


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_search_page_survives_bad_queries(arranged, client, login, query):
    login(arranged)
    response = client.get("/search", query_string={"q": query, "category": query[:300], "tag": query[:300]})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<img src=x" not in page


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_search_api_survives_bad_queries(arranged, api, query):
    response = api(arranged).get(
        "/search", query_string={"q": query, "category": query[:300], "tag": query[:300]}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"query", "total", "results", "suggestion"}
    assert len(body["query"]) <= 800


def test_article_html_is_escaped_in_titles_snippets_and_tags(arranged, client, login, api):
    login(arranged)
    page = client.get("/search?q=花呗还款").get_data(as_text=True)
    assert "&lt;img src=x onerror=" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "<script>alert(2)" not in page
    assert "<b>tag</b>" not in page
    assert "<mark>花呗</mark>" in page
    result = api(arranged).get("/search?q=花呗还款").get_json()["results"][0]
    assert "<img" not in result["snippet"] and "&lt;img" in result["snippet"]
    assert result["title"] == f"花呗 {XSS} 还款"  # JSON carries plain text; clients escape it


def test_query_is_echoed_escaped(arranged, client, login):
    login(arranged)
    page = client.get("/search", query_string={"q": '"><script>alert(3)</script>'}).get_data(as_text=True)
    assert "<script>alert(3)" not in page
    assert "&lt;script&gt;alert(3)" in page or "&#34;&gt;&lt;script&gt;" in page


@pytest.mark.parametrize(
    "args", ["page=0", "page=-1", "page=abc", "page=99999999999999999999", "l=abc", "l=-5", "all=yes"]
)
def test_bad_page_arguments_are_ignored(arranged, client, login, args):
    login(arranged)
    assert client.get(f"/search?q=花呗&{args}").status_code == 200


def test_click_on_unknown_log_still_redirects(arranged, client, login):
    login(arranged)
    response = client.get("/search/click/999999/1")
    assert response.status_code == 302
