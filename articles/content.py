"""The editable content of an article: parsing it from JSON or a form, and validating it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from articles.categories import clean_tags
from articles.errors import InvalidInput
from articles.models import EXTERNAL_ID_MAX, TITLE_MAX, Audience, Category

FIELD_MAX = 20_000
CONTENT_FIELDS = ("title", "scenario", "solution", "notes", "category_id", "tags", "audience")


@dataclass
class ArticleInput:
    """The editable content of an article; ``None`` in a partial update means 'leave as it is'."""

    title: str | None = None
    scenario: str | None = None
    solution: str | None = None
    notes: str | None = None
    category_id: int | None = None
    tags: list[str] | None = None
    audience: str | None = None
    external_id: str | None = None
    # Set when category_id was given explicitly (also when it is None = 'no category').
    set_category: bool = field(default=False)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, partial: bool) -> ArticleInput:
        """Build from a JSON object or form data, rejecting wrong types with a field-level message."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        for name in ("title", "scenario", "solution", "notes", "audience", "external_id"):
            if name in data and data[name] is not None:
                if not isinstance(data[name], str):
                    errors[name] = "must be a string"
                else:
                    values[name] = data[name]
        if "tags" in data:
            try:
                values["tags"] = clean_tags(data["tags"])
            except InvalidInput as exc:
                errors.update(exc.details.get("fields", {}))
        if "category_id" in data:
            value = data["category_id"]
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                errors["category_id"] = "must be an integer or null"
            else:
                values["category_id"] = value
                values["set_category"] = True
        if not partial and not (values.get("title") or "").strip():
            errors.setdefault("title", "required")
        if errors:
            raise InvalidInput(_l("Some fields are invalid."), details={"fields": errors})
        return cls(**values)


def input_fields() -> tuple[str, ...]:
    return tuple(f.name for f in fields(ArticleInput) if f.name != "set_category")


def validate(session: Session, data: ArticleInput, *, creating: bool) -> dict[str, str]:
    """Normalise ``data`` in place (trimmed title, LF line ends, clean tags); return field → message for
    errors."""
    errors: dict[str, str] = {}
    if data.title is not None:
        data.title = data.title.strip()
        if not data.title:
            errors["title"] = str(_l("A title is required."))
        elif len(data.title) > TITLE_MAX:
            errors["title"] = str(_l("At most %(n)d characters.", n=TITLE_MAX))
    elif creating:
        errors["title"] = str(_l("A title is required."))
    for name in ("scenario", "solution", "notes"):
        value = getattr(data, name)
        if value is not None:
            value = value.replace("\r\n", "\n")
            setattr(data, name, value)
            if len(value) > FIELD_MAX:
                errors[name] = str(_l("At most %(n)d characters.", n=FIELD_MAX))
    if data.tags is not None:
        # Every way in (form, JSON, import, code) stores the same clean names: no " 退货" beside "退货".
        try:
            data.tags = clean_tags(data.tags)
        except InvalidInput as exc:
            errors["tags"] = str(exc)
    if data.audience is not None and data.audience not in {a.value for a in Audience}:
        errors["audience"] = str(_l("Choose internal or public."))
    if data.category_id is not None and session.get(Category, data.category_id) is None:
        errors["category_id"] = str(_l("Unknown category."))
    if data.external_id is not None:
        data.external_id = data.external_id.strip() or None
        if data.external_id and len(data.external_id) > EXTERNAL_ID_MAX:
            errors["external_id"] = str(_l("At most %(n)d characters.", n=EXTERNAL_ID_MAX))
    return errors


def raise_if(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors.values()))
        raise InvalidInput(first, details={"fields": errors})


def merged_content(base: dict[str, Any], data: ArticleInput) -> dict[str, Any]:
    """``base`` (a revision's content) with the fields ``data`` sets replaced."""
    content = dict(base)
    for name in ("title", "scenario", "solution", "notes", "audience"):
        if getattr(data, name) is not None:
            content[name] = getattr(data, name)
    if data.set_category:
        content["category_id"] = data.category_id
    if data.tags is not None:
        content["tags"] = list(data.tags)
    return content


def same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all((sorted(a[k]) == sorted(b[k])) if k == "tags" else a[k] == b[k] for k in CONTENT_FIELDS)
