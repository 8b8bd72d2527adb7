"""Tenants, users, credentials and the principal every route acts for."""
