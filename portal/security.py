"""Response headers every page gets."""

from __future__ import annotations

from flask import Flask, request, session

# No inline scripts anywhere: every script is a file under static/, so 'unsafe-inline' is never needed.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# A 429 raised without its own wait still tells clients when to come back (RFC 9110 Retry-After).
DEFAULT_RETRY_AFTER_SECONDS = 60


def _carries_credentials() -> bool:
    """A request sent with a login session or a Bearer token: its answer is meant for one user only."""
    return bool(request.headers.get("Authorization")) or "_user_id" in session


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # Pages and API answers for a user must not stay in a shared cache or the browser's history after
        # logout; static files (the same for everyone) stay cacheable.
        endpoint = request.endpoint or ""
        if endpoint != "static" and not endpoint.endswith(".static") and _carries_credentials():
            response.headers["Cache-Control"] = "no-store"
        if response.status_code == 429 and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(DEFAULT_RETRY_AFTER_SECONDS)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
