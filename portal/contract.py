"""The HTTP contract, written once: each API operation declares pydantic models for its path, query, body
and answers; the same models validate the request and generate ``/api/v1/openapi.json``.

A view is declared like this::

    @api_bp.post("/articles/<int:article_id>/feedback")
    @login_required
    @operation("Vote on an article", path=ArticlePath, body=FeedbackIn, responses={200: Answer("counts", Votes)})
    def rate(article_id: int, body: FeedbackIn) -> Votes: ...

The decorator reads and validates the input before the view runs (the view receives ``query=`` and
``body=`` as model instances) and serialises a returned model. Input a model refuses is a 400 whose
``details`` name the field, so a view never sees a value of the wrong type.

Why not spectree or flask-openapi3: see "The HTTP contract" in docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, get_origin

from flask import Flask, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError, create_model
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode
from werkzeug.exceptions import NotFound
from werkzeug.routing import Rule

from portal.api import API_PREFIX, ApiError, bp, json_body
from portal.auth import access_of, public
from portal.domain import ERROR_CODES
from portal.schemas import MAX_ROW_ID, Error, RowId

REF = "#/components/schemas/{model}"
# Every operation may answer these; the document says so without each declaration repeating it.
COMMON_ERRORS = (400, 401, 403, 404, 429)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Answer:
    """One documented response: a description and the model of its JSON body (none for 204)."""

    description: str
    model: type[BaseModel] | None = None


@dataclass(frozen=True)
class Operation:
    summary: str
    responses: Mapping[int, Answer]
    description: str | None = None
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    path: type[BaseModel] | None = None
    invalid_code: str = "bad_request"
    guard: Callable[..., Any] | None = None


def operation(
    summary: str,
    *,
    responses: Mapping[int, Answer],
    description: str | None = None,
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    query: type[BaseModel] | None = None,
    path: type[BaseModel] | None = None,
    invalid_code: str = "bad_request",
    guard: Callable[..., Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API operation. ``path`` validates the URL's parts (a part it refuses names nothing:
    404); ``query`` and ``body`` are validated and passed to the view as ``query=`` and ``body=``;
    ``invalid_code`` is the error code of a refused input (some resources kept their own). ``guard`` is
    called with the URL's parts before the input is read: a check that the caller may see the object the
    URL names, so that someone else's object is a 404 whatever the body says."""
    op = Operation(
        summary=summary,
        responses=responses,
        description=description,
        body=body,
        body_required=body_required,
        query=query,
        path=path,
        invalid_code=invalid_code,
        guard=guard,
    )

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if op.path is not None:
                try:
                    op.path.model_validate(kwargs)
                except ValidationError:
                    raise NotFound() from None
            if op.guard is not None:
                op.guard(**kwargs)
            if op.query is not None:
                kwargs["query"] = validate(op.query, _query_values(op.query), code=op.invalid_code)
            if op.body is not None:
                kwargs["body"] = validate(op.body, _body_value(op), code=op.invalid_code)
            return _render(view(*args, **kwargs))

        wrapped.api_operation = op  # type: ignore[attr-defined]
        return wrapped

    return decorator


def id_path(name: str) -> type[BaseModel]:
    """The path model of a URL with one row id, ``<int:name>``, documented as ``{id}`` as it always was."""
    model: type[BaseModel] = create_model(
        f"{name.title().replace('_', '')}Path",
        __config__=ConfigDict(validate_by_name=True, validate_by_alias=True),
        **{name: (RowId, Field(alias="id"))},  # type: ignore[call-overload]
    )
    return model


def validate(model: type[M], data: Any, *, code: str = "bad_request") -> M:
    """``data`` as an instance of ``model``, or the 400 that names the first refused field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise refusal(exc, code=code) from None


def refusal(exc: ValidationError, *, code: str = "bad_request") -> ApiError:
    problems = [
        {"field": field_path(error["loc"]), "message": error["msg"]}
        for error in exc.errors(include_url=False, include_context=False, include_input=False)
    ]
    first = problems[0]
    where = f"{first['field']}: " if first["field"] else ""
    return ApiError(
        400, f"{where}{first['message']}", code=code, details={"field": first["field"], "problems": problems}
    )


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("ratings", 0, "criterion_id")`` → ``ratings[0].criterion_id``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _is_list(annotation: Any) -> bool:
    return get_origin(annotation) is list or annotation is list


def _query_values(model: type[BaseModel]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in request.args:
            values[key] = request.args.getlist(key) if _is_list(info.annotation) else request.args[key]
    return values


def _body_value(op: Operation) -> Any:
    if not op.body_required and not request.get_data():
        return {}
    model = op.body
    root = model.model_fields.get("root") if model is not None and issubclass(model, RootModel) else None
    return json_body(list if root is not None and _is_list(root.annotation) else dict)


def _render(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return jsonify(result.model_dump(mode="json", by_alias=True))
    if isinstance(result, tuple) and result and isinstance(result[0], BaseModel):
        return (_render(result[0]), *result[1:])
    return result


# --- the document -------------------------------------------------------------------------------------


class _Generator(GenerateJsonSchema):
    """Pydantic's JSON Schema without a title on every field (the field's name says it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


class _Components:
    """The named schemas of the document; two different models may not share a name."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def keep(self, name: str, schema: dict[str, Any]) -> None:
        if self.schemas.setdefault(name, schema) != schema:
            raise RuntimeError(f"two different API models are both named {name!r}: rename one")

    def inline(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        schema = model.model_json_schema(ref_template=REF, schema_generator=_Generator, mode=mode)
        for name, sub in schema.pop("$defs", {}).items():
            self.keep(name, sub)
        return schema

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, str]:
        name = model.__name__
        self.keep(name, self.inline(model, mode))
        return {"$ref": REF.format(model=name)}


_PART = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _path_parameters(rule: Rule, op: Operation, parts: _Components) -> tuple[str, list[dict[str, Any]]]:
    props: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    if op.path is not None:
        props = parts.inline(op.path, "validation").get("properties", {})
        aliases = {name: info.alias or name for name, info in op.path.model_fields.items()}
    params: list[dict[str, Any]] = []

    def part(match: re.Match[str]) -> str:
        converter, name = match[1] or "default", match[2]
        key = aliases.get(name, name)
        schema = props.get(key)
        if schema is None:
            is_int = converter == "int"
            schema = (
                {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID} if is_int else {"type": "string"}
            )
        params.append({"name": key, "in": "path", "required": True, "schema": schema})
        return "{" + key + "}"

    return _PART.sub(part, rule.rule[len(API_PREFIX) :]), params


def _query_parameters(op: Operation, parts: _Components) -> list[dict[str, Any]]:
    if op.query is None:
        return []
    schema = parts.inline(op.query, "validation")
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        param = {"name": name, "in": "query", "required": name in required}
        if "description" in prop:
            param["description"] = prop.pop("description")
        params.append({**param, "schema": prop})
    return params


def _operation_object(
    endpoint: str, rule: Rule, view: Callable[..., Any], op: Operation, parts: _Components
) -> tuple[str, dict[str, Any]]:
    path, params = _path_parameters(rule, op, parts)
    spec: dict[str, Any] = {"summary": op.summary, "operationId": endpoint}
    if op.description:
        spec["description"] = op.description
    params += _query_parameters(op, parts)
    if params:
        spec["parameters"] = params
    if op.body is not None:
        spec["requestBody"] = {
            "required": op.body_required,
            "content": _json(parts.inline(op.body, "validation")),
        }
    error = parts.ref(Error, "serialization")
    responses: dict[str, Any] = {}
    for status, answer in sorted(op.responses.items()):
        entry: dict[str, Any] = {"description": answer.description}
        if answer.model is not None:
            entry["content"] = _json(parts.ref(answer.model, "serialization"))
        elif status >= 400:
            entry["content"] = _json(error)
        responses[str(status)] = entry
    for status in (*COMMON_ERRORS, *((415,) if op.body is not None else ())):
        responses.setdefault(str(status), {"description": ERROR_CODES[status], "content": _json(error)})
    spec["responses"] = responses
    access = access_of(view)
    if access is not None and access.kind == "public":
        spec["security"] = []
    return path, spec


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every declared operation of ``app``."""
    parts = _Components()
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op: Operation | None = getattr(view, "api_operation", None)
        if view is None or op is None:
            continue
        path, spec = _operation_object(rule.endpoint, rule, view, op, parts)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = spec
    return {
        "openapi": "3.1.0",
        "info": {"title": "Knowledge base and quality-inspection portal", "version": "1"},
        "servers": [{"url": API_PREFIX}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(parts.schemas.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


@bp.get("/openapi.json")
@public
@operation("This OpenAPI document", responses={200: Answer("the document")})
def openapi_document() -> Any:
    document = current_app.extensions.get("portal.openapi_document")
    if document is None:
        document = current_app.extensions["portal.openapi_document"] = build_document(current_app)
    return jsonify(document)
