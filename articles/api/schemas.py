"""The typed contract of the articles API: request and response models (they generate the OpenAPI
document and validate input; the service verbs still decide what the content may be)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from articles.categories import clean_tags
from articles.content import FIELD_MAX, ArticleInput
from articles.models import (
    EXTERNAL_ID_MAX,
    REASON_MAX,
    TAG_MAX,
    TAGS_PER_ARTICLE_MAX,
    TITLE_MAX,
    ArticleStatus,
    Audience,
    RevisionStatus,
)
from portal.schemas import MAX_ROW_ID, Body, Bool, IsoDate, IsoDateTime, Line, Reply, RowId, Text


def _split_tags(value: Any) -> Any:
    # Import files and old clients send tags as one comma-separated string; it means the same list.
    return clean_tags(value) if isinstance(value, str) else value


Version = Annotated[int, Field(strict=True, ge=1, le=MAX_ROW_ID, description="the version you read")]
LongText = Annotated[Text, Field(max_length=FIELD_MAX)]
Reason = Annotated[Text, Field(max_length=REASON_MAX)]
Tags = Annotated[
    list[Annotated[Text, Field(max_length=TAG_MAX)]],
    BeforeValidator(_split_tags),
    Field(max_length=TAGS_PER_ARTICLE_MAX),
]


class ArticlePath(BaseModel):
    """The article named in the URL; the document calls it ``id`` as it always did."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    article_id: RowId = Field(alias="id")


class TicketLinkPath(ArticlePath):
    ticket_id: Annotated[str, Field(max_length=64)]


class ArticleContent(Body):
    """The editable content; a field left out stays as it is."""

    title: Annotated[Text, Field(min_length=1, max_length=TITLE_MAX)] | None = None
    scenario: LongText | None = None
    solution: Annotated[LongText, Field(description="Markdown")] | None = None
    notes: LongText | None = None
    category_id: RowId | None = None
    tags: Tags | None = None
    audience: Audience | None = None
    external_id: Annotated[Line, Field(max_length=EXTERNAL_ID_MAX)] | None = None

    def to_input(self, *, partial: bool) -> ArticleInput:
        """The service's input: only the fields the client sent (a ``null`` category clears it)."""
        return ArticleInput.from_mapping(self.model_dump(mode="json", exclude_unset=True), partial=partial)

    def sent(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True, exclude={"version"})


class ArticleCreate(ArticleContent):
    title: Annotated[Text, Field(min_length=1, max_length=TITLE_MAX)]


class ArticlePatch(ArticleContent):
    model_config = ConfigDict(extra="forbid")

    version: Version


def _not_null(value: Any) -> Any:
    # Runs only when the key is sent: leaving ``version`` out is allowed, an explicit null is a mistake that
    # would otherwise switch the optimistic lock off.
    if value is None:
        raise ValueError("send the version you read, or leave the key out")
    return value


class Transition(Body):
    version: Annotated[Version | None, BeforeValidator(_not_null)] = None
    comment: Text | None = None


class Rejection(Transition):
    comment: Annotated[Text, Field(max_length=REASON_MAX)]


class TicketLinkIn(Body):
    ticket_id: Annotated[Line, Field(max_length=64, description="YYYYMMDD-X001 by default")]


class FeedbackIn(Body):
    helpful: Bool
    reason: Reason | None = None


class FlagIn(Body):
    comment: Annotated[Reason, Field(min_length=1)]


class ArticleCreated(Reply):
    id: int
    status: ArticleStatus
    version: int


class Votes(Reply):
    helpful: int
    not_helpful: int


class TicketLinked(Reply):
    article_id: int
    ticket_id: str
    reuse: bool


class Flagged(Reply):
    id: int
    article_id: int
    comment: str


class ArticleRevision(Reply):
    id: int
    number: int
    status: RevisionStatus
    title: str
    scenario: str
    solution: str
    notes: str
    category_id: int | None
    category: str | None
    tags: list[str]
    audience: str
    author_id: int | None
    review_comment: str | None
    reviewer_id: int | None
    submitted_at: IsoDateTime | None
    reviewed_at: IsoDateTime | None


class Article(Reply):
    """An article as the caller may see it; the content fields repeat those of ``revision``."""

    id: int
    external_id: str | None
    status: ArticleStatus
    version: int
    author_id: int | None
    created_at: IsoDateTime
    updated_at: IsoDateTime
    published_at: IsoDateTime | None
    review_due: IsoDate | None
    live_revision_id: int | None
    revision: ArticleRevision
    tickets: list[str]
    feedback: Votes
    url: str
    title: str
    scenario: str
    solution: str
    notes: str
    category_id: int | None
    category: str | None
    tags: list[str]
    audience: str


class ArticleRevisions(Reply):
    article_id: int
    revisions: list[ArticleRevision]
