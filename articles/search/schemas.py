"""The typed contract of ``GET /api/v1/search``: its query parameters and its page of results."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from portal.schemas import Query, QueryBool, Reply

MAX_LIMIT = 100
MAX_OFFSET = 10_000


class SearchParams(Query):
    """Any query text is accepted, control characters too: the engine normalises it, and a pasted chat
    line with odd bytes should still find something."""

    q: Annotated[str, Field(description="free text, Chinese and/or English; cut to 200 characters")] = ""
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="page size")] = 10
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET, description="results to skip")] = 0
    category: Annotated[str, Field(description="exact category path, e.g. 咨询 › 产品功能咨询")] | None = None
    tag: Annotated[str, Field(description="exact tag")] | None = None
    include_unpublished: Annotated[QueryBool, Field(description="leads only")] = False


class SearchHit(Reply):
    id: int
    external_id: str | None
    title: str
    snippet: str = Field(description="HTML: the text is escaped, matches are in <mark>")
    score: float
    url: str
    category: str | None
    tags: list[str]
    status: str = Field(description="published, or in_review / draft when a lead includes unpublished")


class SearchResults(Reply):
    query: str
    total: int = Field(ge=0)
    results: list[SearchHit]
    suggestion: str | None = Field(description="did you mean")
