"""The extract service: articles.ingested → extract, fingerprint, dedup → clean/duplicates/dlq."""
