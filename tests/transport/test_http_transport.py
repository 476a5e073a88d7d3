"""HttpTransport against a scripted HTTP server on loopback: statuses, retries, Retry-After."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from openwer.errors import InvalidArgumentError
from openwer.formats.cab_bundle import read_bundle
from openwer.formats.protocol import DataRequest, SignatureParameter, Stage1Request, Stage1Response
from openwer.formats.protocol_json import stage1_request_from_json, stage1_response_to_json
from openwer.formats.report_wer import WerDocument, serialize_report_wer
from openwer.transport.base import BundleRequest, UploadOutcome
from openwer.transport.http import HttpTransport, RetryPolicy, transport_from_settings

BUCKET = "7c1f2a36-0b9d-8c4e-9a11-2f3e4d5c6b7a"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Script:
    replies: list[Reply] = field(default_factory=list)
    received: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    """A loopback HTTP server answering with the scripted replies, in order."""
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            script.received.append((self.command, self.path, dict(self.headers), body))
            reply = script.replies.pop(0) if script.replies else Reply(500)
            time.sleep(reply.delay_s)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_POST = do_PUT = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    finally:
        httpd.shutdown()
        httpd.server_close()


def request() -> Stage1Request:
    return Stage1Request(
        report_id=str(uuid.uuid4()),
        event_type="PythonUnhandledException",
        report_type=2,
        signature=(SignatureParameter("Application Name", "demo"),),
        app_version="1.0",
    )


def answer(*, bundle: bool) -> bytes:
    response = Stage1Response(
        BUCKET,
        42,
        data_request=DataRequest() if bundle else None,
        upload_url="/api/v1/reports/x/bundle" if bundle else None,
    )
    return stage1_response_to_json(response)


def transport(url: str, **policy: float) -> tuple[HttpTransport, list[float]]:
    slept: list[float] = []
    made = HttpTransport(
        url,
        "secret-key",
        policy=RetryPolicy(attempts=3, base_delay_s=0.01, timeout_s=1.0, deadline_s=3.0, **policy),
        sleep=slept.append,
    )
    return made, slept


def test_stage1_success_sends_json_with_the_key(server: tuple[str, Script]) -> None:
    """A 200 answer is parsed; the body is protocol-v1 JSON and the key a bearer token."""
    url, script = server
    script.replies.append(Reply(200, answer(bundle=True)))
    sent = request()
    made, _ = transport(url)
    outcome = made.send_stage1(sent)
    assert outcome.outcome is UploadOutcome.UPLOADED
    assert outcome.response is not None
    assert outcome.response.bucket_id == BUCKET
    method, path, headers, body = script.received[0]
    assert (method, path) == ("POST", "/api/v1/reports")
    assert headers["Authorization"] == "Bearer secret-key"
    assert stage1_request_from_json(body) == sent


def test_stage1_nothing_more_wanted(server: tuple[str, Script]) -> None:
    """An answer without a data request is NOTHING_MORE_WANTED."""
    url, script = server
    script.replies.append(Reply(200, answer(bundle=False)))
    assert transport(url)[0].send_stage1(request()).outcome is UploadOutcome.NOTHING_MORE_WANTED


@pytest.mark.parametrize("status", [400, 401, 403, 413, 422])
def test_permanent_failures(server: tuple[str, Script], status: int) -> None:
    """Answers a retry cannot change fail permanently, at once."""
    url, script = server
    script.replies.append(Reply(status, b"no"))
    outcome = transport(url)[0].send_stage1(request())
    assert outcome.outcome is UploadOutcome.FAILED_PERMANENTLY
    assert str(status) in outcome.detail
    assert len(script.received) == 1


def test_server_errors_are_retried_with_backoff(server: tuple[str, Script]) -> None:
    """5xx answers are retried with jittered backoff; success on a later attempt."""
    url, script = server
    script.replies += [Reply(502), Reply(500), Reply(200, answer(bundle=False))]
    made, slept = transport(url)
    assert made.send_stage1(request()).outcome is UploadOutcome.NOTHING_MORE_WANTED
    assert len(script.received) == 3
    assert len(slept) == 2
    assert all(0 <= s <= 0.02 for s in slept)


def test_retry_after_within_the_deadline_is_honoured(server: tuple[str, Script]) -> None:
    """A 429 with a short Retry-After waits that long, then retries."""
    url, script = server
    script.replies += [Reply(429, headers={"Retry-After": "2"}), Reply(200, answer(bundle=False))]
    made, slept = transport(url)
    assert made.send_stage1(request()).outcome is UploadOutcome.NOTHING_MORE_WANTED
    assert slept == [2.0]


def test_long_retry_after_leaves_the_report_queued(server: tuple[str, Script]) -> None:
    """A Retry-After past the call's deadline gives RETRY_LATER with the delay."""
    url, script = server
    script.replies.append(Reply(503, headers={"Retry-After": "120"}))
    outcome = transport(url)[0].send_stage1(request())
    assert outcome.outcome is UploadOutcome.RETRY_LATER
    assert outcome.retry_after_s == 120


def test_unreachable_server_is_retry_later() -> None:
    """A closed port is RETRY_LATER after the bounded attempts."""
    made, slept = transport("http://127.0.0.1:9")
    started = time.monotonic()
    assert made.send_stage1(request()).outcome is UploadOutcome.RETRY_LATER
    assert time.monotonic() - started < 3.5
    assert len(slept) == 2


def test_slow_server_times_out(server: tuple[str, Script]) -> None:
    """A server slower than the timeout is RETRY_LATER within the deadline."""
    url, script = server
    script.replies += [Reply(200, answer(bundle=False), delay_s=1.5)] * 3
    started = time.monotonic()
    assert transport(url)[0].send_stage1(request()).outcome is UploadOutcome.RETRY_LATER
    assert time.monotonic() - started < 4.0


def test_nonsense_answer_is_retry_later(server: tuple[str, Script]) -> None:
    """A 200 whose body is not a valid answer is RETRY_LATER (the server may be mid-upgrade)."""
    url, script = server
    script.replies.append(Reply(200, b"<html>proxy</html>"))
    assert transport(url)[0].send_stage1(request()).outcome is UploadOutcome.RETRY_LATER


def test_invalid_report_never_leaves() -> None:
    """A report the protocol cannot carry fails permanently without a request."""
    bad = Stage1Request(report_id="not-a-uuid", event_type="", report_type=2, signature=())
    made, _ = transport("http://127.0.0.1:9")
    assert made.send_stage1(bad).outcome is UploadOutcome.FAILED_PERMANENTLY


def test_bundle_is_a_cab_put_to_the_upload_url(server: tuple[str, Script], tmp_path: Path) -> None:
    """Stage 2 PUTs a CAB holding Report.wer and the files."""
    url, script = server
    script.replies.append(Reply(200))
    (tmp_path / "traceback.txt").write_bytes(b"Traceback ...")
    report_wer = serialize_report_wer(
        WerDocument.from_pairs(
            [
                ("Version", "1"),
                ("EventType", "X"),
                ("File[0].CabName", "traceback.txt"),
                ("File[0].Path", "traceback.txt"),
            ]
        )
    )
    bundle = BundleRequest(
        report_id="r1",
        report_wer=report_wer,
        files=(("traceback.txt", tmp_path / "traceback.txt"),),
        upload_url="/api/v1/reports/r1/bundle",
    )
    assert transport(url)[0].send_bundle(bundle) is UploadOutcome.UPLOADED
    method, path, headers, body = script.received[0]
    assert (method, path) == ("PUT", "/api/v1/reports/r1/bundle")
    assert headers["Content-Type"] == "application/vnd.ms-cab-compressed"
    member = read_bundle(body).file("traceback.txt")
    assert member is not None
    assert member.data == b"Traceback ..."


def test_bundle_url_on_another_host_is_refused(tmp_path: Path) -> None:
    """The key never goes to a host other than the configured server."""
    made, _ = transport("http://127.0.0.1:9")
    bundle = BundleRequest(
        "r1",
        serialize_report_wer(WerDocument.from_pairs([("Version", "1")])),
        (),
        "http://evil.example/x",
    )
    assert made.send_bundle(bundle) is UploadOutcome.FAILED_PERMANENTLY


def test_bundle_with_a_missing_file_fails_permanently(tmp_path: Path) -> None:
    """A bundle that cannot be built is not retried forever."""
    made, _ = transport("http://127.0.0.1:9")
    bundle = BundleRequest("r1", b"", (("gone.txt", tmp_path / "gone.txt"),))
    assert made.send_bundle(bundle) is UploadOutcome.FAILED_PERMANENTLY


def test_configuration() -> None:
    """Only http(s) URLs are accepted; no URL means no transport."""
    with pytest.raises(InvalidArgumentError):
        HttpTransport("ftp://server", None)
    with pytest.raises(InvalidArgumentError):
        RetryPolicy(attempts=0)
    assert transport_from_settings(None, "key") is None
    made = transport_from_settings("http://127.0.0.1:9", None)
    assert made is not None
    made.close()
