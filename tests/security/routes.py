"""Walking ``app.url_map``: concrete paths for every rule, the principals of the role matrix."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import Flask
from werkzeug.routing import Rule

from portal.auth import Access, access_of

ROLES = ("agent", "lead", "qa", "admin")
# Placeholder values sit behind the access check; an ID no test creates keeps object lookups at 404.
MISSING_ID = "987654"
TICKET_ID = "20240315-A001"
_CONVERTER = re.compile(r"<(?:(?P<conv>[^:<>()]+)(?:\([^<>]*\))?:)?(?P<name>[^<>]+)>")


def rules(app: Flask) -> Iterator[Rule]:
    """Every routed endpoint except static files."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        yield rule


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def is_api(rule: Rule) -> bool:
    return rule.rule.startswith("/api/")


def access(app: Flask, rule: Rule) -> Access:
    found = access_of(app.view_functions[rule.endpoint])
    assert found is not None, f"{rule.endpoint} declares no access rule"
    return found


def concrete_path(rule: Rule, values: dict[str, str] | None = None) -> str:
    """The rule's path with every variable filled: ``values`` first, then a harmless placeholder."""
    values = values or {}

    def fill(match: re.Match) -> str:
        name, conv = match.group("name"), match.group("conv") or "default"
        if name in values:
            return str(values[name])
        if conv == "int":
            return MISSING_ID
        if name == "ticket_id":
            return TICKET_ID
        if conv == "path":
            return "missing/file.png"
        return "missing"

    return _CONVERTER.sub(fill, rule.rule)


def allowed(access_rule: Access, role: str | None) -> bool:
    return access_rule.allows(None if role is None else {role})
