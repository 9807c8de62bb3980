"""Customer and cancellation policy types."""

from __future__ import annotations

import uuid

import strawberry

from payable.customers.models import Customer as CustomerRow
from payable.graphql.types.common import Node
from payable.policies.queries import PolicyView


@strawberry.type(description="A customer, known only by the CRM's reference: no personal data.")
class Customer(Node):
    row: strawberry.Private[CustomerRow]

    def local_id(self) -> uuid.UUID:
        return self.row.id

    @strawberry.field(description="The customer's id in the CRM.")
    def external_ref(self) -> str:
        return self.row.external_ref


@strawberry.type(
    description="One published version of a cancellation policy. Versions never change."
)
class CancellationPolicy(Node):
    view: strawberry.Private[PolicyView]

    def local_id(self) -> uuid.UUID:
        return self.view.version.id

    @strawberry.field
    def code(self) -> str:
        return self.view.code

    @strawberry.field
    def version(self) -> int:
        return self.view.version.version

    @strawberry.field(
        description="Cancel at least this many hours before the service: full refund path."
    )
    def free_cancellation_hours(self) -> int:
        return self.view.version.free_cancellation_hours

    @strawberry.field
    def late_cancellation_refund_percent(self) -> int:
        return self.view.version.late_cancellation_refund_percent

    @strawberry.field
    def no_show_refund_percent(self) -> int:
        return self.view.version.no_show_refund_percent
