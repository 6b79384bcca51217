"""Articles in the API: create, read, edit, the workflow transitions and the revision list."""

from __future__ import annotations

from flask import current_app

from articles import editing, lifecycle, queries
from articles.access import is_lead
from articles.api.common import (
    CONFLICT,
    ID_PARAM,
    WRITERS,
    api_bp,
    api_error,
    load_visible,
    optional_body,
    parse_version,
)
from articles.api.shapes import ARTICLE, INPUT_PROPS, REVISION, article_json, revision_json
from articles.categories import category_paths
from articles.content import CONTENT_FIELDS, ArticleInput, input_fields
from articles.diffing import changed_fields
from articles.errors import StaleVersion
from articles.models import RevisionStatus
from portal.api import ApiError, json_body, json_request_spec, json_response_spec, openapi
from portal.auth import current_actor, login_required, role_required
from portal.db import get_session
from portal.models import Role


@api_bp.post("/articles")
@role_required(*WRITERS)
def create():
    session = get_session()
    body = json_body()
    data = ArticleInput.from_mapping(body, partial=False)
    article = editing.create_article(session, current_actor(), data)
    return {"id": article.id, "status": article.status, "version": article.version}, 201


@api_bp.get("/articles/<int:article_id>")
@login_required
def get(article_id: int):
    session = get_session()
    return article_json(session, load_visible(session, article_id))


@api_bp.patch("/articles/<int:article_id>")
@role_required(*WRITERS)
def patch(article_id: int):
    session = get_session()
    body = json_body()
    version = parse_version(body, required=True)
    unknown = set(body) - {*input_fields(), "version"}
    if unknown:
        raise ApiError(
            400, f"unknown fields: {', '.join(sorted(unknown))}", details={"fields": sorted(unknown)}
        )
    article = load_visible(session, article_id)
    try:
        data = ArticleInput.from_mapping(body, partial=True)
        editing.update_article(session, current_actor(), article_id, data, version)
    except StaleVersion as exc:
        current = article_json(session, article)
        yours = {k: v for k, v in body.items() if k != "version"}
        error = api_error(exc)
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
    return article_json(session, article)


def _transition_input(article_id: int) -> tuple[int | None, str | None]:
    """The optional ``version`` and ``comment`` of a transition; the article must be visible."""
    body = optional_body()
    version = parse_version(body, required=False)
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise ApiError(400, "comment must be a string", details={"fields": {"comment": "must be a string"}})
    load_visible(get_session(), article_id)
    return version, comment


@api_bp.post("/articles/<int:article_id>/submit")
@role_required(*WRITERS)
def submit(article_id: int):
    version, _comment = _transition_input(article_id)
    article = lifecycle.submit_article(get_session(), current_actor(), article_id, version)
    return article_json(get_session(), article)


@api_bp.post("/articles/<int:article_id>/withdraw")
@role_required(*WRITERS)
def withdraw(article_id: int):
    version, _comment = _transition_input(article_id)
    article = lifecycle.withdraw_article(get_session(), current_actor(), article_id, version)
    return article_json(get_session(), article)


@api_bp.post("/articles/<int:article_id>/approve")
@role_required(Role.LEAD)
def approve(article_id: int):
    version, comment = _transition_input(article_id)
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
def reject(article_id: int):
    version, comment = _transition_input(article_id)
    article = lifecycle.reject_article(
        get_session(), current_actor(), article_id, comment or "", expected_version=version
    )
    return article_json(get_session(), article)


@api_bp.post("/articles/<int:article_id>/archive")
@role_required(Role.LEAD)
def archive(article_id: int):
    version, comment = _transition_input(article_id)
    article = lifecycle.archive_article(
        get_session(), current_actor(), article_id, comment=comment, expected_version=version
    )
    return article_json(get_session(), article)


@api_bp.get("/articles/<int:article_id>/revisions")
@login_required
def revisions(article_id: int):
    session = get_session()
    article = load_visible(session, article_id)
    actor = current_actor()
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


openapi.add(
    "/articles",
    "post",
    {
        "summary": "Create a draft article",
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["title"],
                "properties": INPUT_PROPS,
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
            **CONFLICT,
        },
    },
)
openapi.add(
    "/articles/{id}",
    "get",
    {
        "summary": "Read an article",
        "parameters": ID_PARAM,
        "responses": {"200": json_response_spec("the article", ARTICLE)},
    },
)
openapi.add(
    "/articles/{id}",
    "patch",
    {
        "summary": "Edit an article (a published one gets a new revision under review); 409 if version is stale",
        "parameters": ID_PARAM,
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["version"],
                "properties": {"version": {"type": "integer", "minimum": 1}, **INPUT_PROPS},
                "additionalProperties": False,
            }
        ),
        "responses": {"200": json_response_spec("the article", ARTICLE), **CONFLICT},
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
            "parameters": ID_PARAM,
            "requestBody": json_request_spec(
                {**_TRANSITION_BODY, "required": _required}, required=bool(_required)
            ),
            "responses": {"200": json_response_spec("the article", ARTICLE), **CONFLICT},
        },
    )
openapi.add(
    "/articles/{id}/revisions",
    "get",
    {
        "summary": "Revisions of an article, newest first",
        "parameters": ID_PARAM,
        "responses": {
            "200": json_response_spec(
                "revisions",
                {
                    "type": "object",
                    "required": ["article_id", "revisions"],
                    "properties": {
                        "article_id": {"type": "integer"},
                        "revisions": {"type": "array", "items": REVISION},
                    },
                },
            )
        },
    },
)
