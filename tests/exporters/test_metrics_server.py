"""MetricsServer over real HTTP(S) on loopback: routes, formats, limits, TLS, basic auth."""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import bcrypt
import pytest

from sprmon.exporters.basic_auth import BasicAuth, basic_credentials
from sprmon.exporters.prometheus import build_registry
from sprmon.exporters.web import DEFAULT_HOST, DEFAULT_PORT, MetricsServer, ServerLimits
from sprmon.exporters.webconfig import ClientAuth, TlsServerConfig, WebConfig
from tests.exporters.http_support import basic, get
from tests.exporters.prom_support import fixed_view
from tests.exporters.tls_support import Pki, make_pki

PASSWORD = "scrape-me-please"
#: Cost 4, bcrypt's minimum: the tests exercise the logic, not the slowness.
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4))


@pytest.fixture
async def server() -> AsyncIterator[MetricsServer]:
    view = fixed_view()
    async with MetricsServer(build_registry(lambda: view), port=0) as running:
        yield running


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


async def raw_request(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    try:
        async with asyncio.timeout(10):
            return await reader.read()
    finally:
        writer.close()


def test_defaults_are_loopback_and_the_documented_port() -> None:
    assert (DEFAULT_HOST, DEFAULT_PORT) == ("127.0.0.1", 10472)
    assert not 9100 <= DEFAULT_PORT <= 9999  # the Prometheus exporter range is all allocated


async def test_port_zero_binds_a_free_port_that_reads_back(server: MetricsServer) -> None:
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"


async def test_metrics_are_served_in_the_prometheus_text_format(server: MetricsServer) -> None:
    reply = await get(server.port)
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert 'sprmon_paths{app="legacy",site="branch-01",state="drift"} 1.0' in reply.text


async def test_openmetrics_is_served_when_the_scraper_asks_for_it(server: MetricsServer) -> None:
    accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    reply = await get(server.port, headers={"Accept": accept})
    assert reply.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    assert reply.text.endswith("# EOF\n")
    assert "# UNIT sprmon_poll_duration_seconds seconds" in reply.text


async def test_gzip_is_used_when_accepted(server: MetricsServer) -> None:
    plain = await get(server.port)
    reply = await get(server.port, headers={"Accept-Encoding": "gzip"})
    assert reply.headers["content-encoding"] == "gzip"
    assert gzip.decompress(reply.body) == plain.body


async def test_name_parameters_restrict_the_output(server: MetricsServer) -> None:
    reply = await get(server.port, "/metrics?name[]=sprmon_target_up&name[]=sprmon_build_info")
    names = {line.split("{")[0] for line in reply.text.splitlines() if not line.startswith("#")}
    assert names == {"sprmon_target_up", "sprmon_build_info"}


async def test_head_answers_the_length_without_a_body(server: MetricsServer) -> None:
    full = await get(server.port)
    reply = await get(server.port, method="HEAD")
    assert reply.status == 200
    assert reply.body == b""
    assert int(reply.headers["content-length"]) == len(full.body)


async def test_unknown_paths_and_methods_are_refused(server: MetricsServer) -> None:
    assert (await get(server.port, "/nope")).status == 404
    post = await get(server.port, method="POST")
    assert (post.status, post.headers["allow"]) == (405, "GET, HEAD")
    assert b"/metrics" in (await get(server.port, "/")).body


@pytest.mark.parametrize(
    ("ready", "status", "body"), [(True, 200, "ok\n"), (False, 503, "not ready\n")]
)
async def test_healthz_follows_the_ready_callable(ready: bool, status: int, body: str) -> None:
    async with MetricsServer(build_registry(lambda: None), ready=lambda: ready, port=0) as server:
        reply = await get(server.port, "/healthz")
    assert (reply.status, reply.text) == (status, body)


async def test_healthz_is_not_ready_when_the_ready_callable_fails() -> None:
    def broken() -> bool:
        raise RuntimeError("daemon state unreadable")

    async with MetricsServer(build_registry(lambda: None), ready=broken, port=0) as server:
        assert (await get(server.port, "/healthz")).status == 503


async def test_before_the_first_view_only_build_info_is_served() -> None:
    async with MetricsServer(build_registry(lambda: None), port=0) as server:
        reply = await get(server.port)
    samples = [line for line in reply.text.splitlines() if not line.startswith("#")]
    assert [line.split("{")[0] for line in samples] == ["sprmon_build_info"]


async def test_one_connection_serves_several_requests(server: MetricsServer) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = await raw_request(server.port, request + request + last)
    assert answer.count(b"HTTP/1.1 200 OK") == 3


async def test_a_slow_client_does_not_delay_other_scrapes() -> None:
    view = fixed_view()
    limits = ServerLimits(request_timeout_s=1.0)
    async with MetricsServer(build_registry(lambda: view), port=0, limits=limits) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # and never the end of the head
        await writer.drain()
        reply = await get(server.port)
        assert reply.status == 200
        # The stalled connection is closed at its own deadline.
        async with asyncio.timeout(10):
            rest = await reader.read()
        writer.close()
    assert rest == b""


async def test_connections_beyond_the_limit_are_refused_not_queued() -> None:
    limits = ServerLimits(max_connections=1)
    async with MetricsServer(build_registry(lambda: None), port=0, limits=limits) as server:
        # A kept-alive connection, answered once (so surely counted), then idle.
        reader, holder = await asyncio.open_connection("127.0.0.1", server.port)
        holder.write(b"GET /healthz HTTP/1.1\r\n\r\n")
        first = await reader.readuntil(b"ok\n")
        answer = await raw_request(server.port, b"GET /healthz HTTP/1.1\r\n\r\n")
        holder.close()
    assert first.startswith(b"HTTP/1.1 200 ")
    assert answer.startswith(b"HTTP/1.1 503 ")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20_000 + b"\r\n\r\n", b"431"),
        (b"BLAH\r\n\r\n", b"400"),
        (b"GET /metrics HTTP/2.0\r\n\r\n", b"400"),
        (b"GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", b"400"),
    ],
    ids=["head too large", "malformed", "unknown version", "body"],
)
async def test_malformed_requests_get_an_error_and_the_connection_closes(
    server: MetricsServer, request_bytes: bytes, status: bytes
) -> None:
    answer = await raw_request(server.port, request_bytes)
    assert answer.startswith(b"HTTP/1.1 " + status)
    assert b"Connection: close" in answer


async def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = MetricsServer(build_registry(lambda: None), port=port)
        with pytest.raises(Exception, match=rf"cannot listen on 127.0.0.1:{port}"):
            async with server:
                pass


def tls(pki: Pki, client_auth: ClientAuth = ClientAuth.NO_CLIENT_CERT) -> WebConfig:
    ca = None if client_auth is ClientAuth.NO_CLIENT_CERT else pki.ca_cert
    return WebConfig(tls=TlsServerConfig(pki.server_cert, pki.server_key, client_auth, ca))


async def test_tls_serves_metrics_to_a_client_that_trusts_the_ca(pki: Pki) -> None:
    async with MetricsServer(build_registry(lambda: None), port=0, web_config=tls(pki)) as server:
        assert server.url.startswith("https://")
        reply = await get(server.port, context=pki.client_context())
    assert reply.status == 200
    assert "sprmon_build_info" in reply.text


async def test_tls_is_refused_by_a_client_that_trusts_another_ca(pki: Pki) -> None:
    other = ssl.create_default_context(cafile=str(pki.other_ca_cert))
    async with MetricsServer(build_registry(lambda: None), port=0, web_config=tls(pki)) as server:
        with pytest.raises(ssl.SSLCertVerificationError):
            await get(server.port, context=other)
        # Plain HTTP to the TLS port gets no metrics either.
        with pytest.raises((ConnectionError, OSError)):
            await get(server.port)


async def test_required_client_certificates_are_enforced(pki: Pki) -> None:
    config = tls(pki, ClientAuth.REQUIRE_AND_VERIFY)
    async with MetricsServer(build_registry(lambda: None), port=0, web_config=config) as server:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            await get(server.port, context=pki.client_context())
        reply = await get(server.port, context=pki.client_context(with_client_cert=True))
    assert reply.status == 200


def auth_config() -> WebConfig:
    return WebConfig(basic_auth_users={"prometheus": HASH})


async def test_basic_auth_lets_the_right_password_in() -> None:
    async with MetricsServer(build_registry(lambda: None), port=0, web_config=auth_config()) as s:
        reply = await get(s.port, headers=basic("prometheus", PASSWORD))
    assert reply.status == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("prometheus", "wrong"),
        basic("nobody", PASSWORD),
        basic("prometheus", PASSWORD + "x" * 80),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": f"Bearer {PASSWORD}"},
    ],
    ids=["none", "wrong password", "unknown user", "too long", "garbage", "other scheme"],
)
async def test_basic_auth_refuses_everything_else_with_a_challenge(
    headers: dict[str, str],
) -> None:
    async with MetricsServer(build_registry(lambda: None), port=0, web_config=auth_config()) as s:
        for path in ("/metrics", "/healthz"):
            reply = await get(s.port, path, headers=headers)
            assert reply.status == 401
            assert reply.headers["www-authenticate"].startswith('Basic realm="sprmon"')
            assert PASSWORD not in reply.text


async def test_tls_and_basic_auth_together(pki: Pki) -> None:
    config = WebConfig(tls=tls(pki).tls, basic_auth_users={"prometheus": HASH})
    async with MetricsServer(build_registry(lambda: None), port=0, web_config=config) as server:
        context = pki.client_context()
        denied = await get(server.port, context=context)
        allowed = await get(server.port, context=context, headers=basic("prometheus", PASSWORD))
    assert (denied.status, allowed.status) == (401, 200)


async def test_a_successful_check_is_cached_and_a_failed_one_is_not() -> None:
    auth = await BasicAuth.create({"prometheus": HASH})
    try:
        assert await auth.check("prometheus", PASSWORD) is True
        assert await auth.check("prometheus", PASSWORD) is True
        assert auth.bcrypt_checks == 1
        assert await auth.check("prometheus", "wrong") is False
        assert await auth.check("prometheus", "wrong") is False
        assert await auth.check("ghost", PASSWORD) is False  # the decoy hash costs a round too
        assert auth.bcrypt_checks == 4
    finally:
        auth.close()


async def test_too_many_waiting_checks_are_turned_away() -> None:
    auth = await BasicAuth.create({"prometheus": HASH}, max_pending=1)
    try:
        results = await asyncio.gather(*(auth.check("prometheus", f"guess{n}") for n in range(3)))
    finally:
        auth.close()
    assert results == [False, None, None]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Basic cHJvbWV0aGV1czpzZWNyZXQ=", ("prometheus", "secret")),
        ("basic cHJvbWV0aGV1czpzZTpjcmV0", ("prometheus", "se:cret")),
        ("Basic bm9jb2xvbg==", None),
        ("Digest abc", None),
        ("", None),
    ],
)
def test_basic_credentials_are_decoded_as_rfc_7617_says(
    header: str, expected: tuple[str, str] | None
) -> None:
    assert basic_credentials(header) == expected


async def test_a_key_that_does_not_match_the_certificate_fails_the_start(
    pki: Pki, tmp_path: Path
) -> None:
    other = make_pki(tmp_path / "other")
    config = WebConfig(tls=TlsServerConfig(pki.server_cert, other.server_key), source="web.yml")
    with pytest.raises(Exception, match=r"web\.yml: cannot use the TLS files"):
        async with MetricsServer(build_registry(lambda: None), port=0, web_config=config):
            pass
