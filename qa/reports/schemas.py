"""The API's models of the IQS report: its query parameters and its rows."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from portal.schemas import IsoDate, OptionalDay, Query, Reply


class IqsParams(Query):
    group_by: Literal["agent", "team", "channel", "week", "month"] = "agent"
    date_from: OptionalDay = Field(default=None, alias="from", description="default: the current month")
    date_to: OptionalDay = Field(default=None, alias="to", description="inclusive")


class IqsRow(Reply):
    key: str = Field(description="agent username, team, channel, 2024-W47 or 2024-11")
    iqs: float
    n: int


class IqsOverall(Reply):
    iqs: float | None
    n: int


class IqsReport(Reply):
    date_from: IsoDate = Field(alias="from")
    date_to: IsoDate = Field(alias="to")
    group_by: str
    rows: list[IqsRow]
    overall: IqsOverall
