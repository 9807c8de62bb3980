"""Which fields of which types are rendered in SQL, and how: read from the same tables, in
the same order, and computed by the same rules as the resolvers and loaders that answer them
otherwise (`graphql/types/`, `graphql/loaders.py`). A field missing here is answered by its
resolver; the equivalence tests (tests/api_layer/test_json_nodes.py) compare the two."""

from __future__ import annotations

from graphql import GraphQLField, GraphQLObjectType
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values

from payable.bookings.enums import BookingStatus, InstallmentStatus
from payable.graphql.json_nodes import sql_values
from payable.graphql.json_nodes.compiler import Compiler, FieldSql, Scope, Unsupported
from payable.graphql.json_nodes.fields import Column, Inline, NodeId, Related, object_type_of
from payable.graphql.pagination import page_size, sequence_cursor
from payable.payments.enums import PaymentRequestStatus

_PENDING = sql_values.literal(PaymentRequestStatus.PENDING.value)


class InstallmentStatusField(FieldSql):
    """`bookings.schedule.installment_status` by the business day of the request."""

    def render(
        self,
        compiler: Compiler,
        scope: Scope,
        parent: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> str:
        today = compiler.params.named("today", "date")
        t = scope["t"]
        statuses = {s: sql_values.literal(s.value) for s in InstallmentStatus}
        return (
            f"(CASE WHEN {t}.amount_paid >= {t}.amount_due THEN {statuses[InstallmentStatus.PAID]}"
            f" WHEN {today} < {t}.due_date THEN {statuses[InstallmentStatus.UPCOMING]}"
            f" WHEN {today} <= {t}.due_date + {t}.grace_days THEN {statuses[InstallmentStatus.DUE]}"
            f" ELSE {statuses[InstallmentStatus.OVERDUE]} END)"
        )


class RequestStatusField(FieldSql):
    """`payments.models.request_status_at` the request's moment: a pending link whose expiry
    has passed is EXPIRED."""

    def render(
        self,
        compiler: Compiler,
        scope: Scope,
        parent: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> str:
        now = compiler.params.named("now", "timestamptz")
        t = scope["t"]
        expired = sql_values.literal(PaymentRequestStatus.EXPIRED.value)
        return (
            f"(CASE WHEN {t}.status = {_PENDING} AND {t}.expires_at <= {now} THEN {expired}"
            f" ELSE {t}.status::text END)"
        )


class ActiveRequestField(Related):
    """The installment's open link: PENDING and not expired at the request's moment."""

    def __init__(self) -> None:
        super().__init__(
            "payment_requests {r}",
            "{r}.installment_id = {t}.id AND {r}.status = "
            + _PENDING
            + " AND {r}.expires_at > {now}",
            many=False,
            order="{r}.created_at, {r}.id",
        )

    def render(
        self,
        compiler: Compiler,
        scope: Scope,
        parent: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> str:
        now = compiler.params.named("now", "timestamptz")
        return super().render(compiler, {**scope, "now": now}, parent, field, details)


class TimelineField(FieldSql):
    """`PayableBooking.timeline(first, after)`: the page the timeline loader reads (events
    after the cursor that the caller may see, oldest first, one more to tell whether another
    page follows) as `BookingEventConnection.from_page` shows it."""

    takes_arguments = True

    def render(
        self,
        compiler: Compiler,
        scope: Scope,
        parent: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> str:
        try:
            arguments = get_argument_values(field, details[0].node, compiler.variables)
            size = page_size(arguments.get("first"), default=50)
            after = sequence_cursor(arguments.get("after"))
        except Exception as error:  # the resolver reports it, as a field error
            raise Unsupported("invalid timeline arguments") from error
        params = compiler.params
        first = params.add(size, "int")
        hidden = params.named("hidden", "text[]")
        e, page = compiler.alias(), compiler.alias()
        since = f" AND {e}.sequence > {params.add(after, 'bigint')}" if after is not None else ""
        connection = object_type_of(field)
        pairs = []
        for key, connection_details in compiler.collect(connection, details).items():
            name = connection_details[0].node.name.value
            if name == "__typename":
                value = sql_values.literal(connection.name)
            elif name == "edges":
                edge = object_type_of(connection.fields["edges"])
                built = compiler.object(edge, {"t": page}, connection_details)
                value = (
                    f"coalesce(json_agg({built} ORDER BY {page}.sequence)"
                    f" FILTER (WHERE {page}.n <= {first}), '[]'::json)"
                )
            elif name == "pageInfo":
                info = object_type_of(connection.fields["pageInfo"])
                value = compiler.object(info, {"t": page, "first": first}, connection_details)
            else:
                raise Unsupported(f"{connection.name}.{name}")
            pairs.append(f"{sql_values.literal(key)}, {value}")
        return (
            f"(SELECT json_build_object({', '.join(pairs)}) FROM (SELECT {e}.*, row_number()"
            f" OVER (ORDER BY {e}.sequence) AS n FROM booking_events {e} WHERE"
            f" {e}.booking_id = {scope['t']}.id AND {e}.type <> ALL({hidden}){since}"
            f" ORDER BY {e}.sequence LIMIT {first} + 1) {page})"
        )


# `bookings.schedule.next_due`: the earliest line still owing (by due date, then sequence);
# none for a booking that collects nothing more.
_OWES_NOTHING = ", ".join(
    sql_values.literal(status.value) for status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW)
)
_NEXT_DUE = (
    "(SELECT {column} FROM installments i WHERE i.booking_id = {t}.id"
    " AND i.amount_paid < i.amount_due AND {t}.status NOT IN (" + _OWES_NOTHING + ")"
    " ORDER BY i.due_date, i.sequence LIMIT 1)"
)


class NextDueAmountField(FieldSql):
    """What the next line due still owes, as Money; null when nothing is owed."""

    def render(
        self,
        compiler: Compiler,
        scope: Scope,
        parent: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> str:
        t, owed = scope["t"], compiler.alias()
        amount = _NEXT_DUE.format(column="i.amount_due - i.amount_paid", t=t)
        money = compiler.object(
            object_type_of(field),
            {"amount": f"{owed}.amount", "currency": f"{t}.currency"},
            details,
        )
        return (
            f"(SELECT CASE WHEN {owed}.amount IS NULL THEN NULL ELSE {money} END"
            f" FROM (SELECT {amount} AS amount) {owed})"
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
    "nextDueDate": Column(_NEXT_DUE.format(column="i.due_date", t="{t}")),
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
    "BookingEventEdge": {"cursor": Column("{t}.sequence")},
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


class EdgeNode(FieldSql):
    """A timeline edge's event: the page's row itself."""

    def render(
        self,
        compiler: Compiler,
        scope: Scope,
        parent: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> str:
        return compiler.object(object_type_of(field), scope, details)


TYPES["BookingEventEdge"]["node"] = EdgeNode()
