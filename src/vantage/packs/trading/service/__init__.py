"""Business logic behind the routes, one module per resource; no HTTP, no commit, no SQL."""
