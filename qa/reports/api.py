"""Reports in the API: ``GET /api/v1/qa/reports/iqs``."""

from __future__ import annotations

from flask import jsonify

from portal.auth import role_required
from portal.contract import Answer, operation
from portal.db import get_session
from portal.models import Role
from qa.reports import figures as rm
from qa.reports import services as reports
from qa.reports.params import report_period
from qa.reports.schemas import IqsParams, IqsReport
from qa.web import api_bp, qa_timezone


@api_bp.get("/qa/reports/iqs")
@role_required(Role.LEAD, Role.QA)
@operation(
    "IQS (mean current evaluation score, calibration and unscored evaluations excluded) per group",
    query=IqsParams,
    responses={200: Answer("IQS rows (empty when the period has no data)", IqsReport)},
)
def api_iqs(query: IqsParams):
    # BadParams / ReportRangeError: 400 in the standard error body
    date_from, date_to, group_by = report_period(query.date_from, query.date_to, query.group_by)
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
