"""Knowledge base and quality-inspection portal."""

from portal.app import create_app

__all__ = ["create_app"]
