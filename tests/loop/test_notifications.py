"""The bell: evaluation received, article approved / rejected / flagged reach the right people."""

from __future__ import annotations

from sqlmodel import select

from articles import lifecycle
from articles.feedback import flag_outdated
from portal.notifications import Notification, link_of, message_for
from tests.factories import make_article, make_evaluation, make_user


def _notes(db, user):
    db.expire_all()
    return list(db.exec(select(Notification).where(Notification.user_id == user.id)))


def _opens(app, note) -> str | None:
    """The page the bell sends its reader to (links are built from endpoint names in a request)."""
    with app.test_request_context():
        return link_of(note)


def test_evaluation_received(app, db, cast, interaction):
    evaluation = make_evaluation(db, cast.grader, interaction, cast.version)
    notes = _notes(db, cast.agent)
    assert [n.kind for n in notes] == ["evaluation_received"]
    assert "20241120-A001" in message_for(notes[0])
    assert _opens(app, notes[0]) == f"/qa/feedback/{evaluation.id}"


def test_article_approved_and_rejected_reach_the_author(app, db, cast):
    author = make_user(db, "writer", ("agent",))
    make_article(db, author, title="退货流程", status="published", reviewer=cast.lead)
    rejected = make_article(db, author, title="换货流程", status="rejected", reviewer=cast.lead)
    kinds = sorted(n.kind for n in _notes(db, author))
    assert kinds == ["article_approved", "article_rejected"]
    note = next(n for n in _notes(db, author) if n.kind == "article_rejected")
    assert "步骤不完整" in message_for(note) and _opens(app, note) == f"/articles/{rejected.id}"
    assert all(n.kind != "article_approved" for n in _notes(db, cast.lead))


def test_flag_reaches_author_and_leads_not_the_flagger(db, cast):
    author = make_user(db, "writer", ("agent",))
    article = make_article(db, author, title="发票说明", status="published", reviewer=cast.lead)
    flag_outdated(db, cast.agent, article.id, "税率已调整")
    db.commit()
    for who in (author, cast.lead, cast.lead2):
        assert any(n.kind == "article_flagged" and "税率已调整" in message_for(n) for n in _notes(db, who))
    assert not any(n.kind == "article_flagged" for n in _notes(db, cast.agent))


def test_reviewing_own_notification_is_not_sent(db, cast):
    # A lead approving someone else's work notifies the author only; nobody is told about their own action.
    author = make_user(db, "writer", ("agent",))
    article = make_article(db, author, status="in_review")
    lifecycle.approve_article(db, cast.lead, article.id)
    db.commit()
    assert [n.kind for n in _notes(db, author)] == ["article_approved"]
