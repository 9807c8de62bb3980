"""`payable doctor`: settings, database, migrations and each tenant's gateway, checked in turn;
one sentence per problem, saying what is wrong and what to do."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from payable.db.engine import normalize_url
from payable.db.migrate import alembic_config
from payable.production import MIN_SECRET_LENGTH, is_public
from payable.providers import registry as gateways
from payable.providers.registry import Providers, UnknownProvider
from payable.sandbox import guard
from payable.sandbox import plug as sandbox_plug
from payable.settings import Settings


@dataclass(frozen=True)
class Finding:
    ok: bool
    sentence: str

    def line(self) -> str:
        return f"{'ok' if self.ok else 'problem':8} {self.sentence}"


def load_settings() -> tuple[Settings | None, list[Finding]]:
    try:
        settings = Settings()
    except ValidationError as error:
        return None, [
            Finding(False, f"Setting {_env_name(e['loc'])} is not valid: {e['msg']}.")
            for e in error.errors()
        ]
    return settings, [Finding(True, f"settings read ({settings.environment} mode)")]


def _env_name(loc: tuple[object, ...]) -> str:
    name = str(loc[0]) if loc else "?"
    return name if name.isupper() else f"PAYABLE_{name.upper()}"


def check_settings(settings: Settings) -> Iterator[Finding]:
    refusal = guard.refusal(settings)
    if refusal is not None:
        yield Finding(False, refusal)
    if settings.environment != "production":
        return
    # What `payable serve` refuses in production (payable.production), said for an operator.
    if not settings.jwt_secret:
        yield Finding(
            False,
            "PAYABLE_JWT_SECRET is not set; production needs its own secret to sign tokens.",
        )
    elif len(settings.jwt_secret) < MIN_SECRET_LENGTH:
        yield Finding(
            False,
            f"PAYABLE_JWT_SECRET is shorter than {MIN_SECRET_LENGTH} characters, so tokens could"
            " be forged; set a random one.",
        )
    if not is_public(settings):
        yield Finding(
            False,
            f"PAYABLE_PUBLIC_URL is {settings.public_url}, which gateways and payers' browsers"
            " cannot reach; set it to this server's public address.",
        )
    if settings.metrics_token is None:
        yield Finding(
            True, "metrics are off until PAYABLE_METRICS_TOKEN is set (then /metrics needs it)"
        )


async def check_database(url: str) -> tuple[list[Finding], list[str]]:
    """Reachable, migrated; and the tenants it knows (for the gateway check)."""
    engine = create_async_engine(normalize_url(url), connect_args={"timeout": 5})
    try:
        async with engine.connect() as connection:
            version = await connection.scalar(text("SHOW server_version"))
            found = [Finding(True, f"database reachable (PostgreSQL {version})")]
            has_table = await connection.scalar(text("SELECT to_regclass('alembic_version')"))
            current = (
                set(await connection.scalars(text("SELECT version_num FROM alembic_version")))
                if has_table
                else set()
            )
            found.append(_migrations(url, current))
            has_tenants = await connection.scalar(text("SELECT to_regclass('tenants')"))
            tenants = (
                list(await connection.scalars(text("SELECT slug FROM tenants ORDER BY slug")))
                if has_tenants
                else []
            )
            return found, tenants
    except OSError as error:
        sentence = f"The database cannot be reached ({error}); check DATABASE_URL."
        return [Finding(False, sentence)], []
    except Exception as error:  # a refusal by the server: authentication, no such database
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        return [Finding(False, f"The database refused the connection ({reason}).")], []
    finally:
        await engine.dispose()


def _migrations(url: str, current: set[str]) -> Finding:
    script = ScriptDirectory.from_config(alembic_config(url))
    head = script.get_current_head()
    if current == {head}:
        return Finding(True, f"migrations: at the newest ({head})")
    if not current:
        return Finding(False, "The database has no payable tables yet; run `payable migrate`.")
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = sorted(current - known)
    if unknown:
        return Finding(
            False,
            f"The database is at revision {', '.join(unknown)}, which this version of payable"
            " does not know; run the newer release that migrated it.",
        )
    behind = sum(1 for _ in script.iterate_revisions(head, ",".join(sorted(current))))
    steps = f"{behind} migration{'s' if behind > 1 else ''}"
    at = ", ".join(sorted(current))
    return Finding(
        False, f"The database is {steps} behind (at {at}, newest {head}); run `payable migrate`."
    )


def check_gateways(settings: Settings, tenants: list[str]) -> Iterator[Finding]:
    """Each tenant's gateway (named, or the default) exists and has its credentials."""
    sandbox_plug.plug_in()
    providers = Providers(db=None, settings=settings)  # type: ignore[arg-type]
    default_users = sorted(set(tenants) - set(settings.tenant_providers))
    uses: dict[str, list[str]] = {}
    for tenant, name in sorted(settings.tenant_providers.items()):
        uses.setdefault(name, []).append(tenant)
    broken = False
    for name, users in [*sorted(uses.items()), (settings.default_provider, [])]:
        if users:
            who = (
                f"Tenant {users[0]} pays" if len(users) == 1 else f"Tenants {', '.join(users)} pay"
            )
        else:
            shown = f" ({', '.join(default_users)})" if default_users else ""
            who = f"Tenants not named in PAYABLE_TENANT_PROVIDERS{shown} pay"
        if name not in gateways.known():
            broken = True
            yield Finding(
                False,
                f"{who} through gateway {name!r}, which does not exist;"
                f" use one of {', '.join(gateways.known())}.",
            )
        elif name != "sandbox":
            try:
                providers.by_name(name)
            except UnknownProvider as missing:
                broken = True
                yield Finding(False, f"{who} through {name}, but {missing}.")
    if not broken:
        summary = "; ".join(f"{name}: {', '.join(users)}" for name, users in sorted(uses.items()))
        default = f"default {settings.default_provider}"
        yield Finding(True, f"gateways configured ({summary + '; ' if summary else ''}{default})")


def diagnose(settings: Settings, url: str | None, url_problem: str | None) -> list[Finding]:
    findings = list(check_settings(settings))
    tenants: list[str] = []
    if url_problem is not None:
        findings.append(Finding(False, url_problem))
    elif url is not None:
        database, tenants = asyncio.run(check_database(url))
        findings.extend(database)
    findings.extend(check_gateways(settings, tenants))
    return findings
