"""Which gateway serves which tenant, built from settings once per process."""

from __future__ import annotations

from functools import cached_property

from payable.db.engine import Database
from payable.providers.base import Provider
from payable.sandbox.gateway import SandboxGateway
from payable.settings import Settings


class UnknownProvider(LookupError):
    pass


class Providers:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    @cached_property
    def sandbox(self) -> SandboxGateway:
        return SandboxGateway(
            self.db,
            public_url=self.settings.public_url,
            secrets=self.settings.sandbox_webhook_secrets,
        )

    def by_name(self, name: str) -> Provider:
        if name == "sandbox":
            return self.sandbox
        raise UnknownProvider(name)

    def for_tenant(self, tenant_slug: str) -> Provider:
        return self.by_name(
            self.settings.tenant_providers.get(tenant_slug, self.settings.default_provider)
        )
