"""Who is calling: the verified claims of a bearer token."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass


class Role(enum.StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    SUPPORT = "support"
    ACCOUNTANT = "accountant"
    INTEGRATOR = "integrator"


@dataclass(frozen=True, slots=True)
class Principal:
    sub: str
    tenant_slug: str
    role: Role
    tenant_id: uuid.UUID
