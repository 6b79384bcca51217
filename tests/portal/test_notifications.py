from sqlmodel import select

from portal.notifications import Notification, notify, unread_count
from tests.factories import make_user


def test_bell_shows_unread_count_and_opening_marks_read(client, db, login):
    agent = make_user(db, "agent1")
    note = notify(db, agent.id, "article_approved", url="/", title="退款流程")
    db.commit()
    login(agent)
    home = client.get("/").get_data(as_text=True)
    assert '<span class="badge">1</span>' in home
    page = client.get("/notifications/").get_data(as_text=True)
    assert "退款流程" in page
    response = client.post(f"/notifications/{note.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert unread_count(db, agent.id) == 0


def test_parameters_are_escaped(client, db, login):
    agent = make_user(db, "agent1")
    notify(
        db,
        agent.id,
        "article_rejected",
        title="<script>alert(1)</script>",
        comment="<img src=x onerror=alert(1)>",
    )
    db.commit()
    login(agent)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert "<img src=x" not in page


def test_cannot_open_someone_elses_notification(client, db, login):
    owner = make_user(db, "owner")
    note = notify(db, owner.id, "article_flagged", title="t", comment="c")
    db.commit()
    login(make_user(db, "other"))
    assert client.post(f"/notifications/{note.id}/open").status_code == 404
    db.expire_all()
    assert db.get(Notification, note.id).read_at is None


def test_read_all_needs_csrf(client, db, login):
    agent = make_user(db, "agent1")
    notify(db, agent.id, "article_submitted", title="t")
    db.commit()
    login(agent)
    assert client.post("/notifications/read-all", csrf=False).status_code == 400
    assert unread_count(db, agent.id) == 1
    assert client.post("/notifications/read-all").status_code == 302
    db.expire_all()
    assert all(n.read_at for n in db.exec(select(Notification)).all())


def test_offsite_url_is_not_followed(client, db, login):
    agent = make_user(db, "agent1")
    note = notify(db, agent.id, "article_submitted", url="//evil.example", title="t")
    db.commit()
    login(agent)
    response = client.post(f"/notifications/{note.id}/open")
    assert response.headers["Location"] == "/notifications/"


def test_a_link_is_built_from_its_endpoint_when_opened(client, db, login):
    """Services store the page by endpoint name; opening the note goes to that page's current URL, and a
    page that no longer exists opens the list instead of an error."""
    from portal.notifications import PageLink

    agent = make_user(db, "agent1")
    note = notify(
        db, agent.id, "article_approved", link=PageLink("articles.view", {"article_id": 7}), title="t"
    )
    gone = notify(db, agent.id, "article_approved", link=PageLink("articles.no_such_page", {}), title="t")
    db.commit()
    login(agent)
    assert client.post(f"/notifications/{note.id}/open").headers["Location"] == "/articles/7"
    assert client.post(f"/notifications/{gone.id}/open").headers["Location"] == "/notifications/"
