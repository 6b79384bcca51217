"""Articles in the API: create, read, edit, the workflow transitions and the revision list."""

from __future__ import annotations

from flask import current_app

from articles import editing, lifecycle, queries
from articles.access import is_lead
from articles.api import schemas as s
from articles.api.common import CONFLICT, INVALID, WRITERS, api_bp, load_visible, signed_in
from articles.api.shapes import article_json, revision_json
from articles.categories import category_paths
from articles.content import CONTENT_FIELDS
from articles.diffing import changed_fields
from articles.errors import StaleVersion
from articles.models import ArticleStatus, RevisionStatus
from portal.auth import current_actor, login_required, role_required
from portal.contract import Answer, operation
from portal.db import get_session, saved_id
from portal.models import Role

THE_ARTICLE = {200: Answer("the article", s.Article)}


@api_bp.post("/articles")
@role_required(*WRITERS)
@operation(
    "Create a draft article",
    body=s.ArticleCreate,
    responses={201: Answer("created", s.ArticleCreated), **CONFLICT},
    invalid_code=INVALID,
)
def create(body: s.ArticleCreate):
    article = editing.create_article(get_session(), current_actor(), body.to_input(partial=False))
    return s.ArticleCreated(
        id=saved_id(article), status=ArticleStatus(article.status), version=article.version
    ), 201


@api_bp.get("/articles/<int:article_id>")
@login_required
@operation("Read an article", path=s.ArticlePath, responses=THE_ARTICLE)
def get(article_id: int):
    session = get_session()
    return article_json(session, load_visible(session, article_id))


@api_bp.patch("/articles/<int:article_id>")
@role_required(*WRITERS)
@operation(
    "Edit an article (a published one gets a new revision under review); 409 if version is stale",
    path=s.ArticlePath,
    body=s.ArticlePatch,
    responses={**THE_ARTICLE, **CONFLICT},
    invalid_code=INVALID,
)
def patch(article_id: int, body: s.ArticlePatch):
    session = get_session()
    version = body.version
    article = load_visible(session, article_id)
    try:
        editing.update_article(session, current_actor(), article_id, body.to_input(partial=True), version)
    except StaleVersion as exc:
        current = article_json(session, article)
        yours = body.sent()
        # The one DomainError handler answers it (English message, plain JSON details).
        exc.details.update(
            {
                "current_version": article.version,
                "your_version": version,
                "changed_fields": changed_fields({k: current.get(k) for k in yours}, yours),
                "current": {k: current[k] for k in (*CONTENT_FIELDS, "external_id")},
                "yours": yours,
            }
        )
        raise
    return article_json(session, article)


def _transition(summary: str, body: type[s.Transition] = s.Transition):
    return operation(
        summary,
        path=s.ArticlePath,
        body=body,
        body_required=body is not s.Transition,
        responses={**THE_ARTICLE, **CONFLICT},
        invalid_code=INVALID,
    )


@api_bp.post("/articles/<int:article_id>/submit")
@role_required(*WRITERS)
@_transition("Submit the working revision for review")
def submit(article_id: int, body: s.Transition):
    version = body.version
    load_visible(get_session(), article_id)
    article = lifecycle.submit_article(get_session(), current_actor(), article_id, version)
    return article_json(get_session(), article)


@api_bp.post("/articles/<int:article_id>/withdraw")
@role_required(*WRITERS)
@_transition("Take a submitted revision back to draft")
def withdraw(article_id: int, body: s.Transition):
    version = body.version
    load_visible(get_session(), article_id)
    article = lifecycle.withdraw_article(get_session(), current_actor(), article_id, version)
    return article_json(get_session(), article)


@api_bp.post("/articles/<int:article_id>/approve")
@role_required(Role.LEAD)
@_transition("Publish the revision in review (lead; never the revision's author)")
def approve(article_id: int, body: s.Transition):
    version, comment = body.version, body.comment
    load_visible(get_session(), article_id)
    article = lifecycle.approve_article(
        get_session(),
        current_actor(),
        article_id,
        comment=comment,
        expected_version=version,
        review_due_days=current_app.config["REVIEW_DUE_DAYS"],
    )
    return article_json(get_session(), article)


@api_bp.post("/articles/<int:article_id>/reject")
@role_required(Role.LEAD)
@_transition("Reject the revision in review with a comment (lead)", s.Rejection)
def reject(article_id: int, body: s.Rejection):
    version, comment = body.version, body.comment
    load_visible(get_session(), article_id)
    article = lifecycle.reject_article(
        get_session(), current_actor(), article_id, comment or "", expected_version=version
    )
    return article_json(get_session(), article)


@api_bp.post("/articles/<int:article_id>/archive")
@role_required(Role.LEAD)
@_transition("Archive a published article (lead)")
def archive(article_id: int, body: s.Transition):
    version, comment = body.version, body.comment
    load_visible(get_session(), article_id)
    article = lifecycle.archive_article(
        get_session(), current_actor(), article_id, comment=comment, expected_version=version
    )
    return article_json(get_session(), article)


@api_bp.get("/articles/<int:article_id>/revisions")
@login_required
@operation(
    "Revisions of an article, newest first",
    path=s.ArticlePath,
    responses={200: Answer("revisions", s.ArticleRevisions)},
)
def revisions(article_id: int):
    session = get_session()
    article = load_visible(session, article_id)
    actor = signed_in()
    may_see_all = is_lead(session, actor) or actor.id == article.author_id
    paths = category_paths(session)
    rows = [
        revision_json(session, r, paths)
        for r in queries.revisions_of(session, article_id)
        if may_see_all
        or r.author_id == actor.id
        or r.status in (RevisionStatus.PUBLISHED, RevisionStatus.SUPERSEDED)
    ]
    return {"article_id": article_id, "revisions": rows}
