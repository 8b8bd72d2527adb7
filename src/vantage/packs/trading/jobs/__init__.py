"""Scheduled jobs of the pack."""
