"""API fuzzing with schemathesis against the live application's OpenAPI document.

Every documented operation is called with generated requests (valid and invalid), authenticated as an
admin (who passes every role check).  The checks: no 5xx, documented status codes, documented content
types, and bodies that match the response schemas.  Examples are bounded so the test takes ~1-2 min.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from tests.factories import make_token, make_user

MAX_EXAMPLES = 12
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def _run_operation(operation, headers) -> list[str]:
    failures: list[str] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy())
    def run(case):
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except Exception as exc:  # schemathesis raises one (group) error per failing case; collect them all
            failures.append(f"{operation.label}: {' | '.join(str(exc).split(chr(10))[:12])[:600]}")

    run()
    return failures


@pytest.fixture
def admin_headers(db):
    return {"Authorization": f"Bearer {make_token(db, make_user(db, 'fuzz_admin', ('admin',)))}"}


def test_every_documented_operation_survives_fuzzing(app, admin_headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 1
    failures: list[str] = []
    for operation in operations:
        failures.extend(_run_operation(operation, admin_headers))
    # One line per distinct failure, so a broken operation does not drown the others.
    assert sorted(set(failures)) == []


def test_documented_operations_cover_the_api_routes(app):
    """Every API route is in the OpenAPI document, so the fuzzer reaches all of them."""
    import re

    from tests.security.routes import is_api, methods, rules

    document = app.test_client().get("/api/v1/openapi.json").get_json()

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", path)

    documented = {(shape(path), m.upper()) for path, ops in document["paths"].items() for m in ops}
    missing = []
    for rule in rules(app):
        if not is_api(rule):
            continue
        path = re.sub(r"<[^<>]+>", "{}", rule.rule[len("/api/v1") :])
        for method in methods(rule):
            if (path, method) not in documented:
                missing.append((method, path))
    assert missing == []
