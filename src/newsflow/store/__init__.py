"""The shared dedup/story state, behind one small interface (`DedupStore`)."""

from newsflow.store.base import DedupStore, open_store

__all__ = ["DedupStore", "open_store"]
