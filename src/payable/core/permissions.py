"""The role matrix, written once: which role may do what.

Checked where a caller enters: a mutation's declaration names its action and the runner checks
it first; queries and the export route check theirs. Services trust the principal they get."""

from __future__ import annotations

import enum

from payable.core.errors import Forbidden
from payable.core.principal import Principal, Role


class Action(enum.StrEnum):
    READ = "read bookings"
    CREATE_BOOKING = "create bookings"
    REQUEST_PAYMENT = "request or cancel payments"
    CHECK_PAYMENT = "look payments up at the gateway"
    CHANGE_BOOKING = "reschedule, transfer or change bookings"
    CANCEL_BOOKING = "cancel bookings"
    CANCEL_DEPARTURE = "cancel a whole tour departure"
    MARK_NO_SHOW = "mark no-shows"
    COMPLETE_BOOKING = "mark bookings completed"
    REQUEST_REFUND = "request refunds"
    DECIDE_REFUND = "approve or reject refunds"
    PAUSE_ACCESS = "pause or resume enrollments"
    OVERRIDE_ACCESS = "override course access"
    APPLY_DISCOUNT = "apply discounts"
    PUBLISH_POLICY = "publish cancellation policies"
    NOTES = "read or write CRM notes"
    RESOLVE_TASK = "resolve review tasks"
    REPORTS = "read daily summaries and month closes"
    EXPORT_ACCOUNTS = "export accounting data"
    RECONCILE = "import gateway reports and reconcile"
    ACCEPT_HELD = "accept held money"
    RETURN_HELD = "return held money"
    TENANT_SETTINGS = "change the tenant's rules"
    READ_GATEWAYS = "see the tenant's payment gateway and the available ones"
    READ_FREE_TEXT = "read reasons and other free text"
    READ_DEPARTURES = "read tour departures"
    MANAGE_WEBHOOKS = "manage webhook endpoints and deliveries"


_FRONT_DESK = frozenset({Role.ADMIN, Role.OPERATOR, Role.SUPPORT})
# Staff: the tenant's own people. Integrators are machines of other parties: they see types,
# codes and amounts, never what a person wrote (reasons, labels, notes).
_STAFF = _FRONT_DESK | {Role.ACCOUNTANT}
_MANAGERS = frozenset({Role.ADMIN, Role.OPERATOR})
_MONEY = frozenset({Role.ADMIN, Role.ACCOUNTANT})

# Integrators only read. Support serves customers but decides no money and no exceptions;
# accountants decide refunds and close reviews but do not change bookings.
MATRIX: dict[Action, frozenset[Role]] = {
    Action.READ: frozenset(Role),
    Action.CREATE_BOOKING: _FRONT_DESK,
    Action.REQUEST_PAYMENT: _FRONT_DESK,
    Action.CHECK_PAYMENT: _STAFF,
    Action.CHANGE_BOOKING: _FRONT_DESK,
    Action.CANCEL_BOOKING: _FRONT_DESK,
    Action.CANCEL_DEPARTURE: _MANAGERS,
    Action.MARK_NO_SHOW: _MANAGERS,
    Action.COMPLETE_BOOKING: _MANAGERS,
    Action.REQUEST_REFUND: _FRONT_DESK,
    Action.DECIDE_REFUND: _MONEY,
    Action.PAUSE_ACCESS: _FRONT_DESK,
    Action.OVERRIDE_ACCESS: _MANAGERS,
    Action.APPLY_DISCOUNT: _MANAGERS,
    Action.PUBLISH_POLICY: frozenset({Role.ADMIN}),
    Action.NOTES: _FRONT_DESK,
    Action.RESOLVE_TASK: _MANAGERS | {Role.ACCOUNTANT},
    Action.REPORTS: _STAFF,
    Action.EXPORT_ACCOUNTS: _MONEY,
    Action.RECONCILE: _MONEY,
    Action.ACCEPT_HELD: _MANAGERS | {Role.ACCOUNTANT},
    Action.RETURN_HELD: _MONEY,
    Action.TENANT_SETTINGS: frozenset({Role.ADMIN}),
    Action.READ_GATEWAYS: frozenset({Role.ADMIN}),
    Action.READ_FREE_TEXT: _STAFF,
    Action.READ_DEPARTURES: _STAFF,
    # Webhook endpoints choose where the tenant's events go, and hold the signing secrets.
    Action.MANAGE_WEBHOOKS: frozenset({Role.ADMIN}),
}


def allowed(principal: Principal, action: Action) -> bool:
    return principal.role in MATRIX[action]


def require(principal: Principal, action: Action) -> None:
    if not allowed(principal, action):
        raise Forbidden(action.value)
