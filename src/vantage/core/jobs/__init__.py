"""Background jobs: records with progress in the database, taskiq brokers, leases, schedules."""

from vantage.core.jobs.context import JobContext, RejectedInput, RetryableJobError
from vantage.core.jobs.dependencies import Jobs
from vantage.core.jobs.kinds import JobHandler, JobKinds, Schedule
from vantage.core.jobs.models import Job, JobStatus
from vantage.core.jobs.publisher import NullPublisher, Publisher
from vantage.core.jobs.service import JobService, UnknownJobKind

__all__ = [
    "Job",
    "JobContext",
    "JobHandler",
    "JobKinds",
    "JobService",
    "JobStatus",
    "Jobs",
    "NullPublisher",
    "Publisher",
    "RejectedInput",
    "RetryableJobError",
    "Schedule",
    "UnknownJobKind",
]
