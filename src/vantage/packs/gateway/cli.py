"""``vantage gateway ...``: check the config files, replay the usage spool."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from vantage.config import load_settings
from vantage.core.db import Database
from vantage.packs.gateway.domain.config_file import ConfigError, load_config
from vantage.packs.gateway.domain.pricing import load_pricing
from vantage.packs.gateway.settings import GatewaySettings

cli = typer.Typer(no_args_is_help=True, help="LLM gateway commands")


@cli.command("check-config")
def check_config() -> None:
    """Validate VANTAGE_GATEWAY_CONFIG and VANTAGE_GATEWAY_PRICING_FILE and summarise them."""
    gateway = GatewaySettings()
    settings = load_settings()
    try:
        config = load_config(gateway.config, production=settings.is_production)
        pricing = load_pricing(
            gateway.pricing_file, include_defaults=gateway.pricing_include_defaults
        )
    except ConfigError as error:
        typer.echo(f"invalid: {error}", err=True)
        raise typer.Exit(2) from error
    typer.echo(f"config: {gateway.config or 'built-in (simulated provider only)'}")
    for provider in config.providers:
        key = f", key from ${provider.api_key_env}" if provider.api_key_env else ""
        typer.echo(f"  provider {provider.name} ({provider.kind}){key}")
    for specialist in config.specialists:
        typer.echo(f"  specialist {specialist.slug} -> {specialist.provider}/{specialist.model}")
    for budget in config.budgets:
        typer.echo(f"  budget {budget.scope}/{budget.period}: {budget.limit_usd} USD")
    typer.echo(f"pricing: version {pricing.version}, {len(pricing.entries)} entries")


@cli.command("replay-spool")
def replay_spool(
    directory: Annotated[
        str | None, typer.Option(help="Spool directory (default: DATA_DIR/gateway-spool)")
    ] = None,
) -> None:
    """Store spooled usage rows now (safe while servers run: inserts are idempotent)."""
    from pathlib import Path

    from prometheus_client import CollectorRegistry

    from vantage.core.suppressed import SuppressedErrors
    from vantage.packs.gateway.runtime import SPOOL_DIR_NAME
    from vantage.packs.gateway.usage.spool import UsageSpool
    from vantage.packs.gateway.usage.writer import UsageMetrics, UsageWriter, WriterOptions

    settings = load_settings()
    gateway = GatewaySettings()
    path = (
        Path(directory)
        if directory
        else (gateway.usage_spool_dir or settings.data_dir / SPOOL_DIR_NAME)
    )

    async def run() -> int:
        database = Database(settings)
        registry = CollectorRegistry()
        try:
            writer = UsageWriter(
                database,
                UsageSpool(path),
                WriterOptions(1, gateway.usage_batch_size, 0.1, 0.0, 1.0),
                UsageMetrics(registry),
                SuppressedErrors(registry),
            )
            return await writer.replay()
        finally:
            await database.dispose()

    sent = asyncio.run(run())
    typer.echo(f"replayed {sent} spooled usage rows from {path}")
