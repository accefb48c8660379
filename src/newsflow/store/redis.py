"""The shared dedup store: Redis (or Redis Cluster), atomic and TTL-bounded on the server."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import orjson
import redis
import redis.exceptions

from newsflow.errors import ConfigError, StoreUnavailable
from newsflow.store.line_filters import DEFAULT_MIB, LineFilters
from newsflow.store.records import LINES_SUFFIX, Begun, Claim, IndexRequest, Mark
from newsflow.store.redis_claim_lua import (
    BEGIN_DECISION_SCRIPT,
    CLAIM_AND_MARK_SCRIPT,
    CLAIM_SCRIPT,
    OBSERVE_LINES_SCRIPT,
    RELEASE_SCRIPT,
)
from newsflow.store.redis_index import RedisIndexOps, _indexed, _statistics

log = logging.getLogger(__name__)
DEFAULT_PREFIX = "newsflow:"
SOCKET_TIMEOUT_SECONDS = 2.0

_TRANSIENT = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterDownError,
)
_CREDENTIALS = (redis.exceptions.AuthenticationError, redis.exceptions.AuthorizationError)
_BUSY = re.compile(r"(?:^|: )(?:BUSY|MASTERDOWN|LOADING) ")
"""Replies redis-py raises as a plain `ResponseError` that say "not now": a script of another
client has run past `busy-reply-threshold`, a replica lost its primary, a restart is loading
(in a pipeline, after "Command # 1 (…) of pipeline caused error: ")."""


def eviction_warning(memory: dict[str, Any]) -> str | None:
    """What is wrong with a Redis whose `INFO memory` is `memory`, for a dedup store: one that
    evicts keys when full would silently forget claims, decisions and stories, so copies
    would pass as unique. None when it does not evict (no `maxmemory`, or `noeviction`)."""
    policy = str(memory.get("maxmemory_policy", "noeviction"))
    if int(memory.get("maxmemory", 0)) == 0 or policy == "noeviction":
        return None
    return (
        f"Redis evicts keys when it reaches maxmemory (maxmemory-policy {policy}): dedup "
        "claims, decisions and stories would be forgotten silently and copies published as "
        "unique; set maxmemory-policy noeviction (a full Redis then pauses the services)"
    )


def redact_url(url: str) -> str:
    """Return `url` with any password (in the userinfo or the query) replaced by `***`.

    So that a store URL can be logged and shown in reprs and error messages. One that does
    not parse (an IPv6 host without its closing bracket) is not shown at all.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(not shown: it does not parse)"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        if has_password:
            netloc = f"{user}:***@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if k.lower() == "password" else v) for k, v in pairs], safe="*/"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class RedisStore(RedisIndexOps):
    """`DedupStore` over Redis, shared by every replica; Redis expires the claims itself."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        description: str = "redis",
        line_filter_mib: int = DEFAULT_MIB,
    ) -> None:
        """Wrap a redis-py client; `description` names the server in reprs and errors, and
        `line_filter_mib` sizes the filters of lines seen once (`LineFilters`).

        `description` must not contain secrets: `from_url` passes a redacted URL.
        """
        self._client = client
        self._prefix = prefix
        self._line_filters = LineFilters(prefix, line_filter_mib)
        self._description = description
        self._tls = description.lower().startswith("rediss://")
        self._claim_script = client.register_script(CLAIM_SCRIPT)
        self._claim_and_mark_script = client.register_script(CLAIM_AND_MARK_SCRIPT)
        self._observe_lines_script = client.register_script(OBSERVE_LINES_SCRIPT)
        self._begin_decision_script = client.register_script(BEGIN_DECISION_SCRIPT)
        self._release_script = client.register_script(RELEASE_SCRIPT)
        self._policy_checked = False

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str = DEFAULT_PREFIX, line_filter_mib: int = DEFAULT_MIB
    ) -> RedisStore:
        """Build a store from `redis://`, `rediss://` or `unix://` URL, with short timeouts.

        Timeouts are short (2 s) so a stalled Redis surfaces as `StoreUnavailable` quickly
        instead of blocking a consumer past its poll interval; the URL's own query options
        (e.g. `socket_timeout`) take precedence. No connection is made here.
        """
        redacted = redact_url(url)
        try:
            path = urlsplit(url).path
        except ValueError as exc:  # a traceback before, the URL in it
            raise ConfigError(f"invalid Redis URL {redacted}: {exc}") from exc
        database = unquote(path).strip("/") if url[:5].lower() == "redis" else ""
        # redis-py took "/abc" for database 0, and "/²" too: `isdigit` alone holds it a digit
        if database and not (database.isascii() and database.isdigit()):
            raise ConfigError(f"invalid Redis URL {redacted}: the database must be a number")
        try:
            client = redis.Redis.from_url(
                url,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            )
        except ValueError as exc:
            raise ConfigError(f"invalid Redis URL {redacted}: {exc}") from exc
        return cls(client, prefix=prefix, description=redacted, line_filter_mib=line_filter_mib)

    def __repr__(self) -> str:
        return f"RedisStore(url={self._description!r}, prefix={self._prefix!r})"

    def claim(
        self, key: str, owner: str, *, ttl_seconds: int, now: float, mark: Mark | None = None
    ) -> str:
        """Set `key` to `owner` unless it is held; return the owner that holds it now (and
        set `mark` naming it, in the same script).

        Redis expires the key after `ttl_seconds`, so `now` is not used. Raises
        `StoreUnavailable` (retriable) when Redis cannot be reached.
        """
        if ttl_seconds < 1:
            raise ValueError(f"ttl_seconds must be at least 1, got {ttl_seconds}")
        with self._translated():
            if mark is None:
                holder = self._claim_script(keys=[self._prefix + key], args=[owner, ttl_seconds])
            else:
                holder = self._claim_and_mark_script(
                    keys=[self._prefix + key, self._prefix + mark.key],
                    args=[owner, ttl_seconds, mark.before, mark.after, mark.lines],
                )
        return _as_str(holder)

    def release_claim(self, claim: Claim, *, now: float) -> bool:
        """See `DedupStore.release_claim`: one script (compare-and-delete on each key), so a
        claim another article took meanwhile stays. Redis expires keys itself: `now` is not
        used."""
        p, mark = self._prefix, claim.mark
        mark_key = p + (mark.key if mark else claim.key)
        keys = [p + claim.key, mark_key, mark_key + LINES_SUFFIX]
        keys += [f"{p}sig:{claim.owner}", f"{p}decision:{claim.owner}"]
        args = [claim.owner, "1" if mark else "0", mark.value(claim.owner) if mark else ""]
        with self._translated():
            released = self._release_script(keys=keys, args=args)
        return bool(released)

    def peek(self, key: str, *, now: float) -> str | None:
        """The current value of `key`, or None (Redis expires keys itself; `now` is unused)."""
        with self._translated():
            value = self._client.get(self._prefix + key)
        return None if value is None else _as_str(value)

    def peek_many(self, keys: Sequence[str], *, now: float) -> list[str | None]:
        """The current values of `keys` (None where absent): one MGET."""
        if not keys:
            return []
        with self._translated():
            values = self._client.mget([self._prefix + key for key in keys])
        return [None if value is None else _as_str(value) for value in values]

    def observe_lines(
        self,
        source: str,
        document: str,
        line_hashes: Sequence[str],
        *,
        ttl_seconds: int,
        now: float,
    ) -> list[int]:
        """Count `document` once for each of its lines; per line, how many documents of
        `source` had it (see `DedupStore.observe_lines`).

        One script call: it looks the document and its lines up in the filters of first
        sightings (`LineFilters`; a document found there is a redelivery and is not counted
        again); for a new document it `INCR`s and `EXPIRE`s the counter of every line seen
        before and remembers the rest, else it only reads them. A counter expires
        `ttl_seconds` after it was last written; a first sighting is remembered for one to one
        and a half times that, by the period of `now`.
        """
        if ttl_seconds < 1:
            raise ValueError(f"ttl_seconds must be at least 1, got {ttl_seconds}")
        lines = list(dict.fromkeys(line_hashes))
        head, tail = self._lines_call(source, document, lines, ttl_seconds, now)
        with self._translated():
            replies = self._observe_lines_script(args=head + tail)
        counts = {line: int(value) for line, value in zip(lines, replies, strict=True)}
        return [counts[line] for line in line_hashes]

    def begin_decision(
        self,
        source: str,
        document: str,
        line_hashes: Sequence[str],
        *,
        lines_ttl_seconds: int,
        recurring_at: int,
        claim: Claim,
        index: IndexRequest | None,
        now: float,
    ) -> Begun:
        """See `DedupStore.begin_decision`: one script call, where the steps would be three
        round trips (each its own atomic script)."""
        if lines_ttl_seconds < 1 or claim.ttl_seconds < 1:
            raise ValueError("ttl_seconds must be at least 1")
        lines = list(dict.fromkeys(line_hashes))
        p, mark = self._prefix, claim.mark
        keys = [p + claim.key, p + (mark.key if mark else claim.key)]
        args, filter_args = self._lines_call(source, document, lines, lines_ttl_seconds, now)
        args += [recurring_at, claim.owner, claim.ttl_seconds]
        args += ["1", mark.before, mark.after] if mark else ["0", "", ""]
        if index is None:
            args.append("0")
        else:
            index_keys, index_args = self._index_call(
                index.article_id, index.bands, index.signature, index.at,
                index.near_window_seconds,
            )  # fmt: skip
            keys += index_keys
            args += ["1", *index_args]
            args += self._terms_call(index.terms, index.at, index.story_window_seconds)
        args += filter_args
        with self._translated():
            reply = self._begin_decision_script(keys=keys, args=args)
        counted = dict(zip(lines, (int(c) for c in reply[0]), strict=True))
        counts = [counted[line] for line in line_hashes]
        if len(reply) == 1:
            return Begun(counts)
        if reply[1] is None:  # a line recurs: what the mark holds
            marked, dropped = (None if r is None else _as_str(r) for r in reply[2:4])
            return Begun(counts, marked=marked, marked_lines=dropped)
        owner = _as_str(reply[1])
        if len(reply) == 2:
            return Begun(counts, owner)
        return Begun(counts, owner, _indexed(reply[2]), _statistics(reply[3]))

    def _lines_call(
        self, source: str, document: str, lines: list[str], ttl_seconds: int, now: float
    ) -> tuple[list[Any], list[Any]]:
        """The arguments of `observe_lines` in a script: its first four (key base, TTL, the
        filters' spec, lines), and the filters' arguments, which end the script's ARGV."""
        look = self._line_filters.lookup(source, document, lines, ttl_seconds=ttl_seconds, now=now)
        base = f"{self._prefix}lines:{source}:"
        return [base, ttl_seconds, orjson.dumps(look.spec), orjson.dumps(lines)], look.arguments

    def ping(self) -> bool:
        """True when Redis answers PING; used by readiness checks, so it never raises. The
        first answer is followed by a look at Redis's eviction policy (a warning in the log
        if it evicts; see `eviction_warning`)."""
        try:
            alive = bool(self._client.ping())
        except redis.exceptions.RedisError:
            return False
        if alive and not self._policy_checked:
            self._policy_checked = True
            self._warn_if_evicting()
        return alive

    def _warn_if_evicting(self) -> None:
        try:
            memory = self._client.info("memory")
        except redis.exceptions.RedisError:  # INFO may be refused (ACLs, managed Redis)
            return
        if warning := eviction_warning(memory):
            log.warning("%s: %s", self._description, warning)

    def reach(self) -> None:
        """Raise what keeps the store from being used now: `StoreUnavailable` when Redis does
        not answer, `ConfigError` for credentials it refuses, a database it does not have or a
        key prefix its ACL keeps the user off."""
        with self._translated():
            try:
                self._client.ping()
                self._client.exists(self._prefix + "reach")  # may the user use the prefix?
            except redis.exceptions.NoPermissionError:
                raise  # (translated below)
            except redis.exceptions.ResponseError as exc:
                if _BUSY.search(str(exc)):
                    raise  # (not now: `StoreUnavailable`)
                if "DB index is out of range" in str(exc):
                    raise ConfigError(f"Redis at {self._description} has no such database") from exc
                # A user the ACL refuses SELECT or PING, a cluster refusing SELECT.
                raise ConfigError(f"Redis at {self._description} refused: {exc}") from exc

    @contextmanager
    def grouped(self) -> Iterator[Callable[[], None]]:
        """Nothing to group: each call is applied on the server as it is made (see
        `DedupStore.grouped`)."""
        yield _nothing

    def close(self) -> None:
        """Release the client's connections."""
        self._client.close()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except _CREDENTIALS as exc:
            raise ConfigError(
                f"Redis at {self._description} refused the credentials: {exc}"
            ) from exc
        except redis.exceptions.NoPermissionError as exc:  # an ACL user kept off the prefix
            raise ConfigError(
                f"Redis at {self._description} refused the user for keys under "
                f"{self._prefix!r}: {exc}"
            ) from exc
        except _TRANSIENT as exc:
            tls = " (a rediss:// URL needs Redis to speak TLS there)" if self._tls else ""
            raise StoreUnavailable(f"Redis at {self._description} unavailable: {exc}{tls}") from exc
        except redis.exceptions.OutOfMemoryError as exc:  # refuses writes until keys expire
            raise StoreUnavailable(
                f"Redis at {self._description} is full (maxmemory reached), writes refused: {exc}"
            ) from exc
        except redis.exceptions.ResponseError as exc:
            if _BUSY.search(str(exc)):
                raise StoreUnavailable(f"Redis at {self._description} is busy: {exc}") from exc
            raise


def _nothing() -> None:
    """What committing a group of Redis calls does."""


def _as_str(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    raise TypeError(f"unexpected reply from the claim script: {value!r}")
