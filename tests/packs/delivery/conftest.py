from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import ClientFactory, running_client, settings_for
from tests.packs.delivery.scenario import steps
from tests.packs.delivery.support import Team, TeamCredentials, make_credentials, make_team
from tests.support import databases
from tests.support.auth import DEFAULT_TENANT_ID, app_of
from vantage.packs.delivery.pack import build_pack
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.service.github_events import EventApplier
from vantage.packs.delivery.service.webhooks import parse_event
from vantage.packs.delivery.settings import DeliverySettings


@pytest.fixture
async def delivery_client(
    client_for: ClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(database_url, packs=[build_pack()], rate_limit_enabled=False) as client:
        yield client


@pytest.fixture
async def team(delivery_client: httpx.AsyncClient) -> Team:
    return await make_team(delivery_client, DEFAULT_TENANT_ID)


async def load_scenario(team: Team) -> None:
    """Feed the scenario: GitHub events through the event applier, the rest through the API."""
    await team.create_source(["acme/api"])
    database = app_of(team.client).state.database
    async with database.reader() as session:
        repository = await records.repository_named(session, team.tenant_id, "acme/api")
    assert repository is not None
    for step in steps():
        if step.kind in ("deployments", "incidents"):
            response = await team.post(f"/{step.kind}", step.body)
            assert response.status_code == 200, response.text
            continue
        event = parse_event(step.kind, json.dumps(step.body).encode())
        assert event is not None
        async with database.transaction() as session:
            applier = EventApplier(session, team.tenant_id, repository.id, DeliverySettings())
            await applier.apply(event)


class ScenarioSnapshots:
    """The scenario loaded once per database kind in this test process. Each test that wants
    it gets a copy: its own database, restored from the snapshot before its app starts."""

    def __init__(
        self, directory: Path, sqlite_template: Path, postgres: tuple[str, str] | None
    ) -> None:
        self.directory = directory
        self.sqlite_template = sqlite_template
        self.postgres = postgres  # server URL and migrated template, when PostgreSQL is tested
        self.built: dict[str, tuple[str, TeamCredentials]] = {}
        self.postgres_databases: list[str] = []

    def restore(self, database_url: str) -> TeamCredentials:
        """Replace the (not yet opened) database at ``database_url`` by a copy of the snapshot."""
        kind = make_url(database_url).get_backend_name()
        if kind not in self.built:
            self.built[kind] = self._build(kind)
        source, credentials = self.built[kind]
        target = make_url(database_url).database
        assert target is not None
        if kind == "sqlite":
            shutil.copyfile(source, target)
        else:
            assert self.postgres is not None
            databases.recreate_postgres_database(self.postgres[0], target, template=source)
        return credentials

    def _build(self, kind: str) -> tuple[str, TeamCredentials]:
        if kind == "sqlite":
            source = str(self.directory / "scenario.db")
            shutil.copyfile(self.sqlite_template, source)
            url = databases.sqlite_url_for(Path(source))
        else:
            assert self.postgres is not None
            server, template = self.postgres
            source = databases.create_postgres_database(server, template=template)
            self.postgres_databases.append(source)
            url = databases.with_database(server, source)
        credentials = asyncio.run(self._load(url))
        if kind == "sqlite":  # the copies are of the file alone
            with closing(sqlite3.connect(source)) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return source, credentials

    async def _load(self, url: str) -> TeamCredentials:
        settings = settings_for(self.directory / "data", database_url=url, rate_limit_enabled=False)
        async with running_client(settings, [build_pack()]) as client:
            credentials = await make_credentials(client, DEFAULT_TENANT_ID)
            await load_scenario(credentials.team(client))
        return credentials


@pytest.fixture(scope="session")
def scenario_snapshots(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    postgres_server: str | None,
    postgres_template: str | None,
) -> Iterator[ScenarioSnapshots]:
    postgres = (
        (postgres_server, postgres_template) if postgres_server and postgres_template else None
    )
    snapshots = ScenarioSnapshots(
        tmp_path_factory.mktemp("delivery-scenario"), sqlite_template, postgres
    )
    yield snapshots
    for name in snapshots.postgres_databases:
        assert postgres_server is not None
        databases.drop_postgres_database(postgres_server, name)


@pytest.fixture
def scenario_credentials(
    database_url: str, scenario_snapshots: ScenarioSnapshots
) -> TeamCredentials:
    """``database_url`` now holds the scenario; its team's credentials."""
    return scenario_snapshots.restore(database_url)


@pytest.fixture
async def loaded(
    client_for: ClientFactory, database_url: str, scenario_credentials: TeamCredentials
) -> AsyncIterator[Team]:
    """A team whose database (``database_url``) holds the scenario."""
    async with client_for(database_url, packs=[build_pack()], rate_limit_enabled=False) as client:
        yield scenario_credentials.team(client)
