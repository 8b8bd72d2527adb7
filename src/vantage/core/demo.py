"""Demo set-up: a demo admin with a password random per data directory, and each pack's data."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vantage.config import Settings
from vantage.core.auth.models import Role, User
from vantage.core.auth.repository import tenants as tenant_rows
from vantage.core.auth.repository import users as user_rows
from vantage.core.auth.service.passwords import PasswordHasher
from vantage.core.db import Database
from vantage.core.packs import DemoContext, DemoScale, Pack
from vantage.core.private_files import private_dir

DEMO_ADMIN_EMAIL = "admin@demo.vantage.invalid"
CREDENTIALS_FILE = "demo-admin.json"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str


def _demo_login(data_dir: Path) -> DemoLogin:
    path = data_dir / CREDENTIALS_FILE
    if path.exists():
        stored = json.loads(path.read_text())
        return DemoLogin(email=stored["email"], password=stored["password"])
    login = DemoLogin(email=DEMO_ADMIN_EMAIL, password=secrets.token_urlsafe(18))
    private_dir(data_dir)
    path.touch(mode=0o600)
    path.write_text(json.dumps({"email": login.email, "password": login.password}))
    return login


async def ensure_demo_admin(settings: Settings, database: Database) -> DemoLogin:
    """Create (or repair) the demo admin of this data directory and return its login."""
    login = _demo_login(settings.data_dir)
    hasher = PasswordHasher()
    async with database.transaction() as session:
        tenant = await tenant_rows.default_tenant(session)
        user = await user_rows.user_by_email(session, tenant.id, login.email)
        if user is None:
            user = User(
                tenant_id=tenant.id,
                email=login.email,
                password_hash=await hasher.hash(login.password),
                role=Role.ADMIN.value,
                is_demo=True,
            )
            await user_rows.add_user(session, user)
        elif not await hasher.verify(login.password, user.password_hash):
            user.password_hash = await hasher.hash(login.password)
            user.token_version += 1
        user.active = True
    return login


async def load_pack_demos(
    settings: Settings,
    database: Database,
    packs: list[Pack],
    scale: DemoScale,
    progress_for: Callable[[Pack], Callable[[int, int], None]],
) -> dict[str, str]:
    """Run every enabled pack's demo loader in dependency order; returns each one's summary."""
    async with database.reader() as session:
        tenant = await tenant_rows.default_tenant(session)
    summaries: dict[str, str] = {}
    for pack in packs:
        if pack.demo is None:
            continue
        context = DemoContext(
            settings=settings,
            database=database,
            tenant_id=tenant.id,
            scale=scale,
            progress=progress_for(pack),
        )
        summaries[pack.name] = await pack.demo(context)
    return summaries
