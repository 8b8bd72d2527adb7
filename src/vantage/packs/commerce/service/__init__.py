"""Business logic of the commerce pack: no HTTP, no commit."""
