"""All SQL of the trading pack: ingest writes, reads for the services, retention."""
