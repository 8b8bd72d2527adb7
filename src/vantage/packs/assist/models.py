"""Tables of the assist pack: the learning memory and the monitoring of ML models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vantage.core.db import Base, Key, TenantMixin, UTCDateTime


class LearningEntry(TenantMixin, Base):
    """A question, the SQL written for it, how it went and what fixed it."""

    __tablename__ = "assist_learning_entries"
    __table_args__ = (
        Index("ix_assist_learning_entries_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    sql: Mapped[str] = mapped_column(Text, nullable=False)
    dialect: Mapped[str] = mapped_column(String(16), nullable=False)
    # success | error | corrected | rejected
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    corrected_sql: Mapped[str | None] = mapped_column(Text, nullable=True)
    corrections: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Prediction(TenantMixin, Base):
    """One prediction of a model, and its outcome once known."""

    __tablename__ = "assist_ml_predictions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "model", "prediction_id"),
        Index("ix_assist_ml_predictions_tenant_model_time", "tenant_id", "model", "predicted_at"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(128), nullable=False)
    prediction_id: Mapped[str] = mapped_column(String(128), nullable=False)
    predicted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    predicted_label: Mapped[str | None] = mapped_column(String(128), nullable=True)
    predicted_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    features: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    failed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    actual_label: Mapped[str | None] = mapped_column(String(128), nullable=True)
    actual_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class MetricPoint(TenantMixin, Base):
    """A daily value of a model metric reported from outside (the anomaly detector reads it)."""

    __tablename__ = "assist_ml_metric_points"
    __table_args__ = (UniqueConstraint("tenant_id", "model", "metric", "day"),)

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(128), nullable=False)
    metric: Mapped[str] = mapped_column(String(64), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
