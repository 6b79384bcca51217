"""Two leads approve the same revision at the same moment: exactly one succeeds, the other gets 409."""

import threading

from sqlmodel import select

from articles.models import Article
from portal.models import AuditLog
from tests.factories import make_user
from tests.factories.articles import make_article


def test_two_leads_approving_at_once_exactly_one_wins(api, db):
    author = make_user(db, "author", ("agent",))
    article = make_article(db, author, status="in_review")
    leads = [api(make_user(db, f"lead{i}", ("lead",))) for i in range(2)]
    version = article.version
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def approve(client):
        barrier.wait(timeout=30)
        response = client.post(f"/articles/{article.id}/approve", json={"version": version})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=approve, args=(c,)) for c in leads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(statuses) == [200, 409]
    db.expire_all()
    assert db.get(Article, article.id).status == "published"
    approvals = db.exec(select(AuditLog).where(AuditLog.action == "article.approve")).all()
    assert len(approvals) == 1
