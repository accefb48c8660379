"""Batch mode: the same stages over files, no broker (`newsflow process`)."""
