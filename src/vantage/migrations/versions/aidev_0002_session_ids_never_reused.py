"""Aidev: on SQLite a session's id is never handed out again once a merge deleted it
(AUTOINCREMENT), so an id clients kept cannot name another developer's session.

Revision ID: aidev_0002
Revises: commerce_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "aidev_0002"
down_revision: str | None = "commerce_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild_sessions(*, autoincrement: bool) -> None:
    """Copy ``aidev_sessions`` into a table declared with or without AUTOINCREMENT.

    SQLite cannot add AUTOINCREMENT to a table: batch mode creates the new table, copies every
    row with its id (AUTOINCREMENT then starts above the largest), drops the old table, renames
    the new one and recreates the indexes. PostgreSQL's sequences never hand out an id twice, so
    there is nothing to change.
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # Dropping the old table with foreign keys enforced would set every request's session_id
    # to NULL (ON DELETE SET NULL); the migration's connection leaves them off.
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("rebuilding aidev_sessions needs foreign keys off")
    with op.batch_alter_table(
        "aidev_sessions", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    _rebuild_sessions(autoincrement=True)


def downgrade() -> None:
    _rebuild_sessions(autoincrement=False)
