"""When the server may not start: production configured to take sandbox (test) money.

The sandbox approves whatever its page is told to, so in production it must never be a
tenant's gateway, by default or by name, and its published secret must never be trusted.
"""

from __future__ import annotations

from payable.settings import SANDBOX_PUBLIC_SECRET, Settings

_ESCAPE = "or set PAYABLE_ENV=development (or demo) for a test server"


class SandboxInProduction(RuntimeError):
    """The settings would let the sandbox test gateway take money in production."""


def refusal(settings: Settings) -> str | None:
    """One sentence saying why these settings may not serve, or None when they may."""
    if settings.sandbox_enabled:
        return None
    if settings.default_provider == "sandbox":
        return (
            "Refusing to start in production: tenants not named in PAYABLE_TENANT_PROVIDERS"
            " would pay through the sandbox test gateway; set PAYABLE_DEFAULT_PROVIDER to arca"
            f" or ameriabank, {_ESCAPE}."
        )
    tenants = sorted(t for t, name in settings.tenant_providers.items() if name == "sandbox")
    if tenants:
        return (
            f"Refusing to start in production: PAYABLE_TENANT_PROVIDERS sends {', '.join(tenants)}"
            f" to the sandbox test gateway; give them a real gateway, {_ESCAPE}."
        )
    if SANDBOX_PUBLIC_SECRET in settings.sandbox_webhook_secrets:
        return (
            "Refusing to start in production: PAYABLE_SANDBOX_WEBHOOK_SECRETS holds the public"
            f" default {SANDBOX_PUBLIC_SECRET!r}; remove it, {_ESCAPE}."
        )
    return None


def check(settings: Settings) -> None:
    """Raise SandboxInProduction (with that sentence) when these settings may not serve."""
    reason = refusal(settings)
    if reason is not None:
        raise SandboxInProduction(reason)
