"""Developer identities merge a login's e-mails and names, and e-mails without a login."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.packs.delivery.support import Team
from tests.support.auth import app_of
from vantage.packs.delivery.repository import commits as commit_rows
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.service.identities import developer_identities

WHEN = datetime(2025, 3, 1, tzinfo=UTC)


def _commit(
    repository_id: int, sha: str, login: str | None, email: str, name: str
) -> dict[str, object]:
    return {
        "tenant_id": 1, "repository_id": repository_id, "sha": sha, "parents": [],
        "subject": "Change", "author_login": login, "author_email": email, "author_name": name,
        "committer_login": None, "committer_email": "noreply@github.com",
        "committer_name": "GitHub",
        "authored_at": WHEN, "committed_at": WHEN,
    }  # fmt: skip


async def test_identities_merge_by_login_then_email(team: Team) -> None:
    database = app_of(team.client).state.database
    async with database.transaction() as session:
        repository = await records.add_repository(session, 1, "acme/api")
        await commit_rows.add_commits(session, [
            _commit(repository.id, "a" * 40, "ada", "ada@acme.test", "Ada"),
            _commit(repository.id, "b" * 40, "ada", "Ada@home.test", "Ada L."),
            _commit(repository.id, "c" * 40, None, "ada@home.test", "Ada"),
            _commit(repository.id, "d" * 40, None, "ken@acme.test", "Ken"),
        ])  # fmt: skip
    async with database.reader() as session:
        found = await developer_identities(session, 1)
    summary = {(i.login, frozenset(i.emails), frozenset(i.names)) for i in found}
    assert summary == {
        ("ada", frozenset({"ada@acme.test", "ada@home.test"}), frozenset({"Ada", "Ada L."})),
        (None, frozenset({"ken@acme.test"}), frozenset({"Ken"})),
        (None, frozenset({"noreply@github.com"}), frozenset({"GitHub"})),
    }
