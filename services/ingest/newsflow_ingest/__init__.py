"""The ingest service: articles.raw → validate → articles.ingested / rejected; HTTP intake."""
