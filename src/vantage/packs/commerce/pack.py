"""The commerce Pack: its routes, tables, lifespan, demo, commands, settings and channels."""

from __future__ import annotations

from vantage.core.jobs.kinds import Schedule
from vantage.core.packs import Pack, WebPage
from vantage.packs.commerce import TITLE
from vantage.packs.commerce.api import router
from vantage.packs.commerce.channels import CHANNELS
from vantage.packs.commerce.cli import cli, importers
from vantage.packs.commerce.compat import COMPAT
from vantage.packs.commerce.demo import load_demo
from vantage.packs.commerce.jobs import import_orders_job, sweep_uploads
from vantage.packs.commerce.runtime import lifespan
from vantage.packs.commerce.service.import_jobs import IMPORT_JOB
from vantage.packs.commerce.settings import CommerceSettings

SWEEP_UPLOADS_JOB = "commerce.sweep_uploads"
SWEEP_UPLOADS_SCHEDULE = "23 * * * *"  # hourly


def build_pack() -> Pack:
    """The commerce pack as the application loads it."""
    return Pack(
        name="commerce",
        title=TITLE,
        version="1.0.0",
        description="Sales analytics over orders: revenue, customers, products, cohorts and RFM",
        router=router,
        models=("vantage.packs.commerce.models",),
        lifespan=lifespan,
        demo=load_demo,
        cli=cli,
        importers=importers,
        settings=CommerceSettings,
        jobs={IMPORT_JOB: import_orders_job(CommerceSettings), SWEEP_UPLOADS_JOB: sweep_uploads},
        schedules=[Schedule(SWEEP_UPLOADS_SCHEDULE, SWEEP_UPLOADS_JOB)],
        web=WebPage.beside(__file__, "Commerce"),
        channels=CHANNELS,
        compat=COMPAT,
    )
