"""All SQL of authentication: tenants, users, refresh tokens and API keys.

``tenant_by_slug`` stays importable from here for the packs' command-line tools.
"""

from vantage.core.auth.repository.tenants import tenant_by_slug

__all__ = ["tenant_by_slug"]
