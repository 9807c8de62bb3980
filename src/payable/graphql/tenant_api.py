"""The tenant's own rules: who may approve a refund."""

from __future__ import annotations

import strawberry

from payable.core import permissions
from payable.graphql import mutation
from payable.graphql.context import ctx
from payable.graphql.types.common import UserError
from payable.tenants import service as tenants


@strawberry.type(description="Rules this tenant chose for itself.")
class TenantSettings:
    refund_four_eyes: bool = strawberry.field(
        description="The person who requested a refund cannot approve it (on by default)."
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


@strawberry.type
class TenantMutations:
    @strawberry.mutation(
        description="Admins only: whether a refund needs a second person to approve it."
        " Codes: FORBIDDEN."
    )
    async def set_refund_four_eyes(
        self, info: strawberry.Info, required: bool, idempotency_key: str | None = None
    ) -> TenantSettingsPayload:
        outcome = await mutation.run(
            info,
            operation="setRefundFourEyes",
            permission=permissions.Action.TENANT_SETTINGS,
            request={"required": required},
            idempotency_key=idempotency_key,
            action=lambda session, principal: tenants.set_refund_four_eyes(
                session=session, principal=principal, required=required
            ),
        )
        if outcome.result_id is None:
            return TenantSettingsPayload(settings=None, errors=outcome.errors)
        return TenantSettingsPayload(settings=await _settings(info), errors=[])
