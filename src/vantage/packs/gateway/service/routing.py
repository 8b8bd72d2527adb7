"""From what the client names (`specialist:<slug>` or `<provider>/<model>`) to upstream calls."""

from __future__ import annotations

from dataclasses import dataclass

from vantage.core.auth.principal import Principal
from vantage.core.errors import Forbidden, NotFound, ValidationFailed
from vantage.packs.gateway.domain.config_file import ROUTE_PATTERN
from vantage.packs.gateway.providers.base import ChatMessage, ProviderRequest
from vantage.packs.gateway.providers.registry import ProviderRegistry
from vantage.packs.gateway.service.attempts import Target
from vantage.packs.gateway.service.identity import effective_role
from vantage.packs.gateway.service.specialists import SpecialistDirectory, SpecialistView
from vantage.packs.gateway.settings import GatewaySettings

SPECIALIST_PREFIX = "specialist:"


@dataclass(frozen=True)
class ChatInput:
    """A chat call as the client asked for it, before routing."""

    model: str
    messages: tuple[ChatMessage, ...]
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    end_user: str | None = None
    session_id: str | None = None

    def prompt_texts(self, specialist_prompt: str | None = None) -> list[str]:
        texts = [t for t in (specialist_prompt, self.system) if t]
        return texts + [m.content for m in self.messages]


@dataclass(frozen=True)
class RoutePlan:
    targets: list[Target]
    request: ProviderRequest
    specialist: SpecialistView | None

    @property
    def primary(self) -> Target:
        return self.targets[0]


def _parse_target(route: str, loc: tuple[str, ...]) -> Target:
    match = ROUTE_PATTERN.match(route)
    if match is None:
        raise ValidationFailed.field(
            loc, "name a specialist as specialist:<slug> or a model as <provider>/<model>"
        )
    return Target(match.group(1), match.group(2))


def _join_system(*parts: str | None) -> str | None:
    joined = "\n\n".join(part for part in parts if part)
    return joined or None


class Router:
    """Resolves routes against the specialists and the configured providers."""

    def __init__(
        self,
        settings: GatewaySettings,
        registry: ProviderRegistry,
        specialists: SpecialistDirectory,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._specialists = specialists

    async def plan(
        self, principal: Principal, chat: ChatInput, loc: tuple[str, ...] = ("body", "model")
    ) -> RoutePlan:
        """The targets and the upstream request; 404/403/422 problems for bad routes."""
        if chat.model.startswith(SPECIALIST_PREFIX):
            return await self._specialist_plan(principal, chat, loc)
        return self._direct_plan(chat, loc)

    async def _specialist_plan(
        self, principal: Principal, chat: ChatInput, loc: tuple[str, ...]
    ) -> RoutePlan:
        slug = chat.model.removeprefix(SPECIALIST_PREFIX)
        specialist = await self._specialists.get(principal.tenant_id, slug)
        if specialist is None or not specialist.active:
            raise NotFound(f"specialist {slug!r} does not exist", extra={"model": chat.model})
        if specialist.allowed_roles and effective_role(principal) not in specialist.allowed_roles:
            raise Forbidden(f"your role may not use specialist {slug!r}")
        targets = [Target(specialist.provider, specialist.model)]
        targets += [_parse_target(route, loc) for route in specialist.fallbacks]
        request = ProviderRequest(
            model=specialist.model,
            messages=chat.messages,
            system=_join_system(specialist.system_prompt, chat.system),
            max_tokens=chat.max_tokens or specialist.max_tokens,
            temperature=chat.temperature
            if chat.temperature is not None
            else specialist.temperature,
            top_p=chat.top_p if chat.top_p is not None else specialist.top_p,
            stop=chat.stop,
        )
        return RoutePlan(targets, request, specialist)

    def _direct_plan(self, chat: ChatInput, loc: tuple[str, ...]) -> RoutePlan:
        target = _parse_target(chat.model, loc)
        if not self._settings.direct_routing:
            raise Forbidden("direct model routing is turned off; name a specialist:<slug>")
        provider = self._registry.get(target.provider)
        if provider is None:
            raise NotFound(f"no provider named {target.provider!r}", extra={"model": chat.model})
        if provider.info.models and target.model not in provider.info.models:
            raise NotFound(
                f"provider {target.provider!r} does not offer model {target.model!r}",
                extra={"model": chat.model},
            )
        request = ProviderRequest(
            model=target.model,
            messages=chat.messages,
            system=chat.system,
            max_tokens=chat.max_tokens,
            temperature=chat.temperature,
            top_p=chat.top_p,
            stop=chat.stop,
        )
        return RoutePlan([target], request, None)
