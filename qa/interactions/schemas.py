"""The API's request and response models of interactions (they validate JSON input and generate the
OpenAPI document).

An import is judged record by record: a record the model refuses is reported in ``rejected`` with its
list index, as a record the importer refuses always was, and the good records still land. Times stay text
here because the importer also reads ``YYYY/MM/DD HH:MM`` and bare ``HH:MM`` turn times in the centre's
time zone; an ISO 8601 time is checked to lie between 1900 and 2100.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, RootModel, ValidationError, WrapValidator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from portal.schemas import MAX_DATE, MIN_DATE, Body, Bool, Int, IsoDateTime, Line, Reply, Text
from qa.interactions.records import MAX_TURN_LENGTH, MAX_TURNS


def _year_in_range(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return value  # another spelling the importer knows, or a refusal with its own message
    if not MIN_DATE <= moment.date() <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE} and {MAX_DATE}")
    return value


TimeText = Annotated[
    Line,
    AfterValidator(_year_in_range),
    Field(
        json_schema_extra={"format": "date-time"}, description="ISO 8601; without a zone it is in QA_TIMEZONE"
    ),
]


class TurnIn(Body):
    speaker: Annotated[Line, Field(description="agent, customer or system")]
    at: TimeText | None = None
    text: Annotated[Text, Field(min_length=1, max_length=MAX_TURN_LENGTH)]


class InteractionIn(Body):
    # Further fields (priority, category, ...) go to the importer as they came.
    model_config = ConfigDict(extra="allow")

    ticket_id: Annotated[Line, Field(examples=["20241123-A001"])]
    channel: Annotated[Line, Field(description="phone, chat, email, social, ecommerce or other")]
    agent: Annotated[Line, Field(description="username of the agent")]
    started_at: TimeText
    ended_at: TimeText | None = None
    csat: Annotated[Int, Field(ge=1, le=5)] | None = None
    complaint: Bool | None = None
    transcript: Annotated[list[TurnIn], Field(min_length=1, max_length=MAX_TURNS)]

    def record(self) -> dict[str, Any]:
        """The record as the importer reads it: the fields that were sent, extras included."""
        return self.model_dump(mode="json", exclude_unset=True)


class RecordRefusal:
    """A record the model refused; its message goes to ``rejected`` with the record's index."""

    def __init__(self, error: str):
        self.error = error


def _alone(value: Any, handler: ValidatorFunctionWrapHandler) -> InteractionIn | RecordRefusal:
    try:
        return handler(value)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"])
        return RecordRefusal(f"{where}: {error['msg']}" if where else error["msg"])


class InteractionBatch(
    RootModel[list[Annotated[InteractionIn, WrapValidator(_alone)] | SkipJsonSchema[Any]]]
):
    """A list of interaction records (at most ``MAX_RECORDS``); each is judged on its own."""


class Rejected(Reply):
    index: int
    error: str


class InteractionImportResult(Reply):
    created: int
    ids: list[int]
    rejected: list[Rejected] = Field(description="bad records and skipped duplicates, by list index")
    duplicates: int


class MaskedSpan(Reply):
    start: int
    end: int
    kind: str


class TurnOut(Reply):
    seq: int
    speaker: str
    at: IsoDateTime | None
    text: str = Field(description="masked text")
    masked: list[MaskedSpan]


class Interaction(Reply):
    id: int
    ticket_id: str
    channel: str
    agent: str | None
    started_at: IsoDateTime
    ended_at: IsoDateTime | None
    csat: int | None
    complaint: bool
    masked_values: int
    imported_at: IsoDateTime
    transcript: list[TurnOut]
