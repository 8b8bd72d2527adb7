"""Vantage: one analytics backend for many dashboards."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vantage")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

PRODUCT_NAME = "Vantage"
