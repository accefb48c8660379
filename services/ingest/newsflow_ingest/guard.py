"""Intake guards: bearer-token authentication, a per-client rate limit, and a bound on the
request bodies held in memory at once."""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

from newsflow.errors import ConfigError


class TokenAuth:
    """Accepts `Authorization: Bearer <token>` for any configured token (constant-time compare).

    With no tokens configured, every request is allowed (auth is optional).
    """

    def __init__(self, tokens: Iterable[str]) -> None:
        self._tokens = [t.encode() for t in tokens if t]

    @classmethod
    def from_settings(cls, tokens: str | None, tokens_file: str | None) -> TokenAuth:
        """Tokens from a comma-separated value and/or a file (one per line, `#` comments)."""
        found = [t.strip() for t in (tokens or "").split(",")]
        if tokens_file:
            try:
                lines = Path(tokens_file).read_text().splitlines()
            except OSError as exc:
                raise ConfigError(f"cannot read the intake tokens file: {exc}") from exc
            found += [line.strip() for line in lines if not line.lstrip().startswith("#")]
        return cls(t for t in found if t)

    @property
    def enabled(self) -> bool:
        return bool(self._tokens)

    def allows(self, authorization: str | None) -> bool:
        if not self._tokens:
            return True
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return False
        candidate = presented.strip().encode()
        # Compare against every token so the time taken does not say which one nearly matched.
        matches = [hmac.compare_digest(candidate, token) for token in self._tokens]
        return any(matches)

    def __repr__(self) -> str:
        return f"TokenAuth(tokens={len(self._tokens)})"


class RateLimiter:
    """Token bucket per client: `rate` requests per second, bursts up to `burst`.

    Remembers at most `max_clients` clients (least recently seen are forgotten), so a flood of
    addresses cannot grow memory without bound. `rate` 0 disables the limit.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, client: str) -> float:
        """0.0 if the request may go ahead, else the seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        tokens, seen = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - seen) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait


class BodyBudget:
    """Bytes of request bodies the intake holds at once, across its clients.

    A body is read whole, split into messages and handed to the producer, which keeps them
    until the broker acknowledges them: about four times its size in memory until its answer.
    `take` waits for room; a body is let in alone whatever its size (the body limit caps it).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self._room = threading.Condition()

    def take(self, size: int, timeout: float) -> bool:
        """Hold `size` bytes, waiting up to `timeout` seconds for room; False if none came."""
        with self._room:
            if not self._room.wait_for(
                lambda: self.held == 0 or self.held + size <= self.limit, timeout
            ):
                return False
            self.held += size
            return True

    def give_back(self, size: int) -> None:
        with self._room:
            self.held -= size
            self._room.notify_all()

    def holding(self, timeout: float) -> Holding:
        """One request's part of the budget, given back whole when the request ends."""
        return Holding(self, timeout)


class Holding:
    """The bytes one request holds of a `BodyBudget`: taken as they come (a chunked body
    piece by piece), or swapped for another size (a compressed body for what it inflates
    to), each wait up to `timeout`; all of them given back at the `with` block's end."""

    def __init__(self, budget: BodyBudget, timeout: float) -> None:
        self.budget, self.timeout, self.size = budget, timeout, 0

    def take(self, size: int) -> bool:
        """Hold `size` bytes more; False when no room came in time."""
        if not self.budget.take(size, self.timeout):
            return False
        self.size += size
        return True

    def swap(self, size: int) -> bool:
        """Hold `size` bytes instead of those held; False (holding none) when no room came."""
        self.give_back()
        return self.take(size)

    def give_back(self) -> None:
        self.budget.give_back(self.size)
        self.size = 0

    def __enter__(self) -> Holding:
        return self

    def __exit__(self, *exc: object) -> None:
        self.give_back()


class ClientAddress:
    """Which client a request comes from, for the rate limit: the connection's peer, or, when
    the peer is one of the `trusted` proxies (an ingress, a load balancer), the address the
    proxies put last in `X-Forwarded-For` that is not one of theirs. Behind an ingress every
    crawler was its address: one bucket for all of them.

    Only the trusted proxies' word is taken: what a client writes into the header itself is
    left of what they append, and is never read past an untrusted hop.
    """

    def __init__(self, trusted: Iterable[str]) -> None:
        try:
            self._trusted = [ipaddress.ip_network(t.strip(), strict=False) for t in trusted]
        except ValueError as exc:
            raise ConfigError(f"intake_trusted_proxies: {exc}") from None

    @classmethod
    def from_setting(cls, value: str | None) -> ClientAddress:
        """Addresses or networks, comma-separated (none: the peer is the client)."""
        return cls(t for t in (value or "").split(",") if t.strip())

    def __call__(self, peer: str, forwarded_for: str | None) -> str:
        if not self._is_trusted(peer):
            return peer
        hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop
        return peer

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:  # not an address: no proxy of ours
            return False
        return any(ip in network for network in self._trusted)
