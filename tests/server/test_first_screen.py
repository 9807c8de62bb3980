"""A newcomer's `payable serve --demo` on a fresh data directory: a few lines, then "ready"."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from payable.core.tokens import verify
from tests.server.test_serve import _free_port

MAX_LINES = 10
CHATTER = ("initdb", "pg_ctl", "Successful postgres command", "Running upgrade", "Pool ")


def _lines_until_ready(process: subprocess.Popen[str], timeout: float) -> list[str]:
    """Every line the server printed (stdout and stderr together) up to its "ready" line."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not selector.select(timeout=1):
            continue
        line = process.stdout.readline()
        if not line:
            break  # exited
        lines.append(line.rstrip("\n"))
        if line.startswith("ready"):
            return lines
    raise AssertionError("no 'ready' line; printed:\n" + "\n".join(lines))


def test_serve_demo_shows_a_handful_of_lines_before_ready(tmp_path: Path) -> None:
    # given: a fresh clone's situation: no DATABASE_URL, no data directory yet
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYABLE_")}
    env.pop("DATABASE_URL", None)
    data = tmp_path / "data"
    env["PAYABLE_DATA_DIR"] = str(data)
    port = _free_port()

    # when: it starts
    process = subprocess.Popen(
        [sys.executable, "-m", "payable", "serve", "--demo", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = _lines_until_ready(process, timeout=120)
        health = httpx.get(f"http://127.0.0.1:{port}/readyz")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    # then: at most ten lines, none of them the database's chatter, each saying one thing
    assert len(lines) <= MAX_LINES, "\n".join(lines)
    assert not [line for line in lines if any(word in line for word in CHATTER)], lines
    assert lines[-1] == f"ready: http://127.0.0.1:{port} (Ctrl+C stops)"
    assert health.json() == {"status": "ready"}  # "ready" is said once it really is
    by_label = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in lines}
    assert by_label["GraphiQL"].startswith(f"http://127.0.0.1:{port}/graphql ")
    assert by_label["data"] == f"{data} (PostgreSQL's messages: {data / 'setup.log'})"
    header = json.loads(by_label["headers"])
    secret = (data / "jwt-secret").read_text().strip()
    assert verify(header["Authorization"].removeprefix("Bearer "), secret=secret)[1:] == (
        "demo",
        "admin",
    )
    widget = by_label["widget"].split(" ")[0]
    assert widget == f"http://127.0.0.1:{port}/widget#token={header['Authorization'][7:]}"
    # the chatter went to the file the screen names
    setup_log = (data / "setup.log").read_text()
    assert "initdb" in setup_log and "Running upgrade" in setup_log
