"""The article state machine, every forbidden transition, four-eyes, optimistic locking, audit."""

from __future__ import annotations

import pytest
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from articles import content, editing, lifecycle, revisions
from articles.errors import Forbidden, InvalidInput, InvalidTransition, NotFound, StaleVersion
from articles.models import TRANSITIONS, Article, ArticleRevision, ArticleStatus, RevisionStatus
from portal.models import AuditLog
from tests.factories import make_article, make_user


@pytest.fixture
def people(db):
    return {
        "agent": make_user(db, "agent_a", ("agent",)),
        "agent2": make_user(db, "agent_b", ("agent",)),
        "lead": make_user(db, "lead_a", ("lead",)),
        "lead2": make_user(db, "lead_b", ("lead",)),
        "qa": make_user(db, "qa_a", ("qa",)),
    }


def _reload(db, article_id):
    db.expire_all()
    return db.get(Article, article_id)


def _revisions(db, article_id):
    return db.exec(
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article_id)
        .order_by(ArticleRevision.number)
    ).all()


def _actions(db, article_id):
    return [
        (e.action, e.from_state, e.to_state)
        for e in db.exec(
            select(AuditLog)
            .where(AuditLog.object_type == "article", AuditLog.object_id == str(article_id))
            .order_by(AuditLog.id)
        ).all()
    ]


def test_happy_path_draft_review_reject_edit_resubmit_publish(db, people):
    agent, lead = people["agent"], people["lead"]
    article = make_article(db, agent, title="退款多久到账")
    assert article.status == "draft" and article.version == 1
    lifecycle.submit_article(db, agent, article.id, expected_version=1)
    db.commit()
    assert _reload(db, article.id).status == "in_review"
    lifecycle.reject_article(db, lead, article.id, "缺少到账时间说明")
    db.commit()
    article = _reload(db, article.id)
    assert article.status == "rejected"
    assert _revisions(db, article.id)[-1].review_comment == "缺少到账时间说明"
    editing.update_article(
        db, agent, article.id, content.ArticleInput(solution="原路退回，1-3 个工作日到账"), article.version
    )
    db.commit()
    article = _reload(db, article.id)
    assert article.status == "draft"
    revs = _revisions(db, article.id)
    assert [r.status for r in revs] == ["rejected", "draft"]  # the rejected text and its comment are kept
    lifecycle.submit_article(db, agent, article.id, expected_version=article.version)
    lifecycle.approve_article(db, lead, article.id, review_due_days=30)
    db.commit()
    article = _reload(db, article.id)
    assert article.status == "published"
    assert article.live_revision_id == revs[-1].id
    assert article.review_due is not None
    assert (article.review_due - article.published_at.date()).days == 30
    actions = _actions(db, article.id)
    assert ("article.reject", "in_review", "rejected") in actions
    assert ("article.approve", "in_review", "published") in actions
    assert actions[0] == ("article.create", None, "draft")


def test_edit_of_published_article_goes_through_review_while_old_text_stays_live(db, people):
    agent, agent2, lead = people["agent"], people["agent2"], people["lead"]
    article = make_article(db, agent, solution="旧步骤", status="published", reviewer=lead)
    live_id = article.live_revision_id
    editing.update_article(db, agent2, article.id, content.ArticleInput(solution="新步骤"), article.version)
    db.commit()
    article = _reload(db, article.id)
    assert article.status == "published" and article.live_revision_id == live_id
    assert db.get(ArticleRevision, live_id).solution == "旧步骤"
    pending = revisions.pending_revision(db, article)
    assert pending.solution == "新步骤" and pending.status == "draft" and pending.author_id == agent2.id
    lifecycle.submit_article(db, agent2, article.id)
    db.commit()
    assert _reload(db, article.id).status == "published"  # still live while the edit is reviewed
    lifecycle.reject_article(db, lead, article.id, "不对")
    db.commit()
    article = _reload(db, article.id)
    assert article.status == "published" and article.live_revision_id == live_id
    editing.update_article(
        db, agent2, article.id, content.ArticleInput(solution="新步骤 v2"), article.version
    )
    lifecycle.submit_article(db, agent2, article.id)
    lifecycle.approve_article(db, lead, article.id)
    db.commit()
    article = _reload(db, article.id)
    assert article.live_revision_id != live_id
    assert db.get(ArticleRevision, article.live_revision_id).solution == "新步骤 v2"
    assert db.get(ArticleRevision, live_id).status == "superseded"


def test_transition_table_matches_can_methods():
    for state in ArticleStatus:
        allowed = TRANSITIONS[state]
        assert (ArticleStatus.IN_REVIEW in allowed) == state.can_submit()
        assert (ArticleStatus.PUBLISHED in allowed) == state.can_approve()
        assert (ArticleStatus.REJECTED in allowed) == state.can_reject()
        assert (ArticleStatus.ARCHIVED in allowed) == state.can_archive()


VERBS = {
    "submit": lambda db, a, lead, author: lifecycle.submit_article(db, author, a.id),
    "approve": lambda db, a, lead, author: lifecycle.approve_article(db, lead, a.id),
    "reject": lambda db, a, lead, author: lifecycle.reject_article(db, lead, a.id, "no"),
    "archive": lambda db, a, lead, author: lifecycle.archive_article(db, lead, a.id),
    "withdraw": lambda db, a, lead, author: lifecycle.withdraw_article(db, author, a.id),
}
ALLOWED = {
    "draft": {"submit"},
    "in_review": {"approve", "reject", "withdraw"},
    "rejected": {"submit"},
    "published": {"archive"},
    "archived": set(),
}


@pytest.mark.parametrize("state", list(ALLOWED))
@pytest.mark.parametrize("verb", list(VERBS))
def test_every_transition_is_allowed_or_refused_without_change(db, people, state, verb):
    agent, lead = people["agent"], people["lead"]
    article = make_article(db, agent, status=state, reviewer=lead)
    before = (article.status, article.version, [r.status for r in _revisions(db, article.id)])
    if verb in ALLOWED[state]:
        VERBS[verb](db, article, lead, agent)
        db.commit()
        assert _reload(db, article.id).version == before[1] + 1
    else:
        with pytest.raises(InvalidTransition):
            VERBS[verb](db, article, lead, agent)
        db.rollback()
        article = _reload(db, article.id)
        assert (article.status, article.version, [r.status for r in _revisions(db, article.id)]) == before


def test_archived_article_cannot_be_edited_or_restored(db, people):
    article = make_article(db, people["agent"], status="archived", reviewer=people["lead"])
    with pytest.raises(InvalidTransition):
        editing.update_article(
            db, people["lead"], article.id, content.ArticleInput(title="x"), article.version
        )
    with pytest.raises(InvalidTransition):
        editing.restore_revision(db, people["lead"], article.id, article.live_revision_id)


def test_an_article_in_review_says_so_when_edited(db, people):
    """The refusal names the real reason (it is in review), not a state the article is not in."""
    article = make_article(db, people["agent"], status="in_review")
    with pytest.raises(InvalidTransition) as refused:
        editing.update_article(
            db, people["agent"], article.id, content.ArticleInput(title="x"), article.version
        )
    assert str(refused.value) == str(_l("This article is in review. Withdraw it before editing."))


def test_author_cannot_approve_own_revision_even_as_lead(db, people):
    lead, lead2 = people["lead"], people["lead2"]
    article = make_article(db, lead, status="in_review")
    with pytest.raises(Forbidden):
        lifecycle.approve_article(db, lead, article.id)
    db.rollback()
    assert _reload(db, article.id).status == "in_review"
    lifecycle.approve_article(db, lead2, article.id)
    db.commit()
    assert _reload(db, article.id).status == "published"


def test_lead_who_edits_a_published_article_cannot_approve_that_edit(db, people):
    agent, lead, lead2 = people["agent"], people["lead"], people["lead2"]
    article = make_article(db, agent, status="published", reviewer=lead)
    editing.update_article(db, lead, article.id, content.ArticleInput(title="主管改的标题"), article.version)
    lifecycle.submit_article(db, lead, article.id)
    db.commit()
    with pytest.raises(Forbidden):
        lifecycle.approve_article(db, lead, article.id)
    db.rollback()
    lifecycle.approve_article(db, lead2, article.id)


@pytest.mark.parametrize("role", ["agent", "agent2", "qa"])
def test_only_leads_review_or_archive(db, people, role):
    article = make_article(db, people["agent"], status="in_review")
    for call in (
        lambda: lifecycle.approve_article(db, people[role], article.id),
        lambda: lifecycle.reject_article(db, people[role], article.id, "x"),
    ):
        with pytest.raises(Forbidden):
            call()
    published = make_article(db, people["agent"], status="published", reviewer=people["lead"])
    with pytest.raises(Forbidden):
        lifecycle.archive_article(db, people[role], published.id)


def test_reject_needs_a_comment(db, people):
    article = make_article(db, people["agent"], status="in_review")
    for comment in ("", "   ", None):
        with pytest.raises(InvalidInput):
            lifecycle.reject_article(db, people["lead"], article.id, comment)
    assert _reload(db, article.id).status == "in_review"


def test_stale_version_is_refused_and_nothing_is_overwritten(db, people):
    agent = people["agent"]
    article = make_article(db, agent, solution="原文")
    version = article.version
    editing.update_article(db, agent, article.id, content.ArticleInput(solution="第一次保存"), version)
    db.commit()
    with pytest.raises(StaleVersion) as info:
        editing.update_article(db, agent, article.id, content.ArticleInput(solution="第二个窗口"), version)
    db.rollback()
    assert info.value.details["current_version"] == version + 1
    assert revisions.current_revision(db, _reload(db, article.id)).solution == "第一次保存"


def test_other_agent_cannot_edit_or_submit_someones_draft(db, people):
    article = make_article(db, people["agent"])
    # A draft is private to its author and the leads: others get 'not found', not a hint it exists.
    with pytest.raises(NotFound):
        editing.update_article(
            db, people["agent2"], article.id, content.ArticleInput(title="抢"), article.version
        )
    with pytest.raises(NotFound):
        lifecycle.submit_article(db, people["agent2"], article.id)
    db.rollback()
    assert _reload(db, article.id).status == "draft"


def test_qa_cannot_write_articles(db, people):
    with pytest.raises(Forbidden):
        editing.create_article(db, people["qa"], content.ArticleInput(title="x"))


def test_restore_creates_a_new_draft_revision(db, people):
    agent, lead = people["agent"], people["lead"]
    article = make_article(db, agent, solution="第一版", status="published", reviewer=lead)
    first = article.live_revision_id
    editing.update_article(db, agent, article.id, content.ArticleInput(solution="第二版"), article.version)
    lifecycle.submit_article(db, agent, article.id)
    lifecycle.approve_article(db, lead, article.id)
    db.commit()
    rev = editing.restore_revision(db, agent, article.id, first)
    db.commit()
    assert rev.solution == "第一版" and rev.status == RevisionStatus.DRAFT and rev.restored_from == 1
    article = _reload(db, article.id)
    assert db.get(ArticleRevision, article.live_revision_id).solution == "第二版"
    assert len(_revisions(db, article.id)) == 3


def test_invalid_input_saves_nothing(db, people):
    agent = people["agent"]
    for data in (
        content.ArticleInput(title=""),
        content.ArticleInput(title="x" * 201),
        content.ArticleInput(title="ok", solution="x" * 20_001),
        content.ArticleInput(title="ok", category_id=99999),
        content.ArticleInput(title="ok", audience="everyone"),
    ):
        with pytest.raises(InvalidInput):
            editing.create_article(db, agent, data)
        db.rollback()
    assert db.exec(select(Article)).all() == []
