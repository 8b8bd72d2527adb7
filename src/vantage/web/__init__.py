"""The web UI: dashboards served by Vantage itself, reading only the public API.

Pages are Jinja templates rendered into one shell, each with one ES module; static files are
served under a content-hashed path so browsers may keep them for a year. See docs/WEB.md.
"""

from vantage.web.routes import install_web

__all__ = ["install_web"]
