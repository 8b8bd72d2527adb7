"""All SQL of the delivery pack."""
