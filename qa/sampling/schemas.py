"""The API's request and response models of sampling plans (they validate JSON input and generate the
OpenAPI document; ``services.create_plan`` still decides whether a plan makes sense)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from portal.schemas import Body, Bool, Int, Line, OptionalDay, Reply, RowId
from qa.sampling.services import MAX_QUOTA, MAX_SEED, PlanInput

Csat = Annotated[Int, Field(ge=1, le=5)]
Quota = Annotated[Int, Field(ge=0, le=MAX_QUOTA)]


class AlwaysInclude(Body):
    """Interactions sampled whatever the quota (per agent at most ``cap``)."""

    complaints: Bool = False
    csat_at_most: Csat | None = None
    cap: Annotated[Quota, Field(description="per agent")] | None = None


class SamplingPlanIn(Body):
    name: Annotated[Line, Field(max_length=200)]
    period: Literal["week", "month", "custom"] = Field(
        default="custom", description="week/month with only `from`: the week (Mon–Sun) or month containing it"
    )
    date_from: OptionalDay = Field(default=None, alias="from")
    date_to: OptionalDay = Field(default=None, alias="to", description="inclusive")
    quota_per_agent: Quota = 5
    channels: list[Line] = Field(default_factory=list)
    agents: list[Line] = Field(default_factory=list, description="usernames")
    team: Annotated[Line, Field(max_length=64)] | None = None
    csat_at_most: Csat | None = None
    complaints_only: Bool = False
    always_include: AlwaysInclude | None = None
    seed: Annotated[Int, Field(ge=0, le=MAX_SEED)] | None = Field(
        default=None, description="random when not given"
    )
    graders: list[Line] = Field(default_factory=list, description="QA usernames; none = you")
    due_days: Annotated[Int, Field(ge=0, le=365)] = 7
    scorecard_id: RowId | None = None

    def to_input(self, date_from: Any, date_to: Any) -> PlanInput:
        always = self.always_include or AlwaysInclude()
        return PlanInput(
            name=self.name,
            period_kind=self.period,
            date_from=date_from,
            date_to=date_to,
            quota_per_agent=self.quota_per_agent,
            channels=self.channels,
            agents=self.agents,
            team=self.team,
            csat_at_most=self.csat_at_most,
            complaints_only=self.complaints_only,
            always_complaints=always.complaints,
            always_csat_at_most=always.csat_at_most,
            always_cap=always.cap,
            seed=self.seed,
            graders=self.graders,
            due_days=self.due_days,
            scorecard_id=self.scorecard_id,
        )


class PlanCreated(Reply):
    id: int
    seed: int


class SampleItem(Reply):
    interaction_id: int
    ticket_id: str | None
    agent: str
    channel: str
    reason: str = Field(description="complaint, low_csat or random")
    grader: str | None


class AgentSample(Reply):
    agent: str
    population: int
    sampled: int
    always_included: int
    random_sampled: int
    margin_of_error: float | None = Field(
        description="95 % margin of error of a failure rate (proportion, finite-population corrected) for the "
        "random part; null when nothing random was drawn"
    )


class SamplingDraw(Reply):
    seed: int
    sample: list[SampleItem]
    per_agent: list[AgentSample]
