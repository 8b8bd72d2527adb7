"""Business logic of the delivery pack: no HTTP, no SQL, no commit."""
