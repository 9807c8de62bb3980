"""Embedded PostgreSQL server, used when no DATABASE_URL is configured."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

_HINT = "set DATABASE_URL to a PostgreSQL server instead"
# sun_path holds ~107 bytes on Linux (103 on macOS); stay below both.
_MAX_SOCKET_PATH = 100


class EmbeddedUnavailable(RuntimeError):
    """No embedded PostgreSQL could be started; DATABASE_URL must be configured."""


@dataclass
class EmbeddedPostgres:
    """A running embedded cluster and the asyncpg SQLAlchemy URL of its database."""

    url: str
    _stop: Callable[[], None] | None = field(default=None, repr=False)

    def stop(self) -> None:
        """Stop the server (and delete it if ephemeral); later calls do nothing."""
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()


def start_embedded(
    data_dir: Path, *, database: str = "payable", ephemeral: bool = False
) -> EmbeddedPostgres:
    """Start (or reuse) a PostgreSQL cluster living in data_dir; create `database` if missing."""
    pgdata = Path(data_dir).expanduser().resolve() / "pg"
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        return _start_with_pgserver(pgdata, database, ephemeral) or _start_with_pg_ctl(
            pgdata, database, ephemeral
        )
    except EmbeddedUnavailable:
        raise
    except (OSError, RuntimeError, IndexError, subprocess.SubprocessError) as err:
        # Callers only need to know to fall back to DATABASE_URL; keep the cause chained.
        raise EmbeddedUnavailable(
            f"The embedded PostgreSQL server in {pgdata} failed to start ({err}); {_HINT}."
        ) from err


def _start_with_pgserver(pgdata: Path, database: str, ephemeral: bool) -> EmbeddedPostgres | None:
    """Use pgserver's bundled binaries (which also cope with root); None if not installed."""
    with _quiet_platformdirs():
        try:
            import pgserver
        except ImportError:
            return None
        server = pgserver.get_server(pgdata, cleanup_mode="delete" if ephemeral else "stop")
    server.psql(_create_database_sql(database))
    # pgserver moves the socket to its runtime dir when pgdata is too deep for sun_path.
    socket_dir = server.get_postmaster_info().socket_dir
    return EmbeddedPostgres(_url(database, socket_dir), server.cleanup)


@contextlib.contextmanager
def _quiet_platformdirs() -> Iterator[None]:
    # pgserver asks platformdirs for a runtime dir at import time, which warns
    # loudly when XDG_RUNTIME_DIR is unset (containers, cron, CI).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        yield


def _create_database_sql(database: str) -> str:
    # CREATE DATABASE has no IF NOT EXISTS and can't run inside DO, so let psql's
    # \gexec execute the statement only when pg_database lacks the name.
    name = "'" + database.replace("'", "''") + "'"
    return (
        "\\set ON_ERROR_STOP on\n"
        f"SELECT format('CREATE DATABASE %I', {name})"
        f" WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = {name})\\gexec\n"
    )


def _url(database: str, socket_dir: Path | str) -> str:
    return f"postgresql+asyncpg://postgres@/{quote(database)}?host={quote(str(socket_dir))}"


def _find_tool(name: str) -> str | None:
    """Locate a PostgreSQL binary on PATH, else in `pg_config --bindir`."""
    if found := shutil.which(name):
        return found
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout
    candidate = Path(bindir.strip(), name)
    return str(candidate) if candidate.is_file() else None


def _socket_dir(pgdata: Path) -> Path:
    # A deep data_dir would overflow sun_path, so fall back to a short directory
    # in /tmp named after pgdata, keeping it stable across restarts.
    if len(str(pgdata / ".s.PGSQL.5432").encode()) <= _MAX_SOCKET_PATH:
        return pgdata
    digest = hashlib.sha256(str(pgdata).encode()).hexdigest()[:12]
    sock = Path(tempfile.gettempdir(), f"payable-pg-{digest}")
    sock.mkdir(mode=0o700, exist_ok=True)
    return sock


def _start_with_pg_ctl(pgdata: Path, database: str, ephemeral: bool) -> EmbeddedPostgres:
    """Run the system initdb/pg_ctl on a unix socket (no TCP listener)."""
    initdb, pg_ctl, psql = (_find_tool(name) for name in ("initdb", "pg_ctl", "psql"))
    # initdb refuses to run as root, so root without pgserver has nothing to run.
    if not (initdb and pg_ctl and psql) or os.geteuid() == 0:
        raise EmbeddedUnavailable(
            "No embedded PostgreSQL is available (install the `pgserver` package, or put"
            f" initdb/pg_ctl on PATH and run as a non-root user); {_HINT}."
        )
    if not (pgdata / "PG_VERSION").exists():
        cmd = [initdb, "-D", str(pgdata), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
        subprocess.run(cmd, check=True, capture_output=True)
    # `pg_ctl status` exits 0 only when this cluster is already running: reuse it.
    if subprocess.run([pg_ctl, "status", "-D", str(pgdata)], capture_output=True).returncode:
        opts = f"-k {shlex.quote(str(_socket_dir(pgdata)))} -c listen_addresses=''"
        cmd = [pg_ctl, "start", "-w", "-D", str(pgdata), "-l", str(pgdata / "log"), "-o", opts]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    # postmaster.pid line 5 is the socket dir the running server actually uses.
    sock = (pgdata / "postmaster.pid").read_text().splitlines()[4]
    conn = ["-h", sock, "-U", "postgres", "-d", "postgres", "-qAt"]
    sql = _create_database_sql(database).encode()
    subprocess.run([psql, *conn], input=sql, check=True, capture_output=True)

    def stop() -> None:
        subprocess.run([pg_ctl, "stop", "-D", str(pgdata), "-m", "fast", "-w"], capture_output=True)
        if ephemeral:
            shutil.rmtree(pgdata, ignore_errors=True)
            if Path(sock) != pgdata:
                shutil.rmtree(sock, ignore_errors=True)

    handle = EmbeddedPostgres(_url(database, sock), stop)
    atexit.register(handle.stop)  # mirror pgserver: never leave a postmaster behind
    return handle
