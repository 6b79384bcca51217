"""Personal data in search queries: agents paste the customer's own words, phone and ID numbers included.

The search log keeps queries for analytics (zero-result queries, top searches), so a query is masked with
the same detectors as conversation transcripts (:mod:`portal.masking`: mainland mobile numbers, resident ID
numbers, bank cards, e-mail addresses, and the admin's extra patterns) before it is stored.  The access
log of ``portal serve`` leaves query strings out for the same reason (:mod:`portal.gunicorn_conf`).
"""

from __future__ import annotations

from sqlmodel import Session

from portal.masking import extra_patterns, mask_text


def mask_logged_query(session: Session, query: str) -> str:
    """``query`` as the search log may store it: personal data masked (``138****5678``)."""
    return mask_text(query, extra_patterns(session)).text
