"""Start-up refusals of production mode that need the database."""

from __future__ import annotations

from vantage.config import Settings
from vantage.core.auth.repository import users as user_rows
from vantage.core.db import Database

LISTED_EMAILS = 5


class UnsafeProductionError(RuntimeError):
    """Production mode was asked for in a state that must never serve real traffic."""


async def refuse_unsafe_production(settings: Settings, database: Database) -> None:
    """Raise when production mode would serve with demo logins (their passwords are known)."""
    if not settings.is_production:
        return
    async with database.reader() as session:
        emails = await user_rows.active_demo_user_emails(session)
    if emails:
        more = ", ..." if len(emails) > LISTED_EMAILS else ""
        listed = ", ".join(emails[:LISTED_EMAILS]) + more
        raise UnsafeProductionError(
            f"VANTAGE_ENV=production but {len(emails)} active demo user(s) exist ({listed}). "
            "Demo logins are not secret: delete or deactivate these users, or use a database "
            "that never ran `vantage demo`."
        )
