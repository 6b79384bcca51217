"""Report pages (IQS and the rest, with charts), CSV / XLSX export and the printable quality bulletin."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, render_template, request
from flask_babel import gettext as _

from portal.auth import role_required
from portal.db import get_session
from portal.domain import DomainError
from portal.models import Role
from qa.labels import channel_name
from qa.reports import charts
from qa.reports import figures as rm
from qa.reports import services as reports
from qa.reports.params import date_arg, report_params
from qa.web import bp, local_today, qa_timezone


def _report() -> reports.Report:
    date_from, date_to, group_by = report_params()
    return reports.build(reports.load(get_session(), date_from, date_to, qa_timezone()), group_by)


def _bad_page(message: str):
    return render_template("qa/reports/reports.html", report=None, error=message, tables=[], charts={}), 400


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
    except DomainError as exc:  # BadParams or ReportRangeError: the page says why
        return _bad_page(str(exc))
    return render_template(
        "qa/reports/reports.html",
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
    except DomainError as exc:  # BadParams or ReportRangeError: the page says why
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
    except DomainError as exc:  # BadParams or ReportRangeError: the page says why
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
        anchor = date_arg("date") or local_today()
    except DomainError as exc:  # BadParams or ReportRangeError: the page says why
        return _bad_page(str(exc))
    date_from, date_to = (reports.week_bounds if period == "week" else reports.month_bounds)(anchor)
    data = reports.load(get_session(), date_from, date_to, qa_timezone())
    report = reports.build(data, "agent")
    highlights = rm.best_and_common_problems(data.rows)
    return render_template(
        "qa/reports/bulletin.html",
        report=report,
        period=period,
        highlights=highlights,
        teams=rm.iqs_rows(data.rows, "team"),
        pct=reports.pct,
        trend_chart=charts.line_chart([(g["key"], g["iqs"]) for g in report.trend], _("IQS trend")),
        anchor=anchor,
    )
