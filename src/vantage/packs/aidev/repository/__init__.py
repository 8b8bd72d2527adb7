"""All SQL of the aidev pack."""
