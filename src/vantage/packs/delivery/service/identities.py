"""Developer identities (GitHub login, e-mails, names) for other packs to join their data on."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.delivery.repository import analytics as reads


@dataclass
class DeveloperIdentity:
    """One developer as commits name them: a login when GitHub knows it, else an e-mail."""

    login: str | None
    emails: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        """How other packs name this developer: the login, else the first e-mail."""
        return self.login or min(self.emails)


@dataclass(frozen=True)
class IdentityIndex:
    """The identities by login and by (lower-case) e-mail, to name a commit's author."""

    by_login: dict[str, DeveloperIdentity]
    by_email: dict[str, DeveloperIdentity]

    def of(self, login: str | None, email: str | None) -> DeveloperIdentity | None:
        """The identity a commit's login or e-mail belongs to, if any."""
        found = self.by_login.get(login) if login else None
        return found or (self.by_email.get(email.lower()) if email else None)


async def identity_index(session: AsyncSession, tenant_id: int) -> IdentityIndex:
    """Every commit author and committer of the tenant, merged by login, then by e-mail."""
    by_login: dict[str, DeveloperIdentity] = {}
    by_email: dict[str, DeveloperIdentity] = {}
    rows = sorted(await reads.identities(session, tenant_id), key=lambda r: r[0] is None)
    for login, email, name in rows:
        email = email.lower() if email else None
        identity = by_login.get(login) if login else None
        identity = identity or (by_email.get(email) if email else None)
        if identity is None:
            if not login and not email:
                continue
            identity = DeveloperIdentity(login=login)
        if login:
            by_login.setdefault(login, identity)
        if email:
            identity.emails.add(email)
            by_email.setdefault(email, identity)
        if name:
            identity.names.add(name)
    return IdentityIndex(by_login, by_email)


async def developer_identities(session: AsyncSession, tenant_id: int) -> list[DeveloperIdentity]:
    """Every commit author and committer of the tenant, merged by login, then by e-mail."""
    index = await identity_index(session, tenant_id)
    everyone = [*index.by_login.values(), *index.by_email.values()]
    unique = {id(identity): identity for identity in everyone}
    return sorted(unique.values(), key=lambda i: (i.login or "", sorted(i.emails)))
