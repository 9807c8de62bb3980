"""Which gateway serves which tenant, built from settings once per process."""

from __future__ import annotations

from functools import cached_property

from pydantic import SecretStr

from payable.db.engine import Database
from payable.providers.ameriabank import AmeriabankProvider, AmeriaConfig
from payable.providers.arca import ArcaConfig, ArcaProvider
from payable.providers.base import Provider
from payable.sandbox.gateway import SandboxGateway
from payable.settings import Settings


class UnknownProvider(LookupError):
    """No such gateway, or one whose credentials are not configured."""


def _secret(value: SecretStr | None, name: str) -> str:
    if value is None:
        raise UnknownProvider(f"{name} is not configured")
    return value.get_secret_value()


class Providers:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    @cached_property
    def sandbox(self) -> SandboxGateway:
        # The sandbox stands in for a remote system: its own small pool, so the app waiting on
        # it while holding a connection can never starve it of one.
        s = self.settings
        own = Database(self.db.url, pool_size=3)
        return SandboxGateway(
            own,
            public_url=s.public_url,
            secrets=s.sandbox_secrets,
            refund_answer=s.sandbox_refund_answer,
        )

    async def close(self) -> None:
        if "sandbox" in self.__dict__:
            await self.sandbox.db.dispose()

    @cached_property
    def arca(self) -> ArcaProvider:
        s = self.settings
        config = ArcaConfig(
            base_url=s.arca_base_url,
            username=_secret(s.arca_username, "PAYABLE_ARCA_USERNAME"),
            password=_secret(s.arca_password, "PAYABLE_ARCA_PASSWORD"),
            callback_key=s.arca_callback_key.get_secret_value() if s.arca_callback_key else None,
            timeout_seconds=s.provider_timeout_seconds,
        )
        return ArcaProvider(config)

    @cached_property
    def ameriabank(self) -> AmeriabankProvider:
        s = self.settings
        config = AmeriaConfig(
            base_url=s.ameriabank_base_url,
            client_id=_secret(s.ameriabank_client_id, "PAYABLE_AMERIABANK_CLIENT_ID"),
            username=_secret(s.ameriabank_username, "PAYABLE_AMERIABANK_USERNAME"),
            password=_secret(s.ameriabank_password, "PAYABLE_AMERIABANK_PASSWORD"),
            timeout_seconds=s.provider_timeout_seconds,
        )
        return AmeriabankProvider(config)

    def by_name(self, name: str) -> Provider:
        if name not in ("sandbox", "arca", "ameriabank"):
            raise UnknownProvider(name)
        return getattr(self, name)

    def configured(self, name: str) -> Provider | None:
        """The gateway if it is known and has its credentials, else None."""
        try:
            return self.by_name(name)
        except UnknownProvider:
            return None

    def for_tenant(self, tenant_slug: str) -> Provider:
        return self.by_name(
            self.settings.tenant_providers.get(tenant_slug, self.settings.default_provider)
        )
