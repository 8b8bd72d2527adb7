"""The job service as a FastAPI dependency, for the jobs endpoints and the packs' routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from vantage.core.context import core_of
from vantage.core.jobs.service import JobService


async def job_service(connection: HTTPConnection) -> JobService:
    """The process's job service (``async`` so FastAPI runs it on the loop)."""
    return core_of(connection).jobs.service


Jobs = Annotated[JobService, Depends(job_service)]
