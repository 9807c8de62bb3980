"""Runtime settings, read from the environment (prefix ``PAYABLE_``, plus ``DATABASE_URL``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "demo", "production"]
# Published in this repository: it authenticates nothing, so production never accepts it.
SANDBOX_PUBLIC_SECRET = "sandbox-development-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYABLE_", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "PAYABLE_DATABASE_URL")
    )
    # PAYABLE_ENV. Unset: development on the embedded database, production with DATABASE_URL,
    # so a server pointed at a real database never takes test money by default.
    env: Environment | None = None
    data_dir: Path = Path(".payable")
    jwt_secret: str | None = None
    jwt_ttl_hours: int = 12
    max_page_size: int = 100
    max_query_depth: int = 12
    # Request limits, checked before a request runs (README, "Limits").
    max_body_bytes: int = 2 * 1024 * 1024
    max_webhook_bytes: int = 64 * 1024
    max_query_tokens: int = 5000
    max_query_aliases: int = 30
    max_root_fields: int = 20
    max_query_fragments: int = 64
    max_query_cost: int = 50_000
    query_cost_list_size: int = 10
    max_string_length: int = 10_000
    # Rate limits, counted in each process (see payable.web.rate_limit), `limits` notation.
    rate_limit_enabled: bool = True
    rate_limit_per_address: str = "600/minute"
    rate_limit_per_token: str = "300/minute"
    rate_limit_webhooks: str = "300/minute"
    rate_limit_return_page: str = "30/minute"
    rate_limit_new_tenants: str = "20/hour"
    db_pool_size: int = 10
    log_level: str = "INFO"
    # /metrics: open in development and demo; in production only with this bearer token.
    metrics_token: SecretStr | None = None
    # Traces: off unless set, e.g. http://otel-collector:4318 (OTLP over HTTP).
    otlp_endpoint: str | None = None

    # Where browsers and gateways reach this server (payment pages, return URLs, callbacks);
    # production refuses to start without it (payable.production).
    public_url: str = "http://127.0.0.1:8000"
    # Exposure (README, "Production"). GraphiQL and introspection: unset, on outside production
    # and off in it (introspection follows GraphiQL, which needs it). CORS: the browser origins
    # allowed to call the API; unset, pages on this machine outside production, none in it.
    graphiql: bool | None = None
    introspection: bool | None = None
    cors_origins: list[str] | None = None
    # Payment gateway per tenant slug (JSON object); tenants not named use default_provider.
    default_provider: str = "sandbox"
    tenant_providers: dict[str, str] = {}
    provider_timeout_seconds: float = 10.0

    # The embedded sandbox gateway (development and demo only): signing secrets (the first
    # signs; any verifies, for rotation; none set: the public one) and how it delivers
    # callbacks, so late, duplicate and lost ones can be tried.
    sandbox_webhook_secrets: list[str] = []
    sandbox_callback: Literal["deliver", "duplicate", "drop"] = "deliver"
    sandbox_callback_delay_seconds: float = 0.0
    # After refunding: answer, lose the answer, or hang (crash tests of exactly-once refunds).
    sandbox_refund_answer: Literal["answer", "lose", "hang"] = "answer"

    # Real gateways (credentials never appear in logs or in the API).
    arca_base_url: str = "https://ipaytest.arca.am:8445/payment/rest"
    arca_username: SecretStr | None = None
    arca_password: SecretStr | None = None
    arca_callback_key: SecretStr | None = None
    ameriabank_base_url: str = "https://servicestest.ameriabank.am/VPOS/"
    ameriabank_client_id: SecretStr | None = None
    ameriabank_username: SecretStr | None = None
    ameriabank_password: SecretStr | None = None
    # Wallets: Idram (our account and the secret key its staff set up) and Telcell (shop id
    # and key). The account and shop id are identifiers, yet kept with the secrets: never shown.
    idram_rec_account: SecretStr | None = None
    idram_secret_key: SecretStr | None = None
    idram_form_url: str = "https://banking.idram.am/Payment/GetPayment"
    idram_language: Literal["AM", "RU", "EN"] = "EN"
    telcell_shop_id: SecretStr | None = None
    telcell_shop_key: SecretStr | None = None
    telcell_invoice_url: str = "https://telcellmoney.am/invoices"
    telcell_valid_days: int = Field(default=1, ge=1, le=30)

    # Subscriptions: events read per round, how far behind a live subscriber may fall before it
    # is ended (it resumes with `after`), and the slow poll that covers lost notifications.
    subscription_batch: int = 100
    subscription_max_backlog: int = 10_000
    subscription_poll_seconds: float = 10.0
    # Bounds: subscriptions open at once on one websocket, and events replayed (`after`) per
    # token (sub + tenant) per minute, in each process; live events are not counted.
    subscription_max_per_socket: int = Field(default=20, ge=1)
    subscription_replay_per_minute: int = Field(default=50_000, ge=1)

    # Background workers: pending links are looked up at the gateway after this long.
    workers_enabled: bool = True
    poll_pending_after_minutes: float = 5.0
    worker_interval_seconds: float = 30.0
    # Confirmed bookings complete this long after their service ended (unless marked otherwise).
    complete_after_hours: float = 24.0

    @property
    def environment(self) -> Environment:
        return self.env or ("production" if self.database_url else "development")

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.environment != "production"

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else self.graphiql_enabled

    @property
    def sandbox_enabled(self) -> bool:
        """The sandbox test gateway exists only in development and demo mode."""
        return self.environment != "production"

    @property
    def sandbox_secrets(self) -> list[str]:
        fallback = [SANDBOX_PUBLIC_SECRET] if self.sandbox_enabled else []
        return self.sandbox_webhook_secrets or fallback

    # Outbound webhooks: retries every base * 2^n seconds (with jitter) for this many hours
    # from the first attempt, then FAILED; an attempt gets this long for its whole answer.
    webhook_retry_base_seconds: float = 10.0
    webhook_retry_hours: float = 24.0
    webhook_timeout_seconds: float = 10.0

    # How long an idempotency key keeps its first answer (Stripe: 24 h); later it is new again.
    idempotency_retention_hours: float = 24.0


@lru_cache
def get_settings() -> Settings:
    return Settings()
