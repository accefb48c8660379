"""Intake guards: bearer tokens compared in constant time, and a bounded per-client limiter."""

from pathlib import Path

import pytest

from newsflow.errors import ConfigError
from newsflow_ingest.guard import ClientAddress, RateLimiter, TokenAuth


def test_no_tokens_means_open_intake() -> None:
    assert TokenAuth(()).allows(None)


def test_only_a_configured_bearer_token_passes() -> None:
    auth = TokenAuth(["s3cret", "other"])
    assert auth.allows("Bearer s3cret") and auth.allows("bearer other")
    for header in (None, "", "Bearer", "Bearer wrong", "Basic s3cret", "s3cret", "Bearer s3cre"):
        assert not auth.allows(header), header
    assert "s3cret" not in repr(auth)


def test_tokens_from_a_secret_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text("# intake clients\nalpha\n\n beta \n")
    auth = TokenAuth.from_settings("gamma", str(path))
    assert all(auth.allows(f"Bearer {t}") for t in ("alpha", "beta", "gamma"))
    assert not auth.allows("Bearer # intake clients")  # a comment is no token
    with pytest.raises(ConfigError, match="tokens file"):
        TokenAuth.from_settings(None, str(tmp_path / "missing"))


def test_rate_limit_allows_a_burst_then_asks_to_wait() -> None:
    now = [0.0]
    limiter = RateLimiter(2.0, 3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.allow("a") == pytest.approx(0.5)
    assert limiter.allow("b") == 0.0  # clients are limited separately
    now[0] += 0.5
    assert limiter.allow("a") == 0.0


def test_a_client_idle_for_long_still_gets_only_its_burst_at_once() -> None:
    now = [0.0]
    limiter = RateLimiter(1.0, 2, clock=lambda: now[0])
    assert limiter.allow("a") == 0.0
    now[0] += 3600.0  # an hour of quiet does not save up an hour of requests
    assert [limiter.allow("a") for _ in range(3)] == [0.0, 0.0, pytest.approx(1.0)]


def test_when_the_table_is_full_the_client_seen_longest_ago_is_forgotten() -> None:
    now = [0.0]
    limiter = RateLimiter(1.0, 1, max_clients=2, clock=lambda: now[0])
    assert [limiter.allow(client) for client in ("a", "b", "c")] == [0.0, 0.0, 0.0]
    assert limiter.allow("a") == 0.0  # forgotten for "c": a fresh bucket
    assert limiter.allow("c") > 0.0  # the newest client is remembered, and limited
    assert limiter.allow("a") > 0.0


def test_rate_limiter_memory_is_bounded() -> None:
    limiter = RateLimiter(1.0, 1, max_clients=100)
    for n in range(1000):
        limiter.allow(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._buckets) == 100


def test_zero_rate_disables_the_limit() -> None:
    limiter = RateLimiter(0, 1)
    assert all(limiter.allow("a") == 0.0 for _ in range(100))


PROXY = "10.0.0.5"  # an ingress


def test_without_trusted_proxies_the_client_is_the_connections_peer() -> None:
    client = ClientAddress.from_setting(None)
    assert client(PROXY, "203.0.113.7") == PROXY


def test_behind_a_trusted_proxy_the_client_is_the_address_it_appended() -> None:
    client = ClientAddress.from_setting("10.0.0.0/24, 192.0.2.1")
    assert client(PROXY, "203.0.113.7") == "203.0.113.7"
    # a client writing the header itself: what the proxy appended is read, not what it wrote
    assert client(PROXY, "198.51.100.1, 203.0.113.7") == "203.0.113.7"
    # two proxies of ours in a row: the first address before them
    assert client(PROXY, "203.0.113.7, 192.0.2.1") == "203.0.113.7"


def test_the_header_is_not_read_from_a_peer_that_is_no_trusted_proxy() -> None:
    client = ClientAddress.from_setting("10.0.0.0/24")
    assert client("203.0.113.9", "198.51.100.1") == "203.0.113.9"


def test_a_trusted_proxy_naming_no_client_is_the_client() -> None:
    client = ClientAddress.from_setting("10.0.0.0/24, 2001:db8::/32")
    assert client(PROXY, None) == PROXY
    assert client("2001:db8::1", "10.0.0.7") == "2001:db8::1"
    assert client("2001:db8::1", "2001:db8:ffff::1, 2001:db8::2") == "2001:db8::1"


def test_a_trusted_proxy_that_is_no_address_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="intake_trusted_proxies"):
        ClientAddress.from_setting("10.0.0.0/24, ingress.local")
