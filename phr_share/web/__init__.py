"""The web application and JSON API (Flask): ``create_app`` builds it, nothing at import."""

from phr_share.web.app import create_app

__all__ = ["create_app"]
