"""Per-request dataloaders: every relation is fetched in one batched statement."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from payable.bookings import queries as bookings
from payable.customers import queries as customers
from payable.payments import queries as payments
from payable.policies import queries as policies
from payable.refunds import queries as refunds
from payable.timeline import queries as timeline

K = TypeVar("K")
V = TypeVar("V")

TimelineKey = tuple[uuid.UUID, int, int | None]  # booking id, first, after


def _loader(
    fetch: Callable[[list[K]], Awaitable[dict[K, V]]], missing: Any = None
) -> DataLoader[K, V]:
    async def load(keys: list[K]) -> list[V]:
        found = await fetch(keys)
        return [found.get(key, missing() if callable(missing) else missing) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """Created for each request, so nothing is cached across requests or tenants."""

    def __init__(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        hidden_events: frozenset[str] = frozenset(),
    ) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.hidden_events = hidden_events  # event types this caller may not see (CRM notes)

    # The batch functions capture what they need, never ``self``: a loader kept on its Loaders
    # and pointing back at them would be a reference cycle, and every row it cached would wait
    # for the garbage collector instead of going when the request does.

    def _scoped(
        self, fetch: Callable[..., Awaitable[dict[Any, Any]]]
    ) -> Callable[[Iterable[uuid.UUID]], Awaitable[dict[Any, Any]]]:
        session, tenant_id = self.session, self.tenant_id
        return lambda ids: fetch(session=session, tenant_id=tenant_id, ids=ids)

    def _by_booking(
        self, fetch: Callable[..., Awaitable[dict[Any, Any]]]
    ) -> Callable[[Iterable[uuid.UUID]], Awaitable[dict[Any, Any]]]:
        session = self.session
        return lambda ids: fetch(session=session, booking_ids=ids)

    @cached_property
    def booking(self) -> DataLoader[uuid.UUID, bookings.BookingView | None]:
        return _loader(self._scoped(bookings.by_ids))

    @cached_property
    def customer(self) -> DataLoader[uuid.UUID, Any]:
        return _loader(self._scoped(customers.by_ids))

    @cached_property
    def policy(self) -> DataLoader[uuid.UUID, policies.PolicyView | None]:
        return _loader(self._scoped(policies.versions_by_ids))

    @cached_property
    def installment(self) -> DataLoader[uuid.UUID, Any]:
        return _loader(self._scoped(bookings.installments_by_ids))

    @cached_property
    def payment_request(self) -> DataLoader[uuid.UUID, Any]:
        return _loader(self._scoped(payments.requests_by_ids))

    @cached_property
    def payment(self) -> DataLoader[uuid.UUID, Any]:
        return _loader(self._scoped(payments.payments_by_ids))

    @cached_property
    def refund(self) -> DataLoader[uuid.UUID, Any]:
        return _loader(self._scoped(refunds.by_ids))

    @cached_property
    def event(self) -> DataLoader[uuid.UUID, Any]:
        session, tenant_id, hidden = self.session, self.tenant_id, self.hidden_events

        async def fetch(ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
            return await timeline.by_ids(
                session=session, tenant_id=tenant_id, ids=ids, hidden=hidden
            )

        return _loader(fetch)

    @cached_property
    def schedule(self) -> DataLoader[uuid.UUID, list[Any]]:
        return _loader(self._by_booking(bookings.installments_by_booking), list)

    @cached_property
    def payment_requests(self) -> DataLoader[uuid.UUID, list[Any]]:
        return _loader(self._by_booking(payments.requests_by_booking), list)

    @cached_property
    def payments(self) -> DataLoader[uuid.UUID, list[Any]]:
        return _loader(self._by_booking(payments.payments_by_booking), list)

    @cached_property
    def refunds(self) -> DataLoader[uuid.UUID, list[Any]]:
        return _loader(self._by_booking(refunds.by_booking), list)

    @cached_property
    def timeline(self) -> DataLoader[TimelineKey, list[Any]]:
        session, hidden = self.session, self.hidden_events

        async def load(keys: list[TimelineKey]) -> list[list[Any]]:
            # One statement per distinct (first, after): in a list, that is one statement.
            pages: dict[TimelineKey, list[Any]] = {}
            for first, after in {(k[1], k[2]) for k in keys}:
                ids = [k[0] for k in keys if (k[1], k[2]) == (first, after)]
                found = await timeline.pages_by_booking(
                    hidden=hidden,
                    session=session,
                    booking_ids=ids,
                    first=first,
                    after=after,
                )
                pages.update({(i, first, after): found.get(i, []) for i in ids})
            return [pages[key] for key in keys]

        return DataLoader(load_fn=load)
