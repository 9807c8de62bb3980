"""The tenant's own rules (who may approve a refund) and its payment gateway."""

from __future__ import annotations

import uuid

import strawberry

from payable.core import permissions
from payable.graphql import guard
from payable.graphql.context import ctx
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.mutations.runner import Outcome
from payable.graphql.types.common import UserError
from payable.providers.base import is_test_money
from payable.providers.registry import Providers
from payable.tenants import service as tenants


@strawberry.type(description="Rules this tenant chose for itself.")
class TenantSettings:
    refund_four_eyes: bool = strawberry.field(
        description="The person who requested a refund cannot approve it (on by default)."
    )


@strawberry.type(
    description="A payment gateway this server speaks. Its credentials live in the server's"
    " settings only: never in the API or the logs."
)
class PaymentGateway:
    name: str = strawberry.field(description="sandbox, arca, ameriabank, idram or telcell.")
    configured: bool = strawberry.field(
        description="Its credentials are set, so links can be made through it."
    )
    test_money: bool = strawberry.field(description="Its money never moves (the sandbox).")
    status_lookup: bool = strawberry.field(
        description="The server can ask it about an order. False for the wallets (Idram,"
        " Telcell): their signed callbacks and daily report are the only news, and their"
        " refunds are made by hand (recordManualRefund)."
    )


@strawberry.type
class PaymentGateways:
    current: PaymentGateway = strawberry.field(description="The gateway this tenant pays through.")
    available: list[PaymentGateway] = strawberry.field(
        description="The gateways configured on this server (the server's settings choose per"
        " tenant: PAYABLE_TENANT_PROVIDERS)."
    )


def _gateway(providers: Providers, name: str) -> PaymentGateway:
    provider = providers.configured(name)
    return PaymentGateway(
        name=name,
        configured=provider is not None,
        test_money=is_test_money(name),
        status_lookup=bool(provider and provider.supports_status_lookup),
    )


@strawberry.type
class TenantSettingsPayload:
    settings: TenantSettings | None
    errors: list[UserError]


async def _settings(info: strawberry.Info) -> TenantSettings:
    context = ctx(info)
    row = await tenants.settings(session=context.read_session, tenant_id=context.caller.tenant_id)
    return TenantSettings(refund_four_eyes=row.refund_four_eyes)


@strawberry.type
class TenantQueries:
    @strawberry.field(description="This tenant's rules.")
    async def tenant_settings(self, info: strawberry.Info) -> TenantSettings:
        return await _settings(info)

    @strawberry.field(
        description="Admins only: the gateway this tenant pays through and the ones available."
        " Codes: FORBIDDEN."
    )
    async def payment_gateways(self, info: strawberry.Info) -> PaymentGateways:
        principal = await guard.require(
            info, operation="paymentGateways", permission=permissions.Action.READ_GATEWAYS
        )
        providers = ctx(info).providers
        return PaymentGateways(
            current=_gateway(providers, providers.tenant_gateway(principal.tenant_slug)),
            available=[_gateway(providers, name) for name in providers.available()],
        )


async def _settings_payload(call: Call, outcome: Outcome) -> TenantSettingsPayload:
    if outcome.result_id is None:
        return TenantSettingsPayload(settings=None, errors=outcome.errors)
    return TenantSettingsPayload(settings=await _settings(call.info), errors=[])


@strawberry.type
class TenantMutations:
    @mutation(
        role=permissions.Action.TENANT_SETTINGS,
        answer=_settings_payload,
        description="Admins only: whether a refund needs a second person to approve it.",
    )
    async def set_refund_four_eyes(call: Call, required: bool) -> uuid.UUID:
        return await tenants.set_refund_four_eyes(
            session=call.session, principal=call.principal, required=required
        )
