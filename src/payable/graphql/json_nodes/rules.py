"""Fields whose value a rule computes, in SQL: the same rule as the Python that answers them
otherwise (named in each docstring), the request's moment and the caller's visibility given
as parameters."""

from __future__ import annotations

from graphql import GraphQLField, GraphQLObjectType
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values

from payable.bookings.enums import BookingStatus, InstallmentStatus
from payable.graphql.json_nodes import sql_values
from payable.graphql.json_nodes.compiler import Compiler, FieldSql, Scope, Unsupported
from payable.graphql.json_nodes.fields import Related, object_type_of
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
NEXT_DUE = (
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
        amount = NEXT_DUE.format(column="i.amount_due - i.amount_paid", t=t)
        money = compiler.object(
            object_type_of(field),
            {"amount": f"{owed}.amount", "currency": f"{t}.currency"},
            details,
        )
        return (
            f"(SELECT CASE WHEN {owed}.amount IS NULL THEN NULL ELSE {money} END"
            f" FROM (SELECT {amount} AS amount) {owed})"
        )


class EdgeNode(FieldSql):
    """A timeline edge's event: the page's row itself (see TimelineField)."""

    def render(
        self,
        compiler: Compiler,
        scope: Scope,
        parent: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> str:
        return compiler.object(object_type_of(field), scope, details)
