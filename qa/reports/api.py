"""Reports in the API: ``GET /api/v1/qa/reports/iqs``."""

from __future__ import annotations

from flask import jsonify

from portal.api import json_response_spec, openapi
from portal.auth import role_required
from portal.db import get_session
from portal.models import Role
from qa.reports import figures as rm
from qa.reports import services as reports
from qa.reports.params import report_params
from qa.web import api_bp, qa_timezone


@api_bp.get("/qa/reports/iqs")
@role_required(Role.LEAD, Role.QA)
def api_iqs():
    date_from, date_to, group_by = report_params()  # BadParams: 400 in the standard error body
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
