"""Who may use each endpoint, reviewed by hand against DESIGN.md's role table.

The role matrix compares every route's declared rule with this table, so a route that is more open than
intended (say ``login_required`` on an admin page) fails even though it "declares" a rule.  A new
endpoint fails until it is added here: decide who may use it, then add one line.

Values: ``PUBLIC``, ``LOGIN`` (any logged-in user), or a tuple of roles (admin always passes).
"""

from __future__ import annotations

PUBLIC = "public"
LOGIN = "login"
AGENT = ("agent",)  # agents and every role above them that the design lists explicitly
LEAD = ("lead",)
QA = ("qa",)
ADMIN = ("admin",)

POLICY: dict[str, str | tuple[str, ...]] = {
    # shell
    "portal.healthz": PUBLIC,
    "portal.login": PUBLIC,
    "portal.set_language": PUBLIC,
    "api.openapi_document": PUBLIC,
    "portal.index": LOGIN,
    "portal.logout": LOGIN,
    "portal.account": LOGIN,
    "portal.create_token": LOGIN,
    "portal.revoke_token": LOGIN,
    "notifications.index": LOGIN,
    "notifications.open_note": LOGIN,
    "notifications.read_all": LOGIN,
    "admin.users": ADMIN,
    "admin.new_user": ADMIN,
    "admin.edit_user": ADMIN,
    "admin.audit_log": ADMIN,
}


def expected(endpoint: str) -> tuple[str, frozenset[str]] | None:
    """(kind, roles) as in ``portal.auth.Access``, or None for an endpoint nobody has reviewed yet."""
    rule = POLICY.get(endpoint)
    if rule is None:
        return None
    if rule in (PUBLIC, LOGIN):
        return ("public" if rule == PUBLIC else "login", frozenset())
    return ("roles", frozenset(rule))
