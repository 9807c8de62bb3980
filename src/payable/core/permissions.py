"""The role matrix, written once: which role may do what. Checked by every service entry point."""

from __future__ import annotations

import enum

from payable.core.errors import Forbidden
from payable.core.principal import Principal, Role


class Action(enum.StrEnum):
    READ = "read bookings"
    CREATE_BOOKING = "create bookings"
    REQUEST_PAYMENT = "request or cancel payments"
    CHECK_PAYMENT = "look payments up at the gateway"


_STAFF = frozenset({Role.ADMIN, Role.OPERATOR, Role.SUPPORT})

MATRIX: dict[Action, frozenset[Role]] = {
    Action.READ: frozenset(Role),
    Action.CREATE_BOOKING: _STAFF,
    Action.REQUEST_PAYMENT: _STAFF,
    Action.CHECK_PAYMENT: _STAFF | {Role.ACCOUNTANT},
}


def allowed(principal: Principal, action: Action) -> bool:
    return principal.role in MATRIX[action]


def require(principal: Principal, action: Action) -> None:
    if not allowed(principal, action):
        raise Forbidden(action.value)
