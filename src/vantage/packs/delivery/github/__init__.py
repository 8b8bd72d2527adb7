"""GitHub's wire formats: webhook signatures and the payload fields the pack reads."""
