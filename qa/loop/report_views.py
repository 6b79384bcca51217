"""Report pages (IQS and the rest, with charts), CSV / XLSX export, the printable quality bulletin and
``GET /api/v1/qa/reports/iqs``."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, jsonify, render_template, request
from flask_babel import gettext as _

from portal.api import ApiError, json_response_spec, openapi
from portal.auth import role_required
from portal.db import get_session
from portal.models import Role
from qa.labels import channel_name
from qa.loop import charts, reports
from qa.loop import report_math as rm
from qa.loop.api import api_bp
from qa.loop.views import bp
from qa.web import local_today, qa_timezone


class BadParams(ValueError):
    pass


def _date_arg(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadParams(f"{name} must be a date (YYYY-MM-DD)") from None


def _params() -> tuple[date, date, str]:
    """from / to (both inclusive; default the current month, or the month of the one given) and group_by."""
    date_from, date_to = _date_arg("from"), _date_arg("to")
    if date_from is None and date_to is None:
        date_from, date_to = reports.month_bounds(local_today())
    elif date_to is None:
        date_to = reports.month_bounds(date_from)[1]
    elif date_from is None:
        date_from = date_to.replace(day=1)
    group_by = request.args.get("group_by") or "agent"
    if group_by not in rm.GROUPS:
        raise BadParams(f"group_by must be one of {', '.join(rm.GROUPS)}")
    try:
        reports.check_range(date_from, date_to)
    except reports.ReportRangeError as exc:
        raise BadParams(str(exc)) from None
    return date_from, date_to, group_by


def _report() -> reports.Report:
    date_from, date_to, group_by = _params()
    return reports.build(reports.load(get_session(), date_from, date_to, qa_timezone()), group_by)


def _bad_page(message: str):
    return render_template("loop/reports.html", report=None, error=message, tables=[], charts={}), 400


def _charts(report: reports.Report) -> dict:
    labels = report.data.labels
    group_title = _("IQS by %(group)s", group=_(report.group_by.capitalize()))

    def label(key):
        if report.group_by == "agent":
            return labels.get(key, key)
        return channel_name(key) if report.group_by == "channel" else (key or "—")

    return {
        "groups": charts.bar_chart(
            [(label(g["key"]), g["iqs"], f"n={g['n']}") for g in report.groups], group_title
        ),
        "trend": charts.line_chart([(g["key"], g["iqs"]) for g in report.trend], _("IQS trend")),
        "failures": charts.bar_chart(
            [(f["criterion"], f["rate"] * 100, f"{f['failed']}/{f['rated']}") for f in report.failures],
            _("Criterion failure rates"),
            target=None,
            bad_below=None,
            bad_above=20.0,
        ),
    }


@bp.get("/qa/reports")
@role_required(Role.LEAD, Role.QA)
def reports_page():
    try:
        report = _report()
    except BadParams as exc:
        return _bad_page(str(exc))
    return render_template(
        "loop/reports.html",
        report=report,
        error=None,
        tables=reports.tables(report, _),
        charts=_charts(report),
        pct=reports.pct,
        args={
            "from": report.data.date_from.isoformat(),
            "to": report.data.date_to.isoformat(),
            "group_by": report.group_by,
        },
        presets=_presets(),
    )


def _presets() -> list[tuple[str, date, date]]:
    today = local_today()
    this_week = reports.week_bounds(today)
    last_week = reports.week_bounds(this_week[0] - timedelta(days=1))
    this_month = reports.month_bounds(today)
    last_month = reports.month_bounds(this_month[0] - timedelta(days=1))
    return [
        (_("This week"), *this_week),
        (_("Last week"), *last_week),
        (_("This month"), *this_month),
        (_("Last month"), *last_month),
    ]


@bp.get("/qa/reports/export.csv")
@role_required(Role.LEAD, Role.QA)
def reports_csv():
    try:
        report = _report()
    except BadParams as exc:
        return _bad_page(str(exc))
    wanted = request.args.get("table", "iqs")
    table = next((t for t in reports.tables(report, _) if t.name == wanted), None)
    if table is None:
        return _bad_page(f"unknown table {wanted!r}")
    name = f"qa-{table.name}-{report.data.date_from}-{report.data.date_to}.csv"
    return Response(
        reports.to_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/qa/reports/export.xlsx")
@role_required(Role.LEAD, Role.QA)
def reports_xlsx():
    try:
        report = _report()
    except BadParams as exc:
        return _bad_page(str(exc))
    title = _("Quality report %(start)s – %(end)s", start=report.data.date_from, end=report.data.date_to)
    name = f"qa-report-{report.data.date_from}-{report.data.date_to}.xlsx"
    return Response(
        reports.to_xlsx(reports.tables(report, _), title),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/qa/reports/bulletin")
@role_required(Role.LEAD)
def bulletin():
    """定期通报服务质量情况: a printable weekly or monthly bulletin (praise the best, list common problems)."""
    period = request.args.get("period", "month")
    if period not in ("week", "month"):
        return _bad_page("period must be week or month")
    try:
        anchor = _date_arg("date") or local_today()
    except BadParams as exc:
        return _bad_page(str(exc))
    date_from, date_to = (reports.week_bounds if period == "week" else reports.month_bounds)(anchor)
    data = reports.load(get_session(), date_from, date_to, qa_timezone())
    report = reports.build(data, "agent")
    highlights = rm.best_and_common_problems(data.rows)
    return render_template(
        "loop/bulletin.html",
        report=report,
        period=period,
        highlights=highlights,
        teams=rm.iqs_rows(data.rows, "team"),
        pct=reports.pct,
        trend_chart=charts.line_chart([(g["key"], g["iqs"]) for g in report.trend], _("IQS trend")),
        anchor=anchor,
    )


# --- API -------------------------------------------------------------------------------------------------


@api_bp.get("/qa/reports/iqs")
@role_required(Role.LEAD, Role.QA)
def api_iqs():
    try:
        date_from, date_to, group_by = _params()
    except BadParams as exc:
        raise ApiError(400, str(exc)) from None
    data = reports.load(get_session(), date_from, date_to, qa_timezone())
    return jsonify(
        {
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "group_by": group_by,
            "rows": rm.iqs_rows(data.rows, group_by),
            "overall": rm.overall_iqs(data.rows),
        }
    )


openapi.add(
    "/qa/reports/iqs",
    "get",
    {
        "summary": "IQS (mean current evaluation score, calibration and unscored evaluations excluded) per group",
        "parameters": [
            {
                "name": "group_by",
                "in": "query",
                "schema": {"type": "string", "enum": list(rm.GROUPS), "default": "agent"},
            },
            {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
            {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
        ],
        "responses": {
            "200": json_response_spec(
                "IQS rows (empty when the period has no data)",
                {
                    "type": "object",
                    "required": ["rows"],
                    "properties": {
                        "from": {"type": "string", "format": "date"},
                        "to": {"type": "string", "format": "date"},
                        "group_by": {"type": "string"},
                        "rows": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["key", "iqs", "n"],
                                "properties": {
                                    "key": {
                                        "type": "string",
                                        "description": "agent username, team, channel, 2024-W47 or 2024-11",
                                    },
                                    "iqs": {"type": "number"},
                                    "n": {"type": "integer"},
                                },
                            },
                        },
                        "overall": {
                            "type": "object",
                            "properties": {
                                "iqs": {"type": "number", "nullable": True},
                                "n": {"type": "integer"},
                            },
                        },
                    },
                },
            )
        },
    },
)
