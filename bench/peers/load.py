"""One load generator for every system: wrk when it is on PATH, else an asyncio client.

Each run POSTs the system's own request body at a fixed concurrency for a fixed time and
reports throughput, p50 and p99 latency, failed requests, and the CPU the app's process and
PostgreSQL used per request over the run.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from peers.processes import cpu_seconds

# wrk sends the body in WRK_BODY's file with the headers in WRK_HEADERS ("name: value" lines).
WRK_SCRIPT = """
local f = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
for line in string.gmatch(os.getenv("WRK_HEADERS") or "", "[^\\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  wrk.headers[name] = value
end
"""
SOCKET_ERRORS = r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    body: bytes
    headers: dict[str, str]
    pid: int  # the app's process


@dataclass(frozen=True)
class Sample:
    """What the generator saw."""

    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Run:
    system: str
    concurrency: int
    round: int
    sample: Sample
    app_cpu_ms: float  # per request
    db_cpu_ms: float


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text}")
    return float(match[1]) * UNITS_MS[match[2]]


def _wrk(target: Target, concurrency: int, seconds: float, scratch: Path) -> Sample:
    body, script = scratch / f"{target.name}.json", scratch / "post.lua"
    body.write_bytes(target.body)
    script.write_text(WRK_SCRIPT)
    headers = "\n".join(f"{k}: {v}" for k, v in target.headers.items())
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "60s"]
    out = subprocess.run(
        [*command, "--latency", "-s", str(script), target.url],
        env={"WRK_BODY": str(body), "WRK_HEADERS": headers, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def found(pattern: str) -> str:
        match = re.search(pattern, out)
        if match is None:
            raise ValueError(f"wrk said something else:\n{out}")
        return match[1]

    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    if sockets := re.search(SOCKET_ERRORS, out):
        errors += sum(int(n) for n in sockets.groups())
    return Sample(
        requests=int(found(r"(\d+) requests in")),
        errors=errors,
        rps=float(found(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(found(r"\s50%\s+(\S+)")),
        p99_ms=_ms(found(r"\s99%\s+(\S+)")),
    )


async def _python(target: Target, concurrency: int, seconds: float) -> Sample:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=target.headers) as http:
        headers = {"Content-Type": "application/json"}
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                response = await http.post(target.url, content=target.body, headers=headers)
                latencies.append(time.perf_counter() - sent)
                errors += response.status_code >= 300

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return Sample(
        requests=len(latencies),
        errors=errors,
        rps=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies) * 1e3,
        p99_ms=latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] * 1e3,
    )


def generator() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def drive(target: Target, concurrency: int, seconds: float, scratch: Path) -> Sample:
    if generator() == "wrk":
        return _wrk(target, concurrency, seconds, scratch)
    return asyncio.run(_python(target, concurrency, seconds))


def measure(
    target: Target, *, concurrency: int, seconds: float, round: int, db_pid: int, scratch: Path
) -> Run:
    """One measured run, with the CPU the app and PostgreSQL spent on it."""
    app, db = cpu_seconds(target.pid), cpu_seconds(db_pid)
    sample = drive(target, concurrency, seconds, scratch)
    per_request = 1e3 / max(1, sample.requests)
    return Run(
        system=target.name,
        concurrency=concurrency,
        round=round,
        sample=sample,
        app_cpu_ms=(cpu_seconds(target.pid) - app) * per_request,
        db_cpu_ms=(cpu_seconds(db_pid) - db) * per_request,
    )
