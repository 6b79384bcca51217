"""Quality reports: read the period's released evaluations and conversations, then let
``qa.reports.figures`` do every figure. Also the export tables (CSV, XLSX) built from the same numbers the
page shows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlmodel import Session, col, func, select

from portal.db import saved_id
from portal.domain import DomainError
from portal.models import User
from qa.evaluations.models import Dispute, Evaluation, EvaluationRating, EvaluationStatus
from qa.interactions.models import Interaction
from qa.labels import channel_name
from qa.reports import figures as rm
from qa.scorecards.models import ScorecardCriterion
from qa.scorecards.scoring import Scale, criterion_score, format_score

MAX_DAYS = 400


class ReportRangeError(DomainError):
    """The period is not usable (end before start, too long)."""


def check_range(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise ReportRangeError("the end date is before the start date")
    if (date_to - date_from).days > MAX_DAYS:
        raise ReportRangeError(f"a report covers at most {MAX_DAYS} days")


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt - timedelta(days=1)


def week_bounds(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _utc_bounds(date_from: date, date_to: date, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(date_from, time.min, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return start, end


@dataclass
class ReportData:
    date_from: date
    date_to: date
    rows: list[rm.EvalRow]
    labels: dict[str, str]  # agent username → display label
    total_by_agent: dict[str, int]
    dispute_statuses: list[str]

    @property
    def empty(self) -> bool:
        return not self.rows and not self.total_by_agent


def load(session: Session, date_from: date, date_to: date, tz: tzinfo) -> ReportData:
    """The period's released, non-calibration evaluations (current scores) and conversation counts."""
    check_range(date_from, date_to)
    start, end = _utc_bounds(date_from, date_to, tz)
    released = [s.value for s in EvaluationStatus if s is not EvaluationStatus.DRAFT]
    found = session.exec(
        select(Evaluation, Interaction, User)
        .join(Interaction, col(Interaction.id) == col(Evaluation.interaction_id))
        .join(User, col(User.id) == col(Evaluation.agent_id))
        .where(
            col(Evaluation.is_calibration).is_(False),
            col(Evaluation.status).in_(released),
            col(Interaction.started_at) >= start,
            col(Interaction.started_at) < end,
        )
        .order_by(col(Evaluation.id))
    ).all()
    ids = [e.id for e, _i, _u in found]
    ratings: dict[int, list[rm.CriterionRating]] = {}
    if ids:
        for r, c in session.exec(
            select(EvaluationRating, ScorecardCriterion)
            .join(ScorecardCriterion, col(ScorecardCriterion.id) == col(EvaluationRating.criterion_id))
            .where(col(EvaluationRating.evaluation_id).in_(ids))
            .order_by(col(ScorecardCriterion.section_id), col(ScorecardCriterion.position))
        ):
            ratings.setdefault(r.evaluation_id, []).append(
                rm.CriterionRating(c.name, criterion_score(Scale(c.scale), r.value), c.critical)
            )
    labels: dict[str, str] = {}
    rows = []
    for e, i, u in found:
        labels[u.username] = u.label
        rows.append(
            rm.EvalRow(
                evaluation_id=saved_id(e),
                agent=u.username,
                team=u.team or "",
                channel=i.channel,
                day=i.started_at.astimezone(tz).date(),
                score=e.score,
                auto_fail=e.auto_fail,
                csat=i.csat,
                status=e.status,
                ratings=tuple(ratings.get(saved_id(e), [])),
            )
        )
    total_by_agent: dict[str, int] = {}
    for username, label, n in session.exec(
        select(col(User.username), col(User.display_name), func.count(col(Interaction.id)))
        .join(User, col(User.id) == col(Interaction.agent_id))
        .where(col(Interaction.started_at) >= start, col(Interaction.started_at) < end)
        .group_by(col(User.username), col(User.display_name))
    ):
        total_by_agent[username] = int(n)
        labels.setdefault(username, label or username)
    statuses = (
        list(session.exec(select(col(Dispute.status)).where(col(Dispute.evaluation_id).in_(ids))))
        if ids
        else []
    )
    return ReportData(date_from, date_to, rows, labels, total_by_agent, statuses)


@dataclass
class Report:
    data: ReportData
    group_by: str
    overall: dict
    groups: list[dict]
    trend_period: str
    trend: list[dict]
    failures: list[dict]
    auto_fail: dict
    disputes: dict
    csat: dict
    coverage: list[dict]
    extra: dict[str, Any] = field(default_factory=dict)


def build(data: ReportData, group_by: str) -> Report:
    """Every figure of the report page from one ``ReportData``."""
    trend_period = "week" if (data.date_to - data.date_from).days <= 62 else "month"
    evaluated: dict[str, int] = {}
    for r in data.rows:
        evaluated[r.agent] = evaluated.get(r.agent, 0) + 1
    return Report(
        data=data,
        group_by=group_by,
        overall=rm.overall_iqs(data.rows),
        groups=rm.iqs_rows(data.rows, group_by),
        trend_period=trend_period,
        trend=rm.iqs_rows(data.rows, trend_period),
        failures=rm.failure_rates(data.rows),
        auto_fail=rm.auto_fail_summary(data.rows),
        disputes=rm.dispute_summary(len(data.rows), data.dispute_statuses),
        csat=rm.csat_correlation(data.rows),
        coverage=rm.coverage(data.total_by_agent, evaluated),
    )


# --- export tables ---------------------------------------------------------------------------------------


def pct(x: float | None) -> str:
    return "—" if x is None else f"{format_score(x * 100)}%"


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


def tables(report: Report, _) -> list[Table]:
    """The report as tables (``_`` translates a msgid); numbers rounded as on the page."""

    def score(x):
        return None if x is None else float(format_score(x))

    def rate(x):
        return None if x is None else float(format_score(x * 100))

    labels = report.data.labels
    group_label = {
        "agent": _("Agent"),
        "team": _("Team"),
        "channel": _("Channel"),
        "week": _("Week"),
        "month": _("Month"),
    }

    def key_label(key: str) -> str:
        if report.group_by == "agent":
            return labels.get(key, key)
        return channel_name(key) if report.group_by == "channel" else (key or "—")

    d = report.disputes
    return [
        Table(
            "iqs",
            _("IQS by %(group)s", group=group_label[report.group_by]),
            [group_label[report.group_by], "IQS", _("Evaluations")],
            [[key_label(g["key"]), score(g["iqs"]), g["n"]] for g in report.groups],
        ),
        Table(
            "trend",
            _("IQS trend"),
            [group_label[report.trend_period], "IQS", _("Evaluations")],
            [[g["key"], score(g["iqs"]), g["n"]] for g in report.trend],
        ),
        Table(
            "criteria",
            _("Criterion failure rates"),
            [_("Criterion"), _("Rated"), _("Below 50"), _("Failure rate (%)")],
            [[f["criterion"], f["rated"], f["failed"], rate(f["rate"])] for f in report.failures],
        ),
        Table(
            "autofail",
            _("Auto-fail reasons"),
            [_("Critical criterion"), _("Auto-fails")],
            [[x["reason"], x["count"]] for x in report.auto_fail["reasons"]],
        ),
        Table(
            "disputes",
            _("Disputes"),
            [
                _("Released"),
                _("Disputed"),
                _("Dispute rate (%)"),
                _("Still open"),
                _("Upheld"),
                _("Adjusted"),
            ],
            [[d["released"], d["disputed"], rate(d["rate"]), d["open"], d["upheld"], d["adjusted"]]],
        ),
        Table(
            "coverage",
            _("Coverage"),
            [_("Agent"), _("Conversations"), _("Evaluated"), _("Coverage (%)")],
            [
                [labels.get(c["agent"], c["agent"]), c["total"], c["evaluated"], rate(c["rate"])]
                for c in report.coverage
            ],
        ),
    ]


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark so that Excel opens the Chinese text correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(["" if v is None else _safe(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(report_tables: list[Table], title: str) -> bytes:
    """One sheet per table, a bold header row; numbers stay numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for table in report_tables:
        ws = wb.create_sheet(table.title[:31].replace("/", "-"))
        ws.append(table.headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            ws.append(["" if v is None else _safe(v) for v in row])
        for i, header in enumerate(table.headers, start=1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, len(str(header)) * 2 + 2)
    wb.properties.title = title
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _safe(value: Any) -> Any:
    # A text cell starting with = + - @ would be run as a formula by the spreadsheet (CSV/formula injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
