"""Which fields of which types are rendered in SQL, and how: read from the same tables, in
the same order, and computed by the same rules as the resolvers and loaders that answer them
otherwise (`graphql/types/`, `graphql/loaders.py`). A field missing here is answered by its
resolver; the equivalence tests (tests/api_layer/test_json_nodes.py) compare the two."""

from __future__ import annotations

from payable.graphql.json_nodes.compiler import FieldSql
from payable.graphql.json_nodes.fields import Column, Inline, NodeId, Related
from payable.graphql.json_nodes.rules import (
    NEXT_DUE,
    ActiveRequestField,
    EdgeNode,
    InstallmentStatusField,
    NextDueAmountField,
    RequestStatusField,
    TimelineField,
)


def _money(amount: str, currency: str = "{t}.currency") -> Inline:
    return Inline(amount=amount, currency=currency)


# Fields every booking has, whatever its vertical: read from `bookings` as {t}.
BOOKING: dict[str, FieldSql] = {
    "id": NodeId(),
    "kind": Column("{t}.kind"),
    "reference": Column("{t}.reference"),
    "crmReference": Column("{t}.crm_reference"),
    "status": Column("{t}.status"),
    "paymentStatus": Column("{t}.payment_status"),
    "price": _money("{t}.price"),
    "amountPaid": _money("{t}.amount_paid"),
    "amountRefunded": _money("{t}.amount_refunded"),
    "balanceDue": _money("greatest({t}.price - {t}.amount_paid, 0.00)"),
    "customer": Related(
        "customers {r}", "{r}.tenant_id = {t}.tenant_id AND {r}.id = {t}.customer_id", many=False
    ),
    "policy": Related(
        "cancellation_policy_versions {r} JOIN cancellation_policies {r}_p"
        " ON {r}_p.id = {r}.policy_id",
        "{r}.tenant_id = {t}.tenant_id AND {r}.id = {t}.policy_version_id",
        many=False,
        joined={"p": "{r}_p"},
    ),
    "schedule": Related(
        "installments {r}", "{r}.booking_id = {t}.id", many=True, order="{r}.sequence"
    ),
    "paymentRequests": Related(
        "payment_requests {r}",
        "{r}.booking_id = {t}.id",
        many=True,
        order="{r}.created_at, {r}.id",
    ),
    "payments": Related(
        "payments {r}", "{r}.booking_id = {t}.id", many=True, order="{r}.verified_at, {r}.id"
    ),
    "refunds": Related(
        "refunds {r}", "{r}.booking_id = {t}.id", many=True, order="{r}.created_at, {r}.id"
    ),
    "timeline": TimelineField(),
    "createdAt": Column("{t}.created_at"),
    "updatedAt": Column("{t}.updated_at"),
    "nextDueDate": Column(NEXT_DUE.format(column="i.due_date", t="{t}")),
    "nextDueAmount": NextDueAmountField(),
}

TYPES: dict[str, dict[str, FieldSql]] = {
    "Money": {"amount": Column("{amount}"), "currency": Column("{currency}")},
    "Customer": {"id": NodeId(), "externalRef": Column("{t}.external_ref")},
    "CancellationPolicy": {
        "id": NodeId(),
        "code": Column("{p}.code"),
        "version": Column("{t}.version"),
        "freeCancellationHours": Column("{t}.free_cancellation_hours"),
        "lateCancellationRefundPercent": Column("{t}.late_cancellation_refund_percent"),
        "noShowRefundPercent": Column("{t}.no_show_refund_percent"),
    },
    "Installment": {
        "id": NodeId(),
        "sequence": Column("{t}.sequence"),
        "label": Column("{t}.label"),
        "amountDue": _money("{t}.amount_due"),
        "amountPaid": _money("{t}.amount_paid"),
        "dueDate": Column("{t}.due_date"),
        "graceDays": Column("{t}.grace_days"),
        "status": InstallmentStatusField(),
        "activePaymentRequest": ActiveRequestField(),
    },
    "PaymentRequest": {
        "id": NodeId(),
        "amount": _money("{t}.amount"),
        "status": RequestStatusField(),
        "paymentUrl": Column("{t}.payment_url"),
        "expiresAt": Column("{t}.expires_at"),
        "provider": Column("{t}.provider"),
        "providerOrderId": Column("{t}.provider_order_id"),
        "createdAt": Column("{t}.created_at"),
    },
    "Payment": {
        "id": NodeId(),
        "amount": _money("{t}.amount"),
        "provider": Column("{t}.provider"),
        "providerReference": Column("{t}.provider_reference"),
        "verifiedAt": Column("{t}.verified_at"),
        "verifiedBy": Column("{t}.verified_by"),
        "state": Column("{t}.state"),
        "heldReason": Column("{t}.held_reason"),
        "capturedAt": Column("{t}.captured_at"),
    },
    "Refund": {
        "id": NodeId(),
        "amount": _money("{t}.amount"),
        "status": Column("{t}.status"),
        "reason": Column("{t}.reason"),
        "requestedBy": Column("{t}.requested_by"),
        "approvedBy": Column("{t}.approved_by"),
        "providerRefundReference": Column("{t}.provider_refund_reference"),
        "failure": Column("{t}.failure"),
        "createdAt": Column("{t}.created_at"),
    },
    # A timeline page, read from its rows as {t}.
    "BookingEventEdge": {"cursor": Column("{t}.sequence"), "node": EdgeNode()},
    "BookingEvent": {
        "id": NodeId(),
        "sequence": Column("{t}.sequence"),
        "type": Column("{t}.type"),
        "actor": Column("{t}.actor"),
        "occurredAt": Column("{t}.occurred_at"),
    },
    "PageInfo": {
        "hasNextPage": Column("count(*) > {first}"),
        "endCursor": Column("max({t}.sequence) FILTER (WHERE {t}.n <= {first})"),
    },
}
