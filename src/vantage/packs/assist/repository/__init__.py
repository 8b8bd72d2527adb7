"""All SQL of the assist pack."""
