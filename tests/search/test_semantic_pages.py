"""Similar articles, possible duplicates and the admin status with the real `use` model."""

from __future__ import annotations

import pytest

from articles import lifecycle
from tests.factories import make_article, make_user
from tests.search.helpers import engine, people, published

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def app_overrides():
    return {"SEMANTIC": "use"}


def test_article_page_lists_similar_published_articles(app, db, client, login):
    agent, lead, _admin = people(db)
    a = published(db, agent, lead, "忘记登录密码如何重置", scenario="客户忘记密码无法登录")
    b = published(db, agent, lead, "忘记密码怎么重新设置", scenario="用户忘了密码登录不了")
    far = published(db, agent, lead, "电子发票开具流程", scenario="客户需要开票")
    draft = make_article(db, agent, title="忘记密码了怎么重置登录密码", scenario="客户忘记密码无法登录")
    login(agent)
    html = client.get(f"/articles/{a.id}").get_data(as_text=True)
    panel = html.split('class="semantic-panel"', 1)[1] if 'class="semantic-panel"' in html else ""
    assert f"/articles/{b.id}" in panel
    assert f"/articles/{far.id}" not in panel  # below the similarity threshold
    assert f"/articles/{draft.id}" not in panel  # not published
    assert f'href="/articles/{a.id}"' not in panel  # not itself


def test_new_article_form_warns_about_possible_duplicates(app, db, client, login):
    agent, lead, _admin = people(db)
    existing = published(db, agent, lead, "如何修改收货地址", scenario="客户下单后想改地址")
    login(agent)
    html = client.get("/articles/new?title=如何修改收货地址").get_data(as_text=True)
    assert "semantic-duplicates" in html and f"/articles/{existing.id}" in html
    body = client.get("/search/duplicates", query_string={"title": "如何修改收货地址"}).get_json()
    assert [d["id"] for d in body["duplicates"]] == [existing.id]
    unrelated = client.get("/search/duplicates", query_string={"title": "退款多久到账"}).get_json()
    assert unrelated == {"duplicates": []}
    assert client.get("/search/duplicates").get_json() == {"duplicates": []}
    assert client.get("/search/duplicates", query_string={"title": "x" * 100_000}).status_code == 200


def test_possible_duplicates_never_show_other_peoples_unpublished_work(app, db, client, login):
    """Unpublished work is for its authors and leads (``articles.access.can_view``): an agent typing a new
    article must not learn the title of a colleague's article in review, while its own and the lead's views
    still list it."""
    agent, lead, _admin = people(db)
    colleague = make_user(db, "agent2", ("agent",))
    existing = published(db, agent, lead, "如何修改收货地址", scenario="客户下单后想改地址")
    theirs = make_article(
        db, colleague, title="怎样修改收货地址", scenario="客户下单后想改地址", status="in_review"
    )

    def listed(user):
        login(user)
        body = client.get("/search/duplicates", query_string={"title": "如何修改收货地址"}).get_json()
        form = client.get("/articles/new?title=如何修改收货地址").get_data(as_text=True)
        return [d["id"] for d in body["duplicates"]], form

    ids, form = listed(agent)
    assert ids == [existing.id]
    assert f"/articles/{theirs.id}" not in form and "怎样修改收货地址" not in form
    assert f"/articles/{existing.id}" in form
    ids, _form = listed(colleague)  # the author of the article in review
    assert sorted(ids) == sorted([existing.id, theirs.id])
    ids, _form = listed(lead)
    assert sorted(ids) == sorted([existing.id, theirs.id])


def test_review_page_shows_possible_duplicates_to_the_lead(app, db, client, login):
    agent, lead, _admin = people(db)
    existing = published(db, agent, lead, "如何修改收货地址", scenario="客户下单后想改地址")
    dup = make_article(db, agent, title="怎样修改收货地址", scenario="客户下单后想改地址", status="in_review")
    login(lead)
    html = client.get(f"/articles/{dup.id}/review").get_data(as_text=True)
    assert "semantic-duplicates" in html and f"/articles/{existing.id}" in html


def test_admin_page_names_the_active_model(app, db, client, login):
    _agent, _lead, admin = people(db)
    login(admin)
    html = client.get("/admin/search/synonyms").get_data(as_text=True)
    assert "use-m3" in html and 'id="semantic-status"' in html


def test_article_without_text_and_odd_queries_never_fail(app, db, client, login):
    agent, lead, _admin = people(db)
    art = published(db, agent, lead, "。", scenario="", solution="-")
    vectors = engine(app).vectors
    assert art.id in vectors.matrix  # the zero vector: matches nothing, breaks nothing
    login(agent)
    for q in ("", " ", "？？", "退款" * 5000, "\x00\x01", "😀" * 300):
        assert client.get("/search", query_string={"q": q}).status_code == 200
    assert client.get(f"/articles/{art.id}").status_code == 200
    lifecycle.archive_article(db, lead, art.id)
    db.commit()
    assert art.id not in vectors.matrix
