"""Business logic of the assist pack: no HTTP, no commits, no SQL."""
