"""Business logic of the aidev pack: no HTTP, no commit, no SQL."""
