"""Benchmark: payable's nested 100-booking list beside PostGraphile 4 and a raw asyncpg endpoint.

One database (embedded PostgreSQL, or DATABASE_URL with a fresh tenant), seeded with 1,000
bookings through payable's own API; `payable serve` (rate limits off), PostGraphile 4
(installed from npm into bench/.peers/) and bench/peers/raw_server.py (the statements payable
runs, asyncpg, orjson) serve it. The answers are checked to carry the same rows, then one load
generator (wrk if on PATH, else Python) drives each system in interleaved rounds. Prints
req/s, p50, p99 and the CPU per request of each system, and payable's ratios to the others.
Run by hand (needs node and npm):
`.venv/bin/python bench/side_by_side.py [--rounds 3] [--duration 10] [--concurrency 8,1]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import asyncpg
import httpx
from peers import answers, queries, report
from peers.load import Run, Target, drive, generator, measure
from peers.processes import free_port, running
from peers.seed import seed
from sqlalchemy import make_url

from payable.core.principal import Role
from payable.core.tokens import issue
from payable.db.embedded import start_embedded
from payable.db.engine import asyncpg_dsn
from payable.db.migrate import upgrade

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers"  # git-ignored: PostGraphile's install, logs, request bodies
POSTGRAPHILE = PEERS / "postgraphile" / "node_modules" / ".bin" / "postgraphile"
SECRET = "bench-secret-" + uuid.uuid4().hex
SYSTEMS = ("payable", "postgraphile", "raw")


def install_postgraphile() -> None:
    if POSTGRAPHILE.exists():
        return
    print("installing postgraphile@4 from npm into bench/.peers/ (once)", flush=True)
    prefix = POSTGRAPHILE.parents[2]
    prefix.mkdir(parents=True, exist_ok=True)
    command = ["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(prefix)]
    subprocess.run([*command, "postgraphile@4"], check=True)


@contextlib.contextmanager
def database(data_dir: Path) -> Iterator[str]:
    """DATABASE_URL when set, else an embedded PostgreSQL deleted afterwards; migrated."""
    if url := os.environ.get("DATABASE_URL"):
        upgrade(url)
        yield url
        return
    embedded = start_embedded(data_dir, ephemeral=True)
    try:
        upgrade(embedded.url)
        yield embedded.url
    finally:
        embedded.stop()


def node_dsn(url: str) -> str:
    """The database for node-postgres: a unix socket directory goes in the host, encoded."""
    parsed = make_url(url)
    host = parsed.query.get("host") or parsed.host or "127.0.0.1"
    host = host if isinstance(host, str) else host[0]
    user = quote(parsed.username or "postgres")
    if parsed.password:
        user += ":" + quote(parsed.password)
    port = f":{parsed.port}" if parsed.port else ""
    return f"postgres://{user}@{quote(host, safe='')}{port}/{parsed.database}"


def token(tenant: str, role: Role, sub: str) -> str:
    return issue(secret=SECRET, tenant=tenant, role=role, sub=sub, ttl=timedelta(hours=6))


async def prepare(dsn: str, tenant: str) -> tuple[str, int]:
    """Fresh statistics after seeding; the tenant's id and the PostgreSQL server's pid."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("VACUUM ANALYZE")
        tenant_id = await connection.fetchval("SELECT id FROM tenants WHERE slug = $1", tenant)
        backend = await connection.fetchval("SELECT pg_backend_pid()")
    finally:
        await connection.close()
    with contextlib.suppress(OSError):  # the postmaster is the backend's parent, when local
        stat = Path(f"/proc/{backend}/stat").read_text()
        return str(tenant_id), int(stat.rpartition(")")[2].split()[1])
    return str(tenant_id), 0


def same_rows(targets: list[Target]) -> None:
    """Every answer carries payable's rows, or the bench stops before measuring."""
    found = {}
    for target in targets:
        headers = target.headers | {"Content-Type": "application/json"}
        response = httpx.post(target.url, content=target.body, headers=headers, timeout=120)
        body = response.json()
        if response.is_error or body.get("errors"):
            raise SystemExit(f"{target.name} answered {response.status_code}: {str(body)[:400]}")
        read = answers.from_postgraphile if target.name == "postgraphile" else answers.from_payable
        found[target.name] = rows = read(body)
        print(f"  {target.name:<13} {len(response.content):>9,} bytes, {answers.counts(rows)}")
    for name, rows in found.items():
        if problems := answers.differences(found["payable"], rows):
            raise SystemExit(f"{name}'s answer differs from payable's: {'; '.join(problems)}")
    print("  same bookings and nested rows in every answer")


def rounds(targets: list[Target], args: argparse.Namespace, db_pid: int) -> list[Run]:
    """Each round runs every system at every concurrency, starting with another system."""
    scratch, runs = PEERS / "load", []
    scratch.mkdir(parents=True, exist_ok=True)
    for target in targets:  # JIT, caches, pools
        drive(target, max(args.concurrency), 3, scratch)
    for n in range(1, args.rounds + 1):
        for concurrency in args.concurrency:
            shift = (n - 1) % len(targets)
            for target in targets[shift:] + targets[:shift]:
                drive(target, concurrency, 1, scratch)  # its connections open again
                run = measure(
                    target,
                    concurrency=concurrency,
                    seconds=args.duration,
                    round=n,
                    db_pid=db_pid,
                    scratch=scratch,
                )
                runs.append(run)
                print(f"  round {n} c={concurrency} {run.system:<13} {_line(run)}", flush=True)
    return runs


def _line(run: Run) -> str:
    s = run.sample
    return (
        f"{s.rps:7.1f} req/s  p50 {s.p50_ms:7.1f} ms  p99 {s.p99_ms:7.1f} ms"
        f"  app CPU {run.app_cpu_ms:6.1f} ms/req  errors {s.errors}"
    )


def payable_env(url: str, data_dir: str) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": url,
        "PAYABLE_DATA_DIR": data_dir,
        "PAYABLE_JWT_SECRET": SECRET,
        "PAYABLE_ENV": "development",  # pays through the sandbox gateway
        "PAYABLE_RATE_LIMIT_ENABLED": "false",  # one client asking a lot
        "PAYABLE_WORKERS_ENABLED": "false",
        "PAYABLE_LOG_LEVEL": "WARNING",
    }


@dataclass(frozen=True)
class Peers:
    """How to start the other two systems on the same database and tenant."""

    url: str
    tenant: str
    ports: dict[str, int]

    def postgraphile(self) -> list[str]:
        return [
            *(str(POSTGRAPHILE), "-c", node_dsn(self.url), "-s", "public"),
            *("--host", "127.0.0.1", "--port", str(self.ports["postgraphile"])),
            *("--disable-query-log", "--disable-graphiql"),
        ]

    def raw(self) -> list[str]:
        script, dsn = str(HERE / "peers" / "raw_server.py"), asyncpg_dsn(self.url)
        port = str(self.ports["raw"])
        return [sys.executable, script, "--dsn", dsn, "--tenant", self.tenant, "--port", port]

    def address(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


def targets(peers: Peers, tenant_id: str, pids: dict[str, int]) -> list[Target]:
    """Each system's request for the same page: payable first, the ratios' subject."""
    bench = token(peers.tenant, Role.OPERATOR, "bench")
    pg4 = {"query": queries.POSTGRAPHILE, "variables": {"tenant": tenant_id}}
    return [
        Target(
            "payable",
            f"{peers.address('payable')}/graphql",
            json.dumps({"query": queries.PAYABLE}).encode(),
            {"Authorization": f"Bearer {bench}"},
            pids["payable"],
        ),
        Target(
            "postgraphile",
            f"{peers.address('postgraphile')}/graphql",
            json.dumps(pg4).encode(),
            {},
            pids["postgraphile"],
        ),
        Target("raw", f"{peers.address('raw')}/graphql", b"{}", {}, pids["raw"]),
    ]


def bench(args: argparse.Namespace, url: str, data_dir: str) -> list[Run]:
    logs = PEERS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    peers = Peers(url, f"peers-{uuid.uuid4().hex[:8]}", {n: free_port() for n in SYSTEMS})
    base = peers.address("payable")
    serve = [sys.executable, "-m", "payable", "serve", "--port", str(peers.ports["payable"])]
    env = payable_env(url, data_dir)
    with running(serve, log=logs / "payable.log", ready=f"{base}/readyz", env=env) as payable:
        print(f"seeding {args.bookings} bookings through payable's API ...", flush=True)
        seeder, approver = (token(peers.tenant, Role.ADMIN, sub) for sub in ("seeder", "approver"))
        counts = asyncio.run(
            seed(base=base, token=seeder, approver=approver, bookings=args.bookings)
        )
        print("  " + ", ".join(f"{n} {what}" for what, n in sorted(counts.items())))
        tenant_id, db_pid = asyncio.run(prepare(asyncpg_dsn(url), peers.tenant))
        with (
            running(
                peers.postgraphile(),
                log=logs / "postgraphile.log",
                ready=f"{peers.address('postgraphile')}/graphql",
            ) as postgraphile,
            running(
                peers.raw(), log=logs / "raw.log", ready=f"{peers.address('raw')}/healthz"
            ) as raw,
        ):
            pids = {"payable": payable.pid, "postgraphile": postgraphile.pid, "raw": raw.pid}
            systems = targets(peers, tenant_id, pids)
            print("checking the answers ...")
            same_rows(systems)
            print(
                f"load: {generator()}, {args.rounds} interleaved rounds,"
                f" {args.duration:.0f} s per system and concurrency"
            )
            return rounds(systems, args, db_pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument(
        "--concurrency",
        type=lambda value: [int(c) for c in value.split(",")],
        default=[8, 1],
        help="connections, comma-separated (default 8,1)",
    )
    parser.add_argument("--bookings", type=int, default=1000)
    args = parser.parse_args()
    install_postgraphile()
    with (
        tempfile.TemporaryDirectory(prefix="payable-peers-") as data_dir,
        database(Path(data_dir)) as url,
    ):
        runs = bench(args, url, data_dir)
    print("\nMedians over the rounds (one machine: load generator and PostgreSQL share it)\n")
    print(report.figures(runs, list(SYSTEMS)))
    print("\npayable's ratios to the others, round by round: median (min-max)\n")
    print(report.ratios(runs, "payable", ["postgraphile", "raw"]))


if __name__ == "__main__":
    main()
