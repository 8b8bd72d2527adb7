from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from tests.packs.trading.support import Recorder
from vantage.config import Settings
from vantage.core.db import Database
from vantage.core.models import import_all_models


@pytest.fixture
async def database(
    database_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[Database]:
    """A migrated database of each kind (SQLite and PostgreSQL)."""
    import_all_models()
    db = Database(make_settings(database_url=database_url))
    yield db
    await db.dispose()


@pytest.fixture
def recorder(database: Database) -> Recorder:
    return Recorder(database)
