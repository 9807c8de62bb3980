"""Reconciliation over GraphQL: import a gateway's daily report, see how it compares."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.file_uploads import Upload

from payable.core import ids, permissions
from payable.core.errors import DomainError
from payable.core.money import Money as DomainMoney
from payable.graphql import guard
from payable.graphql.context import ctx
from payable.graphql.mutations.declaration import Call, mutation
from payable.graphql.mutations.runner import Outcome
from payable.graphql.pagination import page_size
from payable.graphql.types.booking import PayableBooking, to_graphql
from payable.graphql.types.common import Money, UserError
from payable.reconciliation import importer, matching, queries, service
from payable.reconciliation.models import ExceptionKind, Operation
from payable.reconciliation.refusals import ReconciliationRefusal

ReconciliationExceptionKind = strawberry.enum(ExceptionKind, name="ReconciliationExceptionKind")
ReportOperation = strawberry.enum(Operation, name="ReportOperation")


def _money(value: DomainMoney | None) -> Money | None:
    return None if value is None else Money.of(value.amount, value.currency)


def _amounts(values: Iterable[DomainMoney]) -> list[Money]:
    return [Money.of(value.amount, value.currency) for value in values]


@strawberry.type(name="ReconciliationTally", description="How many, and how much per currency.")
class Tally:
    count: int
    amounts: list[Money]

    @classmethod
    def of(cls, tally: matching.Tally) -> Tally:
        return cls(count=tally.count, amounts=_amounts(tally.amounts))


@strawberry.type(
    name="ReconciliationExceptionCount",
    description="The exceptions of one kind, with the amounts they concern.",
)
class ExceptionCount:
    kind: ReconciliationExceptionKind  # type: ignore[valid-type]
    count: int
    amounts: list[Money]


@strawberry.type(
    description="One difference between the gateway's report and our books, with the review"
    " task a person resolves it through."
)
class ReconciliationException:
    finding: strawberry.Private[matching.Finding]

    @strawberry.field(
        description="MISSING_HERE: the gateway took money no payment here records."
        " MISSING_AT_PROVIDER: verified here, absent from the gateway's reports."
        " AMOUNT_MISMATCH: same reference, another amount or currency."
        " STATUS_MISMATCH: refunded or reversed at the gateway, not here."
        " CLOSED_BOOKING: money on a cancelled booking or a dead link."
    )
    def kind(self) -> ReconciliationExceptionKind:  # type: ignore[valid-type]
        return self.finding.kind

    @strawberry.field(description="The gateway's operation, or ours when it reported none.")
    def operation(self) -> ReportOperation:  # type: ignore[valid-type]
        return self.finding.operation

    @strawberry.field(description="The gateway's reference of the money movement.")
    def reference(self) -> str:
        return self.finding.reference

    @strawberry.field
    def provider_order_id(self) -> str | None:
        return self.finding.provider_order_id

    @strawberry.field(description="What the gateway reports; null when it reports nothing.")
    def provider_amount(self) -> Money | None:
        return _money(self.finding.theirs)

    @strawberry.field(description="What our books hold; null when they hold nothing.")
    def our_amount(self) -> Money | None:
        return _money(self.finding.ours)

    @strawberry.field(description="Our payment's state or our refunds' statuses, if any.")
    def our_state(self) -> str | None:
        return self.finding.our_state

    @strawberry.field(description="Null when the money belongs to no booking of ours.")
    async def booking(self, info: strawberry.Info) -> PayableBooking | None:
        if self.finding.booking_id is None:
            return None
        view = await ctx(info).loaders.booking.load(self.finding.booking_id)
        return to_graphql(view) if view is not None else None

    @strawberry.field(
        description="The review task (see `tasks`); null until recorded, or without a booking."
    )
    def task_id(self) -> strawberry.ID | None:
        task = self.finding.task_id
        return None if task is None else strawberry.ID(ids.to_global_id("ReviewTask", task))


@strawberry.type(description="A business day's gateway report compared with our books.")
class Reconciliation:
    summary: strawberry.Private[matching.Summary]

    @strawberry.field
    def provider(self) -> str:
        return self.summary.provider

    @strawberry.field(description="The business day (Yerevan).")
    def date(self) -> dt.date:
        return self.summary.day

    @strawberry.field(description="Lines imported with the day's reports.")
    def lines(self) -> int:
        return self.summary.lines

    @strawberry.field(description="Payment lines that match a verified payment here.")
    def matched(self) -> Tally:
        return Tally.of(self.summary.matched)

    @strawberry.field(description="Refund and reversal lines that match a succeeded refund.")
    def matched_refunds(self) -> Tally:
        return Tally.of(self.summary.matched_refunds)

    @strawberry.field(description="Every exception kind, zeros included.")
    def counts(self) -> list[ExceptionCount]:
        tallies = {kind: self.summary.tally(kind) for kind in ExceptionKind}
        return [
            ExceptionCount(kind=kind, count=t.count, amounts=_amounts(t.amounts))
            for kind, t in tallies.items()
        ]

    @strawberry.field(description="The differences, in report order; `counts` has the totals.")
    def exceptions(
        self,
        kind: ReconciliationExceptionKind | None = None,  # type: ignore[valid-type]
        first: int | None = None,
    ) -> list[ReconciliationException]:
        size = page_size(first, default=100)
        chosen = [f for f in self.summary.exceptions if kind is None or f.kind is kind]
        return [ReconciliationException(finding=f) for f in chosen[:size]]


@strawberry.type(description="An imported report file; the same file twice is one report.")
class ProviderReport:
    id: strawberry.ID
    lines: int = strawberry.field(description="Lines in the file.")
    new_lines: int = strawberry.field(description="Lines not known from an earlier report.")
    already_imported: bool = strawberry.field(
        description="True when this file was imported before: nothing changed."
    )


@strawberry.type
class ImportReportPayload:
    report: ProviderReport | None
    reconciliation: Reconciliation | None
    errors: list[UserError]


async def _import_payload(call: Call, outcome: Outcome) -> ImportReportPayload:
    if outcome.errors:
        return ImportReportPayload(report=None, reconciliation=None, errors=outcome.errors)
    imported, summary = call.kept
    report = ProviderReport(
        id=strawberry.ID(ids.to_global_id("ProviderReport", imported.report_id)),
        lines=imported.lines,
        new_lines=imported.new_lines,
        already_imported=imported.already_imported,
    )
    return ImportReportPayload(
        report=report, reconciliation=Reconciliation(summary=summary), errors=[]
    )


@strawberry.type
class ReconciliationMutations:
    @mutation(
        role=permissions.Action.RECONCILE,
        answer=_import_payload,
        refusals=ReconciliationRefusal,
        description="Import a gateway's report of one business day (multipart upload), then"
        " compare the day with our books. Each difference is recorded once, with a review task;"
        " no payment, refund or booking changes. Admins, accountants.",
        transaction=False,
    )
    async def import_provider_report(
        call: Call, provider: str, date: dt.date, file: Upload
    ) -> uuid.UUID:
        context = call.context
        principal = call.principal
        upload: Any = file
        if not hasattr(upload, "file"):  # the scalar takes any value: a string is no file
            raise ReconciliationRefusal.INVALID_FILE.error("file")
        imported = await importer.import_report(
            db=context.db,
            tenant_id=principal.tenant_id,
            actor=principal.sub,
            provider=provider,
            day=date,
            source=upload.file,
        )
        summary = await service.reconcile(
            db=context.db,
            tenant_id=principal.tenant_id,
            provider=provider,
            day=date,
            gateway=context.providers.configured(provider),
        )
        call.kept = [imported, summary]
        return imported.report_id


@strawberry.type
class ReconciliationQueries:
    @strawberry.field(
        description="A business day's gateway report compared with our books as they stand;"
        " null when no report of that day was imported. Admins and accountants."
    )
    async def reconciliation(
        self, info: strawberry.Info, provider: str, date: dt.date
    ) -> Reconciliation | None:
        principal = await guard.require(
            info, operation="reconciliation", permission=permissions.Action.RECONCILE
        )
        context = ctx(info)
        try:
            # Its own session: it streams a whole day's report, beside the request's reads.
            async with context.db.session() as session:
                summary = await queries.reconciliation(
                    session=session, tenant_id=principal.tenant_id, provider=provider, day=date
                )
        except DomainError as error:  # a query has no payload: refusals are GraphQL errors
            raise GraphQLError(error.message, extensions={"code": error.code}) from None
        return None if summary is None else Reconciliation(summary=summary)
