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
    "portal.favicon": PUBLIC,
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
    # knowledge base: agents and leads write, leads review; everyone logged in reads
    "articles.index": LOGIN,
    "articles.view": LOGIN,  # object rule: drafts only for their author and leads (IDOR tests)
    "articles.history": LOGIN,  # object rule as for view
    "articles.attachment": LOGIN,  # object rule as for view
    "articles.flag": LOGIN,
    "articles.rate": LOGIN,
    "articles.mine": ("agent", "lead"),
    "articles.new": ("agent", "lead"),
    "articles.edit": ("agent", "lead"),
    "articles.submit": ("agent", "lead"),
    "articles.withdraw": ("agent", "lead"),
    "articles.restore": ("agent", "lead"),
    "articles.upload": ("agent", "lead"),
    "articles.link_ticket": ("agent", "lead"),
    "articles.unlink_ticket": ("agent", "lead"),  # object rule: own link, or a lead
    "articles.queue": LEAD,
    "articles.review": LEAD,
    "articles.approve": LEAD,
    "articles.reject": LEAD,
    "articles.archive": LEAD,
    "articles.reverify": LEAD,
    "articles.verification": LEAD,
    "articles_admin.index": ADMIN,
    "articles_admin.create": ADMIN,
    "articles_admin.rename": ADMIN,
    "articles_admin.delete": ADMIN,
    "articles_admin.rename_tag": ADMIN,
    "articles_admin.delete_tag": ADMIN,
    "articles_api.get": LOGIN,
    "articles_api.revisions": LOGIN,
    "articles_api.flag": LOGIN,
    "articles_api.rate": LOGIN,
    "articles_api.create": ("agent", "lead"),
    "articles_api.patch": ("agent", "lead"),
    "articles_api.submit": ("agent", "lead"),
    "articles_api.withdraw": ("agent", "lead"),
    "articles_api.link_ticket": ("agent", "lead"),
    "articles_api.unlink_ticket": ("agent", "lead"),  # object rule: own link, or a lead
    "articles_api.approve": LEAD,
    "articles_api.reject": LEAD,
    "articles_api.archive": LEAD,
    # search
    "search.search": ("agent", "lead", "qa"),
    "search.click": ("agent", "lead", "qa"),
    "search.analytics": LEAD,
    "search.synonyms": ADMIN,
    "search_api.search": ("agent", "lead", "qa"),
    "search_similar.duplicates": ("agent", "lead"),  # possible duplicates while writing an article
    # quality inspection: QA specialists work, leads read for disputes, admins set masking
    "qa.interactions": ("lead", "qa"),
    "qa.interaction": ("lead", "qa"),
    "qa.import_interactions": QA,
    "qa.masking": ADMIN,
    "qa.toggle_masking": ADMIN,
    "qa.queue": QA,
    "qa.evaluate": QA,
    "qa.evaluation_view": LOGIN,  # object rule: an agent sees only their own evaluations (IDOR tests)
    "qa.plan_list": QA,
    "qa.plan_new": QA,
    "qa.plan_detail": QA,
    "qa.plan_draw": QA,
    "qa.scorecard_list": QA,
    "qa.scorecard_new": QA,
    "qa.scorecard_edit": QA,
    "qa.scorecard_detail": ("lead", "qa"),
    "qa_api.create_interactions": QA,
    "qa_api.get_interaction": ("lead", "qa"),
    "qa_api.create_scorecard": QA,
    "qa_api.get_scorecard": ("lead", "qa"),
    "qa_api.create_sampling_plan": QA,
    "qa_api.draw_sampling_plan": QA,
    "qa_api.create_evaluation": QA,
    "qa_api.get_evaluation": LOGIN,  # object rule as for qa.evaluation_view
    # quality loop: agents answer their own evaluations, leads arbitrate, QA calibrates
    "qa.my_evaluations": AGENT,
    "qa.feedback": LOGIN,  # object rule: the evaluated agent, QA and leads only (IDOR tests)
    "qa.acknowledge": LOGIN,  # object rule as for qa.feedback
    "qa.dispute": LOGIN,  # object rule as for qa.feedback
    "qa.resolve": LEAD,
    "qa.disputes": LEAD,
    "qa.bulletin": LEAD,
    "qa.reports_page": ("lead", "qa"),
    "qa.reports_csv": ("lead", "qa"),
    "qa.reports_xlsx": ("lead", "qa"),
    "qa.calibrations": ("lead", "qa"),
    "qa.calibration": ("lead", "qa"),
    "qa.calibration_rate": ("lead", "qa"),
    "qa.calibration_new": QA,
    "qa.calibration_close": QA,
    "kcs.dashboard": LEAD,
    "qa.ticket": LOGIN,  # must show an agent only what that agent may see of the ticket
    "qa.ticket_lookup": LOGIN,
    "qa_api.acknowledge": LOGIN,
    "qa_api.dispute": LOGIN,
    "qa_api.resolve": LEAD,
    "qa_api.api_create_calibration": QA,
    "qa_api.api_get_calibration": ("lead", "qa"),
    "qa_api.api_calibration_ratings": ("lead", "qa"),
    "qa_api.api_close_calibration": QA,
    "qa_api.api_iqs": ("lead", "qa"),
    "qa_api.ticket": LOGIN,
}


def expected(endpoint: str) -> tuple[str, frozenset[str]] | None:
    """(kind, roles) as in ``portal.auth.Access``, or None for an endpoint nobody has reviewed yet."""
    rule = POLICY.get(endpoint)
    if rule is None:
        return None
    if rule in (PUBLIC, LOGIN):
        return ("public" if rule == PUBLIC else "login", frozenset())
    return ("roles", frozenset(rule))
