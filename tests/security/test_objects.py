"""Object-level checks: IDOR on every object-ID route, XSS through the stored text fields and the search
box, uploads that lie about their type, path traversal in attachment names."""

from __future__ import annotations

import io
import os

import pytest
from sqlmodel import select

from tests.factories import make_token, make_user
from tests.security import xss_payloads
from tests.security.routes import concrete_path, is_api, methods, rules
from tests.security.support import diff, inert_problems, snapshot, text_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def victim_objects(app, db):
    """Objects owned by agent ``victim``: a draft article with an attachment, a submitted evaluation,
    an API token and a notification.  Maps URL argument name → id."""
    from articles import attachments
    from articles.models import ArticleRevision
    from portal import accounts, notifications
    from tests.factories.articles import make_article
    from tests.factories.loop import make_evaluation
    from tests.factories.qa import make_interaction, make_scorecard

    victim = make_user(db, "victim", ("agent",))
    grader = make_user(db, "grader", ("qa",))
    article = make_article(db, victim, title="私密草稿 secret draft")
    item = attachments.add_attachment(db, victim, article.id, "a.png", PNG, app.config["UPLOAD_DIR"])
    revision = db.exec(select(ArticleRevision).where(ArticleRevision.article_id == article.id)).first()
    _card, version = make_scorecard(db)
    interaction = make_interaction(db, victim)
    evaluation = make_evaluation(db, grader, interaction, version)
    token, _clear = accounts.create_token(db, victim, "victim token", actor=None)
    notifications.notify(db, victim.id, next(iter(notifications.MESSAGES)), url="/")
    db.commit()
    from portal.notifications import Notification

    note = db.exec(select(Notification).where(Notification.user_id == victim.id)).first()
    return {
        "victim": victim,
        "ids": {
            "article_id": article.id,
            "attachment_id": item.id,
            "revision_id": revision.id,
            "evaluation_id": evaluation.id,
            "token_id": token.id,
            "note_id": note.id,
        },
    }


def _object_routes(app, ids):
    for rule in rules(app):
        if rule.arguments and rule.arguments <= ids.keys():
            yield rule


def test_another_agents_objects_are_out_of_reach(app, client, db, login, victim_objects):
    """An unrelated agent gets 403/404 on every route that names the victim's draft article, its
    attachment and revisions, the victim's evaluation, token and notification, and changes nothing."""
    ids = victim_objects["ids"]
    intruder = make_user(db, "intruder", ("agent",))
    headers = {"Authorization": f"Bearer {make_token(db, intruder)}"}
    before = snapshot(db)
    failures, checked = [], 0
    for rule in _object_routes(app, ids):
        path = concrete_path(rule, {k: str(v) for k, v in ids.items()})
        for method in methods(rule):
            db.refresh(intruder)
            login(intruder, client)
            if is_api(rule):
                kwargs = {
                    "json": {
                        "version": 1,
                        "title": "hijacked",
                        "scenario": "x",
                        "solution": "x",
                        "comment": "x",
                        "reason": "x",
                        "helpful": True,
                        "ticket_id": "20240315-A001",
                    }
                }
                if method == "PATCH":  # only known fields, so the ownership check is what refuses it
                    kwargs = {"json": {"version": 1, "title": "hijacked"}}
                response = client.open(
                    path, method=method, headers=headers, **(kwargs if method != "GET" else {})
                )
            else:
                data = {"title": "hijacked", "comment": "x", "reason": "x", "ticket_id": "20240315-A001"}
                if rule.endpoint.endswith("upload"):
                    data["image"] = (io.BytesIO(PNG), "x.png")
                response = client.open(path, method=method, data=data if method != "GET" else None)
            checked += 1
            if response.status_code not in (403, 404):
                failures.append((method, rule.rule, response.status_code))
    assert checked >= 10, "expected object routes for articles, evaluations, tokens and notifications"
    assert failures == []
    changed = diff(before, snapshot(db))
    changed.pop("search_log", None)
    assert {k: v for k, v in changed.items() if k not in ("api_tokens",)} == {}


def test_the_owner_does_reach_them(app, client, db, login, victim_objects):
    """Control for the IDOR test: the same pages answer 200 for the owner."""
    ids = victim_objects["ids"]
    login(victim_objects["victim"])
    for path in (
        f"/articles/{ids['article_id']}",
        f"/articles/attachments/{ids['attachment_id']}",
        f"/qa/evaluations/{ids['evaluation_id']}",
    ):
        assert client.get(path).status_code == 200, path


# --- XSS through stored text ----------------------------------------------------------------------


def _payload_batches(size: int = 25):
    items = list(enumerate(xss_payloads.ALL))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _assert_inert(html: str, markers: list[str], where: str) -> None:
    problems = inert_problems(html)
    assert problems == [], f"{where}: {problems[:5]}"
    text = text_of(html)
    shown = [m for m in markers if m in text]
    assert shown, f"{where}: none of the payloads was rendered, the check proves nothing"


def test_article_fields_render_xss_payloads_inert(app, client, db, login):
    """Title, scenario, solution (Markdown), notes and tags with every payload: the article page, the
    list, the history and the review page stay inert."""
    from tests.factories.articles import make_article

    author = make_user(db, "xss_author", ("agent",))
    lead = make_user(db, "xss_lead", ("lead",))
    pages = []
    for batch in _payload_batches(1):
        (index, payload) = batch[0]
        marker, text = xss_payloads.marked(index, payload)
        article = make_article(
            db,
            author,
            title=text[:200],
            scenario=text,
            solution=text,
            notes=text,
            tags=[f"t{index}"],
            status="in_review",
        )
        pages.append((marker, article.id))
    login(lead)
    failures = []
    for marker, article_id in pages:
        for path in (
            f"/articles/{article_id}",
            f"/articles/{article_id}/review",
            f"/articles/{article_id}/history",
        ):
            response = client.get(path)
            if response.status_code != 200:
                failures.append((path, response.status_code))
                continue
            html = response.get_data(as_text=True)
            problems = inert_problems(html)
            if problems or marker not in text_of(html):
                failures.append((path, marker, problems[:3]))
    listing = client.get("/articles/review-queue").get_data(as_text=True)
    assert inert_problems(listing) == []
    assert failures == []


def test_search_box_reflects_payloads_inert(app, client, db, login):
    login(make_user(db, "xss_searcher", ("agent",)))
    failures = []
    for index, payload in enumerate(xss_payloads.ALL):
        marker, text = xss_payloads.marked(index, payload)
        response = client.get("/search", query_string={"q": text})
        html = response.get_data(as_text=True)
        problems = inert_problems(html)
        if response.status_code != 200 or problems or marker not in html:
            failures.append((index, response.status_code, problems[:3]))
    assert failures == []


def test_shell_text_fields_render_payloads_inert(app, client, db, login):
    """Display name and team (users list, top bar), token names (account page)."""
    from portal import accounts

    admin = make_user(db, "xss_admin", ("admin",))
    for index, payload in enumerate(xss_payloads.ALL):
        _marker, text = xss_payloads.marked(index, payload)
        user = make_user(db, f"xss_u{index}", ("agent",))
        accounts.update_profile(db, user, display_name=text[:100], team=text[:64], email=None, actor=None)
        accounts.create_token(db, admin, text[:100], actor=None)
    db.commit()
    login(admin)
    for path in ("/admin/users", "/account", "/admin/audit"):
        html = client.get(path).get_data(as_text=True)
        assert inert_problems(html) == [], path
    assert "xssmark000" in text_of(client.get("/admin/users").get_data(as_text=True))


def test_transcripts_and_evaluation_comments_render_payloads_inert(app, client, db, login):
    from tests.factories.loop import make_evaluation
    from tests.factories.qa import make_interaction, make_scorecard

    agent = make_user(db, "xss_agent", ("agent",))
    grader = make_user(db, "xss_qa", ("qa",))
    _card, version = make_scorecard(db)
    made = []
    for batch in _payload_batches(25):
        turns = [("customer" if i % 2 else "agent", xss_payloads.marked(i, p)[1]) for i, p in batch]
        interaction = make_interaction(db, agent, turns=turns)
        comment = "\n".join(xss_payloads.marked(i, p)[1] for i, p in batch)
        evaluation = make_evaluation(db, grader, interaction, version, comment=comment, gap_note=comment)
        made.append((interaction.id, evaluation.id, [xss_payloads.marked(i, p)[0] for i, p in batch]))
    login(grader)
    for interaction_id, evaluation_id, markers in made:
        for path in (f"/qa/interactions/{interaction_id}", f"/qa/evaluations/{evaluation_id}"):
            response = client.get(path)
            assert response.status_code == 200, path
            _assert_inert(response.get_data(as_text=True), markers, path)
    login(agent)
    for _i, evaluation_id, markers in made:
        response = client.get(f"/qa/evaluations/{evaluation_id}")
        assert response.status_code == 200
        _assert_inert(response.get_data(as_text=True), markers, "agent view")


# --- uploads ----------------------------------------------------------------------------------------

LYING_UPLOADS = [
    ("page.png", "image/png", b"<html><script>alert(1)</script></html>"),
    ("x.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("x.png.html", "text/html", b"<script>alert(1)</script>"),
    ("x.jpg", "image/jpeg", b"MZ\x90\x00" + b"\x00" * 60),
    ("x.gif", "image/gif", b"GIF8" + b"<script>"),
    ("x.png", "image/png", b""),
    ("x.webp", "image/webp", b"RIFF\x00\x00\x00\x00WEBX"),
]


def test_uploads_that_lie_about_their_type_are_refused(app, client, db, login):
    from articles.models import Attachment
    from tests.factories.articles import make_article

    author = make_user(db, "up_author", ("agent",))
    article = make_article(db, author)
    login(author)
    folder = os.path.join(app.config["UPLOAD_DIR"])
    before = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    for name, ctype, data in LYING_UPLOADS:
        response = client.post(
            f"/articles/{article.id}/attachments",
            data={"image": (io.BytesIO(data), name, ctype)},
            content_type="multipart/form-data",
        )
        assert response.status_code in (302, 400), (name, response.status_code)
    db.expire_all()
    assert db.exec(select(Attachment)).all() == []
    after = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    stored = [f for root, _d, files in os.walk(folder) for f in files]
    assert stored == [], stored
    del before, after


def test_polyglot_image_is_served_as_an_image_with_nosniff(app, client, db, login):
    from articles.models import Attachment
    from tests.factories.articles import make_article

    author = make_user(db, "poly_author", ("agent",))
    article = make_article(db, author)
    login(author)
    polyglot = b"GIF89a/*<html><script>alert(1)</script>*/"
    response = client.post(
        f"/articles/{article.id}/attachments",
        data={"image": (io.BytesIO(polyglot), "evil.html", "text/html")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302)
    db.expire_all()
    item = db.exec(select(Attachment)).one()
    served = client.get(f"/articles/attachments/{item.id}")
    assert served.status_code == 200
    assert served.mimetype == "image/gif"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "html" not in served.headers.get("Content-Disposition", "").lower()
    assert not item.stored_name.endswith(".html")


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/passwd.png",
        "..\\..\\..\\windows\\win.ini.png",
        "/etc/cron.d/evil.png",
        "%2e%2e%2f%2e%2e%2fsecret.png",
        "C:\\evil.png",
        "a\x00.png",
        "..",
        "<img src=x onerror=alert(1)>.png",
    ],
)
def test_attachment_names_cannot_escape_the_upload_folder(app, client, db, login, tmp_path, name):
    from articles.models import Attachment
    from tests.factories.articles import make_article

    author = make_user(db, "trav_author", ("agent",))
    article = make_article(db, author)
    login(author)
    response = client.post(
        f"/articles/{article.id}/attachments",
        data={"image": (io.BytesIO(PNG), name, "image/png")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302, 400)
    upload_dir = os.path.realpath(app.config["UPLOAD_DIR"])
    for root, _dirs, files in os.walk(tmp_path):
        for f in files:
            full = os.path.realpath(os.path.join(root, f))
            if full.endswith(".png") and f != "a.png":
                assert full.startswith(upload_dir + os.sep), full
    db.expire_all()
    for item in db.exec(select(Attachment)).all():
        assert "/" not in item.filename and "\\" not in item.filename and "\x00" not in item.filename
        assert "/" not in item.stored_name and ".." not in item.stored_name
        page = client.get(f"/articles/{article.id}").get_data(as_text=True)
        assert inert_problems(page) == []
