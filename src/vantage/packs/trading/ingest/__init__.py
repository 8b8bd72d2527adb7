"""The one ingest path every source takes: events, validation, the unit of work, the pipeline."""
