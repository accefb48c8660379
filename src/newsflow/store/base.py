"""The store interface the stages depend on, and the one place that picks an implementation."""

from __future__ import annotations

from typing import Protocol


class DedupStore(Protocol):
    """Atomic first-writer-wins claims on keys, forgotten after a TTL.

    `claim` is the whole exact-dedup protocol: the first caller for a key becomes its owner
    and every later caller (any process, any replica) is told who the owner is. Because the
    owner is an `article_id`, a redelivered article recognizes its own claim.
    """

    def claim(self, key: str, owner: str, *, ttl_seconds: int, now: float) -> str:
        """Set `key` to `owner` unless it is held; return the owner that holds it now.

        `now` (seconds since the epoch) is used by stores that expire entries themselves;
        a server-side TTL store may ignore it.
        """
        ...

    def ping(self) -> bool:
        """True when the store answers; used by readiness checks."""
        ...

    def close(self) -> None: ...


def open_store(url: str, *, prefix: str = "newsflow:") -> DedupStore:
    """`redis://…` / `rediss://…` → Redis (keys under `prefix`); `sqlite:///path`, a plain path
    or `:memory:` → SQLite."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from newsflow.store.redis import RedisStore

        return RedisStore.from_url(url, prefix=prefix)
    from newsflow.store.sqlite import SqliteStore

    path = url.removeprefix("sqlite://")
    return SqliteStore(path or ":memory:")
