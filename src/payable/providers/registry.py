"""Which gateway serves which tenant, built from settings once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from pydantic import SecretStr

from payable.db.engine import Database
from payable.providers.ameriabank import AmeriabankProvider, AmeriaConfig
from payable.providers.arca import ArcaConfig, ArcaProvider
from payable.providers.base import Provider
from payable.providers.idram import IdramConfig, IdramProvider
from payable.providers.telcell import TelcellConfig, TelcellProvider
from payable.settings import Settings

# The real gateways this package speaks, in the order the API lists them (after plugged ones).
GATEWAYS = ("arca", "ameriabank", "idram", "telcell")

Build = Callable[[Database, Settings], Provider]


@dataclass(frozen=True, slots=True)
class Plugged:
    build: Build
    test_money: bool  # offered only where test money is allowed (``sandbox_enabled``)


# Gateways that plug themselves in from outside this package (the sandbox), by name.
_plugged: dict[str, Plugged] = {}


def plug(name: str, build: Build, *, test_money: bool = False) -> None:
    """Make ``name`` a gateway; built once per ``Providers``, on first use."""
    _plugged[name] = Plugged(build, test_money)


def known() -> tuple[str, ...]:
    """Every gateway name, plugged ones first."""
    return (*_plugged, *GATEWAYS)


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
        self._built: dict[str, Provider] = {}

    def __getattr__(self, name: str) -> Provider:
        """A plugged gateway by attribute, like the real ones (``providers.sandbox``)."""
        if name.startswith("_") or name not in _plugged:
            raise AttributeError(name)
        return self._plugged(name)

    def _plugged(self, name: str) -> Provider:
        if name not in self._built:
            self._built[name] = _plugged[name].build(self.db, self.settings)
        return self._built[name]

    async def close(self) -> None:
        for gateway in self._built.values():
            await gateway.close()  # type: ignore[attr-defined]

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

    @cached_property
    def idram(self) -> IdramProvider:
        s = self.settings
        config = IdramConfig(
            rec_account=_secret(s.idram_rec_account, "PAYABLE_IDRAM_REC_ACCOUNT"),
            secret_key=_secret(s.idram_secret_key, "PAYABLE_IDRAM_SECRET_KEY"),
            public_url=s.public_url,
            form_url=s.idram_form_url,
            language=s.idram_language,
        )
        return IdramProvider(config)

    @cached_property
    def telcell(self) -> TelcellProvider:
        s = self.settings
        config = TelcellConfig(
            shop_id=_secret(s.telcell_shop_id, "PAYABLE_TELCELL_SHOP_ID"),
            shop_key=_secret(s.telcell_shop_key, "PAYABLE_TELCELL_SHOP_KEY"),
            public_url=s.public_url,
            invoice_url=s.telcell_invoice_url,
            valid_days=s.telcell_valid_days,
        )
        return TelcellProvider(config)

    def by_name(self, name: str) -> Provider:
        if name in _plugged:
            return self._plugged(name)
        if name not in GATEWAYS:
            raise UnknownProvider(name)
        return getattr(self, name)

    def available(self) -> list[str]:
        """The gateways a tenant could be switched to: known and with their credentials."""
        # Test money never counts in production: the sandbox is not even built there.
        test_money = self.settings.sandbox_enabled
        plugged = [n for n, p in _plugged.items() if test_money or not p.test_money]
        names = [*plugged, *GATEWAYS]
        return [name for name in names if self.configured(name) is not None]

    def tenant_gateway(self, tenant_slug: str) -> str:
        return self.settings.tenant_providers.get(tenant_slug, self.settings.default_provider)

    def configured(self, name: str) -> Provider | None:
        """The gateway if it is known and has its credentials, else None."""
        try:
            return self.by_name(name)
        except UnknownProvider:
            return None

    def for_tenant(self, tenant_slug: str) -> Provider:
        return self.by_name(self.tenant_gateway(tenant_slug))
