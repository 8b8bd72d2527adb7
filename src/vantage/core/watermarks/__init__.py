"""Per-tenant, per-pack data watermarks (see ``service``)."""

from vantage.core.watermarks.models import DataWatermark
from vantage.core.watermarks.service import NO_DATA, Watermark, bump_watermark, read_watermark

__all__ = ["NO_DATA", "DataWatermark", "Watermark", "bump_watermark", "read_watermark"]
