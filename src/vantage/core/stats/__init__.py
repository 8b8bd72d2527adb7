"""Small, pure statistics shared by packs (no database, no I/O)."""
