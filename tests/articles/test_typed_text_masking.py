"""What readers type about an article (an outdated-flag comment, a feedback reason) is stored masked; the
article's own title and solution are knowledge written on purpose and are kept as written."""

from __future__ import annotations

from sqlmodel import select

from articles.models import Feedback, OutdatedFlag
from portal.models import AuditLog
from tests.factories import make_article, make_user

PHONE, RESIDENT_ID, EMAIL = "13812345678", "11010519491231002X", "zhang.san@example.com"
TYPED = f"客户电话{PHONE}，身份证{RESIDENT_ID}，邮箱{EMAIL}"
MASKED = "客户电话138****5678，身份证110***********002X，邮箱z********@example.com"


def assert_masked(text: str) -> None:
    for raw in (PHONE, RESIDENT_ID, EMAIL):
        assert raw not in text


def test_flag_comment_and_feedback_reason_are_stored_and_shown_masked(api, client, login, db):
    agent = make_user(db, "agent1", ("agent",))
    lead = make_user(db, "lead1", ("lead",))
    article = make_article(db, agent, title=f"热线 {PHONE} 的转接规则", status="published", reviewer=lead)
    login(agent)
    r = client.post(f"/articles/{article.id}/flag", data={"comment": TYPED})
    assert r.status_code == 302
    r = api(agent).post(f"/articles/{article.id}/feedback", json={"helpful": False, "reason": TYPED})
    assert r.status_code in (200, 201), r.get_json()
    db.expire_all()
    assert db.exec(select(OutdatedFlag.comment)).all() == [MASKED]
    assert db.exec(select(Feedback.reason)).all() == [MASKED]
    assert_masked("\n".join(str(d) for d in db.exec(select(AuditLog.details)).all()))
    login(lead)
    page = client.get(f"/articles/{article.id}").get_data(as_text=True)
    assert "138****5678" in page and MASKED.split("，")[0] in page
    assert f"热线 {PHONE} 的转接规则" in page  # the title is knowledge, not a typed comment: kept


def test_review_comments_are_stored_masked(api, db):
    """A lead's rejection or approval comment is typed text like any other: stored (revision, audit log,
    the author's notification) with personal data masked."""
    from articles.models import ArticleRevision
    from portal.notifications import Notification

    author = make_user(db, "writer1", ("agent",))
    lead = make_user(db, "lead1", ("lead",))
    rejected = make_article(db, author, title="退货", status="in_review")
    approved = make_article(db, author, title="换货", status="in_review")
    r = api(lead).post(
        f"/articles/{rejected.id}/reject", json={"comment": TYPED, "version": rejected.version}
    )
    assert r.status_code == 200, r.get_json()
    r = api(lead).post(
        f"/articles/{approved.id}/approve", json={"comment": TYPED, "version": approved.version}
    )
    assert r.status_code == 200, r.get_json()
    db.expire_all()
    comments = [c for c in db.exec(select(ArticleRevision.review_comment)).all() if c]
    assert comments == [MASKED, MASKED]
    assert_masked("\n".join(str(d) for d in db.exec(select(AuditLog.details)).all()))
    assert_masked("\n".join(n.params for n in db.exec(select(Notification)).all()))
