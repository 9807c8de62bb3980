"""The widget in a real headless Chromium against real ``payable serve --demo`` servers.

Two instances (A and B) run over one fresh database, as behind a load balancer. The widget is
opened from A's first screen; payments are made by clicking Approve on the sandbox's page. The
socket is cut for real: A is stopped, a payment is made through B meanwhile, A is started
again, and the widget must resume from the last event it had (`after`) and show that payment.

Needs Debian's chromium (``make test`` installs it where it can) and the playwright package,
which drives it without downloading a browser. Skipped only when the browser is missing and
PAYABLE_REQUIRE_BROWSER is not set (CI sets it, so there it fails instead).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from payable.core import clock
from tests.conftest import JWT_SECRET
from tests.databases import fresh_database
from tests.timeline.live import free_port
from tests.verticals.course.factories import CREATE_COURSE, course_input

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).resolve().parents[2] / ".artifacts" / "widget.png"
LIVE_WITHIN_MS = 1000

TODAY = """query($day: Date!) { bookings(first: 100, filter: {serviceFrom: $day, serviceTo: $day}) {
  edges { node { id reference paymentStatus customer { externalRef }
    paymentRequests { status paymentUrl } } } } }"""
OPEN_LINK = """mutation($id: ID!, $key: String!) {
  createPaymentRequest(input: {bookingId: $id}, idempotencyKey: $key) {
    paymentRequest { paymentUrl } errors { code } } }"""


def _require_browser() -> None:
    reason = None
    try:
        import playwright  # noqa: F401
    except ImportError:
        reason = "the playwright package is not installed (pip install -e '.[dev]')"
    if reason is None and not CHROMIUM.exists():
        reason = f"Debian's chromium is not at {CHROMIUM} (make test installs it with apt-get)"
    if reason is None:
        return
    if os.environ.get("PAYABLE_REQUIRE_BROWSER"):
        pytest.fail(f"PAYABLE_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


class Server:
    """One ``payable serve --demo`` process; its output goes to a file, read for its lines."""

    def __init__(self, database_url: str, port: int, folder: Path) -> None:
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.log = folder / f"server-{port}.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PAYABLE_")}
        self.env.update(
            DATABASE_URL=database_url,
            PAYABLE_JWT_SECRET=JWT_SECRET,
            PAYABLE_DATA_DIR=str(folder / "data"),
        )
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> dict[str, str]:
        """Start and wait for "ready"; the first screen's lines by their label."""
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "payable", "serve", "--demo", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            lines = self.log.read_text().splitlines()
            if any(line.startswith("ready") for line in lines):
                return {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in lines}
            assert self.process.poll() is None, self.log.read_text()
            await asyncio.sleep(0.1)
        raise AssertionError("no 'ready' line:\n" + self.log.read_text())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


@pytest.fixture
async def widget_database(database_url: str) -> AsyncIterator[str]:
    """A database of its own on the test server: the demo tenant is seeded there."""
    async with fresh_database(database_url, "payable_widget") as url:
        yield url


async def _graphql(origin: str, token: str, query: str, **variables: object) -> dict:
    async with httpx.AsyncClient(base_url=origin) as http:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def _today(origin: str, token: str) -> dict[str, dict]:
    """Today's bookings (in the business time zone) as the API lists them, by customer."""
    data = await _graphql(origin, token, TODAY, day=clock.today().isoformat())
    edges = data["bookings"]["edges"]
    return {edge["node"]["customer"]["externalRef"]: edge["node"] for edge in edges}


async def _link(origin: str, token: str, booking_id: str) -> str:
    data = await _graphql(origin, token, OPEN_LINK, id=booking_id, key=uuid.uuid4().hex)
    assert data["createPaymentRequest"]["errors"] == []
    return data["createPaymentRequest"]["paymentRequest"]["paymentUrl"]


async def _enroll_today(origin: str, token: str, customer: str) -> str:
    """A one-payment course enrollment starting today, made through the API."""
    today = clock.today()
    enrollment = course_input(
        customerRef=customer,
        studentId=customer,
        periodStart=today.isoformat(),
        periodEnd=(today + timedelta(days=30)).isoformat(),
        price={"amount": "60000.00", "currency": "AMD"},
    )
    data = await _graphql(origin, token, CREATE_COURSE, input=enrollment, key=uuid.uuid4().hex)
    assert data["createCourseEnrollment"]["errors"] == []
    return data["createCourseEnrollment"]["booking"]["id"]


async def _pay(context, url: str) -> float:  # type: ignore[no-untyped-def]
    """Approve on the sandbox's page like a customer; the moment its answer came back."""
    page = await context.new_page()
    await page.goto(url)
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await page.click("button[value=approve]")
    assert (await answer.value).status == 303
    paid_at = time.monotonic()
    # Closed once the return page has loaded: closing mid-navigation once left the close
    # (playwright gives it no timeout) waiting for good. A close that still wedges is left
    # behind: the page is done with, and the browser goes at the end of the test.
    await page.wait_for_load_state()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            await page.close()
    return paid_at


async def _shows(widget, customer: str, status: str, *, within_ms: int) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import expect

    row = widget.locator("#rows tr", has_text=customer)
    await expect(row).to_have_attribute("data-payment-status", status, timeout=within_ms)


async def test_widget_shows_today_and_follows_payments_live_across_a_cut(
    widget_database: str, tmp_path: Path
) -> None:
    _require_browser()
    from playwright.async_api import async_playwright, expect

    # given: two instances over one database, the widget opened from A's first screen
    a = Server(widget_database, free_port(), tmp_path)
    b = Server(widget_database, free_port(), tmp_path)
    screen = await a.start()
    await b.start()
    try:
        widget_url = screen["widget"].split(" ")[0]
        token = widget_url.split("#token=", 1)[1]
        assert widget_url == f"{a.origin}/widget#token={token}"
        today = await _today(a.origin, token)
        assert {"student-1", "student-2", "student-3"} <= set(today)  # the demo's courses

        # Bounded as a whole: a wedged browser fails the test instead of holding up CI.
        async with asyncio.timeout(300), async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
            context = await browser.new_context(viewport={"width": 1100, "height": 640})
            widget = await context.new_page()
            requested: list[str] = []
            sockets: list[str] = []
            subscribed: list[dict] = []
            errors: list[str] = []  # uncaught errors in the page's script
            failed_loads: list[str] = []  # the console's errors while the server is up

            async def record(route) -> None:  # type: ignore[no-untyped-def]
                requested.append(route.request.url)
                await route.continue_()

            def watch(socket) -> None:  # type: ignore[no-untyped-def]
                sockets.append(socket.url)

                def sent(payload: str | bytes) -> None:
                    message = json.loads(payload)
                    if message.get("type") == "subscribe":
                        subscribed.append(message["payload"].get("variables") or {})

                socket.on("framesent", sent)

            await widget.route("**/*", record)
            widget.on("websocket", watch)
            widget.on("pageerror", lambda error: errors.append(str(error)))
            widget.on(
                "console", lambda m: failed_loads.append(m.text) if m.type == "error" else None
            )

            # when: the widget opens
            await widget.goto(widget_url)

            # then: live, listing exactly today's bookings with their payment status
            connection = widget.locator("#connection")
            await expect(connection).to_have_attribute("data-state", "live", timeout=10_000)
            rows = widget.locator("#rows tr")
            await expect(rows).to_have_count(len(today))
            shown = {
                await row.get_attribute("data-reference"): await row.get_attribute(
                    "data-payment-status"
                )
                for row in await rows.all()
            }
            assert shown == {b["reference"]: b["paymentStatus"] for b in today.values()}
            assert "#token=" not in widget.url  # the token left the address bar
            assert failed_loads == []  # (while A is down, the browser logs failed connects)

            # when: the student with the demo's open link pays it; then: shown within a second
            links = {
                customer: request["paymentUrl"]
                for customer, booking in today.items()
                for request in booking["paymentRequests"]
                if customer.startswith("student-") and request["status"] == "PENDING"
            }
            assert len(links) == 1, links
            [(first, link)] = links.items()
            second, third = sorted({"student-1", "student-2", "student-3"} - {first})
            assert today[first]["paymentStatus"] == "PENDING"
            paid_at = await _pay(context, link)
            await _shows(widget, first, "DEPOSIT_PAID", within_ms=LIVE_WITHIN_MS)
            print(f"live: shown {1000 * (time.monotonic() - paid_at):.0f} ms after the payment")
            last_seen = await widget.locator("#changes li").first.get_attribute("data-sequence")

            # when: A stops (the socket is cut), another student pays through B, A comes back
            a.stop()
            await expect(connection).to_have_attribute("data-state", "connecting")
            missed = await _link(b.origin, token, today[second]["id"])
            assert missed.startswith(b.origin)
            await _pay(context, missed)
            await a.start()

            # then: the widget resumes after the last event it had and shows the missed payment
            await expect(connection).to_have_attribute("data-state", "live", timeout=10_000)
            await _shows(widget, second, "DEPOSIT_PAID", within_ms=LIVE_WITHIN_MS)
            assert subscribed[0] == {}  # the first subscription went live from now
            assert subscribed[-1] == {"after": last_seen}

            # when: the third pays after the reconnect; then: shown within a second again
            later = await _link(a.origin, token, today[third]["id"])
            paid_at = await _pay(context, later)
            await _shows(widget, third, "DEPOSIT_PAID", within_ms=LIVE_WITHIN_MS)
            print(f"after reconnect: shown {1000 * (time.monotonic() - paid_at):.0f} ms after")

            # when: the desk books three more students for today; then: each appears live,
            # one paid in full, one with an open link, one not asked yet
            for n, expected in ((4, "PAID"), (5, "PENDING"), (6, "UNPAID")):
                customer = f"student-{n}"
                booking_id = await _enroll_today(a.origin, token, customer)
                await _shows(widget, customer, "UNPAID", within_ms=LIVE_WITHIN_MS)
                if expected != "UNPAID":
                    link = await _link(a.origin, token, booking_id)
                    if expected == "PAID":
                        await _pay(context, link)
                await _shows(widget, customer, expected, within_ms=LIVE_WITHIN_MS)
            await expect(rows).to_have_count(len(today) + 3)

            # and: every request of the page went to its own server; nothing failed in it
            assert requested and all(url.startswith(f"{a.origin}/") for url in requested)
            assert sockets and all(url == f"ws://127.0.0.1:{a.port}/graphql" for url in sockets), (
                sockets
            )
            assert errors == [], errors

            await widget.wait_for_timeout(2100)  # the change highlight fades before the picture
            SCREENSHOT.parent.mkdir(exist_ok=True)
            await widget.screenshot(path=str(SCREENSHOT), full_page=True)
            print(f"widget screenshot: {SCREENSHOT}")
            await browser.close()
    finally:
        a.stop()
        b.stop()
