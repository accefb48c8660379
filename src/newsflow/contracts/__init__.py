"""The event contracts: JSON Schema files and the one codec that encodes, decodes and validates."""
