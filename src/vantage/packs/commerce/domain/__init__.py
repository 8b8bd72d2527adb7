"""Commerce domain rules that stand apart from storage and HTTP (exact money)."""
