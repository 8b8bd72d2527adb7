"""The ``vantage users``, ``vantage api-keys`` and ``vantage tenants`` commands."""
