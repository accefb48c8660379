"""The ingest service: articles.raw → validate → articles.ingested / articles.rejected; HTTP intake."""
