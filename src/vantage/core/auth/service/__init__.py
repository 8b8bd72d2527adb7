"""Authentication's business logic: users, tenants, API keys, sign-in sessions, tokens."""
