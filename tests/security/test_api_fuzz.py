"""API fuzzing with schemathesis against the live application's OpenAPI document.

Every documented operation is called with generated requests, authenticated as an admin (who passes every
role check), in both of schemathesis' modes: positive (data the document allows) and negative (data it
forbids, which must be refused with a 4xx, never accepted or crashed on).  The checks: no 5xx, documented
status codes, documented content types, bodies that match the response schemas, and in the negative mode
that invalid data is rejected.  Examples are bounded so the test takes about a minute per mode.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode, checks

from tests.factories import make_token, make_user

MAX_EXAMPLES = 10
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
NEGATIVE_CHECKS = [*CHECKS, checks.negative_data_rejection]


def _run_operation(operation, headers, mode: GenerationMode) -> list[str]:
    checks_of_mode = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else CHECKS
    failures: list[str] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        try:
            case.call_and_validate(headers=headers, checks=checks_of_mode)
        except (Exception, BaseExceptionGroup) as exc:  # one (group) error per failing case; collect them all
            failures.append(
                f"{mode.value} {operation.label}: {' | '.join(str(exc).split(chr(10))[:12])[:600]}"
            )

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # Nothing about the operation can be invalid (e.g. one free-text path part): no negative case exists.
        assert mode is GenerationMode.NEGATIVE, operation.label
    return failures


@pytest.fixture
def admin_headers(db):
    return {"Authorization": f"Bearer {make_token(db, make_user(db, 'fuzz_admin', ('admin',)))}"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_every_documented_operation_survives_fuzzing(app, admin_headers, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # The admin's token is sent on every request, so a "missing Authorization" case would not be one; unknown
    # query parameters are ignored on purpose (proxies and caches add their own).
    schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 1
    failures: list[str] = []
    for operation in operations:
        failures.extend(_run_operation(operation, admin_headers, mode))
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
