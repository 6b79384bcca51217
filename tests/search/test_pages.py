"""The search page, click tracking, analytics and the synonym admin page."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from sqlmodel import select

from portal.masking import add_masking_pattern
from search_index.models import SearchLog
from tests.factories import make_article, make_category
from tests.search.helpers import people, published


def _text(response) -> str:
    """The page without tags (titles carry <mark> inside)."""
    return re.sub(r"<[^>]+>", "", response.get_data(as_text=True))


def _logs(db):
    db.expire_all()
    return list(db.exec(select(SearchLog).order_by(SearchLog.id)).all())


def test_agent_finds_published_articles_with_highlighted_snippets(app, db, client, login):
    agent, lead, _admin = people(db)
    published(db, agent, lead, "花呗怎么还款", scenario="客户询问花呗账单如何还款")
    make_article(db, agent, title="花呗草稿")
    login(agent)
    response = client.get("/search?q=花呗还款")
    page = response.get_data(as_text=True)
    assert "花呗怎么还款" in _text(response)
    assert "<mark>花呗</mark>" in page
    assert "花呗草稿" not in _text(response)
    # An agent cannot widen the search to drafts, not even by crafting the URL.
    assert "花呗草稿" not in _text(client.get("/search?q=花呗&all=1"))
    assert 'name="all"' not in page


def test_lead_may_include_drafts_and_reviews(app, db, client, login):
    agent, lead, _admin = people(db)
    make_article(db, agent, title="花呗草稿")
    make_article(db, agent, title="花呗审核中", status="in_review")
    login(lead)
    assert "花呗草稿" not in _text(client.get("/search?q=花呗"))
    page = _text(client.get("/search?q=花呗&all=1"))
    assert "花呗草稿" in page and "花呗审核中" in page
    assert 'name="all"' in client.get("/search?q=花呗").get_data(as_text=True)


def test_filters_by_category_and_tag(app, db, client, login):
    agent, lead, _admin = people(db)
    billing = make_category(db, "账务")
    logistics = make_category(db, "物流")
    published(db, agent, lead, "退款进度查询", category=billing, tags=["退款"])
    published(db, agent, lead, "退款快递寄回", category=logistics, tags=["快递"])
    login(agent)
    page = _text(client.get("/search?q=退款&category=账务"))
    assert "退款进度查询" in page and "退款快递寄回" not in page
    page = _text(client.get("/search?q=退款&tag=快递"))
    assert "退款快递寄回" in page and "退款进度查询" not in page


def test_pagination_and_clicks_on_later_pages(app, db, client, login):
    agent, lead, _admin = people(db)
    for i in range(13):
        published(db, agent, lead, f"发票问题{i:02d}")
    login(agent)
    first = client.get("/search?q=发票").get_data(as_text=True)
    assert "13" in first and "page=2" in first
    log = _logs(db)[-1]
    assert log.result_count == 13 and log.user_id == agent.id and log.source == "page"
    second = client.get(f"/search?q=发票&page=2&l={log.id}").get_data(as_text=True)
    assert second.count('class="search-hit"') == 3
    assert len(_logs(db)) == 1, "later pages are not logged again"
    assert f"/search/click/{log.id}/" in second


def test_click_is_recorded_and_redirects_to_the_article(app, db, client, login):
    agent, lead, _admin = people(db)
    article = published(db, agent, lead, "修改收货地址")
    other = people.__globals__["make_user"](db, "agent2", ("agent",))
    login(agent)
    client.get("/search?q=收货地址")
    log = _logs(db)[-1]
    response = client.get(f"/search/click/{log.id}/{article.id}")
    assert response.status_code == 302
    assert response.headers["Location"].rstrip("/").endswith(str(article.id))
    assert _logs(db)[-1].clicked_article_id == article.id
    # Someone else's log entry is never changed.
    login(other)
    client.get(f"/search/click/{log.id}/999")
    assert _logs(db)[-1].clicked_article_id == article.id


def test_zero_results_offer_to_write_an_article_and_did_you_mean(app, db, client, login):
    agent, lead, _admin = people(db)
    published(db, agent, lead, "password reset for the mobile app")
    login(agent)
    page = client.get("/search?q=passwrd").get_data(as_text=True)
    assert "password" in page.split("search-suggestion", 1)[1][:400]
    page = client.get("/search?q=量子纠缠").get_data(as_text=True)
    assert "search-empty" in page
    hrefs = [h.split('"', 1)[0] for h in page.split('href="')[1:]]
    new_links = [h for h in hrefs if "/articles/new?" in h]
    assert new_links, hrefs
    assert parse_qs(urlparse(new_links[0].replace("&amp;", "&")).query)["title"] == ["量子纠缠"]
    assert _logs(db)[-1].result_count == 0


def test_analytics_for_leads(app, db, client, login):
    agent, lead, _admin = people(db)
    billing = make_category(db, "账务")
    article = published(db, agent, lead, "发票开具", category=billing)
    login(agent)
    for q in ("发票", "发票", "量子纠缠"):
        client.get(f"/search?q={q}")
    log = _logs(db)[0]
    client.get(f"/search/click/{log.id}/{article.id}")
    assert client.get("/search/analytics").status_code == 403
    login(lead)
    page = client.get("/search/analytics").get_data(as_text=True)
    assert "量子纠缠" in page and "发票" in page and "账务" in page
    assert "title=%E9%87%8F%E5%AD%90%E7%BA%A0%E7%BC%A0" in page  # write an article about the gap
    assert "50.0 %" in page  # click-through: 1 of 2 searches with results
    assert client.get("/search/analytics?from=bad&to=2020-13-45").status_code == 200
    assert "量子纠缠" not in client.get("/search/analytics?from=2001-01-01&to=2001-01-31").get_data(
        as_text=True
    )


def test_admin_edits_synonyms_and_search_applies_them_without_reindex(app, db, client, login):
    agent, lead, admin = people(db)
    published(db, agent, lead, "花呗怎么还款")
    login(agent)
    assert "花呗怎么还款" not in _text(client.get("/search?q=先用后付"))
    assert client.get("/admin/search/synonyms").status_code == 403
    login(admin)
    assert client.get("/admin/search/synonyms").status_code == 200
    response = client.post(
        "/admin/search/synonyms",
        data={"synonyms": "先用后付 => 花呗\n", "userdict": "先用后付\n极速退 100\n"},
    )
    assert response.status_code == 302
    assert "花呗怎么还款" in _text(client.get("/search?q=先用后付"))
    page = client.get("/admin/search/synonyms").get_data(as_text=True)
    assert "先用后付 =&gt; 花呗" in page and "极速退 100" in page


def test_invalid_synonym_lines_are_rejected_with_their_line_number(app, db, client, login):
    _agent, _lead, admin = people(db)
    login(admin)
    response = client.post(
        "/admin/search/synonyms",
        data={"synonyms": "好的规则, 另一个\n=> 右边\n", "userdict": "两个 词 太多\n"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "2" in page and "needs words on both sides" in page
    assert "one word a line" in page
    response = client.post("/admin/search/synonyms", data={"synonyms": "", "userdict": ""}, csrf=False)
    assert response.status_code == 400


def test_the_search_log_never_stores_a_customers_personal_data(app, db, client, login, api):
    """Agents paste the customer's own words: phone, ID and card numbers, e-mail addresses and the admin's
    extra patterns are masked before the query is logged (page and API), while the search itself still sees
    the whole text and the page shows what the agent typed."""
    agent, lead, admin = people(db)
    published(db, agent, lead, "花呗怎么还款", scenario="客户询问花呗账单如何还款")
    add_masking_pattern(db, admin, "会员号", r"VIP\d{6}")
    db.commit()
    pasted = "客户13812345678说花呗还款失败 身份证11010519491231002X 卡6222021234567890128 a.b@example.com VIP123456"
    login(agent)
    page = client.get("/search", query_string={"q": pasted})
    assert page.status_code == 200 and "13812345678" in page.get_data(as_text=True)
    assert api(agent).get("/search", query_string={"q": pasted}).status_code == 200
    logs = _logs(db)
    assert [log.source for log in logs] == ["page", "api"]
    for log in logs:
        for secret in (
            "13812345678",
            "110105199003070024",
            "6222021234567890123",
            "a.b@example.com",
            "VIP123456",
        ):
            assert secret not in log.query and secret.lower() not in log.query_norm
        assert "138****5678" in log.query and "花呗还款失败" in log.query
        assert log.result_count >= 1
