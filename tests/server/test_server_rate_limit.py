"""Per-key rate limits: token buckets (injected clock), the 429 answer through the app, and a
real client leaving its report queued when the server says to come back later."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from server_app_support import bundle, running_server, stage1_body
from starlette.applications import Starlette

from openwer.errors import InvalidArgumentError, NotFoundError
from openwer.report import Registry, Report, ReportContext
from openwer.server.app import close_app, create_app
from openwer.server.auth import Authenticator
from openwer.server.blobs import MemoryBlobStore
from openwer.server.config import ServerConfig
from openwer.server.rate_limit import (
    RateLimitedAuthenticator,
    Throttled,
    TokenBuckets,
    rate_limited,
)
from openwer.server.services import Services
from openwer.server.storage import BucketQuery, BundleState, MemoryRepository, Scope
from openwer.settings import OpenwerPaths, load_settings
from openwer.store import StoreArea, StoreScope, open_store
from openwer.transport.http import HttpTransport, RetryPolicy
from openwer.types import SubmitFlags, SubmitResult
from openwer.uploader.queue_upload import PassOutcome, upload_queue

ADMIN = Scope.everything()


class FakeClock:
    """Monotonic seconds moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- token buckets ------------------------------------------------------------------------


def test_burst_exhaustion_then_recovery() -> None:
    """A full bucket lets ``burst`` requests through, then one per 1/rate seconds; it never
    holds more than ``burst``."""
    clock = FakeClock()
    buckets = TokenBuckets(2.0, 3, clock=clock)
    assert [buckets.take("k") for _ in range(3)] == [None, None, None]
    assert buckets.take("k") == Throttled(1)
    clock.now += 0.5
    assert buckets.take("k") is None
    assert buckets.take("k") == Throttled(1)
    clock.now += 3600
    assert [buckets.take("k") for _ in range(3)] == [None, None, None]
    assert buckets.take("k") is not None


def test_retry_after_counts_down_in_whole_seconds() -> None:
    """Retry-After is the time to the next token, rounded up, at least 1."""
    clock = FakeClock()
    buckets = TokenBuckets(0.1, 1, clock=clock)
    assert buckets.take("k") is None
    assert buckets.take("k") == Throttled(10)
    clock.now += 4
    assert buckets.take("k") == Throttled(6)
    clock.now += 5.5
    assert buckets.take("k") == Throttled(1)  # 0.5 s left: never 0
    clock.now += 0.5
    assert buckets.take("k") is None
    slow = TokenBuckets(0.3, 1, clock=clock)
    slow.take("k")
    assert slow.take("k") == Throttled(4)  # 3.33 s rounds up


def test_refused_requests_take_no_token() -> None:
    """Hammering a throttled key does not push its recovery further away."""
    clock = FakeClock()
    buckets = TokenBuckets(1.0, 1, clock=clock)
    assert buckets.take("k") is None
    for _ in range(100):
        assert buckets.take("k") == Throttled(1)
    clock.now += 1
    assert buckets.take("k") is None


def test_keys_are_independent() -> None:
    """One key's exhaustion does not touch another's bucket."""
    clock = FakeClock()
    buckets = TokenBuckets(1.0, 1, clock=clock)
    assert buckets.take(b"key-a") is None
    assert buckets.take(b"key-a") is not None
    assert buckets.take(b"key-b") is None
    assert buckets.take("addr:10.0.0.1") is None


def test_many_distinct_keys_keep_memory_bounded() -> None:
    """Past ``max_keys`` the least recently used bucket goes; recent ones keep their state."""
    clock = FakeClock()
    buckets = TokenBuckets(0.001, 1, max_keys=100, clock=clock)
    assert buckets.take("busy") is None
    for number in range(10_000):
        buckets.take(f"addr:{number}")
        if number % 50 == 0:
            assert buckets.take("busy") is not None  # touched: stays, still empty
    assert len(buckets) == 100
    assert buckets.take("busy") is not None
    assert buckets.take("addr:9999") is not None  # recent: still throttled
    assert buckets.take("addr:0") is None  # evicted long ago: a full bucket again


def test_a_clock_stepping_back_takes_no_tokens() -> None:
    """Time going backwards neither adds nor removes tokens, nor raises."""
    clock = FakeClock()
    buckets = TokenBuckets(1.0, 2, clock=clock)
    assert buckets.take("k") is None
    clock.now -= 50
    assert buckets.take("k") is None
    assert buckets.take("k") == Throttled(1)


def test_threads_share_a_bucket_exactly() -> None:
    """Concurrent takes on one key let exactly ``burst`` through while the clock stands."""
    clock = FakeClock()
    buckets = TokenBuckets(1.0, 500, clock=clock)
    allowed: list[int] = []
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        allowed.append(sum(1 for _ in range(1000) if buckets.take(b"shared") is None))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 500


@pytest.mark.parametrize(
    ("rate", "burst", "max_keys"),
    [(0.0, 1, 1), (-1.0, 1, 1), (float("nan"), 1, 1), (float("inf"), 1, 1), (1, 0, 1), (1, 1, 0)],
)
def test_invalid_buckets(rate: float, burst: int, max_keys: int) -> None:
    """Nonsense limits are refused when built."""
    with pytest.raises(InvalidArgumentError):
        TokenBuckets(rate, burst, max_keys=max_keys)


def test_limits_are_off_by_default_and_cost_nothing(tmp_path: Path) -> None:
    """Without a rate the authenticator is returned as it is, so the hot path has no wrapper;
    with one it is wrapped."""
    repository = MemoryRepository()
    auth = Authenticator(repository, repository)
    assert ServerConfig(data_dir=tmp_path).rate_limit_per_key == 0
    assert rate_limited(auth, ServerConfig(data_dir=tmp_path)) is auth
    limited = rate_limited(auth, ServerConfig(data_dir=tmp_path, rate_limit_per_key=2.5))
    assert isinstance(limited, RateLimitedAuthenticator)
    app = create_app(ServerConfig(data_dir=tmp_path), repository, MemoryBlobStore())
    try:
        services: Services = app.state.services
        assert type(services.auth) is Authenticator
    finally:
        close_app(app)


def test_default_burst_is_one_second_of_requests(tmp_path: Path) -> None:
    """rate_limit_burst = 0 means ceil(rate) tokens, at least one; a set burst wins."""
    repository = MemoryRepository()
    auth = Authenticator(repository, repository)
    for rate, burst, expected in ((2.5, 0, 3), (0.2, 0, 1), (100.0, 0, 100), (0.2, 7, 7)):
        config = ServerConfig(data_dir=tmp_path, rate_limit_per_key=rate, rate_limit_burst=burst)
        limited = rate_limited(auth, config)
        assert isinstance(limited, RateLimitedAuthenticator)
        assert limited.buckets.burst == expected


# --- through the app ----------------------------------------------------------------------

SLOW = {"rate_limit_per_key": 0.001, "rate_limit_burst": 2}  # a token per 1000 s


def test_over_the_limit_is_429_and_nothing_is_stored(tmp_path: Path) -> None:
    """The third stage 1 of a key is 429 with a JSON error and Retry-After; it is not stored,
    other keys and admin reads go on."""
    with running_server(tmp_path, **SLOW) as server:
        assert server.stage1(stage1_body()).status_code == 201
        assert server.stage1(stage1_body()).status_code == 201
        refused_id = str(uuid.uuid4())
        reply = server.stage1(stage1_body(refused_id))
        assert reply.status_code == 429
        assert "rate limit" in reply.json()["error"]
        retry_after = reply.headers["Retry-After"]
        assert retry_after.isdigit()
        assert 990 <= int(retry_after) <= 1000
        with pytest.raises(NotFoundError):
            server.repository.get_report(ADMIN, refused_id)
        assert server.stage1(stage1_body(), secret=server.other_key).status_code == 201
        listing = server.client.get("/api/v1/buckets", headers=server.headers(server.admin))
        assert listing.status_code == 200
        assert sum(bucket["hits"] for bucket in listing.json()["buckets"]) == 3


def test_a_refused_bundle_is_not_stored(tmp_path: Path) -> None:
    """Stage 2 over the limit is 429: no blob is written and the bundle is still wanted."""
    with running_server(tmp_path, **SLOW) as server:
        report_id = str(uuid.uuid4())
        assert server.stage1(stage1_body(report_id)).status_code == 201
        assert server.stage1(stage1_body()).status_code == 201
        reply = server.put_bundle(report_id, bundle())
        assert reply.status_code == 429
        assert int(reply.headers["Retry-After"]) >= 1
        assert server.blobs() == []
        row = server.repository.get_report(ADMIN, report_id)
        assert row.bundle_state is BundleState.WANTED


def test_unknown_keys_are_401_and_take_no_bucket(tmp_path: Path) -> None:
    """A bad key is refused by authentication first: it gets no bucket (memory is not spent on
    junk keys) and cannot use up a real key's."""
    repository = MemoryRepository()
    product = repository.create_product("app")
    key = repository.create_ingest_key(product.id).secret
    config = ServerConfig(data_dir=tmp_path, rate_limit_per_key=0.001, rate_limit_burst=1)
    app = create_app(config, repository, MemoryBlobStore())
    services: Services = app.state.services
    assert isinstance(services.auth, RateLimitedAuthenticator)
    try:
        with start_blocking_portal() as portal, _client(portal, app) as client:
            for number in range(20):
                reply = client.post(
                    "/api/v1/reports", content=stage1_body(), headers=_bearer(f"k{number}")
                )
                assert reply.status_code == 401
            assert len(services.auth.buckets) == 0
            reply = client.post("/api/v1/reports", content=stage1_body(), headers=_bearer(key))
            assert reply.status_code == 201
            assert len(services.auth.buckets) == 1
    finally:
        close_app(app)


def test_keyless_mscer2_is_limited_per_address(tmp_path: Path) -> None:
    """Windows sends no key: its reports are counted per client address; a keyed MS-CER2
    report counts on its key."""
    from test_server_app_mscer2 import LEVEL1

    with running_server(
        tmp_path, cer_default_product="app", rate_limit_per_key=0.001, rate_limit_burst=1
    ) as server:
        assert server.client.post("/stage2.htm", content=LEVEL1).status_code == 200
        reply = server.client.post("/stage2.htm", content=LEVEL1)
        assert reply.status_code == 429
        assert int(reply.headers["Retry-After"]) >= 1
        keyed = server.client.post("/stage2.htm", content=LEVEL1, headers=server.headers())
        assert keyed.status_code == 200
        assert server.stage1(stage1_body()).status_code == 429  # same key, same bucket


def test_configuration_layers(tmp_path: Path) -> None:
    """The rate settings come from [server] (an integer rate is fine) and the environment."""
    from openwer.server.config import load_server_config

    path = tmp_path / "server.toml"
    path.write_text("[server]\nrate_limit_per_key = 5\nrate_limit_burst = 20\n")
    config = load_server_config(path, {"OPENWER_HOME": str(tmp_path)})
    assert (config.rate_limit_per_key, config.rate_limit_burst) == (5.0, 20)
    env = {"OPENWER_HOME": str(tmp_path), "OPENWER_SERVER_RATE_LIMIT_PER_KEY": "0.5"}
    assert load_server_config(path, env).rate_limit_per_key == 0.5


@pytest.mark.parametrize(
    ("text", "env", "fragment"),
    [
        ("[server]\nrate_limit_per_key = -1\n", {}, "rate_limit_per_key"),
        ("[server]\nrate_limit_per_key = '5'\n", {}, "server.rate_limit_per_key"),
        ("[server]\nrate_limit_burst = 2.5\n", {}, "server.rate_limit_burst"),
        ("", {"OPENWER_SERVER_RATE_LIMIT_PER_KEY": "fast"}, "OPENWER_SERVER_RATE_LIMIT_PER_KEY"),
        ("", {"OPENWER_SERVER_RATE_LIMIT_PER_KEY": "nan"}, "rate_limit_per_key"),
        ("", {"OPENWER_SERVER_RATE_LIMIT_PER_KEY": "inf"}, "rate_limit_per_key"),
        ("", {"OPENWER_SERVER_RATE_LIMIT_BURST": "-3"}, "rate_limit_burst"),
    ],
)
def test_invalid_rate_settings(
    tmp_path: Path, text: str, env: dict[str, str], fragment: str
) -> None:
    """Negative, non-numeric and non-finite rates are refused with the key named."""
    from openwer.errors import SettingsError
    from openwer.server.config import load_server_config

    path = tmp_path / "server.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=fragment):
        load_server_config(path, {"OPENWER_HOME": str(tmp_path), **env})


# --- a real client ------------------------------------------------------------------------


class PortalTransport(httpx.BaseTransport):
    """A synchronous httpx transport that runs an ASGI app through an anyio portal, so the
    client's own :class:`HttpTransport` talks to the app unchanged."""

    def __init__(self, portal: BlockingPortal, app: Starlette) -> None:
        self._portal = portal
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> tuple[int, Mapping[str, str], bytes]:
            reply = await self._asgi.handle_async_request(request)
            return reply.status_code, dict(reply.headers), await reply.aread()

        status, headers, content = self._portal.call(send)
        return httpx.Response(status, headers=headers, content=content)


def test_a_rate_limited_upload_leaves_the_report_queued(tmp_path: Path) -> None:
    """The server answers 429 with Retry-After beyond the client's deadline: the client ends its
    pass at once and the report waits in the queue, unsent and not counted."""
    repository = MemoryRepository()
    product = repository.create_product("app")
    key = repository.create_ingest_key(product.id).secret
    config = ServerConfig(data_dir=tmp_path / "server", rate_limit_per_key=0.001)
    app = create_app(config, repository, MemoryBlobStore())
    paths = OpenwerPaths.under(tmp_path / "home")
    settings = load_settings(paths, {"OPENWER__Consent__DefaultConsent": "4"})
    report = Report("MyEvent")
    report.set_parameter(0, "value", "Component")
    report.submit(
        flags=SubmitFlags.QUEUE,
        context=ReportContext(paths=paths, settings=settings, registry=Registry()),
    )
    try:
        with start_blocking_portal() as portal:
            client = httpx.Client(transport=PortalTransport(portal, app))
            transport = HttpTransport(
                "http://testserver",
                key,
                client=client,
                policy=RetryPolicy(attempts=3, deadline_s=5.0),
                sleep=_no_sleep,
            )
            try:
                first = client.post(
                    "http://testserver/api/v1/reports",
                    content=stage1_body(product="app"),
                    headers={"Authorization": f"Bearer {key}"},
                )
                assert first.status_code == 201  # the key's one token
                context = ReportContext(
                    paths=paths, settings=settings, transport=transport, registry=Registry()
                )
                summary = upload_queue(context, battery=lambda: False)
            finally:
                transport.close()
        page = repository.list_buckets(ADMIN, BucketQuery())
    finally:
        close_app(app)
    assert summary.outcome is PassOutcome.SERVER_UNREACHABLE
    assert [upload.result for upload in summary.uploads] == [SubmitResult.REPORT_QUEUED]
    assert open_store(StoreScope.USER, paths).count(StoreArea.QUEUE) == 1
    assert sum(row.bucket.hits for row in page.rows) == 1  # only the direct request counted


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"the client slept {seconds} s instead of leaving the report queued")


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _client(portal: BlockingPortal, app: Starlette) -> httpx.Client:
    return httpx.Client(transport=PortalTransport(portal, app), base_url="http://testserver")
