"""The dashboard in a real browser: Playwright driving Debian's Chromium against ``openwer serve``.

The server is a real ``openwer serve`` process; its first user comes from ``openwer users add``
on the still-empty data folder; the reports come from real crashing Python programs with
``openwer.install()`` and ``openwer reports upload`` (the project's own client). Each test
saves screenshots under ``test-artifacts/dashboard/`` at the repository root.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from server_process_support import OPENWER, ServeProcess, clean_env, cli_json

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
PASSWORD = "a long admin password"
SOLUTION = "Fixed in 2.0.1: upgrade with pip install -U e2e-app"

CRASHING_PROGRAM = """\
import sys
import threading
import time

import openwer

openwer.install(app_name="e2e-app", app_version="2.0.0")


def parse(text):
    return int(text)


def lookup(table):
    return table["missing"]


threading.Thread(target=time.sleep, args=(30,), name="background-sleeper", daemon=True).start()
if sys.argv[1] == "parse":
    parse("not a number")
else:
    lookup({})
"""


@dataclass
class Live:
    """A running server, its data folder, and a client that can crash and upload."""

    server: ServeProcess
    data_dir: Path
    client_env: dict[str, str]
    program: Path

    def crash_and_upload(self, kind: str) -> dict[str, Any]:
        """Run the crashing program once (``parse`` or ``lookup``) and upload the queue.

        The program runs without the server's address, so it only queues its report (with
        one, ``install()`` would start sending the queue itself and race the upload pass whose
        answers the tests read)."""
        offline = {k: v for k, v in self.client_env.items() if not k.startswith("OPENWER_SERVER")}
        done = subprocess.run(
            [sys.executable, str(self.program), kind],
            env=offline,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        summary: dict[str, Any] = cli_json("reports", "upload", env=self.client_env)
        return summary


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (make test installs it)"
    if not CHROMIUM.exists():
        return "/usr/bin/chromium is missing (make test installs it as root)"
    return None


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``openwer serve`` with a product, an admin user and two buckets of real crashes."""
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("dashboard-browser")
    data_dir = root / "data"
    env = clean_env(OPENWER_HOME=str(root / "server-home"))
    added = subprocess.run(
        [OPENWER, "users", "add", "admin", "--password-stdin", "--data-dir", str(data_dir)],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    key = cli_json("products", "add", "e2e-app", "--data-dir", str(data_dir), env=env)["key"]
    server = ServeProcess(data_dir, env, root / "serve.log")
    try:
        server.wait_healthy()
        program = root / "crashing.py"
        program.write_text(CRASHING_PROGRAM)
        client_env = clean_env(
            OPENWER_HOME=str(root / "client-home"),
            OPENWER_SERVER_URL=server.url,
            OPENWER_SERVER_KEY=key,
            OPENWER__Consent__DefaultConsent="4",
        )
        live = Live(server, data_dir, client_env, program)
        for kind in ("parse", "parse", "lookup"):
            live.crash_and_upload(kind)
        yield live
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(live: Live) -> Iterator[Browser]:
    """Chromium, headless, from the Debian package (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, live: Live) -> Iterator[Page]:
    """A fresh browser context (no cookies) on a laptop-sized window; console errors fail."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    # A refused sign-in is a 401 document: the browser logs it, and that one is expected.
    expected = "the server responded with a status of 401"
    opened.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and expected not in m.text else None,
    )
    opened.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield opened
    finally:
        context.close()
    assert errors == [], errors


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar belongs at the top of the shot
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _sign_in(page: Page, live: Live) -> None:
    page.goto(live.server.url + "/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_selector("table.buckets")


def _open_bucket(page: Page, function: str) -> None:
    page.click(f"table.buckets tr:has-text('{function}') a.title")
    page.wait_for_selector("svg.chart")


def test_sign_in_and_see_the_buckets(page: Page, live: Live) -> None:
    """The sign-in form, a wrong password, then Enter with the right one: the bucket list."""
    page.goto(live.server.url + "/")
    assert page.locator("input[name=username]").is_visible()
    _shot(page, "01-sign-in")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong password")
    page.press("input[name=password]", "Enter")
    page.wait_for_selector(".error")
    assert "Wrong user name or password." in page.inner_text(".error")
    _shot(page, "02-sign-in-refused")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_selector("table.buckets")
    rows = page.locator("table.buckets tbody tr")
    assert rows.count() == 2
    text = page.inner_text("table.buckets")
    assert "ValueError" in text
    assert "KeyError" in text
    assert "in parse" in text
    assert "in lookup" in text
    assert page.locator("table.buckets svg.spark").count() == 2
    _shot(page, "03-buckets")


def test_open_a_bucket_and_see_its_chart_and_stacks(page: Page, live: Live) -> None:
    """The bucket page: hits per day as a chart, the signature, the sample report's stacks."""
    _sign_in(page, live)
    _open_bucket(page, "in parse")
    assert page.locator("svg.chart rect.bar").count() == 30
    signature = page.inner_text("table.kv")
    assert "P6 · Function" in signature
    assert "parse" in signature
    stacks = page.inner_text("#stacks")
    assert "ValueError" in stacks
    assert "parse" in stacks
    assert "faulting frame" in stacks
    page.click("#stacks details.threads summary")
    assert "background-sleeper" in page.inner_text("#stacks")
    _shot(page, "04-bucket")
    page.click("#stacks h2 a")
    page.wait_for_selector("#report-wer")
    report = page.inner_text("#report-wer")
    assert "Signature" in report
    assert "Exception Type" in report
    assert "ValueError" in report
    assert page.locator("ul.files a", has_text="stack.json").count() == 1
    _shot(page, "05-report")


def test_a_solution_edited_here_reaches_the_next_client(page: Page, live: Live) -> None:
    """Write the bucket's solution in the page; the next crash's stage 1 answer carries it."""
    _sign_in(page, live)
    _open_bucket(page, "in lookup")
    page.fill("textarea[name=message]", SOLUTION)
    page.fill("input[name=url]", "https://example.invalid/e2e-app/2.0.1")
    page.click("button:has-text('Add solution')")
    page.wait_for_selector(".notice")
    assert "Solution saved" in page.inner_text(".notice")
    _shot(page, "06-solution-saved")
    summary = live.crash_and_upload("lookup")
    [report] = summary["reports"]
    assert report["solution"] == SOLUTION
    assert report["solution_url"] == "https://example.invalid/e2e-app/2.0.1"
    page.goto(live.server.url + "/solutions")
    assert SOLUTION in page.inner_html("main")
    _shot(page, "07-solutions")


def test_a_data_request_makes_the_next_client_upload_a_bundle(page: Page, live: Live) -> None:
    """The client sends one bundle per bucket on its own; after a request made on the page,
    the next crash of that bucket uploads its bundle too."""
    summary = live.crash_and_upload("parse")
    assert [r["result"] for r in summary["reports"]] == ["throttled"], summary
    _sign_in(page, live)
    _open_bucket(page, "in parse")
    before = int(page.inner_text(".stat:has-text('Bundles') .value"))
    page.fill("input[name=count]", "1")
    page.select_option("select[name=dump_type]", label="Mini dump")
    page.click("button:has-text('Request data')")
    page.wait_for_selector(".notice")
    assert "1</strong> more report requested" in page.inner_html("main")
    _shot(page, "08-data-requested")
    uploaded = live.crash_and_upload("parse")["reports"]
    assert [r["result"] for r in uploaded] == ["report_uploaded_cab"]
    page.reload()
    assert int(page.inner_text(".stat:has-text('Bundles') .value")) == before + 1
    assert "No explicit request" in page.inner_text("main")
    _shot(page, "09-bundle-received")
    page.click("#reports tbody tr:first-child a.mono")
    page.wait_for_selector("#report-wer")
    assert "stored" in page.inner_text("aside")
    _shot(page, "10-new-report")


def test_products_page_and_sign_out(page: Page, live: Live) -> None:
    """Keys are listed (never shown again); signing out returns to the form."""
    _sign_in(page, live)
    page.click("nav.nav a:has-text('Products')")
    page.wait_for_selector("section.product")
    assert "e2e-app" in page.inner_text("section.product h2")
    _shot(page, "11-products")
    page.click("button:has-text('Sign out')")
    page.wait_for_selector("input[name=password]")
    assert json.dumps(page.context.cookies()).count("openwer_session") == 0


def test_a_month_of_history_reads_well(page: Page, live: Live) -> None:
    """A second product with a month of reports (stored by the server's own storage code while
    it runs): trends, new and regressed markers, and the OS that stands out on a bucket page."""
    from datetime import UTC, datetime, timedelta

    from dashboard_support import python_request

    from openwer.server.storage import BucketRef, BucketStatus, Scope, Stage1Item, open_repository

    repository = open_repository(None, live.data_dir)
    try:
        product = repository.create_product("webshop")
        now = datetime.now(UTC)
        plan = [
            ("Cart.checkout", "KeyError", 14),
            ("Payment.capture", "requests.exceptions.Timeout", 9),
            ("Search.query", "ValueError", 6),
            ("Images.resize", "OSError", 3),
        ]
        items = []
        for day in range(30):
            for rank, (function, exception, daily) in enumerate(plan):
                for n in range((daily * (1 + (day * (rank + 3)) % 7)) // 4):
                    os_name = ("Windows 11", "Ubuntu 24.04", "macOS 14")[n % 3]
                    if rank == 1 and n % 5:  # the payment timeouts happen mostly on Windows
                        os_name = "Windows 11"
                    request = python_request(
                        function, exception, version="2.3.1", os_name=os_name, app="webshop"
                    )
                    at = now - timedelta(days=29 - day, minutes=n)
                    items.append(Stage1Item(product.id, request, received_at=at))
        repository.ingest_stage1(items)
        fresh = python_request("Login.verify", "PermissionError", version="2.4.0", app="webshop")
        repository.ingest_stage1([Stage1Item(product.id, fresh)])
        old = python_request("Images.resize", "OSError", version="2.3.1", app="webshop")
        answer = repository.ingest_stage1([Stage1Item(product.id, old)])[0].response
        assert answer is not None
        ref = BucketRef(product.id, answer.bucket_id)
        repository.set_bucket_status(Scope.everything(), ref, BucketStatus.RESOLVED, "2.3.0")
        repository.ingest_stage1(
            [
                Stage1Item(
                    product.id,
                    python_request("Images.resize", "OSError", version="2.3.1", app="webshop"),
                )
            ]
        )
    finally:
        repository.close()
    _sign_in(page, live)
    page.select_option("select[name=product]", label="webshop")
    page.click("button:has-text('Apply')")
    page.wait_for_selector("table.buckets")
    text = page.inner_text("table.buckets")
    assert "requests.exceptions.Timeout" in text
    assert "PermissionError" in text
    assert page.locator("table.buckets .badge.regressed").count() == 1
    _shot(page, "12-month-of-history")
    _open_bucket(page, "in Payment.capture")
    assert page.locator("table.facets tr.hot").count() >= 1
    assert "Windows 11" in page.inner_text("table.facets tr.hot")
    _shot(page, "13-highlighted-os")
