"""JSON API for articles (DESIGN §4), under /api/v1 with Bearer tokens only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request
from flask_babel import force_locale

from articles import editing, feedback, lifecycle, queries
from articles.access import can_view, can_view_pending, is_lead
from articles.categories import category_paths
from articles.content import CONTENT_FIELDS, FIELD_MAX, ArticleInput, input_fields
from articles.diffing import changed_fields
from articles.errors import ArticleError, StaleVersion
from articles.models import TITLE_MAX, Article, ArticleRevision, ArticleStatus, Audience, RevisionStatus
from articles.revisions import current_revision, live_revision, pending_revision, revision_tags
from portal.api import ApiError, json_body, json_request_spec, json_response_spec, openapi
from portal.auth import current_actor, login_required, role_required
from portal.db import get_session
from portal.models import Role

api_bp = Blueprint("articles_api", __name__, url_prefix="/api/v1")

WRITERS = (Role.AGENT, Role.LEAD)


def _error(exc: ArticleError) -> ApiError:
    with force_locale("en"):  # API clients get stable English messages
        message = str(exc.message)
        details = {
            k: (str(v) if not isinstance(v, dict | list | int | None) else v) for k, v in exc.details.items()
        }
        if "fields" in details and isinstance(details["fields"], dict):
            details["fields"] = {k: str(v) for k, v in details["fields"].items()}
    return ApiError(exc.status, message, code=exc.code, details=details)


def _optional_body() -> dict[str, Any]:
    if not request.get_data():
        return {}
    return json_body()


def _version(body: dict[str, Any], *, required: bool) -> int | None:
    value = body.get("version")
    if value is None:
        if required:
            raise ApiError(
                400, "version is required (the version you read)", details={"fields": {"version": "required"}}
            )
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApiError(400, "version must be a positive integer", details={"fields": {"version": "invalid"}})
    return value


def _revision_json(session, rev: ArticleRevision, paths: dict[int, str]) -> dict[str, Any]:
    return {
        "id": rev.id,
        "number": rev.number,
        "status": rev.status,
        "title": rev.title,
        "scenario": rev.scenario,
        "solution": rev.solution,
        "notes": rev.notes,
        "category_id": rev.category_id,
        "category": paths.get(rev.category_id) if rev.category_id else None,
        "tags": revision_tags(session, rev.id),
        "audience": rev.audience,
        "author_id": rev.author_id,
        "review_comment": rev.review_comment,
        "reviewer_id": rev.reviewer_id,
        "submitted_at": rev.submitted_at.isoformat() if rev.submitted_at else None,
        "reviewed_at": rev.reviewed_at.isoformat() if rev.reviewed_at else None,
    }


def article_json(session, article: Article) -> dict[str, Any]:
    """The article as the caller may see it: content of the working revision if they may see pending
    work, else of the live revision; both ids are given."""
    actor = current_actor()
    paths = category_paths(session)
    live = live_revision(session, article)
    pending = pending_revision(session, article)
    show = pending if pending is not None and can_view_pending(session, actor, article) else None
    shown = show or live or current_revision(session, article)
    summary = queries.feedback_summary(session, article.id)
    body = {
        "id": article.id,
        "external_id": article.external_id,
        "status": article.status,
        "version": article.version,
        "author_id": article.author_id,
        "created_at": article.created_at.isoformat(),
        "updated_at": article.updated_at.isoformat(),
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "review_due": article.review_due.isoformat() if article.review_due else None,
        "live_revision_id": live.id if live else None,
        "revision": _revision_json(session, shown, paths),
        "tickets": [link.ticket_id for link in queries.tickets_for_article(session, article.id)],
        "feedback": {k: summary[k] for k in ("helpful", "not_helpful")},
        "url": f"/articles/{article.id}",
    }
    for name in ("title", "scenario", "solution", "notes", "category_id", "category", "tags", "audience"):
        body[name] = body["revision"][name]
    return body


def _load_visible(session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None or not can_view(session, current_actor(), article):
        raise ApiError(404, "This article does not exist.")
    return article


@api_bp.post("/articles")
@role_required(*WRITERS)
def create():
    session = get_session()
    body = json_body()
    try:
        data = ArticleInput.from_mapping(body, partial=False)
        article = editing.create_article(session, current_actor(), data)
    except ArticleError as exc:
        raise _error(exc) from None
    return {"id": article.id, "status": article.status, "version": article.version}, 201


@api_bp.get("/articles/<int:article_id>")
@login_required
def get(article_id: int):
    session = get_session()
    return article_json(session, _load_visible(session, article_id))


@api_bp.patch("/articles/<int:article_id>")
@role_required(*WRITERS)
def patch(article_id: int):
    session = get_session()
    body = json_body()
    version = _version(body, required=True)
    unknown = set(body) - {*input_fields(), "version"}
    if unknown:
        raise ApiError(
            400, f"unknown fields: {', '.join(sorted(unknown))}", details={"fields": sorted(unknown)}
        )
    article = _load_visible(session, article_id)
    try:
        data = ArticleInput.from_mapping(body, partial=True)
        editing.update_article(session, current_actor(), article_id, data, version)
    except StaleVersion as exc:
        current = article_json(session, article)
        yours = {k: v for k, v in body.items() if k != "version"}
        error = _error(exc)
        error.details.update(
            {
                "current_version": article.version,
                "your_version": version,
                "changed_fields": changed_fields({k: current.get(k) for k in yours}, yours),
                "current": {k: current[k] for k in (*CONTENT_FIELDS, "external_id")},
                "yours": yours,
            }
        )
        raise error from None
    except ArticleError as exc:
        raise _error(exc) from None
    return article_json(session, article)


def _transition(article_id: int, verb: str):
    session = get_session()
    body = _optional_body()
    version = _version(body, required=False)
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise ApiError(400, "comment must be a string", details={"fields": {"comment": "must be a string"}})
    actor = current_actor()
    _load_visible(session, article_id)
    try:
        if verb == "submit":
            article = lifecycle.submit_article(session, actor, article_id, version)
        elif verb == "withdraw":
            article = lifecycle.withdraw_article(session, actor, article_id, version)
        elif verb == "approve":
            article = lifecycle.approve_article(
                session,
                actor,
                article_id,
                comment=comment,
                expected_version=version,
                review_due_days=current_app.config["REVIEW_DUE_DAYS"],
            )
        elif verb == "reject":
            article = lifecycle.reject_article(
                session, actor, article_id, comment or "", expected_version=version
            )
        else:
            article = lifecycle.archive_article(
                session, actor, article_id, comment=comment, expected_version=version
            )
    except ArticleError as exc:
        raise _error(exc) from None
    return article_json(session, article)


@api_bp.post("/articles/<int:article_id>/submit")
@role_required(*WRITERS)
def submit(article_id: int):
    return _transition(article_id, "submit")


@api_bp.post("/articles/<int:article_id>/withdraw")
@role_required(*WRITERS)
def withdraw(article_id: int):
    return _transition(article_id, "withdraw")


@api_bp.post("/articles/<int:article_id>/approve")
@role_required(Role.LEAD)
def approve(article_id: int):
    return _transition(article_id, "approve")


@api_bp.post("/articles/<int:article_id>/reject")
@role_required(Role.LEAD)
def reject(article_id: int):
    return _transition(article_id, "reject")


@api_bp.post("/articles/<int:article_id>/archive")
@role_required(Role.LEAD)
def archive(article_id: int):
    return _transition(article_id, "archive")


@api_bp.post("/articles/<int:article_id>/tickets")
@role_required(*WRITERS)
def link_ticket(article_id: int):
    session = get_session()
    body = json_body()
    try:
        link = feedback.link_ticket(
            session,
            current_actor(),
            article_id,
            body.get("ticket_id"),
            current_app.config["TICKET_ID_PATTERN"],
        )
    except ArticleError as exc:
        raise _error(exc) from None
    return {"article_id": article_id, "ticket_id": link.ticket_id, "reuse": link.reuse}, 201


@api_bp.post("/articles/<int:article_id>/feedback")
@login_required
def rate(article_id: int):
    session = get_session()
    body = json_body()
    try:
        feedback.record_feedback(
            session, current_actor(), article_id, body.get("helpful"), body.get("reason")
        )
    except ArticleError as exc:
        raise _error(exc) from None
    summary = queries.feedback_summary(session, article_id)
    return {"helpful": summary["helpful"], "not_helpful": summary["not_helpful"]}


@api_bp.post("/articles/<int:article_id>/flags")
@login_required
def flag(article_id: int):
    session = get_session()
    body = json_body()
    try:
        item = feedback.flag_outdated(session, current_actor(), article_id, body.get("comment"))
    except ArticleError as exc:
        raise _error(exc) from None
    return {"id": item.id, "article_id": article_id, "comment": item.comment}, 201


@api_bp.get("/articles/<int:article_id>/revisions")
@login_required
def revisions(article_id: int):
    session = get_session()
    article = _load_visible(session, article_id)
    actor = current_actor()
    may_see_all = is_lead(session, actor) or actor.id == article.author_id
    paths = category_paths(session)
    rows = [
        _revision_json(session, r, paths)
        for r in queries.revisions_of(session, article_id)
        if may_see_all
        or r.author_id == actor.id
        or r.status in (RevisionStatus.PUBLISHED, RevisionStatus.SUPERSEDED)
    ]
    return {"article_id": article_id, "revisions": rows}


# OpenAPI --------------------------------------------------------------------------------------

_nullable_str = {"type": "string", "nullable": True}
_INPUT_PROPS = {
    "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX},
    "scenario": {"type": "string", "maxLength": FIELD_MAX},
    "solution": {"type": "string", "maxLength": FIELD_MAX, "description": "Markdown"},
    "notes": {"type": "string", "maxLength": FIELD_MAX},
    "category_id": {"type": "integer", "nullable": True},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 50}, "maxItems": 20},
    "audience": {"type": "string", "enum": [a.value for a in Audience]},
    "external_id": {"type": "string", "maxLength": 100, "nullable": True},
}
_REVISION = openapi.schema(
    "ArticleRevision",
    {
        "type": "object",
        "required": ["id", "number", "status", "title"],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "integer"},
            "status": {"type": "string", "enum": [s.value for s in RevisionStatus]},
            "title": {"type": "string"},
            "scenario": {"type": "string"},
            "solution": {"type": "string"},
            "notes": {"type": "string"},
            "category_id": {"type": "integer", "nullable": True},
            "category": _nullable_str,
            "tags": {"type": "array", "items": {"type": "string"}},
            "audience": {"type": "string"},
            "author_id": {"type": "integer", "nullable": True},
            "review_comment": _nullable_str,
            "reviewer_id": {"type": "integer", "nullable": True},
            "submitted_at": {"type": "string", "format": "date-time", "nullable": True},
            "reviewed_at": {"type": "string", "format": "date-time", "nullable": True},
        },
    },
)
_ARTICLE = openapi.schema(
    "Article",
    {
        "type": "object",
        "required": ["id", "status", "version", "title", "revision"],
        "properties": {
            "id": {"type": "integer"},
            "external_id": _nullable_str,
            "status": {"type": "string", "enum": [s.value for s in ArticleStatus]},
            "version": {"type": "integer"},
            "author_id": {"type": "integer", "nullable": True},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "published_at": {"type": "string", "format": "date-time", "nullable": True},
            "review_due": {"type": "string", "format": "date", "nullable": True},
            "live_revision_id": {"type": "integer", "nullable": True},
            "revision": _REVISION,
            "tickets": {"type": "array", "items": {"type": "string"}},
            "feedback": {
                "type": "object",
                "properties": {"helpful": {"type": "integer"}, "not_helpful": {"type": "integer"}},
            },
            "url": {"type": "string"},
            **{k: v for k, v in _INPUT_PROPS.items() if k != "external_id"},
            "category": _nullable_str,
        },
    },
)
_ID_PARAM = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_CONFLICT = {
    "409": json_response_spec(
        "stale version or not allowed in this state", {"$ref": "#/components/schemas/Error"}
    )
}

openapi.add(
    "/articles",
    "post",
    {
        "summary": "Create a draft article",
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["title"],
                "properties": _INPUT_PROPS,
                "additionalProperties": True,
            }
        ),
        "responses": {
            "201": json_response_spec(
                "created",
                {
                    "type": "object",
                    "required": ["id", "status", "version"],
                    "properties": {
                        "id": {"type": "integer"},
                        "status": {"type": "string", "enum": ["draft"]},
                        "version": {"type": "integer"},
                    },
                },
            ),
            **_CONFLICT,
        },
    },
)
openapi.add(
    "/articles/{id}",
    "get",
    {
        "summary": "Read an article",
        "parameters": _ID_PARAM,
        "responses": {"200": json_response_spec("the article", _ARTICLE)},
    },
)
openapi.add(
    "/articles/{id}",
    "patch",
    {
        "summary": "Edit an article (a published one gets a new revision under review); 409 if version is stale",
        "parameters": _ID_PARAM,
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["version"],
                "properties": {"version": {"type": "integer", "minimum": 1}, **_INPUT_PROPS},
                "additionalProperties": False,
            }
        ),
        "responses": {"200": json_response_spec("the article", _ARTICLE), **_CONFLICT},
    },
)
_TRANSITION_BODY = {
    "type": "object",
    "properties": {
        "version": {"type": "integer", "minimum": 1},
        "comment": {"type": "string", "maxLength": 1000},
    },
}
for _verb, _summary, _required in (
    ("submit", "Submit the working revision for review", []),
    ("withdraw", "Take a submitted revision back to draft", []),
    ("approve", "Publish the revision in review (lead; never the revision's author)", []),
    ("reject", "Reject the revision in review with a comment (lead)", ["comment"]),
    ("archive", "Archive a published article (lead)", []),
):
    openapi.add(
        f"/articles/{{id}}/{_verb}",
        "post",
        {
            "summary": _summary,
            "parameters": _ID_PARAM,
            "requestBody": json_request_spec(
                {**_TRANSITION_BODY, "required": _required}, required=bool(_required)
            ),
            "responses": {"200": json_response_spec("the article", _ARTICLE), **_CONFLICT},
        },
    )
openapi.add(
    "/articles/{id}/tickets",
    "post",
    {
        "summary": "Link the article to a ticket (YYYYMMDD-X001 by default)",
        "parameters": _ID_PARAM,
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["ticket_id"],
                "properties": {"ticket_id": {"type": "string", "maxLength": 64}},
            }
        ),
        "responses": {
            "201": json_response_spec(
                "linked",
                {
                    "type": "object",
                    "required": ["article_id", "ticket_id", "reuse"],
                    "properties": {
                        "article_id": {"type": "integer"},
                        "ticket_id": {"type": "string"},
                        "reuse": {"type": "boolean"},
                    },
                },
            ),
            **_CONFLICT,
        },
    },
)
openapi.add(
    "/articles/{id}/feedback",
    "post",
    {
        "summary": "Vote helpful / not helpful on a published article (one vote per user)",
        "parameters": _ID_PARAM,
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["helpful"],
                "properties": {
                    "helpful": {"type": "boolean"},
                    "reason": {"type": "string", "maxLength": 1000},
                },
            }
        ),
        "responses": {
            "200": json_response_spec(
                "the article's vote counts",
                {
                    "type": "object",
                    "required": ["helpful", "not_helpful"],
                    "properties": {"helpful": {"type": "integer"}, "not_helpful": {"type": "integer"}},
                },
            ),
            **_CONFLICT,
        },
    },
)
openapi.add(
    "/articles/{id}/flags",
    "post",
    {
        "summary": "Flag a published article as outdated",
        "parameters": _ID_PARAM,
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["comment"],
                "properties": {"comment": {"type": "string", "minLength": 1, "maxLength": 1000}},
            }
        ),
        "responses": {
            "201": json_response_spec(
                "flagged",
                {
                    "type": "object",
                    "required": ["id", "article_id", "comment"],
                    "properties": {
                        "id": {"type": "integer"},
                        "article_id": {"type": "integer"},
                        "comment": {"type": "string"},
                    },
                },
            ),
            **_CONFLICT,
        },
    },
)
openapi.add(
    "/articles/{id}/revisions",
    "get",
    {
        "summary": "Revisions of an article, newest first",
        "parameters": _ID_PARAM,
        "responses": {
            "200": json_response_spec(
                "revisions",
                {
                    "type": "object",
                    "required": ["article_id", "revisions"],
                    "properties": {
                        "article_id": {"type": "integer"},
                        "revisions": {"type": "array", "items": _REVISION},
                    },
                },
            )
        },
    },
)
